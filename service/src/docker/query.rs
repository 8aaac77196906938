//! Query parameters as Docker clients send them: booleans as `1`/`true`,
//! filters as JSON (`{"status":["running"]}`, or the old
//! `{"status":{"running":true}}`).

use std::collections::HashMap;

use rpod_api::container::Filters;

use crate::error::{ApiError, ApiResult};

/// The query of one request.
pub struct Params(pub HashMap<String, String>);

impl Params {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// A boolean parameter; absent is `default`.
    pub fn bool(&self, key: &str, default: bool) -> ApiResult<bool> {
        match self.get(key) {
            None => Ok(default),
            Some("") => Ok(default),
            Some(v) => bool_value(key, v),
        }
    }

    /// An integer parameter.
    pub fn int(&self, key: &str) -> ApiResult<Option<i64>> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::bad_request(format!(
                    "failed to parse parameters for {key}: invalid integer {v:?}"
                ))
            }),
        }
    }

    /// The `filters` parameter as `KEY=VALUE` strings (the form the
    /// front door's `--filter` options take).
    pub fn filter_list(&self) -> ApiResult<Vec<String>> {
        Ok(self
            .filters()?
            .into_iter()
            .flat_map(|(k, vs)| vs.into_iter().map(move |v| format!("{k}={v}")))
            .collect())
    }

    /// The `filters` parameter.
    pub fn filters(&self) -> ApiResult<Filters> {
        match self.get("filters") {
            None | Some("") => Ok(Filters::new()),
            Some(v) => parse_filters(v),
        }
    }
}

/// A query whose keys may repeat (`changes=...&changes=...`), in order.
pub struct RepeatedParams<'a>(pub &'a [(String, String)]);

impl RepeatedParams<'_> {
    /// The last non-empty value of `key`.
    pub fn last(&self, key: &str) -> Option<String> {
        self.0
            .iter()
            .rev()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.clone())
    }

    /// Every non-empty value of `key`, in order.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A boolean parameter: its last non-empty value; absent is false.
    pub fn flag(&self, key: &str) -> ApiResult<bool> {
        match self.last(key) {
            None => Ok(false),
            Some(v) => bool_value(key, &v),
        }
    }
}

/// `v`, the value of the boolean parameter `key`, parsed (a bad value is a
/// 400 naming the parameter).
pub fn bool_value(key: &str, v: &str) -> ApiResult<bool> {
    parse_bool(v).ok_or_else(|| {
        ApiError::bad_request(format!(
            "failed to parse parameters for {key}: invalid boolean {v:?}"
        ))
    })
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Docker's filter JSON, both forms.
pub fn parse_filters(v: &str) -> ApiResult<Filters> {
    let bad = |e: String| ApiError::bad_request(format!("failed to parse filters: {e}"));
    let value: serde_json::Value = serde_json::from_str(v).map_err(|e| bad(e.to_string()))?;
    let map = value
        .as_object()
        .ok_or_else(|| bad(format!("{v}: not a JSON object")))?;
    let mut out = Filters::new();
    for (key, vals) in map {
        let list: Vec<String> = match vals {
            serde_json::Value::Array(a) => a
                .iter()
                .map(|x| x.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| bad(format!("{key}: values must be strings")))?,
            serde_json::Value::Object(o) => o
                .iter()
                .filter(|(_, on)| on.as_bool() == Some(true))
                .map(|(k, _)| k.clone())
                .collect(),
            _ => return Err(bad(format!("{key}: values must be a list or a map"))),
        };
        if !list.is_empty() {
            out.insert(key.clone(), list);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_filter_forms() {
        let f = parse_filters(r#"{"status":["running","exited"],"label":{"a=b":true,"c":false}}"#)
            .unwrap();
        assert_eq!(f["status"], ["running", "exited"]);
        assert_eq!(f["label"], ["a=b"]);
        assert!(parse_filters("[1]").is_err());
        assert!(parse_filters("{").is_err());
    }

    #[test]
    fn bools_as_go_parses_them() {
        let p = Params([("all".to_string(), "1".to_string())].into());
        assert!(p.bool("all", false).unwrap());
        assert!(!p.bool("size", false).unwrap());
        let p = Params([("all".to_string(), "maybe".to_string())].into());
        assert!(p.bool("all", false).is_err());
    }
}
