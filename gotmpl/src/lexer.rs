//! Tokenizer for Go text/template syntax (`{{ }}` delimiters, trim markers, comments).

/// Kind of a lexed token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// Plain text outside actions (already trimmed by `{{-` / `-}}`).
    Text(String),
    LeftDelim,
    RightDelim,
    /// Run of spaces inside an action (separates operands).
    Space,
    /// Function name.
    Ident(String),
    /// `.Name` (one link of a field chain, without the dot).
    Field(String),
    Dot,
    /// `$` or `$name` (with the `$`).
    Variable(String),
    Declare,
    Assign,
    Pipe,
    LParen,
    RParen,
    Comma,
    /// Quoted string: `raw` keeps the source text, `value` the unquoted contents.
    Str {
        raw: String,
        value: String,
    },
    Number(String),
    CharConst(String),
    Bool(bool),
    Nil,
    Keyword(Keyword),
    Eof,
}

/// Reserved words of the template language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    If,
    Else,
    End,
    Range,
    With,
    Break,
    Continue,
    Define,
    Template,
    Block,
}

impl Keyword {
    fn from_word(w: &str) -> Option<Keyword> {
        Some(match w {
            "if" => Keyword::If,
            "else" => Keyword::Else,
            "end" => Keyword::End,
            "range" => Keyword::Range,
            "with" => Keyword::With,
            "break" => Keyword::Break,
            "continue" => Keyword::Continue,
            "define" => Keyword::Define,
            "template" => Keyword::Template,
            "block" => Keyword::Block,
            _ => return None,
        })
    }

    pub(crate) fn word(self) -> &'static str {
        match self {
            Keyword::If => "if",
            Keyword::Else => "else",
            Keyword::End => "end",
            Keyword::Range => "range",
            Keyword::With => "with",
            Keyword::Break => "break",
            Keyword::Continue => "continue",
            Keyword::Define => "define",
            Keyword::Template => "template",
            Keyword::Block => "block",
        }
    }
}

/// A token with its byte offset and 1-based line in the template text.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    pub pos: usize,
    pub line: usize,
}

impl Token {
    /// Go's `item.String()`, used in "unexpected X in Y" messages.
    pub(crate) fn describe(&self) -> String {
        let quoted = |s: &str| {
            if s.chars().count() > 10 {
                let head: String = s.chars().take(10).collect();
                format!("{}...", go_quote(&head))
            } else {
                go_quote(s)
            }
        };
        match &self.tok {
            Tok::Eof => "EOF".to_string(),
            Tok::Keyword(k) => format!("<{}>", k.word()),
            Tok::Text(s) => quoted(s),
            Tok::LeftDelim => quoted("{{"),
            Tok::RightDelim => quoted("}}"),
            Tok::Space => quoted(" "),
            Tok::Ident(s) => quoted(s),
            Tok::Field(s) => quoted(&format!(".{s}")),
            Tok::Dot => "<.>".to_string(),
            Tok::Variable(s) => quoted(s),
            Tok::Declare => quoted(":="),
            Tok::Assign => quoted("="),
            Tok::Pipe => quoted("|"),
            Tok::LParen => quoted("("),
            Tok::RParen => quoted(")"),
            Tok::Comma => quoted(","),
            Tok::Str { raw, .. } => quoted(raw),
            Tok::Number(s) | Tok::CharConst(s) => quoted(s),
            Tok::Bool(b) => quoted(if *b { "true" } else { "false" }),
            Tok::Nil => "<nil>".to_string(),
        }
    }
}

/// Go's `%q` for a string: double-quoted with Go escapes.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A lexer failure: message and the line where it happened.
#[derive(Debug)]
pub(crate) struct LexError {
    pub msg: String,
    pub line: usize,
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Tokenizes a whole template.
pub(crate) fn lex(input: &str) -> Result<Vec<Token>, LexError> {
    let mut lx = Lexer {
        input,
        pos: 0,
        line: 1,
        tokens: Vec::new(),
        paren_depth: 0,
        trim_next_text: false,
    };
    lx.run()?;
    Ok(lx.tokens)
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    line: usize,
    tokens: Vec<Token>,
    paren_depth: usize,
    trim_next_text: bool,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.input[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn emit(&mut self, tok: Tok, pos: usize, line: usize) {
        self.tokens.push(Token { tok, pos, line });
    }

    fn err<T>(&self, msg: impl Into<String>) -> Result<T, LexError> {
        Err(LexError {
            msg: msg.into(),
            line: self.line,
        })
    }

    /// Advances over `n` bytes, counting newlines.
    fn advance(&mut self, n: usize) {
        self.line += self.input[self.pos..self.pos + n].matches('\n').count();
        self.pos += n;
    }

    fn run(&mut self) -> Result<(), LexError> {
        loop {
            // Text up to the next left delimiter.
            let start = self.pos;
            let start_line = self.line;
            let end = self.rest().find(LEFT).map(|i| self.pos + i);
            let text_end = end.unwrap_or(self.input.len());
            let mut text = &self.input[start..text_end];
            if self.trim_next_text {
                text = text.trim_start_matches(is_space);
                self.trim_next_text = false;
            }
            let Some(delim) = end else {
                if !text.is_empty() {
                    self.emit(Tok::Text(text.to_string()), start, start_line);
                }
                self.advance(text_end - self.pos);
                self.emit(Tok::Eof, self.pos, self.line);
                return Ok(());
            };
            let after = &self.input[delim + LEFT.len()..];
            let left_trim = after.starts_with('-') && after[1..].starts_with(is_space);
            if left_trim {
                text = text.trim_end_matches(is_space);
            }
            if !text.is_empty() {
                self.emit(Tok::Text(text.to_string()), start, start_line);
            }
            self.advance(delim - self.pos);
            let delim_pos = self.pos;
            self.advance(LEFT.len() + if left_trim { 2 } else { 0 });
            if self.rest().starts_with("/*") {
                self.comment()?;
                continue;
            }
            self.emit(Tok::LeftDelim, delim_pos, self.line);
            self.paren_depth = 0;
            self.inside_action()?;
        }
    }

    /// Checks for a right delimiter (optionally with a trim marker) at the cursor.
    /// Returns (bytes to consume, trims following text).
    fn at_right_delim(&self) -> Option<(usize, bool)> {
        let rest = self.rest();
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            if is_space(c) && chars.as_str().starts_with("-}}") {
                return Some((c.len_utf8() + 1 + RIGHT.len(), true));
            }
        }
        if rest.starts_with(RIGHT) {
            return Some((RIGHT.len(), false));
        }
        None
    }

    fn comment(&mut self) -> Result<(), LexError> {
        let Some(end) = self.rest().find("*/") else {
            return self.err("unclosed comment");
        };
        self.advance(end + 2);
        match self.at_right_delim() {
            Some((n, trim)) => {
                self.advance(n);
                self.trim_next_text = trim;
                Ok(())
            }
            None => self.err("comment ends before closing delimiter"),
        }
    }

    fn inside_action(&mut self) -> Result<(), LexError> {
        loop {
            if let Some((n, trim)) = self.at_right_delim() {
                if self.paren_depth > 0 {
                    return self.err("unclosed left paren");
                }
                let (pos, line) = (self.pos, self.line);
                self.advance(n);
                self.emit(Tok::RightDelim, pos, line);
                self.trim_next_text = trim;
                return Ok(());
            }
            let Some(c) = self.peek() else {
                return self.err("unclosed action");
            };
            let (pos, line) = (self.pos, self.line);
            match c {
                c if is_space(c) => {
                    let n = self.rest().len() - self.rest().trim_start_matches(is_space).len();
                    // Stop before a " -}}" trim marker so it is seen as a delimiter.
                    let mut n = n;
                    let spaces = &self.rest()[..n];
                    if self.rest()[n..].starts_with("-}}") {
                        let last = spaces.chars().next_back().map_or(0, char::len_utf8);
                        n -= last;
                    }
                    if n > 0 {
                        self.advance(n);
                        self.emit(Tok::Space, pos, line);
                    }
                }
                '=' => {
                    self.advance(1);
                    self.emit(Tok::Assign, pos, line);
                }
                ':' => {
                    if !self.rest().starts_with(":=") {
                        return self.err("expected :=");
                    }
                    self.advance(2);
                    self.emit(Tok::Declare, pos, line);
                }
                '|' => {
                    self.advance(1);
                    self.emit(Tok::Pipe, pos, line);
                }
                '"' => self.quoted()?,
                '`' => self.raw_quoted()?,
                '\'' => self.char_const()?,
                '$' => {
                    self.advance(1);
                    let n = self.alnum_len();
                    let name = format!("${}", &self.rest()[..n]);
                    self.advance(n);
                    self.check_terminator()?;
                    self.emit(Tok::Variable(name), pos, line);
                }
                '.' => {
                    let next = self.rest()[1..].chars().next();
                    if next.is_some_and(|d| d.is_ascii_digit()) {
                        self.number()?;
                    } else {
                        self.advance(1);
                        let n = self.alnum_len();
                        if n == 0 {
                            self.emit(Tok::Dot, pos, line);
                        } else {
                            let name = self.rest()[..n].to_string();
                            self.advance(n);
                            self.check_terminator()?;
                            self.emit(Tok::Field(name), pos, line);
                        }
                    }
                }
                '+' | '-' | '0'..='9' => self.number()?,
                ',' => {
                    self.advance(1);
                    self.emit(Tok::Comma, pos, line);
                }
                '(' => {
                    self.advance(1);
                    self.paren_depth += 1;
                    self.emit(Tok::LParen, pos, line);
                }
                ')' => {
                    if self.paren_depth == 0 {
                        return self.err("unexpected right paren");
                    }
                    self.paren_depth -= 1;
                    self.advance(1);
                    self.emit(Tok::RParen, pos, line);
                }
                c if is_alnum(c) => {
                    let n = self.alnum_len();
                    let word = self.rest()[..n].to_string();
                    self.advance(n);
                    self.check_terminator()?;
                    let tok = match word.as_str() {
                        "true" => Tok::Bool(true),
                        "false" => Tok::Bool(false),
                        "nil" => Tok::Nil,
                        w => match Keyword::from_word(w) {
                            Some(k) => Tok::Keyword(k),
                            None => Tok::Ident(word),
                        },
                    };
                    self.emit(tok, pos, line);
                }
                c => {
                    return self.err(format!(
                        "unrecognized character in action: U+{:04X} '{c}'",
                        c as u32
                    ));
                }
            }
        }
    }

    fn alnum_len(&self) -> usize {
        let rest = self.rest();
        rest.len() - rest.trim_start_matches(is_alnum).len()
    }

    /// After a word, the next character must end the operand.
    fn check_terminator(&self) -> Result<(), LexError> {
        if self.at_right_delim().is_some() {
            return Ok(());
        }
        match self.peek() {
            None => Ok(()),
            Some(c) if is_space(c) || matches!(c, '.' | ',' | '|' | ':' | ')' | '(') => Ok(()),
            Some(c) => self.err(format!("bad character U+{:04X} '{c}'", c as u32)),
        }
    }

    fn number(&mut self) -> Result<(), LexError> {
        let (pos, line) = (self.pos, self.line);
        let bytes = self.input.as_bytes();
        let mut i = self.pos;
        let accept = |i: &mut usize, set: &str| -> bool {
            if *i < bytes.len() && set.as_bytes().contains(&bytes[*i]) {
                *i += 1;
                true
            } else {
                false
            }
        };
        let accept_run = |i: &mut usize, set: &str| {
            while *i < bytes.len() && set.as_bytes().contains(&bytes[*i]) {
                *i += 1;
            }
        };
        accept(&mut i, "+-");
        let mut digits = "0123456789_";
        if accept(&mut i, "0") {
            if accept(&mut i, "xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if accept(&mut i, "oO") {
                digits = "01234567_";
            } else if accept(&mut i, "bB") {
                digits = "01_";
            }
        }
        accept_run(&mut i, digits);
        if accept(&mut i, ".") {
            accept_run(&mut i, digits);
        }
        if digits.len() == 11 && accept(&mut i, "eE") {
            accept(&mut i, "+-");
            accept_run(&mut i, "0123456789_");
        }
        if digits.len() == 23 && accept(&mut i, "pP") {
            accept(&mut i, "+-");
            accept_run(&mut i, "0123456789_");
        }
        accept(&mut i, "i");
        let text = &self.input[self.pos..i];
        let next = self.input[i..].chars().next();
        if next.is_some_and(is_alnum) {
            let bad_end = i + next.map_or(0, char::len_utf8);
            return self.err(format!(
                "bad number syntax: {}",
                go_quote(&self.input[self.pos..bad_end])
            ));
        }
        let text = text.to_string();
        self.advance(i - self.pos);
        self.emit(Tok::Number(text), pos, line);
        Ok(())
    }

    fn quoted(&mut self) -> Result<(), LexError> {
        let (pos, line) = (self.pos, self.line);
        let rest = self.rest();
        let mut escaped = false;
        let mut end = None;
        for (i, c) in rest.char_indices().skip(1) {
            if escaped {
                if c == '\n' {
                    break;
                }
                escaped = false;
                continue;
            }
            match c {
                '\\' => escaped = true,
                '\n' => break,
                '"' => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            return self.err("unterminated quoted string");
        };
        let raw = rest[..=end].to_string();
        let value = unquote(&raw[1..raw.len() - 1], '"').map_err(|msg| LexError { msg, line })?;
        self.advance(end + 1);
        self.emit(Tok::Str { raw, value }, pos, line);
        Ok(())
    }

    fn raw_quoted(&mut self) -> Result<(), LexError> {
        let (pos, line) = (self.pos, self.line);
        let Some(end) = self.rest()[1..].find('`') else {
            return self.err("unterminated raw quoted string");
        };
        let raw = self.rest()[..end + 2].to_string();
        let value = raw[1..raw.len() - 1].replace('\r', "");
        self.advance(end + 2);
        self.emit(Tok::Str { raw, value }, pos, line);
        Ok(())
    }

    fn char_const(&mut self) -> Result<(), LexError> {
        let (pos, line) = (self.pos, self.line);
        let rest = self.rest();
        let mut escaped = false;
        let mut end = None;
        for (i, c) in rest.char_indices().skip(1) {
            if escaped {
                escaped = false;
                continue;
            }
            match c {
                '\\' => escaped = true,
                '\n' => break,
                '\'' => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            return self.err("unterminated character constant");
        };
        let text = rest[..=end].to_string();
        self.advance(end + 1);
        self.emit(Tok::CharConst(text), pos, line);
        Ok(())
    }
}

/// Go's `strconv.Unquote` body for a `"`- or `'`-quoted literal (quotes stripped).
pub(crate) fn unquote(body: &str, quote: char) -> Result<String, String> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    let bad = || "invalid syntax".to_string();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().ok_or_else(bad)?;
        let mut hex = |n: usize| -> Result<u32, String> {
            let mut v = 0u32;
            for _ in 0..n {
                let d = chars.next().and_then(|d| d.to_digit(16)).ok_or_else(bad)?;
                v = v * 16 + d;
            }
            Ok(v)
        };
        match e {
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '\\' => out.push('\\'),
            '"' if quote == '"' => out.push('"'),
            '\'' if quote == '\'' => out.push('\''),
            'x' => {
                let v = hex(2)?;
                // A \x escape is a byte; only ASCII bytes form a valid string here.
                out.push(char::from_u32(v).filter(|_| v < 0x80).ok_or_else(bad)?);
            }
            'u' => out.push(char::from_u32(hex(4)?).ok_or_else(bad)?),
            'U' => out.push(char::from_u32(hex(8)?).ok_or_else(bad)?),
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    let d = chars.next().and_then(|d| d.to_digit(8)).ok_or_else(bad)?;
                    v = v * 8 + d;
                }
                out.push(char::from_u32(v).filter(|_| v < 0x80).ok_or_else(bad)?);
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn text_and_fields() {
        assert_eq!(
            toks("a {{.B.C}} d"),
            vec![
                Tok::Text("a ".into()),
                Tok::LeftDelim,
                Tok::Field("B".into()),
                Tok::Field("C".into()),
                Tok::RightDelim,
                Tok::Text(" d".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn trim_markers() {
        assert_eq!(
            toks("a  \n{{- .X -}}\n  b"),
            vec![
                Tok::Text("a".into()),
                Tok::LeftDelim,
                Tok::Field("X".into()),
                Tok::RightDelim,
                Tok::Text("b".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn comments_are_dropped() {
        assert_eq!(toks("x{{/* hi */}}y").len(), 3);
        assert_eq!(lex("{{/* hi").unwrap_err().msg, "unclosed comment");
        assert_eq!(
            lex("{{/* hi */ .X}}").unwrap_err().msg,
            "comment ends before closing delimiter"
        );
    }

    #[test]
    fn strings_numbers_errors() {
        let t = toks(r#"{{printf "a\tb" `r\n` 3.5 -2 'x'}}"#);
        assert!(t.contains(&Tok::Str {
            raw: r#""a\tb""#.into(),
            value: "a\tb".into()
        }));
        assert!(t.contains(&Tok::Str {
            raw: "`r\\n`".into(),
            value: "r\\n".into()
        }));
        assert!(t.contains(&Tok::Number("3.5".into())));
        assert!(t.contains(&Tok::Number("-2".into())));
        assert!(t.contains(&Tok::CharConst("'x'".into())));
        assert_eq!(lex("{{.X").unwrap_err().msg, "unclosed action");
        assert_eq!(
            lex("{{\"abc}}").unwrap_err().msg,
            "unterminated quoted string"
        );
        assert_eq!(lex("{{(.X}}").unwrap_err().msg, "unclosed left paren");
        assert_eq!(lex("{{.X)}}").unwrap_err().msg, "unexpected right paren");
        assert_eq!(lex("{{3x}}").unwrap_err().msg, "bad number syntax: \"3x\"");
    }
}
