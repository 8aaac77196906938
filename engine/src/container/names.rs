//! Container ids and generated names.

use rand::seq::SliceRandom;
use rand::Rng;

const ADJECTIVES: &[&str] = &[
    "agile", "amber", "ample", "azure", "bold", "brave", "brisk", "calm", "candid", "clever",
    "cosmic", "crisp", "daring", "eager", "early", "fancy", "fervent", "gentle", "glad", "golden",
    "happy", "hardy", "humble", "jolly", "keen", "kind", "lively", "loyal", "lucid", "merry",
    "mellow", "modest", "nimble", "noble", "patient", "plucky", "polite", "proud", "quiet",
    "rapid", "serene", "sharp", "shiny", "silent", "steady", "sturdy", "sunny", "swift", "tender",
    "tidy", "upbeat", "vivid", "warm", "wise", "witty", "zealous",
];

const NOUNS: &[&str] = &[
    "agnesi",
    "babbage",
    "banach",
    "bardeen",
    "bohr",
    "boole",
    "cantor",
    "curie",
    "darwin",
    "dijkstra",
    "euler",
    "faraday",
    "fermat",
    "feynman",
    "galois",
    "gauss",
    "germain",
    "hamilton",
    "hopper",
    "hypatia",
    "joule",
    "kepler",
    "knuth",
    "lamarr",
    "laplace",
    "leibniz",
    "lovelace",
    "maxwell",
    "meitner",
    "mendel",
    "newton",
    "noether",
    "pascal",
    "pasteur",
    "planck",
    "poincare",
    "ramanujan",
    "riemann",
    "shannon",
    "tesla",
    "turing",
    "volta",
    "wiles",
    "wright",
    "yalow",
];

/// A random 64-character lowercase hex id.
pub fn new_id() -> String {
    let mut rng = rand::thread_rng();
    // An id that is all digits would be ambiguous with a number in some
    // tools (Podman avoids them too): regenerate until it has a letter.
    loop {
        let bytes: [u8; 32] = rng.gen();
        let id = hex::encode(bytes);
        if id[..12].bytes().any(|b| b.is_ascii_alphabetic()) {
            return id;
        }
    }
}

/// A random `adjective_noun` name.
pub fn random_name() -> String {
    let mut rng = rand::thread_rng();
    let adj = ADJECTIVES.choose(&mut rng).copied().unwrap_or("rpod");
    let noun = NOUNS.choose(&mut rng).copied().unwrap_or("container");
    format!("{adj}_{noun}")
}

/// Podman's rule for user-given names: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
pub fn is_valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_hex_and_unique() {
        let a = new_id();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, new_id());
    }

    #[test]
    fn name_rule() {
        assert!(is_valid_name("web-1.a_b"));
        assert!(!is_valid_name("-web"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("a/b"));
        assert!(is_valid_name(&random_name()));
    }
}
