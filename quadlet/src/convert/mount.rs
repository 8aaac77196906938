//! `Mount=` values: the comma-separated (CSV-quoted) option list, with the
//! source resolved to its Quadlet unit or host path.

use super::common;
use super::{err, ConvertError, UnitsInfo};
use crate::unitfile::UnitFile;

/// One CSV record: fields split on commas, `"..."` quoting with `""` for a
/// quote inside.
fn csv_fields(input: &str) -> Result<Vec<String>, ConvertError> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = input.chars().peekable();
    let mut at_start = true;
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                at_start = true;
            }
            '\n' => return Err(err("incorrect mount format: more than one record")),
            c => {
                field.push(c);
                at_start = false;
            }
        }
    }
    if quoted {
        return Err(err("extraneous or missing \" in quoted-field"));
    }
    fields.push(field);
    Ok(fields)
}

/// Fields joined as one CSV record, quoting those that need it.
fn csv_join(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\r', '\n']) || f.starts_with(' ') {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The mount with `type=` first and its source resolved.
pub(super) fn resolve(
    unit: &UnitFile,
    service: &mut UnitFile,
    mount: &str,
    infos: &UnitsInfo,
) -> Result<String, ConvertError> {
    let mut mount_type = None;
    let mut tokens = Vec::new();
    for f in csv_fields(mount)? {
        let kv: Vec<&str> = f.split('=').collect();
        if mount_type.is_none() && kv.len() == 2 && kv[0] == "type" {
            mount_type = Some(kv[1].to_string());
        } else {
            tokens.push(f);
        }
    }
    let mount_type = mount_type.unwrap_or_else(|| "volume".to_string());
    if !["volume", "bind", "glob", "image", "artifact"].contains(&mount_type.as_str()) {
        return Ok(mount.to_string());
    }
    let mut source = None;
    for (i, t) in tokens.iter().enumerate() {
        let (key, val) = match t.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (t.as_str(), None),
        };
        if key == "source" || key == "src" {
            let val = val.ok_or_else(|| err("source parameter does not include a value"))?;
            source = Some((i, val.to_string()));
        }
    }
    // Podman 5.8 requires a source for every mount it resolves.
    let (index, original) = source.unwrap_or((usize::MAX, String::new()));
    let resolved = common::storage_source(unit, service, &original, infos, true)?;
    if let Some(t) = tokens.get_mut(index) {
        *t = format!("source={resolved}");
    }
    tokens.insert(0, format!("type={mount_type}"));
    Ok(csv_join(&tokens))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trip() {
        let f = csv_fields(r#"type=bind,"source=/a,b",destination=/c"#).unwrap();
        assert_eq!(f, vec!["type=bind", "source=/a,b", "destination=/c"]);
        assert_eq!(csv_join(&f), r#"type=bind,"source=/a,b",destination=/c"#);
    }
}
