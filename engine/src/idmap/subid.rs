//! `/etc/subuid` and `/etc/subgid`: `NAME:START:COUNT` lines.

use std::path::Path;

/// One subordinate id range of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubIdRange {
    pub start: u32,
    pub count: u32,
}

/// The ranges `file` gives user `name` (or its numeric `uid`, when given);
/// a missing file gives none.
pub fn subid_ranges(file: &Path, name: &str, uid: Option<u32>) -> Vec<SubIdRange> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    parse(&text, name, uid)
}

fn parse(text: &str, name: &str, uid: Option<u32>) -> Vec<SubIdRange> {
    let uid = uid.map(|u| u.to_string());
    text.lines()
        .filter_map(|l| {
            let mut f = l.trim().split(':');
            let (who, start, count) = (f.next()?, f.next()?, f.next()?);
            if who != name && Some(who) != uid.as_deref() {
                return None;
            }
            let start = start.trim().parse().ok()?;
            let count = count.trim().parse().ok()?;
            (count > 0).then_some(SubIdRange { start, count })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_named_entries() {
        let text =
            "alice:100000:65536\ncontainers:2147483647:2147483648\n# x\ncontainers:5:0\n1000:7:3\n";
        assert_eq!(
            parse(text, "containers", None),
            vec![SubIdRange {
                start: 2147483647,
                count: 2147483648
            }]
        );
        assert_eq!(
            parse(text, "bob", Some(1000)),
            vec![SubIdRange { start: 7, count: 3 }]
        );
        assert!(parse(text, "nobody", None).is_empty());
    }
}
