//! Evaluates a parsed template over JSON data with Go text/template semantics.

use super::error::FormatError;
use super::funcs::{self, Param};
use super::go::GoStruct;
use super::parser::{Arg, Command, Control, Node, Number, Pipeline, Pos};
use super::value::{go_print, Key, Shape, Val};
use serde_json::Value;
use std::borrow::Cow;

type R<T> = Result<T, FormatError>;

/// What a walked list asks its enclosing range to do.
enum Flow {
    Normal,
    Break,
    Continue,
}

/// Template execution state.
pub(crate) struct Exec<'t> {
    name: &'t str,
    text: &'t str,
    row_type: &'t str,
    out: String,
}

/// Runs `nodes` (parsed from `text`) with `data` as dot and `$`.
pub(crate) fn execute<'a>(
    name: &str,
    text: &str,
    row_type: &str,
    nodes: &[Node],
    data: Val<'a>,
) -> R<String> {
    let mut ex = Exec {
        name,
        text,
        row_type,
        out: String::new(),
    };
    let mut vars = vec![("$".to_string(), data.clone())];
    ex.walk(&data, nodes, &mut vars)?;
    Ok(ex.out)
}

type Vars<'a> = Vec<(String, Val<'a>)>;

/// The command a field chain belongs to: its arguments become a method's arguments.
struct Call<'c, 'a> {
    dot: &'c Val<'a>,
    cmd: &'c Command,
    fin: Option<Val<'a>>,
}

impl Exec<'_> {
    fn error(&self, pos: Pos, context: &str, msg: impl Into<String>) -> FormatError {
        let before = &self.text[..pos.offset.min(self.text.len())];
        let col = match before.rfind('\n') {
            Some(nl) => pos.offset - nl - 1,
            None => pos.offset,
        };
        let context = if context.len() > 20 {
            let mut cut = 20;
            while !context.is_char_boundary(cut) {
                cut -= 1;
            }
            format!("{}...", &context[..cut])
        } else {
            context.to_string()
        };
        FormatError::Exec {
            name: self.name.to_string(),
            line: pos.line,
            col,
            context,
            msg: msg.into(),
        }
    }

    fn type_name(&self, v: &Val<'_>) -> String {
        match v {
            Val::Json(j, Shape::Row) if j.is_object() => self.row_type.to_string(),
            v => v.type_name(),
        }
    }

    fn walk<'a>(&mut self, dot: &Val<'a>, nodes: &[Node], vars: &mut Vars<'a>) -> R<Flow> {
        for node in nodes {
            match node {
                Node::Text(t) => self.out.push_str(t),
                Node::Action(pipe) => {
                    let v = self.eval_pipeline(dot, pipe, vars)?;
                    if pipe.decl.is_empty() {
                        self.out.push_str(&go_print(&v));
                    }
                }
                Node::Break(_) => return Ok(Flow::Break),
                Node::Continue(_) => return Ok(Flow::Continue),
                Node::Control {
                    kind,
                    pipe,
                    list,
                    else_list,
                } => {
                    let mark = vars.len();
                    let flow = match kind {
                        Control::If | Control::With => {
                            let v = self.eval_pipeline(dot, pipe, vars)?;
                            if v.truth() {
                                let inner = if *kind == Control::With {
                                    v
                                } else {
                                    dot.clone()
                                };
                                self.walk(&inner, list, vars)?
                            } else if let Some(e) = else_list {
                                self.walk(dot, e, vars)?
                            } else {
                                Flow::Normal
                            }
                        }
                        Control::Range => {
                            self.walk_range(dot, pipe, list, else_list.as_deref(), vars)?
                        }
                    };
                    vars.truncate(mark);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_range<'a>(
        &mut self,
        dot: &Val<'a>,
        pipe: &Pipeline,
        list: &[Node],
        else_list: Option<&[Node]>,
        vars: &mut Vars<'a>,
    ) -> R<Flow> {
        let v = self.eval_pipeline(dot, pipe, vars)?;
        let ctx = format!("{{{{range {pipe}}}}}");
        let items: Vec<(Val<'a>, Val<'a>)> = match &v {
            Val::Missing => Vec::new(),
            Val::List(l) => l
                .iter()
                .enumerate()
                .map(|(i, e)| (Val::int(i as i64), e.clone()))
                .collect(),
            Val::Map(m) => m
                .iter()
                .map(|(k, e)| (Val::str(k.as_str()), Val::from_go(e)))
                .collect(),
            Val::Struct(_) => {
                return Err(self.error(
                    pipe.pos,
                    &ctx,
                    format!("range can't iterate over {}", go_print(&v)),
                ));
            }
            Val::Json(j, shape) => match j.as_ref() {
                Value::Null => Vec::new(),
                Value::Array(a) => (0..a.len())
                    .filter_map(|i| v.child(Key::Idx(i)).map(|e| (Val::int(i as i64), e)))
                    .collect(),
                Value::Object(o) if *shape == Shape::Map => {
                    let mut keys: Vec<&String> = o.keys().collect();
                    keys.sort();
                    keys.into_iter()
                        .filter_map(|k| v.child(Key::Name(k)).map(|e| (Val::str(k.as_str()), e)))
                        .collect()
                }
                Value::Number(_) if v.as_int().is_some() => {
                    if pipe.decl.len() > 1 {
                        return Err(self.error(
                            pipe.pos,
                            &ctx,
                            format!(
                                "can't use {} to iterate over more than one variable",
                                go_print(&v)
                            ),
                        ));
                    }
                    (0..v.as_int().unwrap_or(0).max(0))
                        .map(|i| (Val::int(i), Val::int(i)))
                        .collect()
                }
                _ => {
                    return Err(self.error(
                        pipe.pos,
                        &ctx,
                        format!("range can't iterate over {}", go_print(&v)),
                    ));
                }
            },
        };
        if items.is_empty() {
            if let Some(e) = else_list {
                return self.walk(dot, e, vars);
            }
            return Ok(Flow::Normal);
        }
        let top = vars.len();
        for (index, elem) in items {
            match (pipe.decl.len(), pipe.is_assign) {
                (0, _) => {}
                (1, false) => vars[top - 1].1 = elem.clone(),
                (_, false) => {
                    vars[top - 1].1 = elem.clone();
                    vars[top - 2].1 = index;
                }
                (n, true) => {
                    if n > 1 {
                        set_var(vars, &pipe.decl[0], index);
                        set_var(vars, &pipe.decl[1], elem.clone());
                    } else {
                        set_var(vars, &pipe.decl[0], elem.clone());
                    }
                }
            }
            let flow = self.walk(&elem, list, vars)?;
            vars.truncate(top);
            if matches!(flow, Flow::Break) {
                break;
            }
        }
        Ok(Flow::Normal)
    }

    fn eval_pipeline<'a>(
        &mut self,
        dot: &Val<'a>,
        pipe: &Pipeline,
        vars: &mut Vars<'a>,
    ) -> R<Val<'a>> {
        let mut value: Option<Val<'a>> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value.take(), vars)?);
        }
        let value = value.unwrap_or(Val::Missing);
        for name in &pipe.decl {
            if pipe.is_assign {
                set_var(vars, name, value.clone());
            } else {
                vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, cmd: &Command, fin: &Option<Val<'_>>) -> R<()> {
        if cmd.args.len() > 1 || fin.is_some() {
            let a = &cmd.args[0];
            return Err(self.error(
                a.pos(),
                &a.to_string(),
                format!("can't give argument to non-function {a}"),
            ));
        }
        Ok(())
    }

    fn eval_command<'a>(
        &mut self,
        dot: &Val<'a>,
        cmd: &Command,
        fin: Option<Val<'a>>,
        vars: &mut Vars<'a>,
    ) -> R<Val<'a>> {
        let first = &cmd.args[0];
        match first {
            Arg::Field(_, fields) => {
                let call = Call { dot, cmd, fin };
                self.eval_field_chain(dot.clone(), first, fields, call, vars)
            }
            Arg::Chain(_, inner, fields) => {
                if matches!(inner.as_ref(), Arg::Nil(_)) {
                    return Err(self.error(
                        first.pos(),
                        &first.to_string(),
                        format!("indirection through explicit nil in {first}"),
                    ));
                }
                let recv = self.eval_arg(dot, inner, Param::Any, vars)?;
                let call = Call { dot, cmd, fin };
                self.eval_field_chain(recv, first, fields, call, vars)
            }
            Arg::Ident(_, name) => self.eval_function(dot, name, cmd, fin, vars),
            Arg::Pipe(p) => {
                self.not_a_function(cmd, &fin)?;
                self.eval_pipeline(dot, p, vars)
            }
            Arg::Variable(_, name, fields) => {
                let v = var_value(vars, name);
                if fields.is_empty() {
                    self.not_a_function(cmd, &fin)?;
                    return Ok(v);
                }
                let call = Call { dot, cmd, fin };
                self.eval_field_chain(v, first, fields, call, vars)
            }
            Arg::Nil(p) => Err(self.error(*p, "nil", "nil is not a command")),
            Arg::Dot(_) | Arg::Bool(..) | Arg::Number(..) | Arg::Str(..) => {
                self.not_a_function(cmd, &fin)?;
                Ok(match first {
                    Arg::Dot(_) => dot.clone(),
                    Arg::Bool(_, b) => Val::bool(*b),
                    Arg::Number(_, n) => ideal_constant(n),
                    Arg::Str(_, _, s) => Val::str(s.as_str()),
                    _ => Val::Missing,
                })
            }
        }
    }

    fn eval_field_chain<'a>(
        &mut self,
        mut recv: Val<'a>,
        node: &Arg,
        fields: &[String],
        call: Call<'_, 'a>,
        vars: &mut Vars<'a>,
    ) -> R<Val<'a>> {
        let has_args = call.cmd.args.len() > 1 || call.fin.is_some();
        let mut call = Some(call);
        for (i, f) in fields.iter().enumerate() {
            let last = i + 1 == fields.len();
            recv = if let Val::Struct(s) = &recv {
                let s = s.clone();
                let args = if last { call.take() } else { None };
                self.eval_struct_field(&s, f, node, args, vars)?
            } else {
                self.eval_field(recv, f, node, last && has_args)?
            };
        }
        Ok(recv)
    }

    /// A field or method of a typed struct: methods first (as Go's text/template), then
    /// fields; `call` holds the command's arguments when `field` is the chain's last.
    fn eval_struct_field<'a>(
        &mut self,
        s: &GoStruct,
        field: &str,
        node: &Arg,
        call: Option<Call<'_, 'a>>,
        vars: &mut Vars<'a>,
    ) -> R<Val<'a>> {
        let fail = |this: &Self, msg: String| Err(this.error(node.pos(), &node.to_string(), msg));
        let has_args = call
            .as_ref()
            .is_some_and(|c| c.cmd.args.len() > 1 || c.fin.is_some());
        if let Some(arity) = s.method().and_then(|m| m.arity(field)) {
            let mut args: Vec<Val<'a>> = Vec::new();
            if let Some(c) = call {
                let pos = c.cmd.pos;
                let ctx = c.cmd.to_string();
                for a in &c.cmd.args[1..] {
                    args.push(self.eval_arg(c.dot, a, Param::Str, vars)?);
                }
                if let Some(f) = c.fin {
                    args.push(self.validate(f, Param::Str, pos, &ctx)?);
                }
            }
            if args.len() != arity {
                return fail(
                    self,
                    format!(
                        "wrong number of args for {field}: want {arity} got {}",
                        args.len()
                    ),
                );
            }
            let strs: Vec<&str> = args.iter().map(|a| a.as_str().unwrap_or("")).collect();
            let methods = s.method().cloned();
            let out = methods
                .map(|m| m.call(field, &strs))
                .unwrap_or_else(|| Err("no such method".into()));
            return match out {
                Ok(v) => Ok(Val::from_go(&v)),
                Err(e) => fail(self, format!("error calling {field}: {e}")),
            };
        }
        match s.get(field) {
            Some(_) if has_args => fail(
                self,
                format!("{field} has arguments but cannot be invoked as function"),
            ),
            Some(v) => Ok(Val::from_go(v)),
            None => fail(
                self,
                format!("can't evaluate field {field} in type {}", s.type_name()),
            ),
        }
    }

    fn eval_field<'a>(&self, recv: Val<'a>, field: &str, node: &Arg, has_args: bool) -> R<Val<'a>> {
        let fail = |msg: String| Err(self.error(node.pos(), &node.to_string(), msg));
        match &recv {
            Val::Missing => Ok(Val::Missing),
            Val::Map(m) => {
                if has_args {
                    return fail(format!("{field} is not a method but has arguments"));
                }
                Ok(m.get(field).map_or(Val::Missing, Val::from_go))
            }
            Val::Json(j, shape) => match j.as_ref() {
                Value::Null => Ok(Val::Missing),
                Value::Object(o) if *shape == Shape::Map => {
                    let _ = o;
                    if has_args {
                        return fail(format!("{field} is not a method but has arguments"));
                    }
                    Ok(recv.child(Key::Name(field)).unwrap_or(Val::Missing))
                }
                Value::Object(o) if o.contains_key(field) => {
                    if has_args {
                        return fail(format!(
                            "{field} has arguments but cannot be invoked as function"
                        ));
                    }
                    Ok(recv.child(Key::Name(field)).unwrap_or(Val::Missing))
                }
                _ => fail(format!(
                    "can't evaluate field {field} in type {}",
                    self.type_name(&recv)
                )),
            },
            Val::List(_) | Val::Struct(_) => fail(format!(
                "can't evaluate field {field} in type {}",
                recv.type_name()
            )),
        }
    }

    fn eval_function<'a>(
        &mut self,
        dot: &Val<'a>,
        name: &str,
        cmd: &Command,
        fin: Option<Val<'a>>,
        vars: &mut Vars<'a>,
    ) -> R<Val<'a>> {
        let ctx = cmd.to_string();
        let Some(sig) = funcs::signature(name) else {
            return Err(self.error(cmd.pos, &ctx, format!("{name:?} is not a defined function")));
        };
        let args = &cmd.args[1..];
        let num_in = args.len() + usize::from(fin.is_some());
        let want = sig.fixed.len();
        if sig.variadic && num_in < want {
            return Err(self.error(
                cmd.pos,
                &ctx,
                format!("wrong number of args for {name}: want at least {want} got {num_in}"),
            ));
        }
        if !sig.variadic && num_in != want {
            return Err(self.error(
                cmd.pos,
                &ctx,
                format!("wrong number of args for {name}: want {want} got {num_in}"),
            ));
        }
        let param = |i: usize| sig.fixed.get(i).copied().unwrap_or(Param::Any);
        if name == "and" || name == "or" {
            let mut v = Val::Missing;
            for a in args {
                v = self.eval_arg(dot, a, Param::Any, vars)?;
                if v.truth() == (name == "or") {
                    return Ok(v);
                }
            }
            if let Some(f) = fin {
                v = f;
            }
            return Ok(v);
        }
        let mut vals = Vec::with_capacity(num_in);
        for (i, a) in args.iter().enumerate() {
            vals.push(self.eval_arg(dot, a, param(i), vars)?);
        }
        if let Some(f) = fin {
            let p = param(args.len());
            vals.push(self.validate(f, p, cmd.pos, &ctx)?);
        }
        funcs::call(name, vals)
            .map_err(|e| self.error(cmd.pos, &ctx, format!("error calling {name}: {e}")))
    }

    /// Go's `evalArg`: constants are checked against the parameter type, other operands are
    /// evaluated and then validated.
    fn eval_arg<'a>(
        &mut self,
        dot: &Val<'a>,
        arg: &Arg,
        param: Param,
        vars: &mut Vars<'a>,
    ) -> R<Val<'a>> {
        let ctx = arg.to_string();
        let pos = arg.pos();
        let found = |this: &Self, what: &str| {
            Err(this.error(pos, &ctx, format!("expected {what}; found {ctx}")))
        };
        match arg {
            Arg::Dot(_) => self.validate(dot.clone(), param, pos, &ctx),
            Arg::Nil(_) => match param {
                Param::Any | Param::StrList => Ok(Val::owned(Value::Null)),
                p => Err(self.error(pos, &ctx, format!("cannot assign nil to {}", p.go_name()))),
            },
            Arg::Field(..) | Arg::Variable(..) | Arg::Pipe(_) | Arg::Chain(..) => {
                let cmd = Command {
                    pos,
                    args: vec![arg.clone()],
                };
                let v = self.eval_command(dot, &cmd, None, vars)?;
                self.validate(v, param, pos, &ctx)
            }
            Arg::Ident(..) => {
                let cmd = Command {
                    pos,
                    args: vec![arg.clone()],
                };
                let v = self.eval_command(dot, &cmd, None, vars)?;
                self.validate(v, param, pos, &ctx)
            }
            Arg::Str(_, _, s) => match param {
                Param::Any | Param::Str => Ok(Val::str(s.as_str())),
                Param::Int => found(self, "integer"),
                Param::StrList => Err(self.error(
                    pos,
                    &ctx,
                    format!("can't handle {ctx} for arg of type []string"),
                )),
            },
            Arg::Number(_, n) => match param {
                Param::Any => Ok(ideal_constant(n)),
                Param::Int => match n.int {
                    Some(i) => Ok(Val::int(i)),
                    None => found(self, "integer"),
                },
                Param::Str => found(self, "string"),
                Param::StrList => Err(self.error(
                    pos,
                    &ctx,
                    format!("can't handle {ctx} for arg of type []string"),
                )),
            },
            Arg::Bool(_, b) => match param {
                Param::Any => Ok(Val::bool(*b)),
                Param::Str => found(self, "string"),
                Param::Int => found(self, "integer"),
                Param::StrList => Err(self.error(
                    pos,
                    &ctx,
                    format!("can't handle {ctx} for arg of type []string"),
                )),
            },
        }
    }

    /// Go's `validateType`: checks an evaluated value against a parameter type.
    fn validate<'a>(&self, v: Val<'a>, param: Param, pos: Pos, ctx: &str) -> R<Val<'a>> {
        let wrong = |v: &Val<'_>| {
            Err(self.error(
                pos,
                ctx,
                format!(
                    "wrong type for value; expected {}; got {}",
                    param.go_name(),
                    self.type_name(v)
                ),
            ))
        };
        match param {
            Param::Any => Ok(v),
            Param::Str => match &v {
                Val::Missing => Err(self.error(pos, ctx, "invalid value; expected string")),
                v if v.as_str().is_some() => Ok(v.clone()),
                v => wrong(v),
            },
            Param::Int => match &v {
                Val::Missing => Err(self.error(pos, ctx, "invalid value; expected int")),
                v if v.as_int().is_some() => Ok(v.clone()),
                v => wrong(v),
            },
            Param::StrList => match &v {
                Val::Missing => Ok(Val::owned(Value::Array(Vec::new()))),
                Val::Json(j, _) if j.is_null() => Ok(Val::owned(Value::Array(Vec::new()))),
                v => match v.elements() {
                    Some(els) if els.iter().all(|e| e.as_str().is_some()) => Ok(v.clone()),
                    _ => wrong(v),
                },
            },
        }
    }
}

/// Go's `idealConstant`: a number literal without a type context.
fn ideal_constant<'a>(n: &Number) -> Val<'a> {
    let t = n.text.to_ascii_lowercase();
    let hex_int = t.trim_start_matches(['+', '-']).starts_with("0x") && !t.contains(['.', 'p']);
    let floaty = !hex_int && !t.starts_with('\'') && t.contains(['.', 'e', 'p']);
    match (floaty, n.int, n.float) {
        (false, Some(i), _) => Val::int(i),
        (_, _, Some(f)) => Val::float(f),
        (_, Some(i), None) => Val::int(i),
        _ => Val::Missing,
    }
}

fn var_value<'a>(vars: &Vars<'a>, name: &str) -> Val<'a> {
    vars.iter()
        .rev()
        .find(|(n, _)| n == name)
        .map_or(Val::Missing, |(_, v)| v.clone())
}

fn set_var<'a>(vars: &mut Vars<'a>, name: &str, v: Val<'a>) {
    if let Some(slot) = vars.iter_mut().rev().find(|(n, _)| n == name) {
        slot.1 = v;
    }
}

/// Wraps the caller's rows as the template's data: a list of struct-like rows.
pub(crate) fn rows_data(rows: &[Value]) -> Val<'_> {
    Val::List(
        rows.iter()
            .map(|r| match r {
                Value::Object(_) => Val::Json(Cow::Borrowed(r), Shape::Row),
                other => Val::borrowed(other, None),
            })
            .collect(),
    )
}
