//! `cp` / `container cp`: copy files and directories between a container
//! and the host (or another container, or a tar stream on stdin/stdout).

use std::path::PathBuf;

use clap::Args;
use rpod_api::front_door::container_copy::{CopyDestination, CopyOptions, CopyRequest, CopySource};

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct CpArgs {
    /// Allow to overwrite directories with non-directories and vice versa
    #[arg(long)]
    overwrite: bool,
    /// Chown copied files to the primary uid/gid of the destination container.
    #[arg(short = 'a', long, num_args = 0..=1, default_missing_value = "true", default_value = "true", require_equals = true)]
    archive: bool,
    /// Deprecated (no effect, as in Podman)
    #[arg(long, hide = true, num_args = 0..=1, default_missing_value = "true", default_value = "false", require_equals = true)]
    extract: bool,
    /// Deprecated (no effect, as in Podman)
    #[arg(long, hide = true, num_args = 0..=1, default_missing_value = "true", default_value = "true", require_equals = true)]
    pause: bool,
    /// [CONTAINER:]SRC_PATH [CONTAINER:]DEST_PATH
    paths: Vec<String>,
}

/// Podman's `[nameOrID:]path`: a path starting with `.` or `/` never names
/// a container (so colons in such paths are fine).
fn parse_arg(input: &str) -> (Option<&str>, &str) {
    if input.starts_with(['.', '/']) {
        return (None, input);
    }
    match input.split_once(':') {
        Some((c, p)) => (Some(c), p),
        None => (None, input),
    }
}

pub async fn run(g: &Globals, a: CpArgs) -> CliResult {
    let [src, dst] = a.paths.as_slice() else {
        return Err(CliError::usage(format!(
            "accepts 2 arg(s), received {}",
            a.paths.len()
        )));
    };
    let (src_ctr, src_path) = parse_arg(src);
    let (dst_ctr, dst_path) = parse_arg(dst);
    if src_path.is_empty() || dst_path.is_empty() {
        return Err(CliError::usage(format!(
            "invalid arguments {src:?}, {dst:?}: you must specify paths"
        )));
    }
    let source = match src_ctr {
        Some(c) => CopySource::Container {
            container: c.to_owned(),
            path: src_path.to_owned(),
        },
        None if src_path == "-" => CopySource::Stream(Box::new(std::io::stdin())),
        None => CopySource::Host(PathBuf::from(src_path)),
    };
    let destination = match dst_ctr {
        Some(c) => CopyDestination::Container {
            container: c.to_owned(),
            path: dst_path.to_owned(),
        },
        None if dst_path == "-" => CopyDestination::Stream(Box::new(std::io::stdout())),
        None => CopyDestination::Host(PathBuf::from(dst_path)),
    };
    let fd = open_front_door(g)?;
    fd.container_copy(CopyRequest {
        source,
        destination,
        options: CopyOptions {
            chown: a.archive,
            overwrite: a.overwrite,
        },
    })
    .await?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::parse_arg;

    #[test]
    fn container_prefixes_as_podman_reads_them() {
        assert_eq!(parse_arg("c1:/tmp/x"), (Some("c1"), "/tmp/x"));
        assert_eq!(parse_arg("./a:b"), (None, "./a:b"));
        assert_eq!(parse_arg("/a:b"), (None, "/a:b"));
        assert_eq!(parse_arg("file"), (None, "file"));
        assert_eq!(parse_arg("c1:"), (Some("c1"), ""));
        assert_eq!(parse_arg("-"), (None, "-"));
    }
}
