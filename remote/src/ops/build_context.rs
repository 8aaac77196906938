//! The build context as the remote client sends it: the context directory
//! as a tar archive, without what its `.containerignore` (else
//! `.dockerignore`) excludes, with Docker's pattern rules (`*`, `?`, `**`,
//! `!` exceptions, the last matching pattern wins, a matching directory
//! excludes what it holds); Containerfiles outside the context are added
//! under names of their own, as Podman's remote client does.

use std::io;
use std::path::{Component, Path, PathBuf};

/// One ignore-file pattern.
struct Pattern {
    segments: Vec<String>,
    exclude: bool,
}

/// The patterns of an ignore file's text.
pub(crate) struct Ignore(Vec<Pattern>);

impl Ignore {
    pub(crate) fn parse(text: &str) -> Ignore {
        let mut out = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exclude, p) = match line.strip_prefix('!') {
                Some(rest) => (false, rest.trim()),
                None => (true, line),
            };
            let segments: Vec<String> = Path::new(p)
                .components()
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect();
            if !segments.is_empty() {
                out.push(Pattern { segments, exclude });
            }
        }
        Ignore(out)
    }

    /// Whether `rel` (a path inside the context) is left out: the last
    /// pattern matching it or one of its parent directories decides.
    pub(crate) fn excludes(&self, rel: &Path) -> bool {
        let parts: Vec<String> = rel
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        let mut excluded = false;
        for p in &self.0 {
            let hit = (1..=parts.len()).any(|n| segments_match(&p.segments, &parts[..n]));
            if hit {
                excluded = p.exclude;
            }
        }
        excluded
    }
}

/// Pattern segments against path segments; `**` stands for any number.
fn segments_match(pattern: &[String], path: &[String]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((first, rest)) if first == "**" => {
            (0..=path.len()).any(|skip| segments_match(rest, &path[skip..]))
        }
        Some((first, rest)) => match path.split_first() {
            Some((seg, path_rest)) => {
                glob(first.as_bytes(), seg.as_bytes()) && segments_match(rest, path_rest)
            }
            None => false,
        },
    }
}

/// Go's `filepath.Match` within one segment: `*`, `?`, `\` escapes.
fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && glob(rest, &s[1..]),
        Some((b'\\', rest)) if !rest.is_empty() => {
            s.first() == Some(&rest[0]) && glob(&rest[1..], &s[1..])
        }
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

/// The context directory's ignore file: `.containerignore`, else
/// `.dockerignore`.
fn ignore_of(dir: &Path) -> io::Result<Ignore> {
    for name in [".containerignore", ".dockerignore"] {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(text) => return Ok(Ignore::parse(&text)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(Ignore(Vec::new()))
}

/// The context as a tar archive and the `dockerfile` names to send:
/// Containerfiles inside `dir` by their relative path (always sent, even
/// when ignored), others added as `.rpod-containerfile-N`; URLs as they
/// are.
pub(crate) fn pack(dir: &Path, containerfiles: &[PathBuf]) -> io::Result<(Vec<u8>, Vec<String>)> {
    let ignore = ignore_of(dir)?;
    let mut tar = tar::Builder::new(Vec::new());
    tar.follow_symlinks(false);
    let mut names = Vec::new();
    let mut extra: Vec<(PathBuf, String)> = Vec::new();
    let mut keep: Vec<PathBuf> = Vec::new();
    for (i, f) in containerfiles.iter().enumerate() {
        let s = f.to_string_lossy();
        if s.starts_with("http://") || s.starts_with("https://") {
            names.push(s.into_owned());
            continue;
        }
        match f.strip_prefix(dir) {
            Ok(rel) => {
                names.push(rel.to_string_lossy().into_owned());
                keep.push(rel.to_path_buf());
            }
            Err(_) => {
                let name = format!(".rpod-containerfile-{i}");
                names.push(name.clone());
                extra.push((f.clone(), name));
            }
        }
    }
    add_dir(&mut tar, dir, Path::new(""), &ignore, &keep)?;
    for (path, name) in extra {
        let mut file = std::fs::File::open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        tar.append_file(&name, &mut file)?;
    }
    Ok((tar.into_inner()?, names))
}

/// Adds `dir/rel`'s entries (sorted, for a stable archive).
fn add_dir(
    tar: &mut tar::Builder<Vec<u8>>,
    root: &Path,
    rel: &Path,
    ignore: &Ignore,
    keep: &[PathBuf],
) -> io::Result<()> {
    let full = root.join(rel);
    let mut entries: Vec<_> = std::fs::read_dir(&full)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", full.display())))?
        .collect::<io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let child = rel.join(e.file_name());
        let kept = keep.iter().any(|k| k == &child || k.starts_with(&child));
        let excluded = ignore.excludes(&child) && !kept;
        let kind = e.file_type()?;
        if kind.is_dir() {
            // An excluded directory may still hold an exception (`!dir/f`).
            if !excluded {
                tar.append_dir(&child, e.path())?;
            }
            add_dir(tar, root, &child, ignore, keep)?;
        } else if !excluded {
            tar.append_path_with_name(e.path(), &child)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_pattern_rules() {
        let i = Ignore::parse("# comment\n*.key\nbuild/\n!build/keep.txt\n**/*.tmp\n/abs\n");
        assert!(i.excludes(Path::new("secret.key")));
        assert!(!i.excludes(Path::new("sub/secret.key")));
        assert!(i.excludes(Path::new("build/out.o")));
        assert!(!i.excludes(Path::new("build/keep.txt")));
        assert!(i.excludes(Path::new("a/b/c.tmp")));
        assert!(i.excludes(Path::new("x.tmp")));
        assert!(i.excludes(Path::new("abs/f")));
        assert!(!i.excludes(Path::new("kept.txt")));
    }

    #[test]
    fn pack_honours_the_ignore_file_and_adds_outside_containerfiles() {
        let d = tempfile::tempdir().unwrap();
        let ctx = d.path().join("ctx");
        std::fs::create_dir_all(ctx.join("build")).unwrap();
        std::fs::write(ctx.join(".containerignore"), "*.key\nbuild\n!build/keep\n").unwrap();
        std::fs::write(ctx.join("a.key"), "x").unwrap();
        std::fs::write(ctx.join("f"), "x").unwrap();
        std::fs::write(ctx.join("build/drop"), "x").unwrap();
        std::fs::write(ctx.join("build/keep"), "x").unwrap();
        std::fs::write(ctx.join("Containerfile"), "FROM x").unwrap();
        let outside = d.path().join("Other");
        std::fs::write(&outside, "FROM y").unwrap();
        let (data, names) = pack(&ctx, &[ctx.join("Containerfile"), outside]).unwrap();
        assert_eq!(names, vec!["Containerfile", ".rpod-containerfile-1"]);
        let mut a = tar::Archive::new(&data[..]);
        let listed: Vec<String> = a
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        for want in ["f", "Containerfile", "build/keep", ".rpod-containerfile-1"] {
            assert!(listed.iter().any(|l| l == want), "{want} in {listed:?}");
        }
        for gone in ["a.key", "build/drop"] {
            assert!(!listed.iter().any(|l| l == gone), "{gone} in {listed:?}");
        }
    }
}
