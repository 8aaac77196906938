//! Typed errors for `--format` templates, worded like Go's text/template.

/// A template that could not be parsed or executed.
///
/// `Display` gives Go's wording (without the CLI's `Error: ` prefix), e.g.
/// `template: ps:1: function "foo" not defined` or
/// `template: ps:1:13: executing "ps" at <.Foo>: can't evaluate field Foo in type struct`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The template text is malformed (lexer or parser error).
    #[error("template: {name}:{line}: {msg}")]
    Parse {
        /// Template name (the command name, as Podman uses it).
        name: String,
        /// 1-based line of the offending token.
        line: usize,
        /// Go's message, e.g. `unclosed action`.
        msg: String,
    },
    /// The template failed while being evaluated against the data.
    #[error("template: {name}:{line}:{col}: executing \"{name}\" at <{context}>: {msg}")]
    Exec {
        /// Template name.
        name: String,
        /// 1-based line of the node being evaluated.
        line: usize,
        /// 0-based byte column of that node within its line (Go's convention).
        col: usize,
        /// The node's text, shortened to 20 bytes like Go does.
        context: String,
        /// Go's message, e.g. `can't evaluate field X in type T`.
        msg: String,
    },
}
