//! `login` and `logout`: credentials in the auth file. Passwords are read
//! from `-p`, `--password-stdin` or a no-echo terminal prompt and are never
//! printed.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use rpod_engine::registry::auth::{auth_file_path, AuthFile, Credentials};
use rpod_engine::registry::client::check_login;
use rpod_engine::registry::registries_conf::RegistriesConf;

use super::common::Globals;
use super::registry_opts::RegistryArgs;
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    registry_args: RegistryArgs,
    /// Username for registry
    #[arg(short = 'u', long)]
    username: Option<String>,
    /// Password for registry
    #[arg(short = 'p', long)]
    password: Option<String>,
    /// Take the password from stdin
    #[arg(long)]
    password_stdin: bool,
    /// Return the current login user for the registry
    #[arg(long)]
    get_login: bool,
    /// Registry (host[:port][/namespace])
    registry: String,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Path of the authentication file
    #[arg(long)]
    authfile: Option<PathBuf>,
    /// Remove the cached credentials for all registries in the auth file
    #[arg(short = 'a', long)]
    all: bool,
    /// Registry (host[:port][/namespace])
    registry: Option<String>,
}

/// `docker://host/ns/` → `host/ns`.
fn registry_key(s: &str) -> String {
    let s = s
        .strip_prefix("docker://")
        .or_else(|| s.strip_prefix("https://"))
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    s.trim_end_matches('/').to_string()
}

fn usage(e: impl ToString) -> CliError {
    CliError::usage(e.to_string())
}

/// Reads a line from the terminal with echo off.
fn read_password_tty(prompt: &str) -> CliResult<String> {
    use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg};
    let stdin = std::io::stdin();
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let old = tcgetattr(&stdin).map_err(usage)?;
    let mut quiet = old.clone();
    quiet.local_flags.remove(LocalFlags::ECHO);
    tcsetattr(&stdin, SetArg::TCSANOW, &quiet).map_err(usage)?;
    let mut line = String::new();
    let res = stdin.lock().read_line(&mut line);
    let _ = tcsetattr(&stdin, SetArg::TCSANOW, &old);
    eprintln!();
    res.map_err(usage)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

pub async fn login(_g: &Globals, a: LoginArgs) -> CliResult {
    let key = registry_key(&a.registry);
    let host = key.split('/').next().unwrap_or(&key).to_string();
    let path = auth_file_path(a.registry_args.authfile.as_deref());
    let mut file = AuthFile::load(&path).map_err(usage)?;
    if a.get_login {
        return match file.username(&key) {
            Some(u) => {
                println!("{u}");
                Ok(0)
            }
            None => Err(CliError::usage(format!("not logged into {key}"))),
        };
    }
    if a.password.is_some() && a.password_stdin {
        return Err(CliError::usage(
            "can't specify both --password-stdin and --password",
        ));
    }
    let interactive = std::io::stdin().is_terminal();
    let username = match &a.username {
        Some(u) => u.clone(),
        None if interactive && !a.password_stdin => {
            eprint!("Username: ");
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(usage)?;
            line.trim().to_string()
        }
        None => {
            return Err(CliError::usage(
                "must provide --username with --password-stdin",
            ))
        }
    };
    let password = if let Some(p) = &a.password {
        p.clone()
    } else if a.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(usage)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else if interactive {
        read_password_tty("Password: ")?
    } else {
        return Err(CliError::usage(
            "password required: use --password, --password-stdin or a terminal",
        ));
    };
    if username.is_empty() {
        return Err(CliError::usage("username can't be empty"));
    }
    let creds = Credentials { username, password };
    let conf = RegistriesConf::load().map_err(usage)?;
    let insecure = conf.find_registry(&key).is_some_and(|r| r.insecure);
    let opts = a.registry_args.connect_options()?;
    check_login(&host, insecure, &opts, &creds)
        .await
        .map_err(usage)?;
    file.set(&key, &creds);
    file.save().map_err(usage)?;
    println!("Login Succeeded!");
    Ok(0)
}

pub async fn logout(_g: &Globals, a: LogoutArgs) -> CliResult {
    let path = auth_file_path(a.authfile.as_deref());
    let mut file = AuthFile::load(&path).map_err(usage)?;
    if a.all {
        file.clear();
        file.save().map_err(usage)?;
        println!("Removed login credentials for all registries");
        return Ok(0);
    }
    let Some(registry) = a.registry else {
        return Err(CliError::usage("registry must be given"));
    };
    let key = registry_key(&registry);
    if !file.remove(&key) {
        return Err(CliError::usage(format!("not logged into {key}")));
    }
    file.save().map_err(usage)?;
    println!("Removed login credentials for {key}");
    Ok(0)
}
