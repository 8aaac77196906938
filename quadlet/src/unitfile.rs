//! systemd unit files as Quadlet reads and writes them: groups in file
//! order, keys repeated, comments kept, `\` continuation lines joined.
//!
//! A small parser of our own rather than a crate: Quadlet's semantics are
//! not plain systemd ones (a `Lookup` strips one pair of double quotes, an
//! empty assignment resets a list, comments before a group stay attached to
//! it on rewrite, keys keep their order across drop-in merges) and the
//! crates that parse the format (ini-style or read-only systemd parsers)
//! neither keep comments and order for rewriting nor follow these rules.

use std::collections::BTreeMap;
use std::path::Path;

use thiserror::Error;

use crate::split::{self, SplitError};

#[derive(Debug, Error)]
pub enum ParseError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("invalid group name: {0}")]
    GroupName(String),
    #[error("invalid key name: {0}")]
    KeyName(String),
    #[error("key file does not start with a group")]
    NoGroup,
    #[error("file contains line {0}: “{1}” which is not a key-value pair, group, or comment")]
    BadLine(usize, String),
}

#[derive(Debug, Clone)]
struct Line {
    key: String,
    value: String,
    comment: bool,
}

impl Line {
    fn is_key(&self, key: &str) -> bool {
        !self.comment && self.key == key
    }
}

#[derive(Debug, Clone)]
struct Group {
    name: String,
    comments: Vec<Line>,
    lines: Vec<Line>,
}

/// One unit file (or drop-in), in order.
#[derive(Debug, Clone, Default)]
pub struct UnitFile {
    groups: Vec<Group>,
    /// The base name, e.g. `foo.container`.
    pub filename: String,
    /// Where it was read from (empty when built in memory).
    pub path: String,
}

fn comment(value: String) -> Line {
    Line {
        key: String::new(),
        value,
        comment: true,
    }
}

impl UnitFile {
    pub fn new(filename: &str) -> Self {
        UnitFile {
            filename: filename.to_string(),
            ..Default::default()
        }
    }

    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<Self, ParseError> {
        let text = std::fs::read_to_string(path)?;
        let mut f = UnitFile::new(
            &path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        f.path = path.display().to_string();
        f.parse(&text)?;
        Ok(f)
    }

    fn group_index(&mut self, name: &str) -> usize {
        if let Some(i) = self.groups.iter().position(|g| g.name == name) {
            return i;
        }
        self.groups.push(Group {
            name: name.to_string(),
            comments: Vec::new(),
            lines: Vec::new(),
        });
        self.groups.len() - 1
    }

    fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// Parses `text` into this file, adding to what it holds.
    pub fn parse(&mut self, text: &str) -> Result<(), ParseError> {
        let text = text.strip_suffix('\n').unwrap_or(text);
        let lines: Vec<&str> = text.split('\n').collect();
        let mut current: Option<usize> = None;
        let mut pending: Vec<Line> = Vec::new();
        let mut remaining = String::new();
        for (nr, raw) in lines.iter().enumerate() {
            let mut line = raw.trim().to_string();
            if is_comment(&line) {
                if !remaining.is_empty() {
                    continue;
                }
            } else {
                if let Some(stripped) = line.strip_suffix('\\') {
                    if nr != lines.len() - 1 {
                        remaining.push_str(stripped);
                        continue;
                    }
                    line = stripped.to_string();
                }
                if !remaining.is_empty() {
                    line = std::mem::take(&mut remaining) + &line;
                }
            }
            if is_comment(&line) {
                pending.push(comment(line));
            } else if is_group(&line) {
                let end = line.find(']').unwrap_or(line.len());
                let name = &line[1..end];
                if name.is_empty() || name.chars().any(|c| c == '[' || c.is_control()) {
                    return Err(ParseError::GroupName(name.to_string()));
                }
                let gi = self.group_index(name);
                current = Some(gi);
                if pending.first().is_some_and(|l| l.value.is_empty()) {
                    pending.remove(0);
                }
                self.groups[gi].comments.append(&mut pending);
            } else if let Some(eq) = line.find('=').filter(|&p| p > 0) {
                let gi = current.ok_or(ParseError::NoGroup)?;
                let key = line[..eq].trim_end();
                if key.is_empty() || key.starts_with(' ') {
                    return Err(ParseError::KeyName(key.to_string()));
                }
                let value = line[eq + 1..].trim_start();
                let g = &mut self.groups[gi];
                g.lines.append(&mut pending);
                g.lines.push(Line {
                    key: key.to_string(),
                    value: value.to_string(),
                    comment: false,
                });
            } else {
                return Err(ParseError::BadLine(nr + 1, line));
            }
        }
        let gi = match current {
            Some(gi) => gi,
            None => self.group_index(""),
        };
        self.groups[gi].lines.append(&mut pending);
        Ok(())
    }

    /// Appends every group of `other` (drop-ins).
    pub fn merge(&mut self, other: &UnitFile) {
        for g in &other.groups {
            let gi = self.group_index(&g.name);
            self.groups[gi].comments.extend(g.comments.iter().cloned());
            self.groups[gi].lines.extend(g.lines.iter().cloned());
        }
    }

    /// The text of the file.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (i, g) in self.groups.iter().enumerate() {
            if i != 0 {
                out.push('\n');
            }
            for c in &g.comments {
                out.push_str(&c.value);
                out.push('\n');
            }
            if g.name.is_empty() {
                continue;
            }
            out.push_str(&format!("[{}]\n", g.name));
            for l in &g.lines {
                if l.comment {
                    out.push_str(&l.value);
                } else {
                    out.push_str(&format!("{}={}", l.key, l.value));
                }
                out.push('\n');
            }
        }
        out
    }

    pub fn has_group(&self, name: &str) -> bool {
        self.group(name).is_some()
    }

    /// Renames a group, merging into an existing one of the new name.
    pub fn rename_group(&mut self, from: &str, to: &str) {
        let Some(fi) = self.groups.iter().position(|g| g.name == from) else {
            return;
        };
        if let Some(ti) = self.groups.iter().position(|g| g.name == to) {
            if ti != fi {
                let g = self.groups.remove(fi);
                let ti = self.groups.iter().position(|g| g.name == to).unwrap_or(ti);
                self.groups[ti].comments.extend(g.comments);
                self.groups[ti].lines.extend(g.lines);
            }
        } else {
            self.groups[fi].name = to.to_string();
        }
    }

    /// The distinct keys of a group, in order.
    pub fn keys(&self, group: &str) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for l in self.group(group).map(|g| g.lines.as_slice()).unwrap_or(&[]) {
            if !l.comment && !keys.contains(&l.key) {
                keys.push(l.key.clone());
            }
        }
        keys
    }

    /// The last raw value of `key`.
    pub fn lookup_last(&self, group: &str, key: &str) -> Option<String> {
        self.group(group)?
            .lines
            .iter()
            .rev()
            .find(|l| l.is_key(key))
            .map(|l| l.value.clone())
    }

    pub fn has_key(&self, group: &str, key: &str) -> bool {
        self.lookup_last(group, key).is_some()
    }

    /// The last value, trailing space trimmed and one pair of surrounding
    /// double quotes removed.
    pub fn lookup(&self, group: &str, key: &str) -> Option<String> {
        let v = self.lookup_last(group, key)?;
        let v = v.trim_end();
        if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
            return Some(v[1..v.len() - 1].to_string());
        }
        Some(v.to_string())
    }

    /// A non-empty value of `key`.
    pub fn lookup_nonempty(&self, group: &str, key: &str) -> Option<String> {
        self.lookup(group, key).filter(|v| !v.is_empty())
    }

    pub fn lookup_bool(&self, group: &str, key: &str) -> Option<bool> {
        let v = self.lookup(group, key)?.to_ascii_lowercase();
        Some(matches!(v.as_str(), "1" | "yes" | "true" | "on"))
    }

    pub fn lookup_bool_or(&self, group: &str, key: &str, default: bool) -> bool {
        self.lookup_bool(group, key).unwrap_or(default)
    }

    /// A number as systemd's strtol reads it (0x hex, 0 octal), or `default`.
    pub fn lookup_u32(&self, group: &str, key: &str, default: u32) -> u32 {
        let Some(v) = self.lookup(group, key) else {
            return default;
        };
        let (neg, digits) = match v.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, v.strip_prefix('+').unwrap_or(&v)),
        };
        let parsed = if let Some(hex) = digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
        {
            i64::from_str_radix(hex, 16)
        } else if digits.starts_with('0') {
            i64::from_str_radix(digits, 8)
        } else {
            digits.parse::<i64>()
        };
        match parsed {
            Ok(n) if !neg && n <= i64::from(u32::MAX) => u32::try_from(n).unwrap_or(default),
            _ => default,
        }
    }

    /// Every value of `key`; an empty assignment clears the ones before.
    pub fn lookup_all(&self, group: &str, key: &str) -> Vec<String> {
        let mut values = Vec::new();
        for l in self.group(group).map(|g| g.lines.as_slice()).unwrap_or(&[]) {
            if l.is_key(key) {
                if l.value.is_empty() {
                    values.clear();
                } else {
                    values.push(l.value.clone());
                }
            }
        }
        values
    }

    /// Every value, each split on whitespace (quotes grouping words).
    pub fn lookup_all_strv(&self, group: &str, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        for v in self.lookup_all(group, key) {
            if let Ok(words) = split::split(&v, split::STRV) {
                out.extend(words);
            }
        }
        out
    }

    /// Every value split as command-line arguments (values that do not split
    /// are skipped).
    pub fn lookup_all_args(&self, group: &str, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        for v in self.lookup_all(group, key) {
            if let Ok(words) = split::split(&v, split::ARGS) {
                out.extend(words);
            }
        }
        out
    }

    /// The last value split as command-line arguments.
    pub fn lookup_last_args(
        &self,
        group: &str,
        key: &str,
    ) -> Result<Option<Vec<String>>, SplitError> {
        match self.lookup_last(group, key) {
            None => Ok(None),
            Some(v) => split::split(&v, split::ARGS).map(Some),
        }
    }

    /// `KEY=VALUE` words of every value, by key (a bare `KEY` maps to
    /// `None`); values that do not split are reported.
    #[allow(clippy::type_complexity)]
    pub fn lookup_all_key_val(
        &self,
        group: &str,
        key: &str,
    ) -> (BTreeMap<String, Option<String>>, Vec<SplitError>) {
        let mut map = BTreeMap::new();
        let mut errors = Vec::new();
        for v in self.lookup_all(group, key) {
            match split::split(&v, split::ARGS) {
                Ok(words) => {
                    for w in words {
                        match w.split_once('=') {
                            Some((k, val)) => map.insert(k.to_string(), Some(val.to_string())),
                            None => map.insert(w, None),
                        };
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        (map, errors)
    }

    /// Replaces the last value of `key` or adds it.
    pub fn set(&mut self, group: &str, key: &str, value: &str) {
        let gi = self.group_index(group);
        let g = &mut self.groups[gi];
        if let Some(l) = g.lines.iter_mut().rev().find(|l| l.is_key(key)) {
            l.value = value.to_string();
        } else {
            g.lines.push(Line {
                key: key.to_string(),
                value: value.to_string(),
                comment: false,
            });
        }
    }

    pub fn add(&mut self, group: &str, key: &str, value: &str) {
        let gi = self.group_index(group);
        self.groups[gi].lines.push(Line {
            key: key.to_string(),
            value: value.to_string(),
            comment: false,
        });
    }

    /// Adds `value`, quoted if it needs it.
    pub fn add_escaped(&mut self, group: &str, key: &str, value: &str) {
        if split::word_needs_escape(value) {
            self.add(group, key, &split::quote_word(value));
        } else {
            self.add(group, key, value);
        }
    }

    /// Adds a command line.
    pub fn add_cmdline(&mut self, group: &str, key: &str, args: &[String]) {
        self.add(group, key, &split::escape_words(args));
    }

    pub fn unset(&mut self, group: &str, key: &str) {
        if let Some(g) = self.groups.iter_mut().find(|g| g.name == group) {
            g.lines.retain(|l| !l.is_key(key));
        }
    }

    /// Puts `key=value` first in `group`.
    pub fn prepend(&mut self, group: &str, key: &str, value: &str) {
        let gi = self.group_index(group);
        self.groups[gi].lines.insert(
            0,
            Line {
                key: key.to_string(),
                value: value.to_string(),
                comment: false,
            },
        );
    }

    /// Puts `# text` comments before the first group.
    pub fn prepend_comments(&mut self, texts: &[&str]) {
        let gi = if self.groups.is_empty() {
            self.group_index("")
        } else {
            0
        };
        for (i, t) in texts.iter().enumerate() {
            self.groups[gi]
                .comments
                .insert(i, comment(format!("# {t}")));
        }
    }

    /// `(base, instance, is_template)` of `foo@bar.ext`.
    pub fn template_parts(&self) -> (String, String, bool) {
        let stem = stem(&self.filename);
        match stem.split_once('@') {
            Some((b, i)) => (b.to_string(), i.to_string(), true),
            None => (stem.to_string(), String::new(), false),
        }
    }

    /// The drop-in directory names for this unit, most specific first.
    pub fn dropin_dirs(&self) -> Vec<String> {
        let (unit, instance, template) = self.template_parts();
        let ext = extension(&self.filename);
        let dropin_ext = format!("{ext}.d");
        let mut dirs = vec![dropin_ext.trim_start_matches('.').to_string()];
        let parts: Vec<&str> = unit.split('-').collect();
        if parts.len() > 1 {
            for i in 0..parts.len() - 1 {
                let prefix = format!("{}-", parts[..=i].join("-"));
                dirs.push(format!("{prefix}{dropin_ext}"));
                if template {
                    dirs.push(format!("{prefix}@{dropin_ext}"));
                }
            }
        }
        if !instance.is_empty() {
            dirs.push(format!("{unit}@{dropin_ext}"));
        }
        dirs.push(format!("{}.d", self.filename));
        dirs.reverse();
        dirs
    }
}

fn is_comment(line: &str) -> bool {
    line.is_empty() || line.starts_with('#') || line.starts_with(';')
}

fn is_group(line: &str) -> bool {
    if !line.starts_with('[') {
        return false;
    }
    match line.find(']') {
        Some(end) => line[end + 1..].chars().all(|c| c == ' ' || c == '\t'),
        None => false,
    }
}

/// `.container` of `foo.container` (empty without a dot).
pub fn extension(name: &str) -> &str {
    match name.rfind('.') {
        Some(p) => &name[p..],
        None => "",
    }
}

/// `foo` of `foo.container`.
pub fn stem(name: &str) -> &str {
    match name.rfind('.') {
        Some(p) if p > 0 => &name[..p],
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> UnitFile {
        let mut f = UnitFile::new("t.container");
        f.parse(text).unwrap();
        f
    }

    #[test]
    fn continuation_lines_and_comments() {
        let f = parse(
            "# head\n[Container]\nImage=a\\\n  b\n# c\nExec=x \\\n# skipped\n y\n[Service]\nRestart=always\n",
        );
        assert_eq!(f.lookup("Container", "Image").as_deref(), Some("ab"));
        assert_eq!(f.lookup("Container", "Exec").as_deref(), Some("x y"));
        assert_eq!(
            f.to_text(),
            "# head\n[Container]\nImage=ab\n# c\nExec=x y\n\n[Service]\nRestart=always\n"
        );
    }

    #[test]
    fn lookups() {
        let f = parse("[A]\nK=\"quoted\"  \nL=1\nL=\nL=2\nL=3\nB=On\nN=0x10\n");
        assert_eq!(f.lookup("A", "K").as_deref(), Some("quoted"));
        assert_eq!(f.lookup_all("A", "L"), vec!["2", "3"]);
        assert_eq!(f.lookup_bool("A", "B"), Some(true));
        assert_eq!(f.lookup_u32("A", "N", 0), 16);
        assert_eq!(f.keys("A"), vec!["K", "L", "B", "N"]);
    }

    #[test]
    fn bad_lines() {
        let mut f = UnitFile::new("x.container");
        assert!(matches!(f.parse("Key=v\n"), Err(ParseError::NoGroup)));
        let mut f = UnitFile::new("x.container");
        assert!(matches!(
            f.parse("[A]\nnot a pair\n"),
            Err(ParseError::BadLine(2, _))
        ));
    }

    #[test]
    fn dropin_dirs_most_specific_first() {
        let f = UnitFile::new("foo-bar@inst.container");
        assert_eq!(
            f.dropin_dirs(),
            vec![
                "foo-bar@inst.container.d",
                "foo-bar@.container.d",
                "foo-@.container.d",
                "foo-.container.d",
                "container.d"
            ]
        );
    }
}
