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
mod prep;
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
    command: prep::Routed<commands::Command>,
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

/// [`parse`]; `prune`: build only the commands argv names (the tests
/// compare it with building the whole tree first).
fn parse_tree(args: &[String], prune: bool) -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    use prep::Mode;
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
    // Only the command argv names is put under the root (see
    // `prep::Routed`), read with the root's own flags.
    let _route = prune.then(|| {
        let root = {
            let _mode = prep::set_mode(Mode::Parsing);
            let _route = prep::set_route(prep::Route::RootOnly);
            prep::prepare(Cli::command())
        };
        let route = prep::route_of(args, &root).map_or(prep::Route::All, prep::Route::Only);
        prep::set_route(route)
    });
    // The root and the command groups are prepared here; each leaf command
    // adds and prepares its arguments itself, while parsing only when clap
    // reaches it (building all ~150 commands was most of a start's CPU).
    let tree = || {
        let cmd = prep::prepare_groups(Cli::command());
        if connection_named {
            cmd.mut_arg("remote", |a| a.hide(true))
        } else {
            cmd
        }
    };
    // Parsing takes pflag's `--switch=BOOL` forms; help is rendered from
    // the plain tree (`--tty`, not `--tty[=<TTY>]`), built only then. The
    // mode holds while clap parses: it builds the leaf argv names then.
    let parsed = {
        let _mode = prep::set_mode(Mode::Parsing);
        let mut parsing = tree();
        if !prune {
            parsing.build();
        }
        parsing.try_get_matches_from(args)
    };
    let matches = match parsed {
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp
                    | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            // Help may be the root's (`rpod --help run`): it lists every
            // command.
            let _mode = prep::set_mode(Mode::Plain);
            let _route = prep::set_route(prep::Route::All);
            tree().try_get_matches_from(args)?
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
            &["rpod", "--log-level", "debug", "container", "ps", "-a"],
            &["rpod", "--remote=false", "ps", "--root", "/x"],
            &["rpod", "ps", "--runroot=/y", "-q"],
            &["rpod", "image", "nosuch"],
            &["rpod", "conta", "ps"],
            &["rpod", "container", "run", "--help"],
            &["rpod", "help", "run"],
            &["rpod", "pod", "create", "--name", "p"],
            &["rpod", "system", "service", "--time", "0"],
            &["rpod", "--help", "run"],
            &["rpod", "-h", "ps"],
            &["rpod", "--root", "/r", "--help", "container"],
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
