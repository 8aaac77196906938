//! The images a Containerfile builds on: the `FROM` images and the
//! `COPY --from` / `RUN --mount=from=` images that are not stages, with
//! `ARG`s declared before the first `FROM` expanded. rpod hands those it has
//! to Buildah before the build, so no registry is asked for them.

use std::collections::HashMap;

/// The logical lines of a Containerfile: continuation lines joined,
/// comments and blank lines dropped.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for raw in text.lines() {
        let line = raw.trim();
        if current.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
            continue;
        }
        if !line.starts_with('#') {
            current.push_str(line);
        }
        out.push(std::mem::take(&mut current));
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

/// `$NAME`, `${NAME}` and `${NAME:-default}` expanded from `args`.
fn expand(word: &str, args: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let braced = chars.peek() == Some(&'{');
        if braced {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&n) = chars.peek() {
            if braced && n == '}' {
                chars.next();
                break;
            }
            if !(braced || n.is_ascii_alphanumeric() || n == '_') {
                break;
            }
            name.push(n);
            chars.next();
        }
        let (name, default) = match name.split_once(":-") {
            Some((n, d)) => (n.to_string(), Some(d.to_string())),
            None => (name, None),
        };
        match args.get(&name).filter(|v| !v.is_empty()) {
            Some(v) => out.push_str(v),
            None => out.push_str(&default.unwrap_or_default()),
        }
    }
    out
}

/// The external images `text` names, in order, without duplicates.
/// `build_args` are the `--build-arg` values; `from` replaces the first
/// stage's image (`--from`).
pub(crate) fn base_images(
    text: &str,
    build_args: &HashMap<String, String>,
    from: Option<&str>,
) -> Vec<String> {
    let mut args: HashMap<String, String> = HashMap::new();
    let mut stages: Vec<String> = Vec::new();
    let mut images: Vec<String> = Vec::new();
    let mut seen_from = false;
    let push = |images: &mut Vec<String>, stages: &[String], name: String| {
        let lower = name.to_ascii_lowercase();
        if name.is_empty()
            || lower == "scratch"
            || stages.contains(&lower)
            || name.parse::<usize>().is_ok()
            || images.contains(&name)
        {
            return;
        }
        images.push(name);
    };
    for line in logical_lines(text) {
        let mut words = line.split_whitespace();
        let Some(instruction) = words.next() else {
            continue;
        };
        let rest: Vec<&str> = words.collect();
        match instruction.to_ascii_uppercase().as_str() {
            "ARG" if !seen_from => {
                for decl in &rest {
                    let (k, v) = decl.split_once('=').unwrap_or((decl, ""));
                    let v = build_args
                        .get(k)
                        .cloned()
                        .unwrap_or_else(|| v.trim_matches('"').to_string());
                    args.insert(k.to_string(), v);
                }
            }
            "FROM" => {
                let mut positional = rest.iter().filter(|w| !w.starts_with("--"));
                let image = positional.next().map(|w| expand(w, &args));
                let image = match (seen_from, from) {
                    (false, Some(f)) => Some(f.to_string()),
                    _ => image,
                };
                seen_from = true;
                if let Some(image) = image {
                    push(&mut images, &stages, image);
                }
                if let (Some(kw), Some(name)) = (positional.next(), positional.next()) {
                    if kw.eq_ignore_ascii_case("as") {
                        stages.push(name.to_ascii_lowercase());
                    }
                }
            }
            "COPY" | "ADD" | "RUN" => {
                for w in rest.iter().take_while(|w| w.starts_with("--")) {
                    let from = w.strip_prefix("--from=").map(str::to_string).or_else(|| {
                        w.strip_prefix("--mount=").and_then(|m| {
                            m.split(',')
                                .find_map(|kv| kv.strip_prefix("from="))
                                .map(str::to_string)
                        })
                    });
                    if let Some(f) = from {
                        push(&mut images, &stages, expand(&f, &args));
                    }
                }
            }
            _ => {}
        }
    }
    images
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bases(text: &str, args: &[(&str, &str)]) -> Vec<String> {
        let args = args
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        base_images(text, &args, None)
    }

    #[test]
    fn stages_and_scratch_are_not_images() {
        let text = "# comment\nFROM busybox AS build\nRUN echo \\\n  hi\nFROM scratch\n\
                    COPY --from=build /a /a\nCOPY --from=0 /b /b\nCOPY --from=alpine:3 /c /c\n";
        assert_eq!(bases(text, &[]), vec!["busybox", "alpine:3"]);
    }

    #[test]
    fn args_before_from_are_expanded() {
        let text = "ARG BASE=busybox\nARG TAG\nFROM ${BASE}:${TAG:-latest}\nFROM --platform=linux/amd64 $BASE\n";
        assert_eq!(bases(text, &[]), vec!["busybox:latest", "busybox"]);
        assert_eq!(bases(text, &[("TAG", "1")]), vec!["busybox:1", "busybox"]);
        assert_eq!(
            bases(text, &[("BASE", "other")]),
            vec!["other:latest", "other"]
        );
    }

    #[test]
    fn from_flag_replaces_first_image() {
        let args = HashMap::new();
        let text = "FROM a\nFROM b\n";
        assert_eq!(base_images(text, &args, Some("c")), vec!["c", "b"]);
    }

    #[test]
    fn run_mount_from_is_an_image() {
        let text = "FROM a AS s\nRUN --mount=type=bind,from=s,target=/x --mount=type=bind,from=img,target=/y true\n";
        assert_eq!(bases(text, &[]), vec!["a", "img"]);
    }
}
