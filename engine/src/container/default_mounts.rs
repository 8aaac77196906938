//! Podman's default mounts ("subscriptions"): each line of mounts.conf,
//! `HOST_PATH[:CONTAINER_PATH]`, mounts a host path into every container
//! (RHEL's `/usr/share/rhel/secrets:/run/secrets`). The file is the one
//! `--default-mounts-file` names, else `/etc/containers/mounts.conf` and
//! `/usr/share/containers/mounts.conf`. Missing files and missing host
//! paths are skipped quietly, as Podman does; a destination the user
//! mounts something on keeps the user's mount.
//!
//! Podman copies the host path into the container's directory and mounts
//! the copy; rpod bind-mounts the host path read-only (see
//! docs/compatibility.md).

use std::path::{Path, PathBuf};

use super::BindMount;

/// The system files read when no `--default-mounts-file` is given, first
/// wins for a destination.
const SYSTEM_FILES: [&str; 2] = [
    "/etc/containers/mounts.conf",
    "/usr/share/containers/mounts.conf",
];

/// The default mounts of a new run; `user_destinations` are the
/// destinations the container's own mounts take.
pub(crate) fn binds(file: Option<&Path>, user_destinations: &[&str]) -> Vec<BindMount> {
    let files: Vec<PathBuf> = match file {
        Some(f) => vec![f.to_owned()],
        None => SYSTEM_FILES.iter().map(PathBuf::from).collect(),
    };
    let mut out: Vec<BindMount> = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            tracing::debug!("default mounts: no {}", f.display());
            continue;
        };
        for (source, destination) in parse(&text) {
            let taken = |d: &str| {
                let d = d.trim_end_matches('/');
                d == destination.trim_end_matches('/')
            };
            if user_destinations.iter().any(|d| taken(d))
                || out.iter().any(|m| taken(&m.destination))
            {
                continue;
            }
            if !Path::new(&source).exists() {
                tracing::debug!(
                    "default mounts: {source} from {} does not exist, skipping",
                    f.display()
                );
                continue;
            }
            out.push(BindMount {
                source,
                destination,
                readonly: true,
                options: Vec::new(),
            });
        }
    }
    out
}

/// `(host, container)` of each line; blank lines and `#` comments skipped.
fn parse(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(':') {
            Some((h, c)) => (h.to_owned(), c.to_owned()),
            None => (l.to_owned(), l.to_owned()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_precedence() {
        assert_eq!(
            parse("# c\n\n/a:/b\n/c\n"),
            [("/a".into(), "/b".into()), ("/c".into(), "/c".into())]
        );
        let dir = tempfile::tempdir().unwrap();
        let host = dir.path().join("secrets");
        std::fs::create_dir(&host).unwrap();
        let conf = dir.path().join("mounts.conf");
        std::fs::write(
            &conf,
            format!(
                "/nonexistent/x:/x\n{0}:/run/secrets\n{0}:/run/secrets/\n{0}:/taken\n",
                host.display()
            ),
        )
        .unwrap();
        let got = binds(Some(&conf), &["/taken/"]);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].destination, "/run/secrets");
        assert!(got[0].readonly);
        assert!(binds(Some(&dir.path().join("missing")), &[]).is_empty());
    }
}
