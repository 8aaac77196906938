//! `image trust show/set` over a test's own policy file, enforced by pull
//! (`--signature-policy`).

mod common;

use common::world;

#[test]
fn trust_set_show_and_pull_enforcement() {
    let w = world(&["busybox"]);
    let env = &w.env;
    let addr = w.registry.addr();
    let policy = env.dir().join("policy.json");
    let p = policy.to_str().unwrap();
    std::fs::write(
        &policy,
        r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
    )
    .unwrap();

    env.ok(&[
        "image",
        "trust",
        "set",
        "--policypath",
        p,
        "-t",
        "reject",
        &addr,
    ]);
    let shown = env.ok(&["image", "trust", "show", "--policypath", p]);
    let lines: Vec<&str> = shown.lines().collect();
    assert!(lines[0].starts_with("TRANSPORT"), "{shown}");
    assert!(
        lines[1].starts_with("all") && lines[1].contains("default") && lines[1].contains("accept"),
        "{shown}"
    );
    assert!(
        lines[2].contains(&addr) && lines[2].contains("reject"),
        "{shown}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["image", "trust", "show", "--json", "--policypath", p]))
            .unwrap();
    assert_eq!(json[1]["type"], "reject");

    let (code, err) = env.fails(&["pull", "--signature-policy", p, &w.images[0]]);
    assert_eq!(code, 125);
    assert!(err.contains("rejected by policy"), "{err}");
    assert_eq!(env.ok(&["images", "-q"]), "", "nothing stored");

    // A more specific scope wins.
    env.ok(&[
        "image",
        "trust",
        "set",
        "--policypath",
        p,
        "-t",
        "accept",
        &format!("{addr}/busybox"),
    ]);
    env.ok(&["pull", "-q", "--signature-policy", p, &w.images[0]]);

    // Default reject applies to everything else.
    env.ok(&[
        "image",
        "trust",
        "set",
        "--policypath",
        p,
        "-t",
        "reject",
        "default",
    ]);
    let raw: serde_json::Value =
        serde_json::from_str(&env.ok(&["image", "trust", "show", "--raw", "--policypath", p]))
            .unwrap();
    assert_eq!(raw["default"][0]["type"], "reject");
    w.registry.push_fixture_as("busybox", "other:v1");
    let (code, err) = env.fails(&["pull", "--signature-policy", p, &format!("{addr}/other:v1")]);
    assert_eq!(code, 125);
    assert!(err.contains("rejected by policy"), "{err}");

    let (code, err) = env.fails(&[
        "image",
        "trust",
        "set",
        "--policypath",
        p,
        "-t",
        "signedBy",
        "x.io",
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("public key"), "{err}");
    let (code, _) = env.fails(&[
        "pull",
        "--signature-policy",
        "/nonexistent/policy.json",
        &w.images[0],
    ]);
    assert_eq!(code, 125);
}
