//! Podman's detach keys (`--detach-keys`): their syntax, and recognising
//! them in what the user types.

/// Podman's default detach sequence.
pub const DEFAULT_DETACH_KEYS: &str = "ctrl-p,ctrl-q";

/// Parses Podman's detach-key syntax: comma-separated keys, each a single
/// character or `ctrl-X` (X in `a`-`z`, `@`, `[`, `\`, `]`, `^`, `_`).
/// An empty string disables detaching (empty sequence).
pub fn parse_detach_keys(keys: &str) -> Result<Vec<u8>, String> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let bad = |reason: String| format!("invalid detach keys {keys:?}: {reason}");
    let mut out = Vec::new();
    for key in keys.split(',') {
        if key.len() == 1 {
            out.push(key.as_bytes()[0]);
            continue;
        }
        let lower = key.to_ascii_lowercase();
        let code = lower
            .strip_prefix("ctrl-")
            .filter(|r| r.len() == 1)
            .and_then(|r| match r.as_bytes()[0] {
                c @ b'a'..=b'z' => Some(c - b'a' + 1),
                b'@' => Some(0),
                b'[' => Some(27),
                b'\\' => Some(28),
                b']' => Some(29),
                b'^' => Some(30),
                b'_' => Some(31),
                _ => None,
            });
        out.push(code.ok_or_else(|| bad(format!("Unknown character: '{key}'")))?);
    }
    Ok(out)
}

/// Recognizes the detach sequence in typed input, holding back a partial
/// match until it is either completed or broken.
pub struct DetachMatcher {
    keys: Vec<u8>,
    matched: usize,
}

impl DetachMatcher {
    pub fn new(keys: Vec<u8>) -> DetachMatcher {
        DetachMatcher { keys, matched: 0 }
    }

    /// Appends the bytes to forward to `out`; true when the sequence is
    /// complete. As Podman, a key counts only when it is a read of its
    /// own (typed, not part of piped data): a longer read is forwarded as
    /// it is, and releases a partial match held back before it.
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<u8>) -> bool {
        let [b] = data else {
            self.flush(out);
            out.extend_from_slice(data);
            return false;
        };
        if self.keys.is_empty() {
            out.push(*b);
            return false;
        }
        if *b != self.keys[self.matched] {
            self.flush(out);
            if *b != self.keys[0] {
                out.push(*b);
                return false;
            }
        }
        self.matched += 1;
        self.matched == self.keys.len()
    }

    /// Releases a held-back partial match (at end of input).
    pub fn flush(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.keys[..self.matched]);
        self.matched = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_key_syntax() {
        assert_eq!(parse_detach_keys("ctrl-p,ctrl-q").unwrap(), vec![16, 17]);
        assert_eq!(parse_detach_keys("ctrl-a").unwrap(), vec![1]);
        assert_eq!(parse_detach_keys("a,b").unwrap(), b"ab".to_vec());
        assert_eq!(parse_detach_keys("CTRL-Z").unwrap(), vec![26]);
        assert_eq!(
            parse_detach_keys("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_").unwrap(),
            vec![0, 27, 28, 29, 30, 31]
        );
        assert_eq!(parse_detach_keys("").unwrap(), Vec::<u8>::new());
        for bad in ["ctrl-", "ctrl-1", "ctrl-ab", "foo", "a,,b"] {
            assert!(parse_detach_keys(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_detach_keys("foo").unwrap_err(),
            "invalid detach keys \"foo\": Unknown character: 'foo'"
        );
        assert_eq!(
            parse_detach_keys(DEFAULT_DETACH_KEYS).unwrap(),
            vec![16, 17]
        );
    }

    fn run(keys: &[u8], chunks: &[&[u8]]) -> (Vec<u8>, bool) {
        let mut m = DetachMatcher::new(keys.to_vec());
        let mut out = Vec::new();
        for c in chunks {
            if m.feed(c, &mut out) {
                return (out, true);
            }
        }
        m.flush(&mut out);
        (out, false)
    }

    #[test]
    fn detach_matching() {
        let keys = [16u8, 17];
        // Keys count only as reads of their own, as typed.
        assert_eq!(
            run(&keys, &[b"ab", b"\x10", b"\x11", b"cd"]),
            (b"ab".to_vec(), true)
        );
        assert_eq!(
            run(&keys, &[b"\x10", b"x", b"\x11"]),
            (b"\x10x\x11".to_vec(), false)
        );
        assert_eq!(
            run(&keys, &[b"\x10", b"\x10", b"\x11"]),
            (b"\x10".to_vec(), true)
        );
        assert_eq!(run(&keys, &[b"x", b"\x10"]), (b"x\x10".to_vec(), false));
        assert_eq!(run(&[], &[b"\x10", b"\x11"]), (b"\x10\x11".to_vec(), false));
        assert_eq!(run(&[1], &[b"ab", b"\x01"]), (b"ab".to_vec(), true));
        // Piped data that happens to hold the keys is data (exec -i < file).
        assert_eq!(
            run(&keys, &[b"ab\x10\x11cd"]),
            (b"ab\x10\x11cd".to_vec(), false)
        );
        assert_eq!(
            run(&keys, &[b"\x10", b"\x11z"]),
            (b"\x10\x11z".to_vec(), false)
        );
    }
}
