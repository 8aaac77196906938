//! `volume` until its issue lands (13 volumes): rpod has no volumes of its
//! own yet, so the clean-up form that removes everything — `volume rm --all
//! [--force]` — goes to the engine, which has nothing to remove, and
//! succeeds silently (scripts, and Podman's own test suite, run it between
//! tests). Every other use says it is not supported yet.

use clap::Args;
use rpod_api::volume::VolumeRmOptions;

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct PassArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// `rpod volume ...`
pub async fn volume(g: &Globals, a: &PassArgs) -> CliResult {
    let options = volume_rm_request(a)?;
    for r in open_front_door(g)?.volume_remove(&[], options).await? {
        println!("{}", r.id);
    }
    Ok(0)
}

/// `volume rm --all [--force]`, the one form rpod runs.
fn volume_rm_request(a: &PassArgs) -> CliResult<VolumeRmOptions> {
    let (sub, flags) = split(&a.args);
    let force = flags.iter().any(|f| f == "-f" || f == "--force");
    let removes_all = only_flags(&flags, &[&["-a", "--all"], &["-f", "--force"]])
        || only_flags(&flags, &[&["-a", "--all"]]);
    if matches!(sub, Some("rm" | "remove")) && removes_all {
        return Ok(VolumeRmOptions { all: true, force });
    }
    Err(not_yet("volume", sub, "volumes (issue 13)"))
}

fn split(args: &[String]) -> (Option<&str>, Vec<String>) {
    let sub = args.first().map(String::as_str);
    let mut flags = Vec::new();
    for a in args.iter().skip(1) {
        match a.strip_prefix('-') {
            // Combined short flags: -af.
            Some(s) if !s.starts_with('-') && s.len() > 1 => {
                flags.extend(s.chars().map(|c| format!("-{c}")))
            }
            _ => flags.push(a.clone()),
        }
    }
    (sub, flags)
}

/// Every flag given is one of the groups, and every group is given (no
/// names, no other flags).
fn only_flags(given: &[String], groups: &[&[&str]]) -> bool {
    !given.is_empty()
        && given
            .iter()
            .all(|f| groups.iter().any(|g| g.contains(&f.as_str())))
        && groups
            .iter()
            .all(|g| given.iter().any(|f| g.contains(&f.as_str())))
}

fn not_yet(cmd: &str, sub: Option<&str>, what: &str) -> CliError {
    let sub = sub.map(|s| format!(" {s}")).unwrap_or_default();
    CliError::usage(format!(
        "rpod {cmd}{sub} is not supported yet ({what}; see docs/compatibility.md)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(args: &[&str]) -> PassArgs {
        PassArgs {
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn only_the_no_op_clean_up_succeeds() {
        let volume = |a: &[&str]| volume_rm_request(&pass(a));
        assert!(volume(&["rm", "-a", "-f"]).is_ok());
        assert!(volume(&["rm", "-af"]).is_ok());
        assert!(volume(&["rm", "--all", "--force"]).is_ok());
        assert!(volume(&["rm", "-f", "myvol"]).is_err());
        assert!(volume(&["rm", "-a"]).is_ok());
        assert!(volume(&["rm", "-a", "-t", "5"]).is_err());
        assert!(volume(&["create", "x"]).is_err());
        assert!(volume(&["rm", "-af"]).unwrap().force);
        assert!(!volume(&["rm", "-a"]).unwrap().force);
    }
}
