//! `network` until its issue lands (12 networking): rpod has no networks
//! of its own yet, so the clean-up form that removes everything — `network
//! prune --force` — goes to the engine, which has nothing to remove, and
//! succeeds silently (scripts, and Podman's own test suite, run it between
//! tests). Every other use says it is not supported yet.

use clap::Args;
use rpod_api::network::NetworkPruneOptions;

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct PassArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// `rpod network ...`
pub async fn network(g: &Globals, a: &PassArgs) -> CliResult {
    let options = network_prune_request(a)?;
    // Podman prints the names of the networks it removed.
    for r in open_front_door(g)?.network_prune(options).await? {
        println!("{}", r.name);
    }
    Ok(0)
}

/// `network prune --force`, the one form rpod runs.
fn network_prune_request(a: &PassArgs) -> CliResult<NetworkPruneOptions> {
    let (sub, flags) = split(&a.args);
    if sub == Some("prune") && only_flags(&flags, &[&["-f", "--force"]]) {
        return Ok(NetworkPruneOptions::default());
    }
    Err(not_yet("network", sub, "networks (issue 12)"))
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
        let network = |a: &[&str]| network_prune_request(&pass(a));
        assert!(network(&["prune", "--force"]).is_ok());
        assert!(network(&["prune", "-f"]).is_ok());
        assert!(network(&["prune"]).is_err());
        assert!(network(&["ls"]).is_err());
        assert!(network(&["rm", "-f", "x"]).is_err());
    }
}
