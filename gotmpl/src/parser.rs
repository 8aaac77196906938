//! Parser for the Go text/template subset: builds the node tree the executor walks.

use super::funcs;
use super::lexer::{self, Keyword, Tok, Token};

/// Source position of a node: byte offset and 1-based line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub offset: usize,
    pub line: usize,
}

/// A literal number, typed the way Go's parser types constants.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Number {
    pub text: String,
    /// Set when the constant is an integer (including integral floats like `1e3`).
    pub int: Option<i64>,
    pub float: Option<f64>,
}

/// One operand of a command.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    /// `.` itself.
    Dot(Pos),
    /// `.A.B` relative to dot.
    Field(Pos, Vec<String>),
    /// `$x.A.B` (fields may be empty).
    Variable(Pos, String, Vec<String>),
    /// `(pipeline).A.B`.
    Chain(Pos, Box<Arg>, Vec<String>),
    /// Function name.
    Ident(Pos, String),
    /// Parenthesized pipeline.
    Pipe(Box<Pipeline>),
    Str(Pos, String, String),
    Number(Pos, Number),
    Bool(Pos, bool),
    Nil(Pos),
}

impl Arg {
    pub(crate) fn pos(&self) -> Pos {
        match self {
            Arg::Dot(p)
            | Arg::Field(p, _)
            | Arg::Variable(p, _, _)
            | Arg::Chain(p, _, _)
            | Arg::Ident(p, _)
            | Arg::Str(p, _, _)
            | Arg::Number(p, _)
            | Arg::Bool(p, _)
            | Arg::Nil(p) => *p,
            Arg::Pipe(p) => p.pos,
        }
    }
}

fn fields_str(fields: &[String]) -> String {
    fields.iter().map(|f| format!(".{f}")).collect()
}

impl std::fmt::Display for Arg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Arg::Dot(_) => write!(f, "."),
            Arg::Field(_, fs) => write!(f, "{}", fields_str(fs)),
            Arg::Variable(_, v, fs) => write!(f, "{v}{}", fields_str(fs)),
            Arg::Chain(_, a, fs) => match a.as_ref() {
                Arg::Pipe(p) => write!(f, "({p}){}", fields_str(fs)),
                other => write!(f, "{other}{}", fields_str(fs)),
            },
            Arg::Ident(_, n) => write!(f, "{n}"),
            Arg::Pipe(p) => write!(f, "{p}"),
            Arg::Str(_, raw, _) => write!(f, "{raw}"),
            Arg::Number(_, n) => write!(f, "{}", n.text),
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Nil(_) => write!(f, "nil"),
        }
    }
}

/// A command: operands separated by spaces (first may be a function name).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Command {
    pub pos: Pos,
    pub args: Vec<Arg>,
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                write!(f, " ")?;
            }
            match a {
                Arg::Pipe(p) => write!(f, "({p})")?,
                a => write!(f, "{a}")?,
            }
        }
        Ok(())
    }
}

/// A pipeline: optional variable declarations, then commands joined by `|`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pipeline {
    pub pos: Pos,
    pub decl: Vec<String>,
    pub is_assign: bool,
    pub cmds: Vec<Command>,
}

impl std::fmt::Display for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.decl.is_empty() {
            write!(f, "{}", self.decl.join(", "))?;
            write!(f, "{}", if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                write!(f, " | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// Kind of a control structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    If,
    Range,
    With,
}

/// A template node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Text(String),
    Action(Pipeline),
    Control {
        kind: Control,
        pipe: Pipeline,
        list: Vec<Node>,
        else_list: Option<Vec<Node>>,
    },
    Break(Pos),
    Continue(Pos),
}

/// A parse failure: message and line.
#[derive(Debug)]
pub(crate) struct ParseError {
    pub msg: String,
    pub line: usize,
}

impl From<lexer::LexError> for ParseError {
    fn from(e: lexer::LexError) -> Self {
        ParseError {
            msg: e.msg,
            line: e.line,
        }
    }
}

/// Parses template text into a node list.
pub(crate) fn parse(text: &str) -> Result<Vec<Node>, ParseError> {
    let tokens = lexer::lex(text)?;
    let mut p = Parser {
        tokens,
        i: 0,
        vars: vec!["$".to_string()],
        range_depth: 0,
    };
    let mut root = Vec::new();
    while !matches!(p.peek().tok, Tok::Eof) {
        match p.text_or_action()? {
            Item::Node(n) => root.push(n),
            Item::End => return p.fail("unexpected {{end}}"),
            Item::Else(..) => return p.fail("unexpected {{else}}"),
        }
    }
    Ok(root)
}

enum Item {
    Node(Node),
    End,
    /// `{{else}}`; `Some` when it is `{{else if ...}}` / `{{else with ...}}`.
    Else(Option<Keyword>),
}

struct Parser {
    tokens: Vec<Token>,
    i: usize,
    vars: Vec<String>,
    range_depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.i.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.i < self.tokens.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn skip_space(&mut self) {
        while matches!(self.peek().tok, Tok::Space) {
            self.i += 1;
        }
    }

    fn peek_non_space(&mut self) -> Token {
        self.skip_space();
        self.peek().clone()
    }

    fn next_non_space(&mut self) -> Token {
        self.skip_space();
        self.next()
    }

    fn fail<T>(&self, msg: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            msg: msg.into(),
            line: self.peek().line,
        })
    }

    fn fail_at<T>(&self, t: &Token, msg: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            msg: msg.into(),
            line: t.line,
        })
    }

    fn unexpected<T>(&self, t: &Token, context: &str) -> Result<T, ParseError> {
        self.fail_at(t, format!("unexpected {} in {context}", t.describe()))
    }

    fn pos(t: &Token) -> Pos {
        Pos {
            offset: t.pos,
            line: t.line,
        }
    }

    fn text_or_action(&mut self) -> Result<Item, ParseError> {
        let t = self.next_non_space();
        match t.tok {
            Tok::Text(s) => Ok(Item::Node(Node::Text(s))),
            Tok::LeftDelim => self.action(),
            _ => self.unexpected(&t, "input"),
        }
    }

    fn action(&mut self) -> Result<Item, ParseError> {
        let t = self.next_non_space();
        match t.tok {
            Tok::Keyword(Keyword::If) => self.control(Control::If).map(Item::Node),
            Tok::Keyword(Keyword::Range) => self.control(Control::Range).map(Item::Node),
            Tok::Keyword(Keyword::With) => self.control(Control::With).map(Item::Node),
            Tok::Keyword(Keyword::End) => {
                self.expect_right("end")?;
                Ok(Item::End)
            }
            Tok::Keyword(Keyword::Else) => {
                let next = self.peek_non_space();
                match next.tok {
                    Tok::Keyword(k @ (Keyword::If | Keyword::With)) => {
                        self.next_non_space();
                        Ok(Item::Else(Some(k)))
                    }
                    _ => {
                        self.expect_right("else")?;
                        Ok(Item::Else(None))
                    }
                }
            }
            Tok::Keyword(k @ (Keyword::Break | Keyword::Continue)) => {
                let word = k.word();
                let n = self.next_non_space();
                if !matches!(n.tok, Tok::RightDelim) {
                    return self.unexpected(&n, &format!("{{{{{word}}}}}"));
                }
                if self.range_depth == 0 {
                    return self.fail_at(&t, format!("{{{{{word}}}}} outside {{{{range}}}}"));
                }
                Ok(Item::Node(if k == Keyword::Break {
                    Node::Break(Self::pos(&t))
                } else {
                    Node::Continue(Self::pos(&t))
                }))
            }
            Tok::Keyword(k @ (Keyword::Define | Keyword::Template | Keyword::Block)) => self
                .fail_at(
                    &t,
                    format!(
                        "{{{{{}}}}} is not supported in --format templates",
                        k.word()
                    ),
                ),
            _ => {
                self.i -= 1;
                let pipe = self.pipeline("command", true)?;
                Ok(Item::Node(Node::Action(pipe)))
            }
        }
    }

    fn expect_right(&mut self, context: &str) -> Result<(), ParseError> {
        let t = self.next_non_space();
        if matches!(t.tok, Tok::RightDelim) {
            Ok(())
        } else {
            self.unexpected(&t, context)
        }
    }

    /// Parses nodes until `{{end}}` or `{{else}}`.
    fn item_list(&mut self) -> Result<(Vec<Node>, Item), ParseError> {
        let mut list = Vec::new();
        loop {
            if matches!(self.peek_non_space().tok, Tok::Eof) {
                return self.fail("unexpected EOF");
            }
            match self.text_or_action()? {
                Item::Node(n) => list.push(n),
                other => return Ok((list, other)),
            }
        }
    }

    fn control(&mut self, kind: Control) -> Result<Node, ParseError> {
        let mark = self.vars.len();
        let context = match kind {
            Control::If => "if",
            Control::Range => "range",
            Control::With => "with",
        };
        let pipe = self.pipeline(context, true)?;
        if kind == Control::Range {
            self.range_depth += 1;
        }
        let body = self.item_list();
        if kind == Control::Range {
            self.range_depth -= 1;
        }
        let (list, next) = body?;
        let else_list = match next {
            Item::End => None,
            Item::Else(Some(k)) => {
                let nested_kind = if k == Keyword::If {
                    Control::If
                } else {
                    Control::With
                };
                if (kind == Control::If && k != Keyword::If)
                    || (kind == Control::With && k != Keyword::With)
                    || kind == Control::Range
                {
                    return self.fail(format!("unexpected <{}> in else", k.word()));
                }
                // `{{else if x}}...{{end}}` is `{{else}}{{if x}}...{{end}}{{end}}`.
                Some(vec![self.control(nested_kind)?])
            }
            Item::Else(None) => {
                let (else_list, next) = self.item_list()?;
                match next {
                    Item::End => Some(else_list),
                    _ => return self.fail("expected end; found {{else}}"),
                }
            }
            Item::Node(_) => None,
        };
        self.vars.truncate(mark);
        Ok(Node::Control {
            kind,
            pipe,
            list,
            else_list,
        })
    }

    /// Parses a pipeline ending at `}}` (`delim`) or `)`.
    fn pipeline(&mut self, context: &str, delim: bool) -> Result<Pipeline, ParseError> {
        let start = self.peek_non_space();
        let mut pipe = Pipeline {
            pos: Self::pos(&start),
            decl: Vec::new(),
            is_assign: false,
            cmds: Vec::new(),
        };
        // Declarations: `$x :=`, `$x =`, `$i, $e :=` (range only).
        loop {
            let v = self.peek_non_space();
            let Tok::Variable(name) = &v.tok else { break };
            let save = self.i;
            self.next();
            let n = self.peek_non_space();
            match n.tok {
                Tok::Declare | Tok::Assign => {
                    pipe.is_assign = matches!(n.tok, Tok::Assign);
                    self.next_non_space();
                    if pipe.is_assign && !self.vars.contains(name) {
                        return self
                            .fail_at(&v, format!("undefined variable {}", lexer::go_quote(name)));
                    }
                    pipe.decl.push(name.clone());
                    self.vars.push(name.clone());
                    break;
                }
                Tok::Comma => {
                    self.next_non_space();
                    pipe.decl.push(name.clone());
                    self.vars.push(name.clone());
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().tok {
                            Tok::Variable(_) | Tok::RightDelim | Tok::RParen => continue,
                            _ => return self.fail("range can only initialize variables"),
                        }
                    }
                    return self.fail(format!("too many declarations in {context}"));
                }
                _ => {
                    self.i = save;
                    break;
                }
            }
        }
        loop {
            let t = self.next_non_space();
            match t.tok {
                Tok::RightDelim if delim => break,
                Tok::RParen if !delim => break,
                Tok::Bool(_)
                | Tok::CharConst(_)
                | Tok::Dot
                | Tok::Field(_)
                | Tok::Ident(_)
                | Tok::Number(_)
                | Tok::Nil
                | Tok::Str { .. }
                | Tok::Variable(_)
                | Tok::LParen => {
                    self.i -= 1;
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return self.unexpected(&t, context),
            }
        }
        if pipe.cmds.is_empty() {
            return self.fail(format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args[0],
                Arg::Bool(..) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number(..) | Arg::Str(..)
            ) {
                return self.fail(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                ));
            }
        }
        Ok(pipe)
    }

    fn command(&mut self) -> Result<Command, ParseError> {
        let start = self.peek_non_space();
        let mut cmd = Command {
            pos: Self::pos(&start),
            args: Vec::new(),
        };
        loop {
            self.skip_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let t = self.next();
            match t.tok {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RParen => {
                    self.i -= 1;
                }
                Tok::Pipe => {}
                _ => return self.unexpected(&t, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.fail("empty command");
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> Result<Option<Arg>, ParseError> {
        let Some(term) = self.term()? else {
            return Ok(None);
        };
        if !matches!(self.peek().tok, Tok::Field(_)) {
            return Ok(Some(term));
        }
        let chain_pos = Self::pos(self.peek());
        let mut fields = Vec::new();
        while let Tok::Field(f) = &self.peek().tok {
            fields.push(f.clone());
            self.next();
        }
        Ok(Some(match term {
            Arg::Field(p, mut fs) => {
                fs.extend(fields);
                Arg::Field(p, fs)
            }
            Arg::Variable(p, v, mut fs) => {
                fs.extend(fields);
                Arg::Variable(p, v, fs)
            }
            t @ (Arg::Bool(..) | Arg::Str(..) | Arg::Number(..) | Arg::Nil(_) | Arg::Dot(_)) => {
                return self.fail(format!(
                    "unexpected . after term {}",
                    lexer::go_quote(&t.to_string())
                ));
            }
            t => Arg::Chain(chain_pos, Box::new(t), fields),
        }))
    }

    fn term(&mut self) -> Result<Option<Arg>, ParseError> {
        let t = self.next_non_space();
        let pos = Self::pos(&t);
        Ok(Some(match t.tok.clone() {
            Tok::Ident(name) => {
                if !funcs::exists(&name) {
                    return self.fail_at(
                        &t,
                        format!("function {} not defined", lexer::go_quote(&name)),
                    );
                }
                Arg::Ident(pos, name)
            }
            Tok::Dot => Arg::Dot(pos),
            Tok::Nil => Arg::Nil(pos),
            Tok::Variable(name) => {
                if !self.vars.contains(&name) {
                    return self
                        .fail_at(&t, format!("undefined variable {}", lexer::go_quote(&name)));
                }
                Arg::Variable(pos, name, Vec::new())
            }
            Tok::Field(f) => Arg::Field(pos, vec![f]),
            Tok::Bool(b) => Arg::Bool(pos, b),
            Tok::Number(text) => Arg::Number(pos, self.number(&t, &text)?),
            Tok::CharConst(text) => {
                let body = &text[1..text.len() - 1];
                let s =
                    lexer::unquote(body, '\'').map_err(|msg| ParseError { msg, line: t.line })?;
                let mut chars = s.chars();
                let (Some(c), None) = (chars.next(), chars.next()) else {
                    return self.fail_at(&t, format!("malformed character constant: {text}"));
                };
                Arg::Number(
                    pos,
                    Number {
                        text: text.clone(),
                        int: Some(i64::from(u32::from(c))),
                        float: Some(f64::from(u32::from(c))),
                    },
                )
            }
            Tok::LParen => Arg::Pipe(Box::new(self.pipeline("parenthesized pipeline", false)?)),
            Tok::Str { raw, value } => Arg::Str(pos, raw, value),
            _ => {
                self.i -= 1;
                return Ok(None);
            }
        }))
    }

    fn number(&self, t: &Token, text: &str) -> Result<Number, ParseError> {
        let bad = || ParseError {
            msg: format!("illegal number syntax: {}", lexer::go_quote(text)),
            line: t.line,
        };
        if text.ends_with('i') {
            return Err(ParseError {
                msg: format!("complex number {text} is not supported"),
                line: t.line,
            });
        }
        let clean = text.replace('_', "");
        let (neg, body) = match clean.strip_prefix('-') {
            Some(b) => (true, b.to_string()),
            None => (false, clean.trim_start_matches('+').to_string()),
        };
        let radix_int = |digits: &str, radix: u32| i64::from_str_radix(digits, radix).ok();
        let lower = body.to_ascii_lowercase();
        let int = if let Some(h) = lower.strip_prefix("0x") {
            if h.contains('.') || h.contains('p') {
                None
            } else {
                Some(radix_int(h, 16).ok_or_else(bad)?)
            }
        } else if let Some(o) = lower.strip_prefix("0o") {
            Some(radix_int(o, 8).ok_or_else(bad)?)
        } else if let Some(b) = lower.strip_prefix("0b") {
            Some(radix_int(b, 2).ok_or_else(bad)?)
        } else if lower.len() > 1
            && lower.starts_with('0')
            && lower.bytes().all(|b| b.is_ascii_digit())
        {
            Some(radix_int(&lower[1..], 8).ok_or_else(bad)?)
        } else if lower.bytes().all(|b| b.is_ascii_digit()) && !lower.is_empty() {
            Some(lower.parse::<i64>().map_err(|_| bad())?)
        } else {
            None
        };
        let int = int.map(|v| if neg { -v } else { v });
        let float = match int {
            Some(v) => Some(v as f64),
            None => {
                let f: f64 = body.parse().map_err(|_| bad())?;
                Some(if neg { -f } else { f })
            }
        };
        // Integral floats such as 1e3 are also integer constants, as in Go.
        let int = int.or_else(|| {
            float
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                .map(|f| f as i64)
        });
        Ok(Number {
            text: text.to_string(),
            int,
            float,
        })
    }
}

/// Collects every field name used in the template (for header rows).
pub(crate) fn field_names(nodes: &[Node], out: &mut Vec<String>) {
    fn arg(a: &Arg, out: &mut Vec<String>) {
        match a {
            Arg::Field(_, fs) | Arg::Variable(_, _, fs) => out.extend(fs.iter().cloned()),
            Arg::Chain(_, inner, fs) => {
                arg(inner, out);
                out.extend(fs.iter().cloned());
            }
            Arg::Pipe(p) => pipe(p, out),
            _ => {}
        }
    }
    fn pipe(p: &Pipeline, out: &mut Vec<String>) {
        for c in &p.cmds {
            for a in &c.args {
                arg(a, out);
            }
        }
    }
    for n in nodes {
        match n {
            Node::Action(p) => pipe(p, out),
            Node::Control {
                pipe: p,
                list,
                else_list,
                ..
            } => {
                pipe(p, out);
                field_names(list, out);
                if let Some(e) = else_list {
                    field_names(e, out);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        parse(s).unwrap_err().msg
    }

    #[test]
    fn parses_controls() {
        let n = parse("{{if .A}}a{{else if .B}}b{{else}}c{{end}}").unwrap();
        assert_eq!(n.len(), 1);
        let n = parse("{{range $i, $e := .X}}{{$i}}{{$e}}{{else}}none{{end}}").unwrap();
        let Node::Control { pipe, .. } = &n[0] else {
            panic!()
        };
        assert_eq!(pipe.decl, vec!["$i", "$e"]);
    }

    #[test]
    fn parse_errors() {
        assert_eq!(err("{{if .A}}x"), "unexpected EOF");
        assert_eq!(err("{{end}}"), "unexpected {{end}}");
        assert_eq!(err("{{foo .A}}"), "function \"foo\" not defined");
        assert_eq!(err("{{$x}}"), "undefined variable \"$x\"");
        assert_eq!(err("{{}}"), "missing value for command");
        assert_eq!(
            err("{{range .X}}{{end}}{{break}}"),
            "{{break}} outside {{range}}"
        );
        assert_eq!(
            err("{{.A | 3}}"),
            "non executable command in pipeline stage 2"
        );
        assert_eq!(err("{{\"a\".B}}"), "unexpected . after term \"\\\"a\\\"\"");
    }

    #[test]
    fn node_strings() {
        let n = parse(r#"{{join (split .A ",") "-" | upper}}"#).unwrap();
        let Node::Action(p) = &n[0] else { panic!() };
        assert_eq!(p.to_string(), r#"join (split .A ",") "-" | upper"#);
    }

    #[test]
    fn numbers() {
        let n = parse("{{1e3}}{{0x1F}}{{'a'}}{{1.5}}").unwrap();
        let nums: Vec<_> = n
            .iter()
            .map(|n| match n {
                Node::Action(p) => match &p.cmds[0].args[0] {
                    Arg::Number(_, num) => (num.int, num.float),
                    _ => panic!(),
                },
                _ => panic!(),
            })
            .collect();
        assert_eq!(
            nums,
            vec![
                (Some(1000), Some(1000.0)),
                (Some(31), Some(31.0)),
                (Some(97), Some(97.0)),
                (None, Some(1.5))
            ]
        );
    }
}
