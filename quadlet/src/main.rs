//! `rpod-quadlet`: the systemd generator (installed as
//! `rpod-system-generator` and `rpod-user-generator`).

use std::path::PathBuf;

use rpod_quadlet::{dirs, generator};

const USAGE: &str = "Usage: rpod-quadlet [-dryrun] [-no-kmsg-log] [-user] [-v] [-version] OUTPUT_DIR [EARLY_DIR LATE_DIR]";

/// Parses Go-style flags (`-flag` or `--flag`, booleans may take `=true`).
fn parse_args(args: &[String]) -> Result<(generator::Options, bool), String> {
    let program = args
        .first()
        .cloned()
        .unwrap_or_else(|| "rpod-quadlet".into());
    let base = std::path::Path::new(&program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut opts = generator::Options {
        is_user: base.contains("user"),
        program: program.clone(),
        ..Default::default()
    };
    let mut version = false;
    let mut positional = Vec::new();
    let mut rest = args.iter().skip(1);
    while let Some(a) = rest.next() {
        if a == "--" {
            positional.extend(rest.by_ref().cloned());
            break;
        }
        let Some(flag) = a.strip_prefix("--").or_else(|| a.strip_prefix('-')) else {
            positional.push(a.clone());
            positional.extend(rest.by_ref().cloned());
            break;
        };
        let (name, value) = match flag.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (flag, None),
        };
        let on = match value {
            None => true,
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "1" | "t" | "true" => true,
                "0" | "f" | "false" => false,
                _ => return Err(format!("invalid boolean value {v:?} for -{name}")),
            },
        };
        match name {
            "v" => opts.verbose = on,
            "no-kmsg-log" => opts.no_kmsg = on,
            "user" => opts.is_user = on,
            "dryrun" => opts.dry_run = on,
            "version" => version = on,
            "h" | "help" => return Err(USAGE.to_string()),
            _ => return Err(format!("flag provided but not defined: -{name}\n{USAGE}")),
        }
    }
    opts.output = positional.first().map(PathBuf::from);
    Ok((opts, version))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (opts, version) = match parse_args(&args) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if version {
        println!("{}", env!("CARGO_PKG_VERSION"));
        return;
    }
    let mut log = generator::Logger::new(&opts);
    let ok = match dirs::unit_dirs(opts.is_user) {
        Ok(d) => generator::run(&opts, &d, &mut log),
        Err(e) => {
            log.log(&e);
            false
        }
    };
    if !ok {
        log.log("processing encountered some errors");
        std::process::exit(1);
    }
}
