//! Typed template data: values seen as Go values (structs with Go field names and methods,
//! maps, slices, scalars), built from Rust report types through [`ToTemplate`].
//!
//! Podman evaluates `--format` templates over its Go structs, so `{{.Host.OCIRuntime.Name}}`
//! names Go fields while `--format json` prints the JSON keys (`host.ociRuntime.name`). A
//! [`GoStruct`] carries both: its Go fields for templates and its serde JSON for `json`.

use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, OnceLock};

/// A Go value as a template sees it.
#[derive(Clone, Debug)]
pub enum GoValue {
    /// A nil pointer, slice, map or interface: prints `<nil>`, JSON `null`.
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    /// A slice or array.
    List(Vec<GoValue>),
    /// A map with string keys (Go ranges and prints maps in key order).
    Map(BTreeMap<String, GoValue>),
    /// A struct with named fields, optional methods and its JSON form.
    Struct(Arc<GoStruct>),
    /// Untyped JSON: objects are classified as structs or maps by their keys.
    Json(Value),
}

/// Template methods of a Go type (Podman's `psReporter.Label(name string) string`, ...).
/// Methods are looked up before fields, as Go's text/template does.
pub trait GoMethods: Send + Sync {
    /// The number of string parameters of method `name`, or `None` if there is no such
    /// method.
    fn arity(&self, name: &str) -> Option<usize>;
    /// Calls method `name` with `args` (already checked against [`GoMethods::arity`]).
    fn call(&self, name: &str, args: &[&str]) -> Result<GoValue, String>;
}

/// Builds a struct's JSON form when it is first asked for.
type JsonFn = Box<dyn Fn() -> Value + Send + Sync>;

/// A struct's JSON form: given, or built on first use (most templates never
/// ask for it, and a list of many rows would build it for each).
enum JsonForm {
    Ready(Value),
    Lazy(OnceLock<Value>, JsonFn),
}

impl JsonForm {
    fn get(&self) -> &Value {
        match self {
            JsonForm::Ready(v) => v,
            JsonForm::Lazy(cell, make) => cell.get_or_init(make),
        }
    }
}

/// Builds a struct's `String()` text when it is first printed.
type TextFn = Box<dyn Fn() -> String + Send + Sync>;

/// What `fmt` prints for a struct with a `String()` method: given, or built
/// on first use.
enum Stringer {
    Ready(String),
    Lazy(OnceLock<String>, TextFn),
}

impl Stringer {
    fn get(&self) -> &str {
        match self {
            Stringer::Ready(t) => t,
            Stringer::Lazy(cell, make) => cell.get_or_init(make),
        }
    }
}

/// A Go struct value.
pub struct GoStruct {
    type_name: Cow<'static, str>,
    fields: Vec<(Cow<'static, str>, GoValue)>,
    /// Embedded structs shared with other values, each with the number of
    /// own fields before it (Go promotes their fields; they are looked up
    /// after this struct's own fields, as Go finds the shallowest first).
    shared: Vec<(usize, Arc<GoStruct>)>,
    json: JsonForm,
    stringer: Option<Stringer>,
    methods: Option<Arc<dyn GoMethods>>,
}

impl fmt::Debug for GoStruct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoStruct")
            .field("type_name", &self.type_name)
            .field("fields", &self.fields)
            .field("methods", &self.methods.is_some())
            .finish()
    }
}

impl GoStruct {
    /// A struct of Go type `type_name` (as Go prints it in errors, e.g. `*define.Info`)
    /// whose `json` rendering is `json` (its serde form, keys in declaration order).
    pub fn new(type_name: impl Into<Cow<'static, str>>, json: Value) -> GoStruct {
        GoStruct::with_json(type_name, JsonForm::Ready(json))
    }

    /// A struct whose JSON form `json` builds when it is first needed
    /// (`{{json .}}`, `--format json`), not when the value is made.
    pub fn lazy(
        type_name: impl Into<Cow<'static, str>>,
        json: impl Fn() -> Value + Send + Sync + 'static,
    ) -> GoStruct {
        GoStruct::with_json(type_name, JsonForm::Lazy(OnceLock::new(), Box::new(json)))
    }

    fn with_json(type_name: impl Into<Cow<'static, str>>, json: JsonForm) -> GoStruct {
        GoStruct {
            type_name: type_name.into(),
            fields: Vec::new(),
            shared: Vec::new(),
            json,
            stringer: None,
            methods: None,
        }
    }

    /// Adds a field (Go name) with its value.
    pub fn field(mut self, name: impl Into<Cow<'static, str>>, value: GoValue) -> GoStruct {
        self.fields.push((name.into(), value));
        self
    }

    /// Adds the fields of an embedded struct (Go promotes them to the outer struct).
    pub fn embed(mut self, inner: GoValue) -> GoStruct {
        if let GoValue::Struct(s) = inner {
            let at = self.fields.len();
            self.shared
                .extend(s.shared.iter().map(|(i, inner)| (at + i, inner.clone())));
            self.fields.extend(s.fields.iter().cloned());
            if self.methods.is_none() {
                self.methods = s.methods.clone();
            }
        }
        self
    }

    /// Embeds a struct shared with other values without copying its fields
    /// (many rows of one image share its summary): its fields are promoted
    /// as [`GoStruct::embed`] does, found after this struct's own.
    pub fn embed_shared(mut self, inner: &GoValue) -> GoStruct {
        if let GoValue::Struct(s) = inner {
            if self.methods.is_none() {
                self.methods = s.methods.clone();
            }
            self.shared.push((self.fields.len(), s.clone()));
        }
        self
    }

    /// Sets the template methods of this value.
    pub fn methods(mut self, methods: Arc<dyn GoMethods>) -> GoStruct {
        self.methods = Some(methods);
        self
    }

    /// What `fmt` prints for this value when its type has a `String()` method.
    pub fn stringer(mut self, text: impl Into<String>) -> GoStruct {
        self.stringer = Some(Stringer::Ready(text.into()));
        self
    }

    /// [`GoStruct::stringer`] made by `text` when first printed (a time in
    /// each row of a listing is formatted only if the template prints it).
    pub fn lazy_stringer(mut self, text: impl Fn() -> String + Send + Sync + 'static) -> GoStruct {
        self.stringer = Some(Stringer::Lazy(OnceLock::new(), Box::new(text)));
        self
    }

    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The JSON form (`{{json .X}}`, `--format json`).
    pub fn json(&self) -> &Value {
        self.json.get()
    }

    /// The field called `name`, if the struct has one.
    pub fn get(&self, name: &str) -> Option<&GoValue> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .or_else(|| self.shared.iter().find_map(|(_, s)| s.get(name)))
    }

    /// The fields in declaration order, those of embedded structs in place.
    pub fn fields(&self) -> Vec<(&str, &GoValue)> {
        let mut out = Vec::with_capacity(self.fields.len());
        let mut shared = self.shared.iter().peekable();
        for (i, (n, v)) in self.fields.iter().enumerate() {
            while let Some((_, inner)) = shared.next_if(|(at, _)| *at == i) {
                out.extend(inner.fields());
            }
            out.push((n.as_ref(), v));
        }
        for (_, inner) in shared {
            out.extend(inner.fields());
        }
        out
    }

    pub(crate) fn method(&self) -> Option<&Arc<dyn GoMethods>> {
        self.methods.as_ref()
    }

    pub(crate) fn stringer_text(&self) -> Option<&str> {
        self.stringer.as_ref().map(Stringer::get)
    }
}

impl GoValue {
    /// Wraps a struct.
    pub fn from_struct(s: GoStruct) -> GoValue {
        GoValue::Struct(Arc::new(s))
    }

    /// Whether no struct is reachable from this value (it can be seen as plain JSON).
    pub(crate) fn is_plain(&self) -> bool {
        match self {
            GoValue::Struct(_) => false,
            GoValue::List(l) => l.iter().all(GoValue::is_plain),
            GoValue::Map(m) => m.values().all(GoValue::is_plain),
            _ => true,
        }
    }

    /// The JSON form of this value (structs give their serde JSON).
    pub fn to_json(&self) -> Value {
        match self {
            GoValue::Nil => Value::Null,
            GoValue::Bool(b) => Value::Bool(*b),
            GoValue::Int(i) => Value::from(*i),
            GoValue::Uint(u) => Value::from(*u),
            GoValue::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            GoValue::Str(s) => Value::String(s.clone()),
            GoValue::List(l) => Value::Array(l.iter().map(GoValue::to_json).collect()),
            GoValue::Map(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            GoValue::Struct(s) => s.json().clone(),
            GoValue::Json(v) => v.clone(),
        }
    }
}

/// Converts a Rust value into the value a Go template sees. Derive it for report types with
/// `#[derive(ToTemplate)]` (crate `gotmpl-derive`).
pub trait ToTemplate {
    fn to_template(&self) -> GoValue;
}

macro_rules! int_impl {
    ($($t:ty),*) => {$(
        impl ToTemplate for $t {
            fn to_template(&self) -> GoValue {
                GoValue::Int(i64::from(*self))
            }
        }
    )*};
}
int_impl!(i8, i16, i32, i64, u8, u16, u32);

macro_rules! uint_impl {
    ($($t:ty),*) => {$(
        impl ToTemplate for $t {
            fn to_template(&self) -> GoValue {
                GoValue::Uint(u64::try_from(*self).unwrap_or(u64::MAX))
            }
        }
    )*};
}
uint_impl!(u64, usize);

impl ToTemplate for isize {
    fn to_template(&self) -> GoValue {
        GoValue::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl ToTemplate for f64 {
    fn to_template(&self) -> GoValue {
        GoValue::Float(*self)
    }
}

impl ToTemplate for f32 {
    fn to_template(&self) -> GoValue {
        GoValue::Float(f64::from(*self))
    }
}

impl ToTemplate for bool {
    fn to_template(&self) -> GoValue {
        GoValue::Bool(*self)
    }
}

impl ToTemplate for String {
    fn to_template(&self) -> GoValue {
        GoValue::Str(self.clone())
    }
}

impl ToTemplate for str {
    fn to_template(&self) -> GoValue {
        GoValue::Str(self.to_string())
    }
}

impl ToTemplate for std::path::PathBuf {
    fn to_template(&self) -> GoValue {
        GoValue::Str(self.display().to_string())
    }
}

impl<T: ToTemplate + ?Sized> ToTemplate for &T {
    fn to_template(&self) -> GoValue {
        (**self).to_template()
    }
}

impl<T: ToTemplate + ?Sized> ToTemplate for Box<T> {
    fn to_template(&self) -> GoValue {
        (**self).to_template()
    }
}

impl<T: ToTemplate + ?Sized> ToTemplate for Arc<T> {
    fn to_template(&self) -> GoValue {
        (**self).to_template()
    }
}

/// `None` is Go's nil pointer (or nil slice/map).
impl<T: ToTemplate> ToTemplate for Option<T> {
    fn to_template(&self) -> GoValue {
        match self {
            Some(v) => v.to_template(),
            None => GoValue::Nil,
        }
    }
}

impl<T: ToTemplate> ToTemplate for Vec<T> {
    fn to_template(&self) -> GoValue {
        GoValue::List(self.iter().map(ToTemplate::to_template).collect())
    }
}

impl<T: ToTemplate> ToTemplate for [T] {
    fn to_template(&self) -> GoValue {
        GoValue::List(self.iter().map(ToTemplate::to_template).collect())
    }
}

impl<K: ToString, T: ToTemplate> ToTemplate for BTreeMap<K, T> {
    fn to_template(&self) -> GoValue {
        GoValue::Map(
            self.iter()
                .map(|(k, v)| (k.to_string(), v.to_template()))
                .collect(),
        )
    }
}

impl<K: ToString, T: ToTemplate, S> ToTemplate for HashMap<K, T, S> {
    fn to_template(&self) -> GoValue {
        GoValue::Map(
            self.iter()
                .map(|(k, v)| (k.to_string(), v.to_template()))
                .collect(),
        )
    }
}

impl ToTemplate for Value {
    fn to_template(&self) -> GoValue {
        GoValue::Json(self.clone())
    }
}

impl ToTemplate for GoValue {
    fn to_template(&self) -> GoValue {
        self.clone()
    }
}
