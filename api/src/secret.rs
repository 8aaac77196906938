//! Secrets: `secret create` (entities.SecretCreateOptions), `secret
//! inspect` and `secret ls` (entities.SecretInfoReport), `secret rm`
//! (entities.SecretRmReport), and how a container uses one (`--secret`).

use std::collections::BTreeMap;

use gotmpl::ToTemplate;
use serde::{Deserialize, Serialize};

use crate::time::GoTime;
use crate::Error;

/// `secret create` options (the data travels beside them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretCreateOptions {
    /// `--driver` (`file` when empty).
    pub driver: String,
    /// `--driver-opts`.
    pub driver_opts: BTreeMap<String, String>,
    /// `--label`.
    pub labels: BTreeMap<String, String>,
    /// `--replace`: a secret of that name is replaced (it gets a new ID).
    pub replace: bool,
    /// `--ignore`: a secret of that name is the result, unchanged.
    pub ignore: bool,
}

/// The secret's driver and its options.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToTemplate)]
#[go(type = "types.SecretDriverSpec")]
pub struct SecretDriverSpec {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Options")]
    pub options: BTreeMap<String, String>,
}

/// Name, driver and labels of a secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToTemplate)]
#[go(type = "types.SecretSpec")]
pub struct SecretSpec {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Driver")]
    pub driver: SecretDriverSpec,
    #[serde(rename = "Labels")]
    pub labels: BTreeMap<String, String>,
}

/// One secret, as `secret inspect` shows it and `secret ls` lists it. The
/// data is there only for `inspect --showsecret`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToTemplate)]
#[go(type = "*types.SecretInfoReport")]
pub struct SecretInfoReport {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "CreatedAt")]
    pub created_at: GoTime,
    #[serde(rename = "UpdatedAt")]
    pub updated_at: GoTime,
    #[serde(rename = "Spec")]
    pub spec: SecretSpec,
    #[serde(
        rename = "SecretData",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub secret_data: String,
}

/// One row of `secret ls` (times already humanized, as Podman's CLI
/// makes them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToTemplate)]
#[go(type = "*types.SecretListReport")]
pub struct SecretListReport {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Driver")]
    pub driver: String,
    #[serde(rename = "CreatedAt")]
    pub created_at: String,
    #[serde(rename = "UpdatedAt")]
    pub updated_at: String,
}

/// `secret rm` options.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretRmOptions {
    /// `--all`.
    pub all: bool,
    /// `--ignore`: a missing secret is no error.
    pub ignore: bool,
}

/// One secret `secret rm` removed (its ID), or failed to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRmReport {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Err", skip_serializing_if = "Option::is_none", default)]
    pub err: Option<Error>,
}

/// How a container receives a secret.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretKind {
    /// A read-only file (`/run/secrets/NAME`, or the target).
    #[default]
    Mount,
    /// An environment variable (named by the target, else the secret).
    Env,
}

/// `--secret SOURCE[,type=mount|env][,target=T][,uid=][,gid=][,mode=]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretUse {
    /// The secret's name or ID.
    pub source: String,
    pub kind: SecretKind,
    /// Mount: a file name under /run/secrets or an absolute path; env:
    /// the variable's name. Empty: the secret's name.
    pub target: String,
    pub uid: u32,
    pub gid: u32,
    /// File mode of a mounted secret (Podman's default 0444).
    pub mode: u32,
}

/// Podman's mode for a mounted secret.
pub const DEFAULT_SECRET_MODE: u32 = 0o444;

impl SecretUse {
    /// Parses one `--secret` value with Podman's rules and messages.
    pub fn parse(val: &str) -> Result<SecretUse, String> {
        let bad = |m: String| Err(format!("{m}: parsing secret"));
        let mut u = SecretUse {
            source: String::new(),
            kind: SecretKind::Mount,
            target: String::new(),
            uid: 0,
            gid: 0,
            mode: DEFAULT_SECRET_MODE,
        };
        let mut fields: Vec<&str> = val.split(',').collect();
        if fields.len() == 1 {
            u.source = val.to_owned();
            return Ok(u);
        }
        if !fields[0].contains('=') {
            u.source = fields.remove(0).to_owned();
        }
        let mut kind = None;
        let mut mount_only = false;
        for f in fields {
            let Some((name, value)) = f.split_once('=') else {
                return bad(format!("option {f} must be in form option=value"));
            };
            match name {
                "source" => u.source = value.to_owned(),
                "type" => {
                    if kind.is_some() {
                        return bad("cannot set more than one secret type".into());
                    }
                    kind = Some(match value {
                        "mount" => SecretKind::Mount,
                        "env" => SecretKind::Env,
                        _ => return bad(format!("type {value} is invalid")),
                    });
                }
                "target" => u.target = value.to_owned(),
                "mode" => {
                    mount_only = true;
                    u.mode = match u32::from_str_radix(value, 8) {
                        Ok(m) => m,
                        Err(_) => return bad(format!("mode {value} invalid")),
                    };
                }
                "uid" | "UID" => {
                    mount_only = true;
                    u.uid = match value.parse() {
                        Ok(n) => n,
                        Err(_) => return bad(format!("UID {value} invalid")),
                    };
                }
                "gid" | "GID" => {
                    mount_only = true;
                    u.gid = match value.parse() {
                        Ok(n) => n,
                        Err(_) => return bad(format!("GID {value} invalid")),
                    };
                }
                _ => return bad(format!("option {f} invalid")),
            }
        }
        u.kind = kind.unwrap_or_default();
        if u.source.is_empty() {
            return bad(format!("no source found {val}"));
        }
        if u.kind == SecretKind::Env && mount_only {
            return bad("UID, GID, Mode options cannot be set with secret type env".into());
        }
        Ok(u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_flag_forms() {
        let plain = SecretUse::parse("s").unwrap();
        assert_eq!(plain.source, "s");
        assert_eq!(plain.kind, SecretKind::Mount);
        assert_eq!(plain.mode, 0o444);
        let env = SecretUse::parse("s,type=env,target=PW").unwrap();
        assert_eq!((env.kind, env.target.as_str()), (SecretKind::Env, "PW"));
        let m = SecretUse::parse("source=s,type=mount,uid=1,gid=2,mode=400,target=/x").unwrap();
        assert_eq!((m.uid, m.gid, m.mode), (1, 2, 0o400));
        assert_eq!(m.target, "/x");
        let err = |v: &str| SecretUse::parse(v).unwrap_err();
        assert_eq!(err("s,type=file"), "type file is invalid: parsing secret");
        assert_eq!(
            err("s,type=env,uid=1"),
            "UID, GID, Mode options cannot be set with secret type env: parsing secret"
        );
        assert_eq!(
            err("type=env,target=x"),
            "no source found type=env,target=x: parsing secret"
        );
        assert_eq!(
            err("s,bogus"),
            "option bogus must be in form option=value: parsing secret"
        );
        assert_eq!(err("s,mode=9"), "mode 9 invalid: parsing secret");
        assert_eq!(
            err("s,type=env,type=env"),
            "cannot set more than one secret type: parsing secret"
        );
    }

    #[test]
    fn inspect_json_is_podmans() {
        let r = SecretInfoReport {
            id: "abc".into(),
            spec: SecretSpec {
                name: "s".into(),
                driver: SecretDriverSpec {
                    name: "file".into(),
                    options: BTreeMap::from([("path".to_owned(), "/p".to_owned())]),
                },
                labels: BTreeMap::new(),
            },
            ..Default::default()
        };
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["Spec"]["Driver"]["Options"]["path"], "/p");
        assert!(j.get("SecretData").is_none(), "no data unless asked: {j}");
        let v = r.to_template();
        let out =
            gotmpl::render_value("{{.ID}} {{.Spec.Name}} {{.Spec.Driver.Name}}", &v, "s").unwrap();
        assert_eq!(out.trim_end(), "abc s file");
    }
}
