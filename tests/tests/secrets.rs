//! Secrets against real components: the `secret` commands, a secret
//! mounted at /run/secrets and set as a variable in a running container,
//! and what must never show the data (container inspect, commit, the
//! container's row); Podman's refusals and exit codes.

mod common;

use common::{busybox, inspect};
use rpod_tests::TestEnv;
use serde_json::Value;

const DATA: &str = "s3cr3t-Data-91d7";

/// The data `secret inspect --showsecret` shows for `key`.
fn shown(env: &TestEnv, key: &str) -> String {
    env.ok(&[
        "secret",
        "inspect",
        "--showsecret",
        "--format",
        "{{.SecretData}}",
        key,
    ])
    .trim()
    .to_owned()
}

fn secret_file(env: &TestEnv, name: &str, data: &str) -> String {
    let path = env.dir().join(name);
    std::fs::write(&path, data).unwrap();
    path.display().to_string()
}

#[test]
fn secret_commands_and_bad_input() {
    let env = TestEnv::new();
    let file = secret_file(&env, "pw", DATA);
    let id = env
        .ok(&["secret", "create", "--label", "env=prod", "pw", &file])
        .trim()
        .to_owned();
    assert_eq!(id.len(), 25, "{id}");
    // The data is kept 0600 under the root, never in the database.
    let data_file = env.root().join("secrets/filedriver").join(&id);
    let meta = std::fs::metadata(&data_file).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
        0o600
    );
    assert_eq!(std::fs::read_to_string(&data_file).unwrap(), DATA);
    let db = std::fs::read(env.root().join("db.sqlite")).unwrap();
    assert!(!db.windows(DATA.len()).any(|w| w == DATA.as_bytes()));

    let json: Value = serde_json::from_str(&env.ok(&["secret", "inspect", "pw"])).unwrap();
    assert_eq!(json[0]["ID"], id.as_str());
    assert_eq!(json[0]["Spec"]["Name"], "pw");
    assert_eq!(json[0]["Spec"]["Driver"]["Name"], "file");
    assert_eq!(json[0]["Spec"]["Labels"]["env"], "prod");
    assert!(json[0].get("SecretData").is_none(), "{json}");
    assert_eq!(shown(&env, &id[..6]), DATA);

    // From standard input and from a variable.
    let mut cmd = env.cmd(&["secret", "create", "fromstdin", "-"]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"piped").unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    let mut cmd = env.cmd(&[
        "secret",
        "create",
        "--env",
        "fromenv",
        "RPOD_TEST_SECRET_VAR",
    ]);
    cmd.env("RPOD_TEST_SECRET_VAR", "from-env");
    assert!(cmd.output().unwrap().status.success());
    assert_eq!(shown(&env, "fromenv"), "from-env");

    let table = env.ok(&["secret", "ls"]);
    assert!(
        table.starts_with("ID                         NAME        DRIVER      CREATED"),
        "{table}"
    );
    assert_eq!(
        env.ok(&[
            "secret",
            "ls",
            "--filter",
            "name=^pw$",
            "--format",
            "{{.Name}} {{.Driver}}"
        ]),
        "pw file\n"
    );
    assert_eq!(
        env.ok(&["secret", "ls", "-q", "--filter", "label=env=prod"])
            .trim(),
        id
    );
    assert_eq!(
        env.ok(&["secret", "ls", "--noheading", "--filter", "id=^zz"]),
        ""
    );

    // Refusals: one line, exit 125, nothing changed.
    let (code, err) = env.fails(&["secret", "create", "pw", &file]);
    assert_eq!((code, err.trim()), (125, "Error: pw: secret name in use"));
    let (code, err) = env.fails(&["secret", "create", "a/b", &file]);
    assert_eq!(code, 125);
    assert!(err.contains("invalid secret name"), "{err}");
    let empty = secret_file(&env, "empty", "");
    let (code, err) = env.fails(&["secret", "create", "e", &empty]);
    assert_eq!(
        (code, err.trim()),
        (
            125,
            "Error: secret data must be larger than 0 and less than 512000 bytes"
        )
    );
    let (code, err) = env.fails(&["secret", "create", "-d", "vault", "v", &file]);
    assert_eq!((code, err.trim()), (125, "Error: invalid driver"));
    let (code, err) = env.fails(&["secret", "inspect", "nope"]);
    assert_eq!(code, 125);
    assert!(
        err.ends_with(
            "Error: inspecting secret: no secret with name or id \"nope\": no such secret\n"
        ),
        "{err}"
    );
    let (code, _) = env.fails(&["secret", "exists", "nope"]);
    assert_eq!(code, 1);
    env.ok(&["secret", "exists", "pw"]);

    // --replace keeps the name, changes the ID and the data.
    let other = secret_file(&env, "pw2", "second");
    let new_id = env
        .ok(&["secret", "create", "--replace", "pw", &other])
        .trim()
        .to_owned();
    assert_ne!(new_id, id);
    assert!(!data_file.exists(), "the replaced data is gone");

    let (code, err) = env.fails(&["secret", "rm", "nope"]);
    assert_eq!(
        (code, err.trim()),
        (
            125,
            "Error: no secret with name or id \"nope\": no such secret"
        )
    );
    env.ok(&["secret", "rm", "-i", "nope"]);
    assert_eq!(env.ok(&["secret", "rm", "pw"]).trim(), new_id);
    env.ok(&["secret", "rm", "-a"]);
    assert_eq!(env.ok(&["secret", "ls", "-q"]), "");
    let leftovers = std::fs::read_dir(env.root().join("secrets/filedriver"))
        .unwrap()
        .count();
    assert_eq!(leftovers, 0);
    let events = env.ok(&["events", "--stream=false", "--filter", "type=secret"]);
    assert!(events.contains(&format!("secret create {id}")), "{events}");
    assert!(
        events.contains(&format!("secret remove {new_id}")),
        "{events}"
    );
}

#[test]
fn secrets_reach_the_container_and_nothing_else() {
    let (w, img) = busybox();
    let env = &w.env;
    let file = secret_file(env, "pw", DATA);
    let id = env.ok(&["secret", "create", "pw", &file]).trim().to_owned();

    let out = env.ok(&[
        "run",
        "--rm",
        "--secret",
        "pw",
        "--secret",
        "pw,type=mount,target=/etc/app/pw,uid=1000,gid=100,mode=400",
        "--secret",
        "pw,type=env,target=APP_PW",
        &img,
        "sh",
        "-c",
        "cat /run/secrets/pw; echo; stat -c '%a %u:%g' /run/secrets/pw /etc/app/pw; \
         echo \"$APP_PW\"; echo ro >> /run/secrets/pw || echo refused",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], DATA, "{out}");
    assert_eq!(lines[1], "444 0:0", "{out}");
    assert_eq!(lines[2], "400 1000:100", "{out}");
    assert_eq!(lines[3], DATA, "{out}");
    assert_eq!(lines.last(), Some(&"refused"), "{out}");

    // A stopped container: inspect, its row, commit.
    env.ok(&[
        "create",
        "--name",
        "c1",
        "--secret",
        "pw",
        "--secret",
        "pw,type=env,target=APP_PW",
        &img,
        "sh",
        "-c",
        "cat /run/secrets/pw",
    ]);
    assert_eq!(env.ok(&["start", "-a", "c1"]).trim(), DATA);
    let c = inspect(env, "c1");
    let text = c.to_string();
    assert!(!text.contains(DATA), "inspect shows the data: {text}");
    assert_eq!(c["Config"]["Secrets"][0]["Name"], "pw");
    assert_eq!(c["Config"]["Secrets"][0]["ID"], id.as_str());
    assert_eq!(c["Config"]["Secrets"][0]["Mode"], 0o444);
    let env_list = c["Config"]["Env"].to_string();
    assert!(env_list.contains("pw=*******"), "{env_list}");
    let db = std::fs::read(env.root().join("db.sqlite")).unwrap();
    assert!(!db.windows(DATA.len()).any(|w| w == DATA.as_bytes()));
    env.ok(&["commit", "-q", "c1", "localhost/committed:1"]);
    let committed = env.ok(&[
        "run",
        "--rm",
        "localhost/committed:1",
        "sh",
        "-c",
        "cat /run/secrets/pw 2>/dev/null; echo \"[$APP_PW]\"",
    ]);
    assert_eq!(committed.trim(), "[]", "the image keeps no secret");
    let logs = env.ok(&["logs", "c1"]);
    assert_eq!(logs.trim(), DATA, "only what the process printed");

    // An unknown secret or a bad --secret: one line, 125, nothing created.
    let (code, err) = env.fails(&["run", "--name", "bad", "--secret", "nope", &img, "true"]);
    assert_eq!(
        (code, err.trim()),
        (
            125,
            "Error: no secret with name or id \"nope\": no such secret"
        )
    );
    let (code, err) = env.fails(&["create", "--secret", "pw,type=file", &img, "true"]);
    assert_eq!(
        (code, err.trim()),
        (125, "Error: type file is invalid: parsing secret")
    );
    assert_eq!(
        env.ok(&["ps", "-a", "--format", "{{.Names}}"]).trim(),
        "c1",
        "nothing else was created"
    );
}

#[test]
fn driver_path_option_and_system_reset() {
    let env = TestEnv::new();
    let file = secret_file(&env, "pw", DATA);
    let store = env.dir().join("elsewhere");
    let id = env
        .ok(&[
            "secret",
            "create",
            "--driver-opts",
            &format!("path={}", store.display()),
            "pw",
            &file,
        ])
        .trim()
        .to_owned();
    assert_eq!(std::fs::read_to_string(store.join(&id)).unwrap(), DATA);
    assert_eq!(
        env.ok(&[
            "secret",
            "inspect",
            "--format",
            "{{.Spec.Driver.Options.path}}",
            "pw"
        ])
        .trim(),
        store.display().to_string()
    );
    let (code, err) = env.fails(&["secret", "create", "--driver-opts", "path=rel", "x", &file]);
    assert_eq!(code, 125);
    assert!(err.contains("path must be absolute"), "{err}");
    // The shell driver: Podman's four commands, SECRET_ID set.
    let sh = env.dir().join("sh");
    std::fs::create_dir_all(&sh).unwrap();
    let d = sh.display();
    let opts = format!(
        "store=cat > {d}/$SECRET_ID,lookup=cat {d}/$SECRET_ID,delete=rm {d}/$SECRET_ID,list=ls {d}"
    );
    let sid = env
        .ok(&[
            "secret",
            "create",
            "-d",
            "shell",
            "--driver-opts",
            &opts,
            "viash",
            &file,
        ])
        .trim()
        .to_owned();
    assert_eq!(std::fs::read_to_string(sh.join(&sid)).unwrap(), DATA);
    assert_eq!(shown(&env, "viash"), DATA);
    env.ok(&["secret", "rm", "viash"]);
    assert!(!sh.join(&sid).exists());
    let (code, err) = env.fails(&["secret", "create", "-d", "shell", "x", &file]);
    assert_eq!((code, err.trim()), (125, "Error: missing config value"));
    env.ok(&["system", "reset", "--force"]);
    assert!(
        !store.join(&id).exists(),
        "reset removes the data wherever it is"
    );
}
