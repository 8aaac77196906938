//! What every command shares: global flags, opening the engine, printing
//! `--format` output.

use std::path::PathBuf;

use anyhow::Context;
use rpod_api::error_chain::display_chain;
use rpod_api::front_door::{EngineOptions, SystemCheck};
use rpod_api::FrontDoor;
use rpod_engine::LocalEngine;
use rpod_engine::StoreChecker;

use crate::cli_error::{CliError, CliResult};
use crate::format::{self, HeaderMap};
use crate::Cli;

/// Global flags, detached from the parsed command.
#[derive(Debug, Clone)]
pub struct Globals {
    pub root: Option<PathBuf>,
    pub runroot: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub runtime: Option<String>,
    pub storage_driver: Option<String>,
    /// `--events-backend`, checked by the engine when it opens.
    pub events_backend: Option<String>,
    pub tmp_dir: Option<PathBuf>,
    pub network_config_dir: Option<PathBuf>,
    pub runtime_flags: Vec<String>,
    pub hooks_dirs: Vec<PathBuf>,
    pub default_mounts_file: Option<PathBuf>,
    pub volume_path: Option<PathBuf>,
    /// `--cgroup-manager`.
    pub cgroup_manager: Option<String>,
    /// Remote mode: the connection the user named (resolved on use).
    pub remote: Option<crate::connections::Wanted>,
}

impl From<&Cli> for Globals {
    fn from(c: &Cli) -> Self {
        Globals {
            root: c.root.clone(),
            runroot: c.runroot.clone(),
            config: c.config.clone(),
            runtime: c.runtime.clone(),
            storage_driver: c.globals.storage_driver.clone(),
            events_backend: c.globals.events_backend.clone(),
            tmp_dir: c.globals.tmpdir.clone(),
            network_config_dir: c.globals.network_config_dir.clone(),
            runtime_flags: c.globals.runtime_flag.clone(),
            hooks_dirs: c.globals.hooks_dir.iter().map(PathBuf::from).collect(),
            default_mounts_file: c.globals.default_mounts_file.clone(),
            volume_path: c.globals.volumepath.clone(),
            cgroup_manager: c.globals.cgroup_manager.clone(),
            remote: c.globals.remote_mode().then(|| crate::connections::Wanted {
                url: c.globals.url.clone(),
                connection: c.globals.connection.clone(),
                context: c.globals.context.clone(),
                host: c.globals.host.clone(),
                identity: c.globals.identity.clone(),
                tls: rpod_remote::tls::TlsOptions {
                    ca: c.globals.tls_ca.clone(),
                    cert: c.globals.tls_cert.clone(),
                    key: c.globals.tls_key.clone(),
                },
            }),
        }
    }
}

/// The global flags as the front door's engine options.
pub fn engine_options(g: &Globals) -> EngineOptions {
    EngineOptions {
        root: g.root.clone(),
        runroot: g.runroot.clone(),
        config: g.config.clone(),
        runtime: g.runtime.clone(),
        storage_driver: g.storage_driver.clone(),
        events_backend: g.events_backend.clone(),
        tmp_dir: g.tmp_dir.clone(),
        network_config_dir: g.network_config_dir.clone(),
        runtime_flags: g.runtime_flags.clone(),
        hooks_dirs: g.hooks_dirs.clone(),
        default_mounts_file: g.default_mounts_file.clone(),
        volume_path: g.volume_path.clone(),
        cgroup_manager: g.cgroup_manager.clone(),
    }
}

/// The front door commands talk to: the local engine, or in remote mode
/// the service the connection names (over the libpod REST API).
pub fn open_front_door(g: &Globals) -> CliResult<Box<dyn FrontDoor>> {
    if let Some(wanted) = &g.remote {
        refuse_local_flags(g)?;
        let target = crate::connections::resolve(wanted)?;
        let url = rpod_remote::RemoteUrl::parse(&target.url)?;
        let options = rpod_remote::ConnectOptions {
            identity: target.identity,
            tls: target.tls,
            ssh_config: std::env::var_os("CONTAINERS_SSH_CONF")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        };
        return Ok(Box::new(rpod_remote::RemoteEngine::connect(
            &url, &options,
        )?));
    }
    let exe = std::env::current_exe().context("locating the rpod binary")?;
    Ok(Box::new(LocalEngine::open(&engine_options(g), exe)?))
}

/// In remote mode the service's own store and configuration apply: the
/// local engine's flags are refused rather than ignored.
fn refuse_local_flags(g: &Globals) -> CliResult<()> {
    let given = [
        ("--root", g.root.is_some()),
        ("--runroot", g.runroot.is_some()),
        ("--runtime", g.runtime.is_some()),
        ("--storage-driver", g.storage_driver.is_some()),
        ("--events-backend", g.events_backend.is_some()),
        ("--tmpdir", g.tmp_dir.is_some()),
        ("--network-config-dir", g.network_config_dir.is_some()),
        ("--runtime-flag", !g.runtime_flags.is_empty()),
        ("--hooks-dir", !g.hooks_dirs.is_empty()),
        ("--volumepath", g.volume_path.is_some()),
        ("--cgroup-manager", g.cgroup_manager.is_some()),
    ];
    match given.iter().find(|(_, set)| *set) {
        Some((flag, _)) => Err(CliError::usage(format!(
            "{flag} is not available in remote mode (the service's own settings apply)"
        ))),
        None => Ok(()),
    }
}

/// `system check`'s engine: the local store, checked without opening the
/// engine first (a damaged database is one of the things it repairs).
pub fn open_store_checker(g: &Globals) -> CliResult<Box<dyn SystemCheck>> {
    if g.remote.is_some() {
        return Err(rpod_remote::unsupported("system check").into());
    }
    let exe = std::env::current_exe().context("locating the rpod binary")?;
    Ok(Box::new(StoreChecker::new(&engine_options(g), exe)?))
}

/// Prints rows with the user's `--format`, or the command's own default
/// table when there is none.
pub fn print_listing(
    user_format: Option<&str>,
    default_format: &str,
    rows: &[serde_json::Value],
    headers: &HeaderMap,
    no_heading: bool,
) -> CliResult<()> {
    let (origin, fmt) = listing_format(user_format, default_format);
    print_rendered(format::render(origin, fmt, rows, headers, no_heading))
}

/// The user's format, else the command's default (with headers).
fn listing_format<'a>(user: Option<&'a str>, default: &'a str) -> (format::Origin, &'a str) {
    match user {
        Some(f) => (format::Origin::User, f),
        None => (format::Origin::Podman, default),
    }
}

fn print_rendered(out: Result<String, format::FormatError>) -> CliResult<()> {
    print!("{}", out.map_err(|e| CliError::usage(e.to_string()))?);
    Ok(())
}

/// [`print_listing`] for typed rows (reports with Go names and methods).
pub fn print_typed_listing(
    user_format: Option<&str>,
    default_format: &str,
    rows: &[format::GoValue],
    headers: &HeaderMap,
    no_heading: bool,
) -> CliResult<()> {
    let (origin, fmt) = listing_format(user_format, default_format);
    print_rendered(format::render_typed(origin, fmt, rows, headers, no_heading))
}

/// Runs `op` for each name, up to [`rpod_api::parallel::jobs`] at a time,
/// printing each success's line (if any) and `Error: ...` for failures, in
/// the order of `names`, as soon as an operation and those before it are
/// done; the exit code is 125 if any failed (the last error is printed
/// last, like Podman).
pub async fn for_each_concurrent<T, F, Fut>(names: &[T], op: F) -> CliResult
where
    T: Clone,
    F: FnMut(T) -> Fut,
    Fut: std::future::Future<Output = CliResult<Option<String>>>,
{
    use futures_util::StreamExt;
    let results =
        rpod_api::parallel::ordered(names.iter().cloned(), rpod_api::parallel::jobs(), op);
    futures_util::pin_mut!(results);
    let mut failed: Option<CliError> = None;
    while let Some(result) = results.next().await {
        match result {
            Ok(Some(line)) => println!("{line}"),
            Ok(None) => {}
            Err(e) => {
                if let Some(prev) = failed.take() {
                    eprintln!("Error: {}", display_chain(&prev));
                }
                failed = Some(e);
            }
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(0),
    }
}

/// Prints the results of a batch request as Podman does: the line of each
/// success, `Error: ...` for each failure but the last, which ends the
/// command with its exit code.
pub fn print_batch(
    results: impl IntoIterator<Item = Result<String, rpod_api::Error>>,
) -> CliResult {
    let mut failed: Option<rpod_api::Error> = None;
    for r in results {
        match r {
            Ok(line) => println!("{line}"),
            Err(e) => {
                if let Some(prev) = failed.replace(e) {
                    eprintln!("Error: {prev}");
                }
            }
        }
    }
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(0),
    }
}

/// The exit code of a command acting on several objects, as Podman's `rm`
/// and `pod rm`: each failure is printed as it happens and the highest of
/// their codes is the command's (1 missing, 2 running or in use, 125 other).
#[derive(Debug, Default)]
pub struct FailureCodes {
    code: i32,
}

impl FailureCodes {
    /// Prints `Error: msg` and keeps the highest code.
    pub fn fail_msg(&mut self, msg: &str, code: i32) {
        eprintln!("Error: {msg}");
        self.code = self.code.max(code);
    }

    pub fn finish(self) -> CliResult {
        match self.code {
            0 => Ok(0),
            code => Err(CliError::Exit(code)),
        }
    }
}

/// Podman's output of a removal batch (`rm`, `pod rm`, `volume rm`): each
/// removed object's line, each failure as `Error: ...` with the exit code
/// `code_of` gives its kind (the highest one ends the command).
pub fn print_removals(
    results: impl IntoIterator<Item = Result<String, rpod_api::Error>>,
    code_of: impl Fn(rpod_api::ErrorKind) -> i32,
) -> CliResult {
    let mut failures = FailureCodes::default();
    for r in results {
        match r {
            Ok(line) => println!("{line}"),
            Err(e) => failures.fail_msg(&e.message, code_of(e.kind)),
        }
    }
    failures.finish()
}

/// Parses a stop timeout (`stop -t`, `rm -t`, ...) as Podman does: an int in
/// seconds, where a negative value waits without limit (Podman converts it to
/// the largest 32-bit count of seconds).
pub fn parse_stop_timeout(raw: &str) -> Result<u64, String> {
    let n: i64 = raw
        .parse()
        .map_err(|_| format!("strconv.ParseInt: parsing {raw:?}: invalid syntax"))?;
    Ok(u64::try_from(n).unwrap_or(u64::from(u32::MAX)))
}

/// Parses a signal as Podman does: a name (`TERM`, `SIGTERM`, `term`,
/// `RTMIN+3`) or a number, with or without a leading dash; 1 through 64.
pub fn parse_signal(raw: &str) -> CliResult<i32> {
    let s = raw.strip_prefix('-').unwrap_or(raw);
    if let Ok(n) = s.parse::<i64>() {
        if n == 0 {
            return Err(CliError::usage(format!("invalid signal: {s}")));
        }
        if !(1..=64).contains(&n) {
            return Err(CliError::usage("valid signals are 1 through 64"));
        }
        return Ok(n as i32);
    }
    let upper = s.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(sig) = realtime_signal(name) {
        return Ok(sig);
    }
    let sig = match name {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "ILL" => 4,
        "TRAP" => 5,
        "ABRT" | "IOT" => 6,
        "BUS" => 7,
        "FPE" => 8,
        "KILL" => 9,
        "USR1" => 10,
        "SEGV" => 11,
        "USR2" => 12,
        "PIPE" => 13,
        "ALRM" => 14,
        "TERM" => 15,
        "STKFLT" => 16,
        "CHLD" => 17,
        "CONT" => 18,
        "STOP" => 19,
        "TSTP" => 20,
        "TTIN" => 21,
        "TTOU" => 22,
        "URG" => 23,
        "XCPU" => 24,
        "XFSZ" => 25,
        "VTALRM" => 26,
        "PROF" => 27,
        "WINCH" => 28,
        "IO" | "POLL" => 29,
        "PWR" => 30,
        "SYS" => 31,
        _ => return Err(CliError::usage(format!("invalid signal: {s}"))),
    };
    Ok(sig)
}

/// `RTMIN`, `RTMIN+N`, `RTMAX-N`, `RTMAX` (Linux: 34 through 64).
fn realtime_signal(name: &str) -> Option<i32> {
    const RTMIN: i32 = 34;
    const RTMAX: i32 = 64;
    let (base, rest) = if let Some(r) = name.strip_prefix("RTMIN") {
        (RTMIN, r)
    } else {
        (RTMAX, name.strip_prefix("RTMAX")?)
    };
    let sig = match rest {
        "" => base,
        r if base == RTMIN => base + r.strip_prefix('+')?.parse::<i32>().ok()?,
        r => base - r.strip_prefix('-')?.parse::<i32>().ok()?,
    };
    (RTMIN..=RTMAX).contains(&sig).then_some(sig)
}

#[cfg(test)]
mod tests {
    #[test]
    fn negative_stop_timeout_waits_without_limit() {
        assert_eq!(super::parse_stop_timeout("5"), Ok(5));
        assert_eq!(super::parse_stop_timeout("0"), Ok(0));
        assert_eq!(super::parse_stop_timeout("-1"), Ok(u64::from(u32::MAX)));
        assert!(super::parse_stop_timeout("x").is_err());
    }

    use super::*;

    #[test]
    fn signals() {
        assert_eq!(parse_signal("KILL").unwrap(), 9);
        assert_eq!(parse_signal("sigterm").unwrap(), 15);
        assert_eq!(parse_signal("10").unwrap(), 10);
        assert!(parse_signal("NOPE").is_err());
        assert!(parse_signal("0").is_err());
        assert_eq!(parse_signal("-1").unwrap(), 1);
        assert_eq!(parse_signal("-SIGUSR1").unwrap(), 10);
        assert_eq!(parse_signal("RTMIN+3").unwrap(), 37);
        assert_eq!(parse_signal("64").unwrap(), 64);
        let range = parse_signal("65").unwrap_err().to_string();
        assert_eq!(range, "valid signals are 1 through 64");
        assert_eq!(
            parse_signal("-0").unwrap_err().to_string(),
            "invalid signal: 0"
        );
        assert_eq!(
            parse_signal("-SIG").unwrap_err().to_string(),
            "invalid signal: SIG"
        );
    }
}
