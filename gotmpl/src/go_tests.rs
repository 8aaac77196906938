//! Typed values: Go field names, methods with arguments, Go's errors.

use super::*;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

struct Row {
    labels: BTreeMap<String, String>,
}

impl GoMethods for Row {
    fn arity(&self, name: &str) -> Option<usize> {
        match name {
            "Label" => Some(1),
            "Names" => Some(0),
            _ => None,
        }
    }

    fn call(&self, name: &str, args: &[&str]) -> Result<GoValue, String> {
        Ok(match name {
            "Label" => GoValue::Str(self.labels.get(args[0]).cloned().unwrap_or_default()),
            _ => GoValue::Str("joined".into()),
        })
    }
}

fn row() -> GoValue {
    let labels: BTreeMap<String, String> = [("k".to_string(), "v".to_string())].into();
    let inner = GoStruct::new("types.Inner", json!({"name": "in"}))
        .field("Name", GoValue::Str("in".into()));
    let s = GoStruct::new("main.psReporter", json!({"Id": "abc", "Names": ["n"]}))
        .field("ID", GoValue::Str("abc".into()))
        .field("Names", GoValue::List(vec![GoValue::Str("n".into())]))
        .field("Labels", labels.to_template())
        .field("Inner", GoValue::from_struct(inner))
        .field(
            "Nets",
            GoValue::Map(
                [(
                    "a".to_string(),
                    GoValue::from_struct(
                        GoStruct::new("types.Net", json!({}))
                            .field("IP", GoValue::Str("1.2.3.4".into())),
                    ),
                )]
                .into(),
            ),
        )
        .methods(Arc::new(Row { labels }));
    GoValue::from_struct(s)
}

fn run(f: &str) -> Result<String, FormatError> {
    render_typed(Origin::User, f, &[row()], &HeaderMap::new("ps"), false)
}

#[test]
fn fields_and_methods() {
    assert_eq!(
        run("{{.ID}} {{.Label \"k\"}} {{.Names}}").unwrap(),
        "abc v joined\n"
    );
    assert_eq!(run("{{.Label \"nope\"}}|").unwrap(), "|\n");
    assert_eq!(run("{{.Inner.Name}} {{.Inner}}").unwrap(), "in {in}\n");
    assert_eq!(run("{{range .Nets}}{{.IP}}{{end}}").unwrap(), "1.2.3.4\n");
    assert_eq!(run("{{(index .Nets \"a\").IP}}").unwrap(), "1.2.3.4\n");
    assert_eq!(run("{{\"k\" | .Label}}").unwrap(), "v\n");
    assert_eq!(run("{{json .Inner}}").unwrap(), "{\"name\":\"in\"}\n");
    assert_eq!(run("{{.Labels.k}}").unwrap(), "v\n");
}

#[test]
fn go_errors() {
    let e = run("{{.Nope}}").unwrap_err().to_string();
    assert!(
        e.contains("can't evaluate field Nope in type main.psReporter"),
        "{e}"
    );
    let e = run("{{.Label}}").unwrap_err().to_string();
    assert!(
        e.contains("wrong number of args for Label: want 1 got 0"),
        "{e}"
    );
    let e = run("{{.ID \"x\"}}").unwrap_err().to_string();
    assert!(
        e.contains("ID has arguments but cannot be invoked as function"),
        "{e}"
    );
}

#[test]
fn json_keeps_serde_keys_and_order() {
    let out = render_typed(
        Origin::User,
        "json",
        &[row()],
        &HeaderMap::new("ps").json_style("  ", true),
        false,
    )
    .unwrap();
    assert_eq!(
        out,
        "[\n  {\n    \"Id\": \"abc\",\n    \"Names\": [\n      \"n\"\n    ]\n  }\n]\n"
    );
}

#[test]
fn table_headers_from_go_names() {
    let out = render_typed(
        Origin::User,
        "table {{.ID}} {{.Names}}",
        &[row()],
        &HeaderMap::new("ps"),
        false,
    )
    .unwrap();
    assert_eq!(out, "ID          NAMES\nabc         joined\n");
}

/// A row embedding a shared struct reads as one embedding a copy: same
/// fields, same printing, same errors; the lazy JSON is built when asked.
#[test]
fn shared_embedding_and_lazy_json() {
    let inner = || {
        GoStruct::new("entities.ImageSummary", json!({"Id": "abc"}))
            .field("ID", GoValue::Str("abc".into()))
            .field("Names", GoValue::List(vec![GoValue::Str("n1".into())]))
    };
    let shared = GoValue::from_struct(inner());
    let built = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = built.clone();
    let with_shared = |tag: &str| {
        let counter = counter.clone();
        GoValue::from_struct(
            GoStruct::lazy("images.imageReporter", move || {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                json!({"repository": "r"})
            })
            .field("Tag", GoValue::Str(tag.into()))
            .embed_shared(&shared),
        )
    };
    let copied = GoValue::from_struct(
        GoStruct::new("images.imageReporter", json!({"repository": "r"}))
            .field("Tag", GoValue::Str("t".into()))
            .embed(GoValue::from_struct(inner())),
    );
    let render = |rows: &[GoValue], f: &str| {
        render_typed(Origin::User, f, rows, &HeaderMap::new("images"), false)
            .map_err(|e| e.to_string())
    };
    let rows = [with_shared("t"), with_shared("u")];
    for f in ["{{.Tag}} {{.ID}} {{.Names}}", "{{.}}", "{{.Nope}}"] {
        assert_eq!(
            render(&rows[..1], f),
            render(std::slice::from_ref(&copied), f),
            "{f}"
        );
    }
    assert_eq!(render(&rows, "{{.Tag}}").unwrap(), "t\nu\n");
    assert_eq!(built.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(
        render(&rows, "{{json .}}").unwrap(),
        "{\"repository\":\"r\"}\n{\"repository\":\"r\"}\n"
    );
    assert_eq!(built.load(std::sync::atomic::Ordering::SeqCst), 2);
}
