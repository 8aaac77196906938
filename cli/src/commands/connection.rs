//! `system connection add|ls|rm|default|rename`, and Docker's spelling of
//! the same, `context create|ls|inspect|use|rm`: the named remote
//! destinations in rpod's connections file ([`crate::connections`]).

use crate::prep::Lazy;
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::cli_error::{CliError, CliResult};
use crate::connections::{ConnectionsFile, Destination};
use crate::format::{self, GoValue, HeaderMap, Origin, ToTemplate};

/// The remote socket of `rpod system service` run by root.
const ROOT_SOCKET: &str = "/run/rpod/rpod.sock";

#[derive(Debug, Subcommand)]
pub enum ConnectionCommand {
    /// Record destination for the rpod service
    Add(Lazy<AddArgs>),
    /// Set named destination as default
    Default(Lazy<NameArg>),
    /// List destination for the rpod service(s)
    #[command(alias = "list")]
    Ls(Lazy<LsArgs>),
    /// Rename "old" to "new"
    #[command(alias = "mv")]
    Rename(Lazy<RenameArgs>),
    /// Delete named destination
    #[command(alias = "remove")]
    Rm(Lazy<RmArgs>),
}

/// `context`: Docker's names for the connection commands (hidden, as
/// Podman's).
#[derive(Debug, Subcommand)]
pub enum ContextCommand {
    /// Record destination for the rpod service (`--docker host=URI`)
    Create(Lazy<CreateArgs>),
    /// List destination for the rpod service(s)
    #[command(alias = "list")]
    Ls(Lazy<LsArgs>),
    /// Inspect destination for a rpod service(s)
    Inspect(Lazy<InspectArgs>),
    /// Set named destination as default
    Use(Lazy<NameArg>),
    /// Delete named destination
    #[command(alias = "remove")]
    Rm(Lazy<RmArgs>),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Description of the context
    #[arg(long, value_name = "host=URI")]
    docker: Option<String>,
    name: String,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Custom Go template for printing connections
    #[arg(short = 'f', long)]
    format: Option<String>,
    /// Print only the connection names
    #[arg(short = 'q', long)]
    quiet: bool,
    names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Set connection to be default
    #[arg(short = 'd', long)]
    default: bool,
    /// path to SSH identity file
    #[arg(long, value_name = "PATH")]
    identity: Option<String>,
    /// SSH port number for destination
    #[arg(short = 'p', long, default_value_t = 22)]
    port: u16,
    /// path to rpod socket on remote host. (default '/run/rpod/rpod.sock')
    #[arg(long, value_name = "PATH")]
    socket_path: Option<String>,
    /// path to a PEM file containing the certificate authority bundle to verify the server's certificate against
    #[arg(long, value_name = "PATH")]
    tls_ca: Option<String>,
    /// path to a PEM file containing the TLS client certificate to present to the server
    #[arg(long, value_name = "PATH")]
    tls_cert: Option<String>,
    /// path to a PEM file containing the private key matching --tls-cert
    #[arg(long, value_name = "PATH")]
    tls_key: Option<String>,
    name: String,
    destination: String,
}

#[derive(Debug, Args)]
pub struct NameArg {
    name: String,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Custom Go template for printing connections
    #[arg(short = 'f', long)]
    format: Option<String>,
    /// Print only the connection names
    #[arg(short = 'q', long)]
    quiet: bool,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    old: String,
    new: String,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["all", "name"]))]
pub struct RmArgs {
    /// Remove all connections
    #[arg(short = 'a', long)]
    all: bool,
    name: Option<String>,
}

pub fn run(cmd: ConnectionCommand) -> CliResult {
    match cmd {
        ConnectionCommand::Add(Lazy(a)) => add(a),
        ConnectionCommand::Default(Lazy(a)) => make_default(a),
        ConnectionCommand::Ls(Lazy(a)) => show(None, a.format, a.quiet),
        ConnectionCommand::Rename(Lazy(a)) => edit(|f| {
            let d = defined(f, &a.old)?;
            f.connection.connections.remove(&a.old);
            f.connection.connections.insert(a.new.clone(), d);
            if f.connection.default == a.old {
                f.connection.default = a.new;
            }
            Ok(())
        }),
        ConnectionCommand::Rm(Lazy(a)) => rm(a),
    }
}

/// `context ...`.
pub fn run_context(cmd: ContextCommand) -> CliResult {
    match cmd {
        ContextCommand::Create(Lazy(a)) => create(a),
        ContextCommand::Ls(Lazy(a)) => show(None, a.format, a.quiet),
        ContextCommand::Inspect(Lazy(a)) => show(Some(&a.names), a.format, a.quiet),
        ContextCommand::Use(Lazy(a)) => make_default(a),
        ContextCommand::Rm(Lazy(a)) => rm(a),
    }
}

fn make_default(a: NameArg) -> CliResult {
    edit(|f| {
        defined(f, &a.name)?;
        f.connection.default = a.name;
        Ok(())
    })
}

fn rm(a: RmArgs) -> CliResult {
    edit(|f| {
        match a.name {
            Some(n) if !a.all => {
                f.connection.connections.remove(&n);
                if f.connection.default == n {
                    f.connection.default.clear();
                }
            }
            _ => {
                f.connection.connections.clear();
                f.connection.default.clear();
            }
        }
        Ok(())
    })
}

/// `context create NAME --docker host=URI`: a destination without
/// identity or TLS files; a destination without a scheme is ssh, as
/// Podman's.
fn create(a: CreateArgs) -> CliResult {
    let given = a.docker.unwrap_or_default();
    let dest = match given.split_once('=') {
        Some(("host", v)) => v.to_owned(),
        Some((k, _)) => {
            return Err(CliError::usage(format!(
                "unsupported key {k:?} in --docker (only host=URI)"
            )))
        }
        None => given,
    };
    let has_scheme = dest.split_once("://").is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    let uri = if has_scheme {
        dest
    } else {
        format!("ssh://{dest}")
    };
    record(
        a.name,
        Destination {
            uri,
            ..Destination::default()
        },
        false,
    )
}

/// Stores `dest` as `name`; it becomes the default when asked or when it is
/// the first connection.
fn record(name: String, dest: Destination, make_default: bool) -> CliResult {
    edit(|f| {
        if make_default || f.connection.connections.is_empty() {
            f.connection.default = name.clone();
        }
        f.connection.connections.insert(name, dest);
        Ok(())
    })
}

fn edit(change: impl FnOnce(&mut ConnectionsFile) -> CliResult<()>) -> CliResult {
    let mut f = ConnectionsFile::load()?;
    change(&mut f)?;
    f.save()?;
    Ok(0)
}

fn defined(f: &ConnectionsFile, name: &str) -> CliResult<Destination> {
    f.connection.connections.get(name).cloned().ok_or_else(|| {
        CliError::usage(format!(
            "\"{name}\" destination is not defined. See \"rpod system connection add ...\" to create a connection"
        ))
    })
}

/// The destination as a URI: `[user@]host` means ssh; ssh gets the port
/// and the remote socket path filled in.
fn destination_uri(a: &AddArgs) -> CliResult<String> {
    let has_scheme = a.destination.split_once("://").is_some_and(|(s, _)| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    let dest = if has_scheme {
        a.destination.clone()
    } else {
        format!("ssh://{}", a.destination)
    };
    let (scheme, rest) = dest.split_once("://").unwrap_or(("", dest.as_str()));
    match scheme {
        "unix" => {
            if a.identity.is_some() {
                return Err(CliError::usage(
                    "--identity option not supported for unix scheme",
                ));
            }
            let path = a.socket_path.clone().unwrap_or_else(|| rest.to_owned());
            match std::fs::metadata(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    tracing::warn!("{path:?} does not exist");
                }
                Ok(m) if !std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()) => {
                    return Err(CliError::usage(format!(
                        "{path:?} exists and is not a unix domain socket"
                    )));
                }
                _ => {}
            }
            Ok(format!("unix://{path}"))
        }
        "tcp" => {
            if a.socket_path.is_some() {
                return Err(CliError::usage(
                    "--socket-path option not supported for tcp scheme",
                ));
            }
            if a.identity.is_some() {
                return Err(CliError::usage(
                    "--identity option not supported for tcp scheme",
                ));
            }
            let hostport = rest.trim_end_matches('/');
            if hostport
                .rsplit_once(':')
                .is_none_or(|(_, p)| p.parse::<u16>().is_err())
            {
                return Err(CliError::usage(
                    "tcp scheme requires a port either via --port or in destination URL",
                ));
            }
            Ok(format!("tcp://{hostport}"))
        }
        "ssh" => {
            let (authority, path) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            };
            let (user, hostport) = match authority.rsplit_once('@') {
                Some((u, h)) => (Some(u), h),
                None => (None, authority),
            };
            let hostport = if hostport.contains(':') {
                hostport.to_owned()
            } else {
                format!("{hostport}:{}", a.port)
            };
            let path = match (&a.socket_path, path) {
                (Some(p), _) => p.clone(),
                (None, p) if !p.is_empty() && p != "/" => p.to_owned(),
                (None, _) if matches!(user, None | Some("root")) => ROOT_SOCKET.to_owned(),
                (None, _) => {
                    return Err(CliError::usage(
                        "the remote socket path is needed for a user other than root: give it in the URL or with --socket-path",
                    ))
                }
            };
            let user = user.map(|u| format!("{u}@")).unwrap_or_default();
            Ok(format!("ssh://{user}{hostport}{path}"))
        }
        other => Err(CliError::usage(format!(
            "{other:?} unknown scheme: use unix, tcp or ssh"
        ))),
    }
}

fn add(mut a: AddArgs) -> CliResult {
    // An empty `--tls-*=` is no file, as in Podman.
    for f in [&mut a.tls_ca, &mut a.tls_cert, &mut a.tls_key] {
        if f.as_deref() == Some("") {
            *f = None;
        }
    }
    let uri = destination_uri(&a)?;
    let tls = [&a.tls_ca, &a.tls_cert, &a.tls_key];
    if tls.iter().any(|f| f.is_some()) && !uri.starts_with("tcp://") {
        return Err(CliError::usage(
            "--tls-ca, --tls-cert and --tls-key are only supported for the tcp scheme",
        ));
    }
    if a.tls_cert.is_some() != a.tls_key.is_some() {
        return Err(CliError::usage(
            "--tls-cert and --tls-key must be given together",
        ));
    }
    let absolute = |p: &Option<String>| -> CliResult<String> {
        match p {
            None => Ok(String::new()),
            Some(p) => std::path::absolute(p)
                .map(|p| p.display().to_string())
                .map_err(|e| CliError::usage(format!("{p}: {e}"))),
        }
    };
    let (tls_ca, tls_cert, tls_key) = (
        absolute(&a.tls_ca)?,
        absolute(&a.tls_cert)?,
        absolute(&a.tls_key)?,
    );
    record(
        a.name,
        Destination {
            uri,
            identity: a.identity.unwrap_or_default(),
            is_machine: false,
            tls_ca,
            tls_cert,
            tls_key,
        },
        a.default,
    )
}

/// One row of `system connection ls` (Podman's config.Connection).
#[derive(Clone, Debug, Serialize, ToTemplate)]
#[go(type = "config.Connection")]
struct Connection {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "URI")]
    #[go(name = "URI")]
    uri: String,
    #[serde(rename = "Identity")]
    identity: String,
    #[serde(rename = "IsMachine")]
    is_machine: bool,
    #[serde(rename = "TLSCA")]
    #[go(name = "TLSCA")]
    tls_ca: String,
    #[serde(rename = "TLSCert")]
    #[go(name = "TLSCert")]
    tls_cert: String,
    #[serde(rename = "TLSKey")]
    #[go(name = "TLSKey")]
    tls_key: String,
    #[serde(rename = "Default")]
    default: bool,
    #[serde(rename = "ReadWrite")]
    read_write: bool,
}

/// `system connection ls` (`names` `None`: a table unless `--format`
/// says otherwise) and `context inspect` (`names` given, all when empty:
/// JSON unless `--format` says otherwise), sorted by name as Podman's.
fn show(names: Option<&[String]>, format: Option<String>, quiet: bool) -> CliResult {
    let f = ConnectionsFile::load()?;
    let format = match (format, names) {
        (None, Some(_)) => Some("json".to_owned()),
        (format, _) => format,
    };
    let mut rows: Vec<Connection> = f
        .connection
        .connections
        .iter()
        .filter(|(name, _)| names.is_none_or(|n| n.is_empty() || n.contains(name)))
        .map(|(name, d)| Connection {
            name: name.clone(),
            uri: d.uri.clone(),
            identity: d.identity.clone(),
            is_machine: d.is_machine,
            tls_ca: d.tls_ca.clone(),
            tls_cert: d.tls_cert.clone(),
            tls_key: d.tls_key.clone(),
            default: *name == f.connection.default,
            read_write: true,
        })
        .collect();
    rows.sort_by(|x, y| x.name.cmp(&y.name));
    if quiet {
        for r in &rows {
            println!("{}", r.name);
        }
        return Ok(0);
    }
    if format.as_deref().is_some_and(format::is_json) {
        let v = serde_json::to_value(&rows)
            .map_err(|e| CliError::usage(format!("encoding connections: {e}")))?;
        println!("{}", format::json_indent(&v, "    ", true));
        return Ok(0);
    }
    let values: Vec<GoValue> = rows.iter().map(ToTemplate::to_template).collect();
    // Podman executes its header row from a map of these names as written.
    let headers = [
        "Name",
        "URI",
        "Identity",
        "TLSCA",
        "TLSCert",
        "TLSKey",
        "Default",
        "ReadWrite",
    ]
    .iter()
    .fold(HeaderMap::new("ls"), |h, f| h.with_verbatim(f, f));
    let (origin, fmt) = match format {
        // Podman's `--format tls`: the table with the TLS files.
        Some(f) if f == "tls" => (
            Origin::Podman,
            "{{range .}}{{.Name}}\t{{.URI}}\t{{.Identity}}\t{{.TLSCA}}\t{{.TLSCert}}\t{{.TLSKey}}\t{{.Default}}\t{{.ReadWrite}}\n{{end -}}"
                .to_owned(),
        ),
        Some(f) => (Origin::User, f),
        None => (
            Origin::Podman,
            "{{range .}}{{.Name}}\t{{.URI}}\t{{.Identity}}\t{{.Default}}\t{{.ReadWrite}}\n{{end -}}"
                .to_owned(),
        ),
    };
    let out = format::render_typed(origin, &fmt, &values, &headers, false)
        .map_err(|e| CliError::usage(e.to_string()))?;
    print!("{out}");
    Ok(0)
}
