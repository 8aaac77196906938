//! Splitting and escaping of words as systemd does for `Exec*=` lines and
//! whitespace-separated lists (systemd's `extract_first_word` and
//! `cunescape`), with the flags Quadlet uses.

use thiserror::Error;

/// Why a value could not be split into words.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SplitError {
    #[error("unbalanced escape")]
    UnbalancedEscape,
    #[error("unbalanced quotes")]
    UnbalancedQuotes,
    #[error("unsupported escape char")]
    UnsupportedEscape,
}

/// How [`split`] treats quotes and backslashes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags {
    /// Accept unbalanced quotes and a trailing backslash.
    pub relax: bool,
    /// Decode C escapes (`\n`, `\x41`, `\u00e9`, `\101`, `\s`, ...).
    pub c_unescape: bool,
    /// Quotes group words and are removed.
    pub unquote: bool,
    /// A backslash is an ordinary character.
    pub retain_escape: bool,
}

/// `Exec=`-style arguments: relaxed, unquoted, C escapes decoded.
pub const ARGS: Flags = Flags {
    relax: true,
    c_unescape: true,
    unquote: true,
    retain_escape: false,
};

/// Whitespace lists (`AddDevice=a b`): unquoted, backslashes kept.
pub const STRV: Flags = Flags {
    relax: false,
    c_unescape: false,
    unquote: true,
    retain_escape: true,
};

const SEPARATORS: &[char] = &[' ', '\t', '\n', '\r'];

/// Splits `s` into words. An empty word (`""`) ends the list, as in systemd.
pub fn split(s: &str, flags: Flags) -> Result<Vec<String>, SplitError> {
    let chars: Vec<char> = s.chars().collect();
    let mut words = Vec::new();
    let mut pos = 0;
    while let Some((word, next)) = first_word(&chars, pos, flags)? {
        words.push(word);
        pos = next;
    }
    Ok(words)
}

/// One word starting at `pos`: the word and where the next one starts, or
/// `None` when no (non-empty) word is left.
fn first_word(
    chars: &[char],
    mut pos: usize,
    flags: Flags,
) -> Result<Option<(String, usize)>, SplitError> {
    while pos < chars.len() && SEPARATORS.contains(&chars[pos]) {
        pos += 1;
    }
    let mut out = String::new();
    let mut quote: Option<char> = None;
    while pos < chars.len() {
        let c = chars[pos];
        if let Some(q) = quote {
            if c == q {
                quote = None;
                if !flags.unquote {
                    out.push(c);
                }
                pos += 1;
            } else if c == '\\' && !flags.retain_escape {
                pos = unescape_at(chars, pos + 1, flags, &mut out)?;
            } else {
                out.push(c);
                pos += 1;
            }
            continue;
        }
        if (c == '\'' || c == '"') && flags.unquote {
            quote = Some(c);
            pos += 1;
        } else if c == '\\' && !flags.retain_escape {
            pos = unescape_at(chars, pos + 1, flags, &mut out)?;
        } else if SEPARATORS.contains(&c) {
            while pos < chars.len() && SEPARATORS.contains(&chars[pos]) {
                pos += 1;
            }
            return Ok(word_or_end(out, pos));
        } else {
            out.push(c);
            pos += 1;
        }
    }
    if quote.is_some() && !flags.relax {
        return Err(SplitError::UnbalancedQuotes);
    }
    Ok(word_or_end(out, chars.len()))
}

fn word_or_end(word: String, next: usize) -> Option<(String, usize)> {
    (!word.is_empty()).then_some((word, next))
}

/// Handles the character(s) after a backslash at `pos`; returns the position
/// after them.
fn unescape_at(
    chars: &[char],
    pos: usize,
    flags: Flags,
    out: &mut String,
) -> Result<usize, SplitError> {
    let Some(&c) = chars.get(pos) else {
        return if flags.relax {
            Ok(pos)
        } else {
            Err(SplitError::UnbalancedEscape)
        };
    };
    if !flags.c_unescape {
        out.push(c);
        return Ok(pos + 1);
    }
    let (len, decoded) = c_unescape_one(&chars[pos..]).ok_or(SplitError::UnsupportedEscape)?;
    out.push(decoded);
    Ok(pos + len)
}

fn hex_value(chars: &[char], n: usize) -> Option<u32> {
    if chars.len() < n {
        return None;
    }
    chars[..n]
        .iter()
        .try_fold(0u32, |acc, c| Some(acc * 16 + c.to_digit(16)?))
}

/// Decodes one C escape (without its backslash): its length and character.
fn c_unescape_one(p: &[char]) -> Option<(usize, char)> {
    let simple = match p.first()? {
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        'f' => Some('\x0c'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\x0b'),
        '\\' => Some('\\'),
        '"' => Some('"'),
        '\'' => Some('\''),
        's' => Some(' '),
        _ => None,
    };
    if let Some(c) = simple {
        return Some((1, c));
    }
    let (len, code) = match p[0] {
        'x' => (3, hex_value(&p[1..], 2)?),
        'u' => (5, hex_value(&p[1..], 4)?),
        'U' => (9, hex_value(&p[1..], 8)?),
        '0'..='7' => {
            if p.len() < 3 {
                return None;
            }
            let v = p[..3]
                .iter()
                .try_fold(0u32, |acc, c| Some(acc * 8 + c.to_digit(8)?))?;
            if v > 255 {
                return None;
            }
            (3, v)
        }
        _ => return None,
    };
    if code == 0 {
        return None;
    }
    Some((len, char::from_u32(code)?))
}

fn char_needs_escape(c: char) -> bool {
    if (c as u32) > 128 {
        return false;
    }
    c.is_whitespace() || c.is_control() || c == '"' || c == '\'' || c == '\\'
}

/// Whether `word` must be quoted in a unit file.
pub fn word_needs_escape(word: &str) -> bool {
    word.chars().any(char_needs_escape)
}

/// `word` in double quotes with systemd escapes.
pub fn quote_word(word: &str) -> String {
    let mut out = String::from("\"");
    for c in word.chars() {
        if !char_needs_escape(c) {
            out.push(c);
            continue;
        }
        match c {
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            '\\' => out.push_str("\\\\"),
            ' ' => out.push_str("\\x20"),
            '"' => out.push_str("\\\""),
            '\'' => out.push('\''),
            other => out.push_str(&format!("\\x{:02x}", other as u32)),
        }
    }
    out.push('"');
    out
}

/// A command line as a unit file value: words joined by spaces, quoted
/// where needed.
pub fn escape_words<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|w| {
            let w = w.as_ref();
            if word_needs_escape(w) {
                quote_word(w)
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quotes_and_escapes() {
        assert_eq!(
            split(r#"a "b c" 'd e' f\x20g"#, ARGS).unwrap(),
            vec!["a", "b c", "d e", "f g"]
        );
        assert_eq!(split("  x   y ", ARGS).unwrap(), vec!["x", "y"]);
        assert_eq!(split(r"a\qb", ARGS), Err(SplitError::UnsupportedEscape));
        assert_eq!(split(r"a\nb", STRV).unwrap(), vec![r"a\nb"]);
        assert_eq!(
            split(r#""unterminated"#, STRV),
            Err(SplitError::UnbalancedQuotes)
        );
        // An empty word ends the list, as systemd's extract_first_word does.
        assert_eq!(split(r#"a "" b"#, ARGS).unwrap(), vec!["a"]);
    }

    #[test]
    fn escapes_round_trip() {
        let words = ["/usr/bin/rpod", "run", "a b", "x\"y", "tab\there", "it's"];
        let line = escape_words(&words);
        assert_eq!(
            line,
            r#"/usr/bin/rpod run "a\x20b" "x\"y" "tab\there" "it's""#
        );
        assert_eq!(split(&line, ARGS).unwrap(), words);
    }
}
