//! `secret ls --filter`: `name=` and `id=` (regular expressions, as
//! Podman's) and `label=KEY[=VALUE]`; values of one key are alternatives,
//! different keys must all match.

use regex::Regex;

use super::SecretError;
use crate::state::SecretRecord;

enum Filter {
    Name(Vec<Regex>),
    Id(Vec<Regex>),
    Label(Vec<String>),
}

pub struct SecretFilters(Vec<Filter>);

impl SecretFilters {
    pub fn parse(specs: &[String]) -> Result<SecretFilters, SecretError> {
        let mut by_key: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for spec in specs {
            let (k, v) = spec
                .split_once('=')
                .ok_or_else(|| SecretError::Invalid(format!("invalid filter {spec:?}")))?;
            by_key
                .entry(k.to_ascii_lowercase())
                .or_default()
                .push(v.to_owned());
        }
        let regexes = |values: &[String]| {
            values
                .iter()
                .map(|v| Regex::new(v).map_err(|e| SecretError::Invalid(e.to_string())))
                .collect::<Result<Vec<_>, _>>()
        };
        let mut out = Vec::new();
        for (key, values) in by_key {
            out.push(match key.as_str() {
                "name" => Filter::Name(regexes(&values)?),
                "id" => Filter::Id(regexes(&values)?),
                "label" => Filter::Label(values),
                _ => return Err(SecretError::Invalid(format!("invalid filter {key:?}"))),
            });
        }
        Ok(SecretFilters(out))
    }

    pub fn matches(&self, s: &SecretRecord) -> bool {
        self.0.iter().all(|f| match f {
            Filter::Name(r) => r.iter().any(|r| r.is_match(&s.name)),
            Filter::Id(r) => r.iter().any(|r| r.is_match(&s.id)),
            Filter::Label(specs) => specs.iter().any(|spec| {
                let (k, v) = spec.split_once('=').unwrap_or((spec, ""));
                s.labels.get(k).is_some_and(|x| v.is_empty() || x == v)
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        let s = SecretRecord {
            id: "0123456789abcdef012345678".into(),
            name: "db-pass".into(),
            labels: [("env".to_owned(), "prod".to_owned())].into(),
            ..Default::default()
        };
        let m = |f: &[&str]| {
            let f: Vec<String> = f.iter().map(|x| x.to_string()).collect();
            SecretFilters::parse(&f).unwrap().matches(&s)
        };
        assert!(m(&["name=db"]));
        assert!(m(&["name=nope", "name=^db-"]));
        assert!(!m(&["name=db", "id=^f"]));
        assert!(m(&["id=^0123"]));
        assert!(m(&["label=env"]) && m(&["label=env=prod"]) && !m(&["label=env=dev"]));
        let err = SecretFilters::parse(&["driver=file".into()]).err().unwrap();
        assert_eq!(err.to_string(), "invalid filter \"driver\"");
    }
}
