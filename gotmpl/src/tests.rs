//! End-to-end tests of `--format` rendering: templates, tables, JSON, errors.

use super::*;
use serde_json::json;

fn ps_headers() -> HeaderMap {
    HeaderMap::new("ps")
        .with_all(&[
            ("ID", "container id"),
            ("CreatedHuman", "created"),
            ("RunningFor", "running for"),
            ("PodName", "podname"),
        ])
        .row_type("containers.psReporter")
}

fn rows() -> Vec<Value> {
    vec![
        json!({
            "ID": "c061a0839e3f", "Names": "web", "Image": "docker.io/library/nginx:latest",
            "Status": "Up 2 minutes", "State": "running", "ExitCode": 0, "Pid": 4242,
            "Labels": {"app": "web", "tier": "front"}, "Ports": [], "Mounts": ["/data", "/logs"],
            "Size": null, "Config": {"Image": "nginx", "Env": ["A=1"]}
        }),
        json!({
            "ID": "f10fc2e11057", "Names": "db-primary", "Image": "docker.io/library/postgres:16",
            "Status": "Exited (1) 3 seconds ago", "State": "exited", "ExitCode": 1, "Pid": 0,
            "Labels": {}, "Ports": [], "Mounts": [],
            "Size": null, "Config": {"Image": "postgres", "Env": []}
        }),
    ]
}

fn r(format: &str) -> String {
    render_rows(format, &rows(), &ps_headers()).unwrap()
}

fn one(format: &str, data: Value) -> Result<String, FormatError> {
    render_rows(format, &[data], &HeaderMap::new("t"))
}

fn err(format: &str) -> String {
    render_rows(format, &rows(), &ps_headers())
        .unwrap_err()
        .to_string()
}

#[test]
fn plain_fields_one_line_per_row() {
    assert_eq!(
        r("{{.ID}} {{.Names}}"),
        "c061a0839e3f web\nf10fc2e11057 db-primary\n"
    );
    assert_eq!(
        r("{{.ID}}\\t{{.Pid}}"),
        "c061a0839e3f\t4242\nf10fc2e11057\t0\n"
    );
    assert_eq!(r("{{.Config.Image}}"), "nginx\npostgres\n");
    assert_eq!(r("{{.}}").lines().count(), 2);
}

#[test]
fn missing_map_key_and_nulls() {
    assert_eq!(r("{{.Labels.app}}"), "web\n<no value>\n");
    assert_eq!(r("{{index .Labels \"tier\"}}|"), "front|\n|\n");
    assert_eq!(r("{{.Size}}"), "<nil>\n<nil>\n");
    assert_eq!(r("{{.Labels}}"), "map[app:web tier:front]\nmap[]\n");
    assert_eq!(r("{{.Mounts}}"), "[/data /logs]\n[]\n");
}

#[test]
fn bad_struct_field_is_an_error() {
    assert_eq!(
        err("{{.Label \"x\"}}"),
        "template: ps:1:13: executing \"ps\" at <.Label>: can't evaluate field Label in type containers.psReporter"
    );
    assert_eq!(
        err("{{.Config.Nope}}"),
        "template: ps:1:13: executing \"ps\" at <.Config.Nope>: can't evaluate field Nope in type struct"
    );
    assert_eq!(
        err("{{.Names.First}}"),
        "template: ps:1:13: executing \"ps\" at <.Names.First>: can't evaluate field First in type string"
    );
}

#[test]
fn range_if_with_and_variables() {
    assert_eq!(
        r("{{range .Mounts}}[{{.}}]{{else}}none{{end}}"),
        "[/data][/logs]\nnone\n"
    );
    assert_eq!(
        r("{{range $i, $m := .Mounts}}{{$i}}={{$m}} {{end}}"),
        "0=/data 1=/logs \n\n"
    );
    assert_eq!(
        r("{{range $k, $v := .Labels}}{{$k}}:{{$v}};{{end}}"),
        "app:web;tier:front;\n\n"
    );
    assert_eq!(
        r("{{if eq .State \"running\"}}up{{else if eq .ExitCode 1}}failed{{else}}other{{end}}"),
        "up\nfailed\n"
    );
    assert_eq!(r("{{with .Config}}{{.Image}}{{end}}"), "nginx\npostgres\n");
    assert_eq!(r("{{with .Labels.app}}{{.}}{{else}}-{{end}}"), "web\n-\n");
    assert_eq!(
        r("{{$n := .Names}}{{range .Mounts}}{{$n}}:{{.}} {{end}}"),
        "web:/data web:/logs \n\n"
    );
    assert_eq!(
        r("{{range .Mounts}}{{if eq . \"/logs\"}}{{break}}{{end}}{{.}}{{end}}"),
        "/data\n\n"
    );
    assert_eq!(
        r("{{range .Mounts}}{{if eq . \"/data\"}}{{continue}}{{end}}{{.}}{{end}}"),
        "/logs\n\n"
    );
    assert_eq!(one("{{range 3}}{{.}}{{end}}", json!({})).unwrap(), "012\n");
    assert_eq!(r("{{len $}}"), "2\n2\n");
    assert_eq!(
        one("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", json!({})).unwrap(),
        "2\n"
    );
}

#[test]
fn functions() {
    assert_eq!(r("{{len .Mounts}} {{len .Names}}"), "2 3\n0 10\n");
    assert_eq!(
        r("{{upper .Names}} {{.Names | lower}}"),
        "WEB web\nDB-PRIMARY db-primary\n"
    );
    assert_eq!(r("{{join .Mounts \",\"}}"), "/data,/logs\n\n");
    let first = &rows()[..1];
    let out = render_rows(
        "{{index .Mounts 1}}{{index .Labels \"app\" | printf \"|%s\"}}",
        first,
        &ps_headers(),
    );
    assert_eq!(out.unwrap(), "/logs|web\n");
    assert_eq!(
        err("{{index .Mounts 1}}"),
        "template: ps:1:13: executing \"ps\" at <index .Mounts 1>: error calling index: index out of range: 1"
    );
    assert_eq!(
        err("{{index .Config \"Image\"}}"),
        "template: ps:1:13: executing \"ps\" at <index .Config \"Image...>: error calling index: can't index item of type struct"
    );
    assert_eq!(
        r("{{printf \"%s %d\" .Names .Pid}}"),
        "web 4242\ndb-primary 0\n"
    );
    assert_eq!(
        r("{{printf \"%-12s|\" .Names}}"),
        "web         |\ndb-primary  |\n"
    );
    assert_eq!(
        r("{{json .Labels}}"),
        "{\"app\":\"web\",\"tier\":\"front\"}\n{}\n"
    );
    assert_eq!(
        r("{{json .Config}}"),
        "{\"Image\":\"nginx\",\"Env\":[\"A=1\"]}\n{\"Image\":\"postgres\",\"Env\":[]}\n"
    );
    assert_eq!(
        r("{{truncate .ID 4}} {{title .State}}"),
        "c061 Running\nf10f Exited\n"
    );
    assert_eq!(
        r("{{split .Image \":\"}}"),
        "[docker.io/library/nginx latest]\n[docker.io/library/postgres 16]\n"
    );
    assert_eq!(r("{{index (split .Image \":\") 1}}"), "latest\n16\n");
    assert_eq!(r("{{pad .Names 1 1}}|"), " web |\n db-primary |\n");
    assert_eq!(
        r("{{and .Pid .Names}} {{or .Pid \"none\"}} {{not .Pid}}"),
        "web 4242 false\n0 none true\n"
    );
    assert_eq!(r("{{slice .ID 0 3}}"), "c06\nf10\n");
    assert_eq!(
        r("{{print .Pid .ExitCode}} {{println \"x\"}}"),
        "4242 0 x\n\n0 1 x\n\n"
    );
    assert_eq!(
        r("{{if and (gt .Pid 100) (lt .ExitCode 1)}}big{{end}}"),
        "big\n\n"
    );
    let out = render_rows(
        "{{(index .Config.Env 0)}}|{{(.Config).Image}}",
        first,
        &ps_headers(),
    );
    assert_eq!(out.unwrap(), "A=1|nginx\n");
}

#[test]
fn literals() {
    let d = json!({});
    assert_eq!(
        one(
            "{{\"a\\tb\"}}|{{`raw\\t`}}|{{1.5}}|{{1e3}}|{{0x10}}|{{'a'}}|{{true}}",
            d.clone()
        )
        .unwrap(),
        "a\tb|raw\t|1.5|1000|16|97|true\n"
    );
    // Podman's normalization replaces a literal \t everywhere, even in raw strings.
    assert_eq!(
        one("{{nil}}", d).unwrap_err().to_string(),
        "template: t:1:13: executing \"t\" at <nil>: nil is not a command"
    );
}

#[test]
fn trim_markers_and_comments() {
    assert_eq!(
        r("{{- .Names -}} \n {{/* a comment */}}!"),
        "web!\ndb-primary!\n"
    );
    assert_eq!(r("a  {{- /* c */ -}}  b"), "ab\nab\n");
}

#[test]
fn table_with_headers_aligned() {
    assert_eq!(
        r("table {{.ID}}\\t{{.Names}}\\t{{.Status}}"),
        "CONTAINER ID  NAMES       STATUS\n\
         c061a0839e3f  web         Up 2 minutes\n\
         f10fc2e11057  db-primary  Exited (1) 3 seconds ago\n"
    );
    // Spaces are column breaks in table mode, like Podman's tableReplacer.
    assert_eq!(
        r("table {{.ID}} {{.Image}} {{.Names | upper}}")
            .lines()
            .collect::<Vec<_>>(),
        vec![
            "CONTAINER ID  IMAGE                           NAMES",
            "c061a0839e3f  docker.io/library/nginx:latest  WEB",
            "f10fc2e11057  docker.io/library/postgres:16   DB-PRIMARY",
        ]
    );
    let no_head = render(
        Origin::User,
        "table {{.Names}}",
        &rows(),
        &ps_headers(),
        true,
    )
    .unwrap();
    assert_eq!(no_head, "web\ndb-primary\n");
    // Empty list: only the header.
    assert_eq!(
        render_rows("table {{.ID}} {{.Names}}", &[], &ps_headers()).unwrap(),
        "CONTAINER ID  NAMES\n"
    );
}

#[test]
fn podman_default_format() {
    let out = render(
        Origin::Podman,
        "{{range .}}{{.ID}}\t{{.Names}}\n{{end -}}",
        &rows(),
        &ps_headers(),
        false,
    )
    .unwrap();
    assert_eq!(
        out,
        "CONTAINER ID  NAMES\nc061a0839e3f  web\nf10fc2e11057  db-primary\n"
    );
}

#[test]
fn user_range_is_not_wrapped() {
    assert_eq!(r("{{range .}}{{.Names}},{{end}}"), "web,db-primary,\n");
    assert_eq!(r("{{range .}}{{printf \"\\n\"}}{{end -}}"), "\n\n");
}

#[test]
fn json_output() {
    assert!(is_json("json"));
    assert!(is_json(" {{json.}} "));
    assert!(is_json("{{ json }}"));
    // Podman's report.IsJSON: with a space before the dot it is a template.
    assert!(!is_json("{{json .}}"));
    assert!(!is_json("{{ json . }}"));
    assert!(!is_json("{{json .ID}}"));
    let out = render_rows("json", &rows()[..1], &HeaderMap::new("images")).unwrap();
    assert!(
        out.starts_with("[\n    {\n        \"ID\": \"c061a0839e3f\",\n        \"Names\": \"web\","),
        "{out}"
    );
    assert!(out.ends_with("    }\n]\n"));
    let ps = render_rows(
        "{{json.}}",
        &rows()[..1],
        &HeaderMap::new("ps").json_style("  ", true),
    )
    .unwrap();
    assert!(ps.starts_with("[\n  {\n    \"ID\""), "{ps}");
    assert_eq!(
        json_pretty(&json!({"A": "<&>"})),
        "{\n    \"A\": \"\\u003c\\u0026\\u003e\"\n}"
    );
    assert_eq!(json_indent(&json!([]), "     ", false), "[]");
    assert_eq!(
        render_rows("json", &[], &HeaderMap::new("ps")).unwrap(),
        "[]\n"
    );
}

#[test]
fn parse_errors_are_go_like() {
    // Podman appends "\n{{end -}}" to the text, so an unclosed action hits the `{{`.
    assert_eq!(err("{{.ID"), "template: ps:1: bad character U+007B '{'");
    assert_eq!(
        err("{{.ID "),
        "template: ps:1: unrecognized character in action: U+007B '{'"
    );
    assert_eq!(
        err("{{nope .ID}}"),
        "template: ps:1: function \"nope\" not defined"
    );
    assert_eq!(err("{{if .ID}}x"), "template: ps:1: unexpected EOF");
    assert_eq!(err("{{end}}"), "template: ps:1: unexpected {{end}}");
    assert_eq!(
        err("{{.ID}}\n{{ }}"),
        "template: ps:2: missing value for command"
    );
}

#[test]
fn exec_errors_are_go_like() {
    assert_eq!(
        err("{{join .Names \",\"}}"),
        "template: ps:1:18: executing \"ps\" at <.Names>: wrong type for value; expected []string; got string"
    );
    assert_eq!(
        err("{{eq .Pid \"x\"}}"),
        "template: ps:1:13: executing \"ps\" at <eq .Pid \"x\">: error calling eq: incompatible types for comparison"
    );
    assert_eq!(
        err("{{upper .Pid}}"),
        "template: ps:1:19: executing \"ps\" at <.Pid>: wrong type for value; expected string; got int"
    );
    assert_eq!(
        err("{{len}}"),
        "template: ps:1:13: executing \"ps\" at <len>: wrong number of args for len: want 1 got 0"
    );
    assert_eq!(
        err("{{range .Names}}{{end}}"),
        "template: ps:1:19: executing \"ps\" at <{{range .Names}}>: range can't iterate over web"
    );
}

#[test]
fn normalize_like_podman() {
    assert_eq!(normalize_format("{{.ID}}\\t{{.ID}}"), "{{.ID}}\t{{.ID}}\n");
    assert_eq!(normalize_format("{{.ID}} {{.ID}}"), "{{.ID}} {{.ID}}\n");
    assert_eq!(
        normalize_format("table {{.ID}} {{.ID}}"),
        "{{.ID}}\t{{.ID}}\n"
    );
    assert_eq!(normalize_format("table {{.ID}}\\n"), "{{.ID}}\n");
    assert!(has_range_over_dot("{{range .}}x{{end}}"));
    assert!(has_range_over_dot("{{ range . }}x{{ end -}}"));
    assert!(!has_range_over_dot("{{range .Names}}x{{end}}"));
}
