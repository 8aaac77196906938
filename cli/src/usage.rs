//! Command-line usage errors in Podman's words and with its exit code 125
//! (clap's own would be exit 2 and its own phrasing):
//! `Error: unknown flag: --foo` + `See 'rpod run --help'`.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::CommandFactory;

use crate::Cli;

/// What to print for a clap parse failure, where, and the exit code.
pub struct UsageOutcome {
    pub text: String,
    pub to_stdout: bool,
    pub code: u8,
}

/// Turns a clap error into Podman's message. `args` is the whole argv (for
/// the command path in `See 'rpod CMD --help'`).
pub fn outcome(err: &clap::Error, args: &[String]) -> UsageOutcome {
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => UsageOutcome {
            text: err.render().to_string(),
            to_stdout: true,
            code: 0,
        },
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            UsageOutcome {
                text: format!(
                    "{}\nError: missing command '{} COMMAND'\n",
                    subcommand_help(args),
                    command_path(args)
                ),
                to_stdout: false,
                code: 125,
            }
        }
        _ => UsageOutcome {
            text: format!(
                "Error: {}\nSee '{} --help'\n",
                message(err, args),
                command_path(args)
            ),
            to_stdout: false,
            code: 125,
        },
    }
}

fn context_str(err: &clap::Error, kind: ContextKind) -> Option<String> {
    match err.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => v.first().cloned(),
        _ => None,
    }
}

/// `--name <NAME>` → `--name`; `-n <NAME>` → `-n`.
fn flag_of(arg: &str) -> &str {
    arg.split([' ', '=']).next().unwrap_or(arg)
}

/// Podman's (pflag's) wording for a flag: `--name`, or `'n' in -n`.
fn pflag_name(flag: &str) -> String {
    match flag.strip_prefix('-') {
        Some(short) if !short.starts_with('-') && short.len() == 1 => {
            format!("'{short}' in {flag}")
        }
        _ => flag.to_owned(),
    }
}

fn message(err: &clap::Error, args: &[String]) -> String {
    let arg = context_str(err, ContextKind::InvalidArg);
    let value = context_str(err, ContextKind::InvalidValue);
    match err.kind() {
        ErrorKind::UnknownArgument => {
            let a = arg.unwrap_or_default();
            let flag = flag_of(&a);
            match flag.strip_prefix('-') {
                Some(short) if !short.starts_with('-') => {
                    let c = short.chars().next().unwrap_or('?');
                    format!("unknown shorthand flag: '{c}' in {flag}")
                }
                _ => format!("unknown flag: {flag}"),
            }
        }
        ErrorKind::InvalidValue if value.as_deref().is_none_or(str::is_empty) => {
            let a = arg.unwrap_or_default();
            format!(
                "flag needs an argument: {}",
                pflag_name(&typed_flag(flag_of(&a), args))
            )
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let a = arg.unwrap_or_default();
            format!(
                "invalid argument \"{}\" for \"{}\" flag: {}",
                value.unwrap_or_default(),
                flag_of(&a),
                reason(err)
            )
        }
        ErrorKind::MissingRequiredArgument => "requires at least 1 arg(s), only received 0".into(),
        ErrorKind::InvalidSubcommand => {
            format!("unrecognized command `{}`", arg.unwrap_or_default())
        }
        _ => reason(err),
    }
}

/// The spelling the user typed for `flag` (clap names the long form):
/// `-h` for `--hostname` when the last argument is `-h`.
fn typed_flag(flag: &str, args: &[String]) -> String {
    let Some(last) = args.last() else {
        return flag.to_owned();
    };
    if last.starts_with('-') && !last.starts_with("--") && last != flag {
        let short = last.trim_start_matches('-');
        let mut cmd = Cli::command();
        cmd.build();
        let long = flag.trim_start_matches('-');
        let matches_short = |c: &clap::Command| {
            c.get_arguments().any(|a| {
                a.get_long() == Some(long)
                    && a.get_short().map(String::from).as_deref() == Some(short)
            })
        };
        if matches_short(&cmd)
            || cmd
                .get_subcommands()
                .any(|s| has_short_for(s, &matches_short))
        {
            return last.clone();
        }
    }
    flag.to_owned()
}

fn has_short_for(c: &clap::Command, f: &dyn Fn(&clap::Command) -> bool) -> bool {
    f(c) || c.get_subcommands().any(|s| has_short_for(s, f))
}

/// clap's own message without its `error: ` prefix and usage lines.
fn reason(err: &clap::Error) -> String {
    let rendered = err.render().to_string();
    let first = rendered.lines().next().unwrap_or("").trim();
    first.strip_prefix("error: ").unwrap_or(first).to_owned()
}

/// The help text of the (sub)command named in argv.
fn subcommand_help(args: &[String]) -> String {
    let mut cmd = Cli::command();
    cmd.build();
    for name in command_path(args).split(' ').skip(1) {
        let found = cmd
            .get_subcommands()
            .find(|s| s.get_name() == name || s.get_all_aliases().any(|al| al == name))
            .cloned();
        match found {
            Some(sub) => cmd = sub,
            None => break,
        }
    }
    cmd.render_help().to_string()
}

/// `rpod container run` for `rpod --root X container run --foo`: the
/// subcommands named in argv, walked through the command tree.
pub fn command_path(args: &[String]) -> String {
    let mut cmd = Cli::command();
    // The name rpod was invoked by, as Podman's root command takes
    // `os.Args[0]`'s base name (`rpod-remote`, or a `podman` link).
    let invoked = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty())
        .unwrap_or(cmd.get_name())
        .to_owned();
    let mut path = vec![invoked];
    for a in args.iter().skip(1) {
        if a.starts_with('-') {
            continue;
        }
        let next = cmd
            .get_subcommands()
            .find(|s| s.get_name() == a || s.get_all_aliases().any(|al| al == a))
            .cloned();
        match next {
            Some(sub) => {
                path.push(a.clone());
                cmd = sub;
            }
            None if cmd.has_subcommands() && path.len() == 1 => continue,
            None => break,
        }
    }
    path.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_of(argv: &[&str]) -> String {
        let args: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        let e = crate::parse(&args).unwrap_err();
        let o = outcome(&e, &args);
        assert_eq!(o.code, 125);
        o.text
    }

    #[test]
    fn unknown_flags_in_podmans_words() {
        assert_eq!(
            err_of(&["rpod", "run", "--invalid", "img"]),
            "Error: unknown flag: --invalid\nSee 'rpod run --help'\n"
        );
        assert_eq!(
            err_of(&["rpod", "--root", "/x", "container", "ps", "--nope"]),
            "Error: unknown flag: --nope\nSee 'rpod container ps --help'\n"
        );
    }

    #[test]
    fn the_invoked_name_leads_the_help_hint() {
        assert_eq!(
            err_of(&["/usr/bin/rpod-remote", "run", "--invalid", "img"]),
            "Error: unknown flag: --invalid\nSee 'rpod-remote run --help'\n"
        );
    }

    #[test]
    fn missing_flag_value() {
        assert_eq!(
            err_of(&["rpod", "run", "--name"]),
            "Error: flag needs an argument: --name\nSee 'rpod run --help'\n"
        );
    }
}
