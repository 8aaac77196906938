//! Printing an error with its causes, as Podman prints wrapped Go errors
//! (`opening rpod's state: creating /x: Too many open files`).
//!
//! Many error types here already put their source's text in their own
//! message (`"{op} {path}: {source}"`) and also expose it as `source()`;
//! a cause whose text is already part of what was printed is skipped, so
//! nothing appears twice.

use std::error::Error;

/// `e`'s message followed by each cause not already included, joined with
/// `": "`.
pub fn display_chain(e: &(dyn Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        append_cause(&mut out, &c.to_string());
        cause = c.source();
    }
    out
}

/// Appends `msg` to `out` as a further cause unless `out` already says it.
pub fn append_cause(out: &mut String, msg: &str) {
    if !msg.is_empty() && !out.contains(msg) {
        out.push_str(": ");
        out.push_str(msg);
    }
}

/// Go-style lower-case reason of an I/O error ("no such file or directory").
pub fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    let s = s.split(" (os error").next().unwrap_or(&s).to_owned();
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("opening rpod's state")]
    struct Outer(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error("creating /x: {0}")]
    struct Middle(#[source] std::io::Error);

    #[test]
    fn io_reasons_read_as_go_prints_them() {
        let e = std::io::Error::from_raw_os_error(2);
        assert_eq!(io_reason(&e), "no such file or directory");
    }

    #[test]
    fn causes_are_appended_once() {
        let io = std::io::Error::from_raw_os_error(24); // EMFILE
        let e = Outer(Middle(io));
        assert_eq!(
            display_chain(&e),
            "opening rpod's state: creating /x: Too many open files (os error 24)"
        );
    }
}
