//! `login` and `logout`: credentials in the auth file. Passwords are read
//! from `-p`, `--password-stdin` or a no-echo terminal prompt and are never
//! printed.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use rpod_api::front_door::images::{LoginOptions, LogoutOptions};

use super::common::{open_front_door, Globals};
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

/// In remote mode `login` and `logout` work on this host's auth file, and
/// the credentials are checked from here, as Podman's remote client does:
/// the service is not involved.
fn local_auth(g: &Globals) -> bool {
    g.remote.is_some()
}

pub async fn login(g: &Globals, a: LoginArgs) -> CliResult {
    if a.get_login {
        let authfile = a.registry_args.authfile.clone();
        let user = if local_auth(g) {
            rpod_engine::registry_login_user(&a.registry, authfile)?
        } else {
            open_front_door(g)?
                .registry_login_user(&a.registry, authfile)
                .await?
        };
        println!("{user}");
        return Ok(0);
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
    let options = LoginOptions {
        registry: a.registry.clone(),
        username,
        password,
        options: a.registry_args.unchecked_options()?,
    };
    if local_auth(g) {
        rpod_engine::registry_login(&options).await?;
    } else {
        open_front_door(g)?.registry_login(options).await?;
    }
    println!("Login Succeeded!");
    Ok(0)
}

pub async fn logout(g: &Globals, a: LogoutArgs) -> CliResult {
    // Podman checks a named auth file before anything else.
    if let Some(f) = &a.authfile {
        super::registry_opts::check_authfile(f)?;
    }
    let options = LogoutOptions {
        authfile: a.authfile.clone(),
        all: a.all,
        registry: a.registry.clone(),
    };
    let removed = if local_auth(g) {
        rpod_engine::registry_logout(&options)?
    } else {
        open_front_door(g)?.registry_logout(options).await?
    };
    match removed {
        None => println!("Removed login credentials for all registries"),
        Some(key) => println!("Removed login credentials for {key}"),
    }
    Ok(0)
}
