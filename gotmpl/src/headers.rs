//! Column headers for `table` formats, derived the way Podman's `report.Headers` does.

use std::collections::HashMap;

/// Per-command report settings: header overrides, template name, JSON indentation.
///
/// A field's header is its override (upper-cased, as Podman does) or, by default, the field
/// name split at camel-case boundaries, joined with spaces and upper-cased:
/// `CreatedAt` → `CREATED AT`, `ImageID` → `IMAGE ID`, `Names` → `NAMES`.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    command: String,
    overrides: HashMap<String, String>,
    json_indent: String,
    json_escape_html: bool,
    row_type: String,
}

impl HeaderMap {
    /// Settings for the command `command` (its name appears in template errors, as in
    /// `template: ps:1:13: executing "ps" ...`). JSON indentation defaults to 4 spaces.
    pub fn new(command: &str) -> HeaderMap {
        HeaderMap {
            command: command.to_string(),
            overrides: HashMap::new(),
            json_indent: "    ".to_string(),
            json_escape_html: true,
            row_type: "struct".to_string(),
        }
    }

    /// Overrides the header of `field` (Podman upper-cases overrides: `"container id"` →
    /// `CONTAINER ID`).
    pub fn with(mut self, field: &str, header: &str) -> HeaderMap {
        self.overrides
            .insert(field.to_string(), header.to_uppercase());
        self
    }

    /// Sets the header of `field` as given, not upper-cased (the commands
    /// that execute their header row themselves, such as `system connection
    /// ls`'s `Name URI Identity`).
    pub fn with_verbatim(mut self, field: &str, header: &str) -> HeaderMap {
        self.overrides.insert(field.to_string(), header.to_string());
        self
    }

    /// Adds several overrides at once.
    pub fn with_all(mut self, pairs: &[(&str, &str)]) -> HeaderMap {
        for (f, h) in pairs {
            self = self.with(f, h);
        }
        self
    }

    /// Style of `--format json` output. Podman's list commands use `json.MarshalIndent`
    /// (HTML-escaping; `ps` indents with two spaces, `images` with four — the default here);
    /// its inspect commands use an encoder with five spaces and no HTML escaping.
    pub fn json_style(mut self, indent: &str, escape_html: bool) -> HeaderMap {
        self.json_indent = indent.to_string();
        self.json_escape_html = escape_html;
        self
    }

    /// Go type name of a row, used in `can't evaluate field X in type T` errors
    /// (e.g. `containers.psReporter`).
    pub fn row_type(mut self, name: &str) -> HeaderMap {
        self.row_type = name.to_string();
        self
    }

    /// Header text for `field`.
    pub fn header(&self, field: &str) -> String {
        match self.overrides.get(field) {
            Some(h) => h.clone(),
            None => camel_split(field).join(" ").to_uppercase(),
        }
    }

    /// The command name (template name).
    pub fn command(&self) -> &str {
        &self.command
    }

    pub(crate) fn json_settings(&self) -> (&str, bool) {
        (&self.json_indent, self.json_escape_html)
    }

    pub(crate) fn row_type_name(&self) -> &str {
        &self.row_type
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Lower,
    Upper,
    Digit,
    Other,
}

fn class(c: char) -> Class {
    if c.is_lowercase() {
        Class::Lower
    } else if c.is_uppercase() {
        Class::Upper
    } else if c.is_numeric() {
        Class::Digit
    } else {
        Class::Other
    }
}

/// Splits a camel-case identifier into words (`PDFLoader` → `PDF`, `Loader`;
/// `GL11Version` → `GL`, `11`, `Version`), as containers/common's camelcase package does.
pub(crate) fn camel_split(src: &str) -> Vec<String> {
    let mut runs: Vec<Vec<char>> = Vec::new();
    let mut last = None;
    for c in src.chars() {
        let k = class(c);
        match runs.last_mut() {
            Some(run) if Some(k) == last => run.push(c),
            _ => runs.push(vec![c]),
        }
        last = Some(k);
    }
    for i in 0..runs.len().saturating_sub(1) {
        let upper_then_lower = runs[i].first().is_some_and(|c| c.is_uppercase())
            && runs[i + 1].first().is_some_and(|c| c.is_lowercase());
        if upper_then_lower {
            if let Some(moved) = runs[i].pop() {
                runs[i + 1].insert(0, moved);
            }
        }
    }
    runs.into_iter()
        .filter(|r| !r.is_empty())
        .map(|r| r.into_iter().collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_rules() {
        let s = |x: &str| camel_split(x).join("|");
        assert_eq!(s("MyClass"), "My|Class");
        assert_eq!(s("HTML"), "HTML");
        assert_eq!(s("PDFLoader"), "PDF|Loader");
        assert_eq!(s("SimpleXMLParser"), "Simple|XML|Parser");
        assert_eq!(s("vimRPCPlugin"), "vim|RPC|Plugin");
        assert_eq!(s("GL11Version"), "GL|11|Version");
        assert_eq!(s("BFG9000"), "BFG|9000");
        assert_eq!(s("ImageID"), "Image|ID");
    }

    #[test]
    fn headers() {
        let h = HeaderMap::new("ps")
            .with("ID", "container id")
            .with("PodName", "podname");
        assert_eq!(h.header("ID"), "CONTAINER ID");
        assert_eq!(h.header("PodName"), "PODNAME");
        assert_eq!(h.header("CreatedAt"), "CREATED AT");
        assert_eq!(h.header("Names"), "NAMES");
        assert_eq!(h.header("Fieldb"), "FIELDB");
    }
}
