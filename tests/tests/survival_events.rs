//! `events`: written by the engine and the monitors to one append-only
//! file; filters, time bounds, formats and streaming.

mod common;

use std::io::{BufRead, BufReader};
use std::time::Duration;

use common::busybox;
use rpod_tests::unique_name;

#[test]
fn past_events_with_filters_and_formats() {
    let (w, img) = busybox();
    let name = unique_name("ev");
    let id = w
        .env
        .ok(&["run", "-d", "--name", &name, &img, "sh", "-c", "exit 3"])
        .trim()
        .to_owned();
    assert_eq!(w.env.ok(&["wait", &name]).trim(), "3");
    w.env.ok(&["rm", &name]);
    let all = w.env.ok(&["events", "--stream=false"]);
    let mine: Vec<&str> = all.lines().filter(|l| l.contains(&id)).collect();
    let statuses: Vec<&str> = mine.iter().map(|l| l.split(' ').nth(5).unwrap()).collect();
    for want in ["create", "start", "died", "remove"] {
        assert!(statuses.contains(&want), "{want} missing: {all}");
    }
    let create = statuses.iter().position(|s| *s == "create").unwrap();
    let died = statuses.iter().position(|s| *s == "died").unwrap();
    let remove = statuses.iter().position(|s| *s == "remove").unwrap();
    assert!(create < died && died < remove, "{statuses:?}");
    // `2006-01-02 15:04:05.999 +0000 UTC container create ID (image=..., name=...)`
    let line = mine[create];
    assert!(line.contains(" +0000 UTC container create "), "{line}");
    assert!(line.ends_with(&format!("name={name})")), "{line}");

    let died = w.env.ok(&[
        "events",
        "--stream=false",
        "--filter",
        "event=died",
        "--filter",
        &format!("container={name}"),
        "--format",
        "{{.Name}} {{.Status}} {{.ContainerExitCode}}",
    ]);
    assert_eq!(died, format!("{name} died 3\n"));
    let json = w.env.ok(&[
        "events",
        "--stream=false",
        "--format",
        "json",
        "--filter",
        &format!("container={}", &id[..12]),
    ]);
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first["Status"], "create");
    assert_eq!(first["Type"], "container");
    let none = w.env.ok(&[
        "events",
        "--stream=false",
        "--since",
        "1h",
        "--until",
        "1000",
    ]);
    assert_eq!(none, "");
    let future = w.env.ok(&[
        "events",
        "--stream=false",
        "--since",
        "2099-01-01T00:00:00Z",
    ]);
    assert_eq!(future, "");
    let (code, err) = w.env.fails(&["events", "--filter", "bogus=1"]);
    assert_eq!(code, 125, "{err}");
}

#[test]
fn streaming_shows_new_events_as_they_happen() {
    let (w, img) = busybox();
    let old = unique_name("old");
    w.env.ok(&["run", "--name", &old, &img, "true"]);
    // Its monitor's cleanup comes after `run` returns: let it finish.
    rpod_tests::wait_until(Duration::from_secs(10), "the old cleanup", || {
        w.env
            .ok(&[
                "events",
                "--stream=false",
                "--filter",
                "event=cleanup",
                "--format",
                "{{.Name}}",
            ])
            .contains(&old)
    });
    let name = unique_name("live");
    let mut cmd = w.env.cmd(&["events", "--format", "{{.Name}} {{.Status}}"]);
    cmd.stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    w.env.ok(&["run", "--name", &name, &img, "true"]);
    let mut seen = Vec::new();
    while !seen.contains(&format!("{name} died")) {
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(l) => seen.push(l),
            Err(e) => panic!("no died event ({e}): {seen:?}"),
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen.contains(&format!("{name} create")), "{seen:?}");
    assert!(
        !seen.iter().any(|l| l.starts_with(&old)),
        "old events streamed: {seen:?}"
    );
}

/// containers.conf's `events_container_create_inspect_data`: the `create`
/// event carries what `container inspect` shows of the new container
/// (`{{.ContainerInspectData}}`), and only then.
#[test]
fn create_event_carries_inspect_data_when_configured() {
    let (w, img) = busybox();
    let conf = w.env.dir().join("containers-inspect.conf");
    std::fs::write(
        &conf,
        "[engine]\nevents_container_create_inspect_data = true\n",
    )
    .unwrap();
    let name = unique_name("evdata");
    let out = w
        .env
        .cmd(&["create", "--name", &name, &img, "true"])
        .env("CONTAINERS_CONF_OVERRIDE", &conf)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let plain = unique_name("evplain");
    w.env.ok(&["create", "--name", &plain, &img, "true"]);
    let inspect: serde_json::Value =
        serde_json::from_str(&w.env.ok(&["container", "inspect", &name])).unwrap();
    let data = |who: &str| {
        let filter = format!("container={who}");
        w.env.ok(&[
            "events",
            "--stream=false",
            "--filter",
            &filter,
            "--filter",
            "event=create",
            "--format",
            "{{.ContainerInspectData}}",
        ])
    };
    let event: serde_json::Value = serde_json::from_str(data(&name).trim()).unwrap();
    assert_eq!(inspect[0], event);
    assert_eq!(data(&plain).trim(), "");
    w.env.ok(&["rm", &name, &plain]);
}

/// containers.conf's `events_logfile_path`: the file backend writes (the
/// engine and the monitors) and reads that file.
#[test]
fn events_logfile_path_from_containers_conf() {
    let (w, img) = busybox();
    let file = w.env.dir().join("elsewhere").join("events.log");
    let conf = w.env.dir().join("containers-events.conf");
    std::fs::write(
        &conf,
        format!("[engine]\nevents_logfile_path = \"{}\"\n", file.display()),
    )
    .unwrap();
    let name = unique_name("evpath");
    let run = |args: &[&str]| {
        let out = w
            .env
            .cmd(args)
            .env("CONTAINERS_CONF_OVERRIDE", &conf)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["run", "--rm", "--name", &name, &img, "true"]);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(&format!("\"Name\":\"{name}\"")), "{text}");
    assert!(
        text.contains("\"Status\":\"died\""),
        "the monitor's events: {text}"
    );
    let filter = format!("container={name}");
    let got = run(&rpod_tests::event_statuses_args(&filter));
    assert!(got.lines().any(|l| l == "remove"), "{got}");
    assert_eq!(
        w.env.ok(&["events", "--stream=false", "--filter", &filter]),
        "",
        "the default file has none of them"
    );
}

/// Image events as Podman writes them (ID and a name: what was pulled,
/// pushed, saved, loaded, tagged or untagged), in Podman's file shape.
#[test]
fn image_events_in_podman_order() {
    let (w, img) = busybox();
    let id = w
        .env
        .ok(&["image", "inspect", "--format", "{{.ID}}", &img])
        .trim()
        .to_owned();
    let dir = w.env.dir();
    let pushed = format!("dir:{}", dir.join("pushed").display());
    let tarball = dir.join("ball.tar").display().to_string();
    let tag = unique_name("registry.com/img");
    let since = w
        .env
        .ok(&["events", "--stream=false", "--format", "{{.TimeNano}}"])
        .lines()
        .last()
        .unwrap_or("0")
        .to_owned();
    w.env.ok(&["push", &img, &pushed]);
    w.env.ok(&["save", &img, "-o", &tarball]);
    w.env.ok(&["load", "-i", &tarball]);
    w.env.ok(&["pull", &format!("docker-archive:{tarball}")]);
    let (code, _) = w.env.fails(&["pull", "--retry", "0", "localhost:1/bogus"]);
    assert_eq!(code, 125);
    w.env.ok(&["tag", &img, &tag]);
    w.env.ok(&["untag", &img, &tag]);
    let since = format!("{}", since.parse::<i64>().unwrap_or(0) / 1_000_000_000);
    let got = w.env.ok(&[
        "events",
        "--stream=false",
        "--filter",
        "type=image",
        "--since",
        &since,
        "--format",
        "{{.Status}}--{{.ID}}--{{.Name}}",
    ]);
    let want = [
        format!("push--{id}--{pushed}"),
        format!("save--{id}--{tarball}"),
        format!("loadfromarchive--{id}--{tarball}"),
        format!("pull--{id}--docker-archive:{tarball}"),
        "pull-error----localhost:1/bogus".to_owned(),
        format!("tag--{id}--{tag}"),
        format!("untag--{id}--{tag}:latest"),
    ];
    let tail: Vec<&str> = got.lines().rev().take(want.len()).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    assert_eq!(tail, want, "{got}");
    let human = w
        .env
        .ok(&["events", "--stream=false", "--filter", "type=image"]);
    assert!(
        human
            .lines()
            .any(|l| l.contains(" image pull-error  localhost:1/bogus ")
                && l.contains("connection refused")),
        "{human}"
    );
    let file = std::fs::read_to_string(w.env.root().join("events/events.log")).unwrap();
    let line = file
        .lines()
        .find(|l| l.contains("\"Status\":\"save\""))
        .unwrap();
    assert!(
        line.starts_with(&format!(
            "{{\"ID\":\"{id}\",\"Name\":\"{tarball}\",\"Status\":\"save\",\"Time\":\""
        )),
        "{line}"
    );
    assert!(
        line.ends_with("\"Type\":\"image\",\"Attributes\":null}"),
        "{line}"
    );
}

/// containers.conf's `events_logfile_max_size`: a write that would pass it
/// first drops the older half of the file, between rotation markers.
#[test]
fn events_file_rotates_at_its_max_size() {
    let (w, img) = busybox();
    let file = w.env.dir().join("rot").join("events.txt");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let mut seed = String::new();
    for i in 0..100 {
        seed.push_str(&format!(
            "{{\"Name\":\"busybox\",\"Status\":\"pull\",\"Time\":\"2022-04-06T11:26:42.7236679{i:02}+02:00\",\"Type\":\"image\",\"Attributes\":null}}\n"
        ));
    }
    std::fs::write(&file, &seed).unwrap();
    let conf = w.env.dir().join("containers-rotate.conf");
    std::fs::write(
        &conf,
        format!(
            "[engine]\nevents_logfile_path = \"{}\"\nevents_logfile_max_size = {}\n",
            file.display(),
            seed.len() / 2
        ),
    )
    .unwrap();
    let id = w.env.ok(&["create", &img]).trim().to_owned();
    let out = w
        .env
        .cmd(&["rm", &id])
        .env("CONTAINERS_CONF_OVERRIDE", &conf)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 52, "{text}");
    assert!(
        lines[0].contains("\"io.podman.event.rotate\":\"begin\""),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains("42.723667951+02:00"), "{}", lines[1]);
    assert!(
        lines[50].contains("\"io.podman.event.rotate\":\"end\""),
        "{}",
        lines[50]
    );
    assert!(lines[51].contains(&id), "{}", lines[51]);
    let out = w
        .env
        .cmd(&[
            "events",
            "--stream=false",
            "--since",
            "2022-03-06T00:00:00Z",
            "--format",
            "json",
        ])
        .env("CONTAINERS_CONF_OVERRIDE", &conf)
        .output()
        .unwrap();
    let json = String::from_utf8_lossy(&out.stdout);
    let first: Vec<&str> = json.lines().collect();
    assert_eq!(first.len(), 52, "{json}");
    assert!(first[1].starts_with("{\"Name\":\"busybox\",\"Status\":\"pull\",\"time\":1649237202,\"timeNano\":1649237202723667951,\"Type\":\"image\",\"Attributes\":null}"), "{}", first[1]);
}
