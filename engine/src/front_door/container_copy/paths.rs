//! Podman's path arithmetic for `cp` (Go's `path` package semantics, which
//! the trailing `/` and `/.` rules depend on).

/// Go's `path.Clean`: lexical, `..` never above `/`; `.` for empty.
pub(super) fn clean(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Go's `path.Dir`.
pub(super) fn dir(p: &str) -> String {
    match p.rfind('/') {
        Some(i) => clean(&p[..=i]),
        None => ".".into(),
    }
}

/// Go's `path.Join` of two parts.
pub(super) fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        return clean(b);
    }
    clean(&format!("{a}/{b}"))
}

pub(super) use crate::storage::copier::base_name as base;

/// Podman's `PreserveBasePath`: `resolved` keeps the `/.` or trailing `/`
/// that `original` ends with (the copy semantics depend on them).
pub(super) fn preserve_base_path(original: &str, resolved: &str) -> String {
    let mut out = resolved.to_owned();
    if base(&out) != "." && base(original) == "." {
        if !out.ends_with('/') {
            out.push('/');
        }
        out.push('.');
    }
    if !out.ends_with('/') && original.ends_with('/') {
        out.push('/');
    }
    out
}

/// Podman's `pathAbs`: a relative container path is taken from the
/// working directory.
pub(super) fn path_abs(workdir: &str, p: &str) -> String {
    if p.starts_with('/') {
        p.to_owned()
    } else {
        join(&join("/", workdir), p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_path_semantics() {
        assert_eq!(clean("/tmp/./a/../b/"), "/tmp/b");
        assert_eq!(clean("/.."), "/");
        assert_eq!(clean(""), ".");
        assert_eq!(dir("/tmp/x"), "/tmp");
        assert_eq!(dir("x"), ".");
        assert_eq!(dir("/x"), "/");
        assert_eq!(base("/tmp/"), "tmp");
        assert_eq!(base("/tmp/."), ".");
        assert_eq!(base("/"), "/");
        assert_eq!(path_abs("/srv", "sub/."), "/srv/sub");
        assert_eq!(path_abs("/srv", "/abs/."), "/abs/.");
    }

    #[test]
    fn base_paths_are_preserved() {
        assert_eq!(preserve_base_path("dir/.", "/h/dir"), "/h/dir/.");
        assert_eq!(preserve_base_path("dir/", "/h/dir"), "/h/dir/");
        assert_eq!(preserve_base_path("/", "/"), "/");
        assert_eq!(preserve_base_path(".", "/srv"), "/srv/.");
        assert_eq!(preserve_base_path("dir.", "/h/dir."), "/h/dir.");
    }
}
