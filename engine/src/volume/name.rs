//! Volume names: Podman's rule for names, and anonymous names.

use super::VolumeError;

/// Podman's name rule: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
pub fn check(name: &str) -> Result<(), VolumeError> {
    let mut bytes = name.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
    if first_ok && bytes.all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)) {
        Ok(())
    } else {
        Err(VolumeError::InvalidName(name.to_owned()))
    }
}

/// A new anonymous volume's name: 64 random hex digits, as Podman's.
pub fn anonymous() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["a", "my_vol-1.x", "0abc"] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", ".a", "a b", "a/b", "a:b", "ä"] {
            let e = check(bad).unwrap_err();
            assert!(e
                .to_string()
                .starts_with("running volume create option: names must match"));
        }
        let a = anonymous();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, anonymous());
    }
}
