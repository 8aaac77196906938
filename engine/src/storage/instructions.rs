//! Dockerfile instructions accepted by `commit --change` and
//! `import --change`: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER,
//! VOLUME, WORKDIR, applied to the `config` object of an image config.

use serde_json::{json, Map, Value};

/// `["a","b"]` as JSON, else the shell form `/bin/sh -c TEXT`.
fn command(arg: &str) -> Value {
    match serde_json::from_str::<Vec<String>>(arg.trim()) {
        Ok(v) => json!(v),
        Err(_) => json!(["/bin/sh", "-c", arg.trim()]),
    }
}

/// `k=v k2="v 2"` or the legacy `k v`.
fn pairs(arg: &str) -> Vec<(String, String)> {
    let arg = arg.trim();
    if !arg.contains('=') {
        return match arg.split_once(char::is_whitespace) {
            Some((k, v)) => vec![(k.to_string(), v.trim().to_string())],
            None => vec![(arg.to_string(), String::new())],
        };
    }
    let mut out = Vec::new();
    let mut chars = arg.chars().peekable();
    while chars.peek().is_some() {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut word = String::new();
        let mut quote = None;
        for c in chars.by_ref() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, c) if c.is_whitespace() => break,
                (_, c) => word.push(c),
            }
        }
        if let Some((k, v)) = word.split_once('=') {
            out.push((k.to_string(), v.to_string()));
        } else if !word.is_empty() {
            out.push((word, String::new()));
        }
    }
    out
}

fn object<'a>(cfg: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let v = cfg.entry(key).or_insert_with(|| json!({}));
    if !v.is_object() {
        *v = json!({});
    }
    v.as_object_mut().expect("just made an object")
}

/// Applies `changes` to `image_config["config"]`. Errors name the bad
/// instruction.
pub fn apply_changes(image_config: &mut Value, changes: &[String]) -> Result<(), String> {
    if !image_config.get("config").is_some_and(Value::is_object) {
        image_config["config"] = json!({});
    }
    let cfg = image_config["config"]
        .as_object_mut()
        .ok_or("image config is not an object")?;
    for change in changes {
        let change = change.trim();
        let (inst, arg) = change
            .split_once(|c: char| c.is_whitespace() || c == '=')
            .ok_or_else(|| format!("invalid change {change:?}: missing argument"))?;
        let arg = arg.trim();
        match inst.to_ascii_uppercase().as_str() {
            "CMD" => {
                cfg.insert("Cmd".into(), command(arg));
            }
            "ENTRYPOINT" => {
                cfg.insert("Entrypoint".into(), command(arg));
            }
            "ENV" => {
                let mut env: Vec<String> = cfg
                    .get("Env")
                    .and_then(|v| serde_json::from_value(v.clone()).ok())
                    .unwrap_or_default();
                for (k, v) in pairs(arg) {
                    env.retain(|e| e.split_once('=').map(|x| x.0) != Some(k.as_str()) && *e != k);
                    env.push(format!("{k}={v}"));
                }
                cfg.insert("Env".into(), json!(env));
            }
            "LABEL" => {
                let labels = object(cfg, "Labels");
                for (k, v) in pairs(arg) {
                    labels.insert(k, json!(v));
                }
            }
            "EXPOSE" => {
                let ports = object(cfg, "ExposedPorts");
                for p in arg.split_whitespace() {
                    let p = if p.contains('/') {
                        p.to_string()
                    } else {
                        format!("{p}/tcp")
                    };
                    ports.insert(p, json!({}));
                }
            }
            "VOLUME" => {
                let list: Vec<String> = serde_json::from_str(arg)
                    .unwrap_or_else(|_| arg.split_whitespace().map(str::to_string).collect());
                let vols = object(cfg, "Volumes");
                for v in list {
                    vols.insert(v, json!({}));
                }
            }
            "USER" => {
                cfg.insert("User".into(), json!(arg));
            }
            "WORKDIR" => {
                cfg.insert("WorkingDir".into(), json!(arg));
            }
            "STOPSIGNAL" => {
                cfg.insert("StopSignal".into(), json!(arg));
            }
            other => {
                return Err(format!(
                    "invalid change {change:?}: {other} is not one of CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR"
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_apply() {
        let mut c = json!({"config": {"Env": ["PATH=/bin", "A=1"]}});
        apply_changes(
            &mut c,
            &[
                "CMD [\"/bin/echo\", \"hi\"]".into(),
                "ENTRYPOINT top -b".into(),
                "ENV A=2 B=\"x y\"".into(),
                "LABEL org.x=1".into(),
                "EXPOSE 80 53/udp".into(),
                "USER 1000".into(),
                "WORKDIR /w".into(),
                "VOLUME /data".into(),
            ],
        )
        .unwrap();
        let cfg = &c["config"];
        assert_eq!(cfg["Cmd"], json!(["/bin/echo", "hi"]));
        assert_eq!(cfg["Entrypoint"], json!(["/bin/sh", "-c", "top -b"]));
        assert_eq!(cfg["Env"], json!(["PATH=/bin", "A=2", "B=x y"]));
        assert_eq!(cfg["Labels"]["org.x"], "1");
        assert!(cfg["ExposedPorts"]["80/tcp"].is_object());
        assert!(cfg["ExposedPorts"]["53/udp"].is_object());
        assert_eq!(cfg["User"], "1000");
        assert_eq!(cfg["WorkingDir"], "/w");
        assert!(cfg["Volumes"]["/data"].is_object());
        assert!(apply_changes(&mut c, &["RUN x".into()]).is_err());
        assert!(apply_changes(&mut c, &["CMD".into()]).is_err());
    }
}
