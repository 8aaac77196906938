//! Where Quadlet files are searched: rpod's own directories, Podman's only
//! when rpod.conf says so, or `$QUADLET_UNIT_DIRS`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// rpod's directories for root, in search order (earlier wins).
pub const ROOT_DIRS: &[&str] = &[
    "/run/rpod/systemd",
    "/etc/rpod/systemd",
    "/usr/share/rpod/systemd",
];
/// Podman's, read only with `[quadlet] podman_unit_dirs = true`.
pub const PODMAN_ROOT_DIRS: &[&str] = &[
    "/run/containers/systemd",
    "/etc/containers/systemd",
    "/usr/share/containers/systemd",
];

const DEFAULT_CONFIG: &str = "/etc/rpod/rpod.conf";

/// Whether rpod.conf (`$RPOD_CONFIG` or /etc/rpod/rpod.conf) enables
/// Podman's directories. A missing file or key means no.
pub fn podman_dirs_enabled() -> Result<bool, String> {
    let path = std::env::var_os("RPOD_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
    podman_dirs_enabled_in(&path)
}

/// [`podman_dirs_enabled`] for the rpod.conf at `path`.
pub fn podman_dirs_enabled_in(path: &Path) -> Result<bool, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(format!("reading {}: {e}", path.display())),
    };
    let value: toml::Value =
        toml::from_str(&text).map_err(|e| format!("parsing {}: {e}", path.display()))?;
    Ok(value
        .get("quadlet")
        .and_then(|q| q.get("podman_unit_dirs"))
        .and_then(toml::Value::as_bool)
        .unwrap_or(false))
}

/// The search path, each directory followed by its subdirectories.
#[derive(Default)]
struct SearchPaths {
    sorted: Vec<PathBuf>,
    seen: HashSet<PathBuf>,
}

impl SearchPaths {
    fn push(&mut self, p: PathBuf) {
        self.seen.insert(p.clone());
        self.sorted.push(p);
    }

    /// Adds `path` and, recursively, its subdirectories (not `*.d`), when
    /// `keep` accepts them.
    fn add_tree(&mut self, path: &Path, keep: &dyn Fn(&Path) -> bool) {
        let resolved = match std::fs::canonicalize(path) {
            Ok(p) => p,
            Err(_) => {
                self.push(path.to_path_buf());
                return;
            }
        };
        if self.seen.contains(&resolved)
            || resolved.to_string_lossy().ends_with(".d")
            || !keep(&resolved)
            || !resolved.is_dir()
        {
            return;
        }
        self.push(resolved.clone());
        let Ok(entries) = std::fs::read_dir(&resolved) else {
            return;
        };
        let mut children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        children.sort();
        for child in children {
            self.add_tree(&child, keep);
        }
    }
}

/// The directories to read, in order.
pub fn unit_dirs(is_user: bool) -> Result<Vec<PathBuf>, String> {
    let mut paths = SearchPaths::default();
    if let Ok(env) = std::env::var("QUADLET_UNIT_DIRS") {
        if !env.is_empty() {
            for d in env.split(':') {
                if !d.starts_with('/') {
                    tracing::error!("{d} not a valid file path");
                    break;
                }
                paths.add_tree(Path::new(d), &|_| true);
            }
            return Ok(paths.sorted);
        }
    }
    let podman = podman_dirs_enabled()?;
    let mut roots: Vec<&str> = ROOT_DIRS.to_vec();
    if podman {
        roots.extend(PODMAN_ROOT_DIRS);
    }
    // `<admin dir>/users` holds per-user files: never for root's units.
    let users_dirs: Vec<PathBuf> = roots
        .iter()
        .map(|r| {
            let u = Path::new(r).join("users");
            std::fs::canonicalize(&u).unwrap_or(u)
        })
        .collect();
    let in_users = |p: &Path| users_dirs.iter().any(|u| p.starts_with(u));
    if !is_user {
        for r in &roots {
            paths.add_tree(Path::new(r), &|p| !in_users(p));
        }
        return Ok(paths.sorted);
    }
    let mut user_roots: Vec<PathBuf> = Vec::new();
    for suffix in ["rpod/systemd", "containers/systemd"] {
        if suffix.starts_with("containers") && !podman {
            continue;
        }
        if let Some(rt) = std::env::var_os("XDG_RUNTIME_DIR") {
            user_roots.push(Path::new(&rt).join(suffix));
        }
        user_roots.push(config_home().join(suffix));
    }
    for r in &user_roots {
        paths.add_tree(r, &|_| true);
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    // Podman 5.8 reads users/ of the admin directories only.
    for users in users_dirs.iter().filter(|u| !u.starts_with("/usr")) {
        let depth = users.components().count();
        // Non-numeric subdirectories of users/ apply to every user.
        paths.add_tree(users, &|p| {
            if !p.starts_with(users) {
                return true;
            }
            match p.components().nth(depth) {
                None => true,
                Some(c) => !c
                    .as_os_str()
                    .to_string_lossy()
                    .chars()
                    .all(|ch| ch.is_ascii_digit()),
            }
        });
        paths.add_tree(&users.join(uid.to_string()), &|_| true);
    }
    Ok(paths.sorted)
}

fn config_home() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".config")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podman_dirs_follow_rpod_conf() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("rpod.conf");
        assert_eq!(podman_dirs_enabled_in(&conf), Ok(false));
        std::fs::write(&conf, "[network]\nnetwork_config_dir = \"/x\"\n").unwrap();
        assert_eq!(podman_dirs_enabled_in(&conf), Ok(false));
        std::fs::write(&conf, "[quadlet]\npodman_unit_dirs = true\n").unwrap();
        assert_eq!(podman_dirs_enabled_in(&conf), Ok(true));
        std::fs::write(&conf, "[quadlet\n").unwrap();
        assert!(podman_dirs_enabled_in(&conf).is_err());
    }

    #[test]
    fn subdirectories_follow_their_parent_but_not_dropins() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::create_dir_all(dir.path().join("x.container.d")).unwrap();
        let mut paths = SearchPaths::default();
        paths.add_tree(dir.path(), &|_| true);
        let root = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(
            paths.sorted,
            vec![root.clone(), root.join("a"), root.join("a/b")]
        );
    }
}
