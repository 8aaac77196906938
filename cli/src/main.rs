//! `rpod`: a stateless CLI. Every invocation opens the state, asks the
//! engine and the live monitors, prints and exits.

mod broken_pipe;
mod cli_error;
mod commands;
mod connections;
use gotmpl as format;
mod global_flags;
mod human;
mod logging;
mod redact;
mod usage;
mod yaml;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use cli_error::CliError;

#[derive(Debug, Parser)]
#[command(
    name = "rpod",
    version = concat!("version ", env!("CARGO_PKG_VERSION")),
    disable_version_flag = true,
    disable_help_flag = true,
    term_width = 160,
    about = "Manage pods, containers and images (Podman-compatible)"
)]
pub struct Cli {
    /// Help for rpod
    #[arg(short = 'h', long = "help", action = clap::ArgAction::HelpShort)]
    help: Option<bool>,
    /// Version for rpod
    #[arg(short = 'v', long = "version", action = clap::ArgAction::Version)]
    version: Option<bool>,
    /// Path to the root directory in which data, including images, is stored
    #[arg(long, global = true, value_name = "PATH")]
    root: Option<PathBuf>,
    /// Path to the 'run directory' where all state information is stored
    #[arg(long, global = true, value_name = "PATH")]
    runroot: Option<PathBuf>,
    /// Path to the rpod configuration file (TOML)
    #[arg(long, global = true, value_name = "PATH", env = "RPOD_CONFIG")]
    config: Option<PathBuf>,
    /// Log messages above specified level (trace, debug, info, warn, warning, error, fatal, panic)
    #[arg(long, global = true, value_name = "LEVEL")]
    log_level: Option<String>,
    /// Path to the OCI-compatible binary used to run containers
    #[arg(long = "runtime", global = true, value_name = "PATH")]
    runtime: Option<String>,
    #[command(flatten)]
    globals: global_flags::GlobalFlags,
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    // Before rpod opens anything: which descriptors the caller passed
    // (`run --preserve-fds`).
    rpod_engine::inherited_fds::note();
    broken_pipe::exit_quietly_on_closed_stdout();
    let args: Vec<String> = std::env::args().collect();
    let cli = match parse(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let o = usage::outcome(&e, &args);
            if o.to_stdout {
                print!("{}", o.text);
            } else {
                eprint!("{}", o.text);
            }
            return ExitCode::from(o.code);
        }
    };
    let level = match (cli.globals.debug, cli.log_level.as_deref()) {
        (true, Some(_)) => {
            eprintln!("Setting --log-level and --debug is not allowed");
            return ExitCode::from(1);
        }
        (true, None) => "debug",
        (false, level) => level.unwrap_or("warn"),
    };
    if let Err(e) = logging::init(level) {
        eprintln!("{e}");
        return ExitCode::from(1);
    }
    tracing::info!("rpod filtering at log level {level}");
    // Arguments may hold secrets (`login -p`): their values are hidden.
    tracing::debug!(
        "Called {} with args {:?}",
        usage::command_path(&args),
        redact::redact_secrets(&args[1..])
    );
    tracing::trace!("global flags: {:?}", cli.globals);
    // An ordinary user's rpod works inside the user's namespace: joined
    // here, while the process still has one thread (before tokio starts).
    if !cli.globals.remote_mode() {
        match rpod_engine::enter_user_namespace() {
            Ok(entered) => tracing::debug!("user namespace: {entered:?}"),
            Err(e) => {
                eprintln!("Error: {e}");
                return ExitCode::from(125);
            }
        }
    }
    let code = run(cli);
    tracing::debug!("Shutting down engines");
    code
}

/// Parses argv as Podman's flag parser would: a flag given twice takes
/// its last value (`--tz=A --tz=B`), list flags collect every value.
fn parse(args: &[String]) -> Result<Cli, clap::Error> {
    parse_tree(args, true)
}

/// [`parse`]; `prune`: prepare only the commands argv names (the tests
/// compare it with preparing the whole tree).
fn parse_tree(args: &[String], prune: bool) -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    fn last_wins(cmd: clap::Command) -> clap::Command {
        cmd.args_override_self(true)
    }
    /// The root's own `-h/--help` (one line per option) turns clap's help
    /// flag off in every subcommand too: give each one without a `--help`
    /// of its own `--help`, and `-h` where the command has no `-h` flag
    /// (`run -h` is `--hostname`, as in Podman).
    fn with_help(cmd: clap::Command) -> clap::Command {
        if cmd.get_arguments().any(|a| a.get_long() == Some("help")) {
            return cmd;
        }
        let short_free = !cmd.get_arguments().any(|a| a.get_short() == Some('h'));
        let mut help = clap::Arg::new("help")
            .long("help")
            .help(format!("Help for {}", cmd.get_name()))
            .action(clap::ArgAction::HelpShort);
        if short_free {
            help = help.short('h');
        }
        cmd.arg(help)
    }
    fn with_bool_values(cmd: clap::Command) -> clap::Command {
        let mut cmd = cmd;
        let switches: Vec<clap::Id> = cmd
            .get_arguments()
            .filter(|a| matches!(a.get_action(), clap::ArgAction::SetTrue))
            .map(|a| a.get_id().clone())
            .collect();
        for id in switches {
            cmd = cmd.mut_arg(id, bool_switch);
        }
        cmd
    }
    /// pflag's boolean flags: `--tty`, `--tty=false`, `-t` (a value only
    /// after `=`, so `-it` and `--rm IMAGE` stay what they are).
    fn bool_switch(arg: clap::Arg) -> clap::Arg {
        // A switch declared with a default of its own keeps it.
        let default = arg
            .get_default_values()
            .first()
            .cloned()
            .unwrap_or_else(|| "false".into());
        arg.action(clap::ArgAction::Set)
            .num_args(0..=1)
            .require_equals(true)
            .default_missing_value("true")
            .default_value(default)
            .value_parser(clap::builder::BoolishValueParser::new())
            .hide_possible_values(true)
    }
    // As Podman: with a connection already named (CONTAINER_HOST,
    // CONTAINER_CONNECTION, --url, --connection) --remote is not offered.
    let connection_named = ["CONTAINER_HOST", "CONTAINER_CONNECTION"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
        || args.iter().any(|a| {
            ["--url", "--connection", "-c"]
                .iter()
                .any(|f| a == f || a.starts_with(&format!("{f}=")))
        });
    // The tree is prepared (the functions above) only along the commands
    // argv names, when it plainly names a leaf: clap parses nothing else,
    // and preparing all ~150 commands was most of a start's CPU.
    let root = Cli::command();
    let leaf = usage::selected_leaf(&root, args).filter(|_| prune);
    let plain = |root: clap::Command| {
        let cmd = usage::prepare(root, leaf.as_deref(), &|c| with_help(last_wins(c)));
        if connection_named {
            cmd.mut_arg("remote", |a| a.hide(true))
        } else {
            cmd
        }
    };
    // Help is rendered from the plain tree (`--tty`, not `--tty[=<TTY>]`),
    // built again only then; everything else is parsed with pflag's
    // `--switch=BOOL` forms.
    let parsing = usage::prepare(plain(root), leaf.as_deref(), &with_bool_values);
    let matches = match parsing.try_get_matches_from(args) {
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp
                    | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            plain(Cli::command()).try_get_matches_from(args)?
        }
        other => other?,
    };
    Cli::from_arg_matches(&matches)
}

fn run(cli: Cli) -> ExitCode {
    if let Err(e) = cli
        .globals
        .check()
        .and_then(|()| cli.globals.redirect_stdout())
    {
        eprintln!("Error: {e}");
        return ExitCode::from(e.exit_code() as u8);
    }
    // Container actors run their transitions on the blocking pool (one
    // thread each while it lasts: `stop -a` of many runs them side by side).
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(512)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: starting the async runtime: {e}");
            return ExitCode::from(125);
        }
    };
    match rt.block_on(commands::dispatch(cli)) {
        Ok(code) => ExitCode::from(code as u8),
        Err(CliError::Exit(code)) => ExitCode::from(code as u8),
        Err(e) => {
            if let CliError::Api(api) = &e {
                if api.kind == rpod_api::ErrorKind::Unreachable {
                    eprintln!(
                        "Cannot connect to rpod. Please verify your connection to the Linux system using `rpod system connection list`"
                    );
                }
            }
            eprintln!("Error: {}", rpod_api::error_chain::display_chain(&e));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

#[cfg(test)]
mod parse_tests {
    #[test]
    fn the_leaf_named_in_argv_is_found() {
        use clap::CommandFactory;
        let leaf = |argv: &[&str]| {
            let args: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
            crate::usage::selected_leaf(&super::Cli::command(), &args)
        };
        let chain = |names: &[&str]| Some(names.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            leaf(&[
                "rpod",
                "--root",
                "/r",
                "--runroot=/rr",
                "container",
                "cleanup",
                "x"
            ]),
            chain(&["container", "cleanup"])
        );
        assert_eq!(leaf(&["rpod", "run", "--rm", "img"]), chain(&["run"]));
        assert_eq!(leaf(&["rpod", "-c", "conn", "ps"]), chain(&["ps"]));
        assert_eq!(
            leaf(&["rpod", "play", "kube", "x.yaml"]),
            chain(&["play", "kube"])
        );
        assert_eq!(leaf(&["rpod", "--help"]), None);
        assert_eq!(leaf(&["rpod", "container"]), None);
        assert_eq!(leaf(&["rpod", "nosuch"]), None);
        assert_eq!(leaf(&["rpod", "--", "ps"]), None);
    }

    /// Preparing only the named commands parses exactly as preparing all.
    #[test]
    fn pruned_tree_parses_as_the_whole_tree() {
        let argvs: &[&[&str]] = &[
            &[
                "rpod",
                "run",
                "--rm",
                "-it",
                "--tty=false",
                "img",
                "sh",
                "-c",
                "x",
            ],
            &[
                "rpod",
                "--root",
                "/r",
                "--runroot=/rr",
                "run",
                "-d",
                "--rm",
                "img",
            ],
            &[
                "rpod",
                "--log-level",
                "debug",
                "container",
                "cleanup",
                "abc",
            ],
            &[
                "rpod",
                "container",
                "run",
                "--name",
                "a",
                "--name",
                "b",
                "img",
            ],
            &["rpod", "exec", "-i", "c", "true"],
            &["rpod", "start", "--attach", "c"],
            &["rpod", "stop", "-t", "0", "c"],
            &["rpod", "play", "kube", "--network", "none", "x.yaml"],
            &["rpod", "kube", "play", "--down", "x.yaml"],
            &["rpod", "ps", "-a", "--format", "{{.ID}}"],
            &["rpod", "run", "--bogus", "img"],
            &["rpod", "run", "--help"],
            &["rpod", "run", "-h", "host", "img"],
            &["rpod", "nosuch"],
            &["rpod", "container"],
            &["rpod", "--help"],
            &["rpod", "-v"],
            &["rpod", "-c", "conn", "ps"],
            &["rpod", "--", "ps"],
        ];
        for argv in argvs {
            let args: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
            let render = |r: Result<super::Cli, clap::Error>| match r {
                Ok(cli) => format!("{cli:?}"),
                Err(e) => format!("{:?}: {}", e.kind(), e.render()),
            };
            assert_eq!(
                render(super::parse_tree(&args, true)),
                render(super::parse_tree(&args, false)),
                "{argv:?}"
            );
        }
    }
}
