//! `container runlabel LABEL IMAGE [ARG...]`: runs, or with `--display`
//! prints, the command an image label holds, as Podman's runlabel does:
//! the image is pulled when missing, `podman`/`docker` at the start of the
//! command is this rpod, `IMAGE` and `NAME` (also `$IMAGE`, `${NAME}`,
//! `...=NAME`) become the image's name and the container's, and `$OPT1`,
//! `$OPT2`, `$OPT3`, `$PWD` and `$HOME` are expanded; any other variable
//! expands to nothing.

use std::process::{Command, Stdio};
use std::sync::Arc;

use clap::Args;
use rpod_api::container::RmOptions;
use rpod_api::container_run::PullPolicy;
use rpod_api::front_door::images::{ImagePullOptions, ProgressSink};

use super::common::{open_front_door, Globals};
use super::progress_bars::StderrProgress;
use super::registry_opts::RegistryArgs;
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct RunlabelArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// Preview the command that the label would run
    #[arg(long)]
    display: bool,
    /// Assign a name to the container
    #[arg(short = 'n', long)]
    name: Option<String>,
    /// Optional parameter to pass for install
    #[arg(long, hide = true)]
    opt1: Option<String>,
    /// Optional parameter to pass for install
    #[arg(long, hide = true)]
    opt2: Option<String>,
    /// Optional parameter to pass for install
    #[arg(long, hide = true)]
    opt3: Option<String>,
    /// Pull the image if it does not exist locally prior to executing the label contents
    #[arg(short = 'p', long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pull: Option<bool>,
    /// Suppress output information when installing images
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Replace existing container with a new one from the image
    #[arg(long)]
    replace: bool,
    /// The label whose command runs
    label: String,
    /// The image holding the label
    image: String,
    /// Appended to the label's command
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub async fn run(g: &Globals, a: RunlabelArgs) -> CliResult {
    if g.remote.is_some() {
        return Err(CliError::usage(
            "container runlabel is not supported in remote mode",
        ));
    }
    let registry = a.registry.options()?;
    let label = a.label.strip_prefix('/').unwrap_or(&a.label);
    let fd = open_front_door(g)?;
    let policy = if a.pull.unwrap_or(true) {
        PullPolicy::Missing
    } else {
        PullPolicy::Never
    };
    let sink = (!a.quiet).then(|| StderrProgress::new(false) as Arc<dyn ProgressSink>);
    let options = ImagePullOptions {
        registry,
        quiet: a.quiet,
        policy: Some(policy),
        ..Default::default()
    };
    let pulled = fd.image_pull(&a.image, options, sink).await?;
    let id = pulled
        .images
        .first()
        .cloned()
        .unwrap_or_else(|| a.image.clone());
    let image = fd.image_inspect(&id).await?;
    let runlabel = image
        .labels
        .iter()
        .flatten()
        .find(|(k, _)| k.eq_ignore_ascii_case(label))
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            CliError::usage(format!(
                "cannot find the value of label: {label} in image: {}",
                a.image
            ))
        })?;
    let image_name = image
        .names_history
        .as_ref()
        .and_then(|n| n.first().cloned())
        .unwrap_or_else(|| image.id.clone());
    let name = match &a.name {
        Some(n) if !n.is_empty() => n.clone(),
        _ => default_name(&image_name, &image.id, &a.image),
    };
    let opts = [("OPT1", &a.opt1), ("OPT2", &a.opt2), ("OPT3", &a.opt3)];
    let cmd = command(&runlabel, &image_name, &name, &a.args, &|var| match var {
        "OPT1" | "OPT2" | "OPT3" => opts
            .iter()
            .find(|(k, _)| *k == var)
            .and_then(|(_, v)| (*v).clone())
            .unwrap_or_default(),
        "PWD" => std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        "HOME" => std::env::var("HOME").unwrap_or_default(),
        _ => String::new(),
    })?;
    if a.display {
        let argv0 = std::env::args().next().unwrap_or_else(|| "rpod".into());
        let shown: Vec<&str> = std::iter::once(argv0.as_str())
            .chain(cmd[1..].iter().map(String::as_str))
            .collect();
        println!("command: {}", shown.join(" "));
        return Ok(0);
    }
    if a.replace {
        if let Some(n) = cmd
            .iter()
            .position(|w| w == "--name")
            .and_then(|i| cmd.get(i + 1))
        {
            fd.container_rm(RmOptions {
                names: vec![n.clone()],
                ignore: true,
                force: true,
                ..Default::default()
            })
            .await?;
        }
    }
    let mut child = Command::new(&cmd[0]);
    if cmd[0] == SELF {
        // The nested rpod works on the same store as this one.
        child.args(global_flags(g));
    }
    child.args(&cmd[1..]).env("PODMAN_RUNLABEL_NESTED", "1");
    for (k, v) in opts {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            child.env(k, v);
        }
    }
    if a.quiet {
        child
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
    }
    let status = child
        .status()
        .map_err(|e| CliError::usage(format!("running {}: {e}", cmd[0])))?;
    match status.code() {
        Some(code) => Ok(code),
        None => Err(CliError::usage(format!("{}: {status}", cmd[0]))),
    }
}

/// This rpod, as the label's `podman` becomes.
const SELF: &str = "/proc/self/exe";

/// The global flags this rpod was given that choose its store and engine
/// set-up, for a nested rpod (Podman's nested podman gets none).
fn global_flags(g: &Globals) -> Vec<String> {
    let mut out = Vec::new();
    let mut put = |flag: &str, v: Option<String>| {
        if let Some(v) = v {
            out.push(flag.to_owned());
            out.push(v);
        }
    };
    let path = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.display().to_string());
    put("--root", path(&g.root));
    put("--runroot", path(&g.runroot));
    put("--config", path(&g.config));
    put("--runtime", g.runtime.clone());
    put("--storage-driver", g.storage_driver.clone());
    put("--events-backend", g.events_backend.clone());
    put("--tmpdir", path(&g.tmp_dir));
    put("--network-config-dir", path(&g.network_config_dir));
    put("--default-mounts-file", path(&g.default_mounts_file));
    put("--volumepath", path(&g.volume_path));
    put("--cgroup-manager", g.cgroup_manager.clone());
    for f in &g.runtime_flags {
        put("--runtime-flag", Some(f.clone()));
    }
    for d in &g.hooks_dirs {
        put("--hooks-dir", Some(d.display().to_string()));
    }
    out
}

/// The container name when `--name` is not given: the last path element of
/// the image name given (or, when that was an id, of the image's name),
/// without its tag.
fn default_name(image_name: &str, id: &str, given: &str) -> String {
    let from = if id.starts_with(given) {
        image_name
    } else {
        given
    };
    let last = from.rsplit('/').next().unwrap_or(from);
    last.split(':').next().unwrap_or(last).to_owned()
}

/// The label's command with `args` appended, substituted and expanded.
fn command(
    runlabel: &str,
    image_name: &str,
    name: &str,
    args: &[String],
    vars: &dyn Fn(&str) -> String,
) -> CliResult<Vec<String>> {
    let text = if args.is_empty() {
        runlabel.to_owned()
    } else {
        format!("{runlabel} {}", args.join(" "))
    };
    let words = split(&text)?;
    let mut out = vec![program(&words[0])?];
    for w in &words[1..] {
        out.push(match w.as_str() {
            "IMAGE=IMAGE" => format!("IMAGE={image_name}"),
            "NAME=NAME" => format!("NAME={name}"),
            _ => replace_word(&replace_word(w, "NAME", name), "IMAGE", image_name),
        });
    }
    split(&expand(&out.join(" "), vars))
}

/// Shell-like word splitting; an unbalanced quote is an error.
fn split(text: &str) -> CliResult<Vec<String>> {
    match shlex::split(text) {
        Some(words) if !words.is_empty() => Ok(words),
        Some(_) => Err(CliError::usage("the label's command is empty")),
        None => Err(CliError::usage(format!(
            "invalid command line in the label: {text:?}"
        ))),
    }
}

/// `KEY` alone, `$KEY`, `${KEY}` and a trailing `=KEY` become `value`.
fn replace_word(word: &str, key: &str, value: &str) -> String {
    if word == key {
        return value.to_owned();
    }
    let mut w = word
        .replace(&format!("${key}"), value)
        .replace(&format!("${{{key}}}"), value);
    let suffix = format!("={key}");
    if w.ends_with(&suffix) {
        w = w.replace(&suffix, &format!("={value}"));
    }
    w
}

/// `podman`, `rpod` or a `docker` at the command's start run this rpod; a
/// path is made absolute and must exist.
fn program(word: &str) -> CliResult<String> {
    let base = word.rsplit('/').next().unwrap_or(word);
    let prog = if word == "podman" || word == "rpod" || base == "docker" {
        SELF.to_owned()
    } else {
        word.to_owned()
    };
    if prog.contains('/') || prog.starts_with('.') {
        let abs =
            std::path::absolute(&prog).map_err(|e| CliError::usage(format!("{prog}: {e}")))?;
        if !abs.exists() {
            return Err(CliError::usage(format!(
                "faccessat {}: no such file or directory",
                abs.display()
            )));
        }
        return Ok(abs.display().to_string());
    }
    Ok(prog)
}

/// Go's `os.Expand`: `$NAME` and `${NAME}` through `vars`; `${}` and an
/// unclosed `${` are dropped, a `$` before anything else stays.
fn expand(s: &str, vars: &dyn Fn(&str) -> String) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut j = 0;
    while j < b.len() {
        if b[j] == b'$' && j + 1 < b.len() {
            out.push_str(&s[i..j]);
            let (name, width) = shell_name(&s[j + 1..]);
            match name {
                Some(n) => out.push_str(&vars(n)),
                None if width > 0 => {}
                None => out.push('$'),
            }
            j += width;
            i = j + 1;
        }
        j += 1;
    }
    out.push_str(&s[i.min(s.len())..]);
    out
}

/// The variable name at the start of `s` (after a `$`) and how many bytes
/// it spans; `None` with a width: bad syntax, eaten.
fn shell_name(s: &str) -> (Option<&str>, usize) {
    let b = s.as_bytes();
    let special = |c: u8| b"*#$@!?-".contains(&c) || c.is_ascii_digit();
    if b[0] == b'{' {
        if b.len() > 2 && special(b[1]) && b[2] == b'}' {
            return (Some(&s[1..2]), 3);
        }
        return match s[1..].find('}') {
            Some(0) => (None, 2),
            Some(end) => (Some(&s[1..=end]), end + 2),
            None => (None, 1),
        };
    }
    if special(b[0]) {
        return (Some(&s[0..1]), 1);
    }
    let n = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count();
    if n == 0 {
        (None, 0)
    } else {
        (Some(&s[..n]), n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(v: &str) -> String {
        match v {
            "OPT2" => "two".into(),
            "HOME" => "/root".into(),
            _ => String::new(),
        }
    }

    #[test]
    fn names_images_and_options_are_substituted() {
        let cmd = command(
            "podman run -t ${OPT1} -e NAME=${NAME} -e IMAGE=IMAGE -e H=$HOME --name NAME IMAGE ${OPT2} /bin/x.sh",
            "localhost/img:latest",
            "web",
            &["extra".into()],
            &vars,
        )
        .unwrap();
        assert_eq!(
            cmd,
            [
                "/proc/self/exe",
                "run",
                "-t",
                "-e",
                "NAME=web",
                "-e",
                "IMAGE=localhost/img:latest",
                "-e",
                "H=/root",
                "--name",
                "web",
                "localhost/img:latest",
                "two",
                "/bin/x.sh",
                "extra"
            ]
        );
        assert!(command("podman run 'unclosed", "i", "n", &[], &vars).is_err());
        assert!(command("/nonexistent/prog x", "i", "n", &[], &vars).is_err());
    }

    #[test]
    fn expand_follows_go() {
        let v = |n: &str| format!("<{n}>");
        assert_eq!(expand("a $X b ${Y}c $1 $$", &v), "a <X> b <Y>c <1> <$>");
        assert_eq!(
            expand("cost $ 5 and ${} and ${open", &v),
            "cost $ 5 and  and open"
        );
        assert_eq!(expand("end$", &v), "end$");
    }

    #[test]
    fn default_names() {
        assert_eq!(default_name("localhost/img:latest", "abc123", "img"), "img");
        assert_eq!(default_name("quay.io/x/img:1", "abc123", "abc1"), "img");
        assert_eq!(
            default_name("localhost/img:latest", "abc", "quay.io/a/b:2"),
            "b"
        );
    }
}
