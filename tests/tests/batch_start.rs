//! `start`, `restart` and `pod start` of many at once: they run side by
//! side (bounded), yet print as Podman does — every name in the order
//! given, each failure as `Error: ...`, exit code 125 when one failed —
//! and a failure leaves the others started.

mod common;

use common::{busybox, state_of};
use rpod_tests::{unique_name, TestEnv};

/// Removes the pods before the environment's own cleanup runs.
struct PodGuard<'a>(&'a TestEnv);

impl Drop for PodGuard<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["pod", "rm", "-af", "-t", "0"]);
    }
}

/// The `Error: ` lines of a command's stderr.
fn error_lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.starts_with("Error: "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn start_of_ten_with_a_bad_one_starts_the_rest_and_fails_125() {
    let (w, img) = busybox();
    let names: Vec<String> = (0..10).map(|_| unique_name("bst")).collect();
    // Created in one order, started in another: the output follows the
    // command line.
    for (i, n) in names.iter().enumerate() {
        let cmd: &[&str] = if i == 4 {
            &["/no/such/command"]
        } else {
            &["sleep", "600"]
        };
        let mut args = vec!["create", "--name", n.as_str(), &img];
        args.extend(cmd);
        w.env.ok(&args);
    }
    let given: Vec<&str> = names.iter().rev().map(String::as_str).collect();
    let bad = names[4].as_str();
    let mut args = vec!["start"];
    args.extend(&given);
    let out = w.env.run(&args);
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    let good: Vec<&str> = given.iter().copied().filter(|n| *n != bad).collect();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", good.join("\n"))
    );
    let errors = error_lines(&out.stderr);
    assert_eq!(errors.len(), 1, "{errors:?}");
    for n in &good {
        assert_eq!(state_of(&w.env, n), "running", "{n}");
    }
    assert_ne!(state_of(&w.env, bad), "running");

    // Two bad ones: both reported (the first as it comes, the last as the
    // command's own error), the running ones echoed again.
    let second_bad = unique_name("bst");
    w.env
        .ok(&["create", "--name", &second_bad, &img, "/no/such/command"]);
    let out = w
        .env
        .run(&["start", bad, &names[0], &second_bad, &names[1]]);
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n{}\n", names[0], names[1])
    );
    assert_eq!(error_lines(&out.stderr).len(), 2, "{out:?}");

    let mut rm = vec!["rm", "-f", "-t", "0", second_bad.as_str()];
    rm.extend(names.iter().map(String::as_str));
    w.env.ok(&rm);
}

#[test]
fn start_all_and_restart_of_many_keep_their_order() {
    let (w, img) = busybox();
    let names: Vec<String> = (0..8).map(|_| unique_name("bsa")).collect();
    let mut ids = Vec::new();
    for n in &names {
        let id = w.env.ok(&["create", "--name", n, &img, "sleep", "600"]);
        ids.push(id.trim().to_owned());
    }
    // `start --all` prints the IDs of the containers it started.
    let out = w.env.ok(&["start", "--all"]);
    let mut printed: Vec<&str> = out.lines().collect();
    printed.sort_unstable();
    let mut want: Vec<&str> = ids.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(printed, want);
    let started_at = |n: &str| {
        w.env
            .ok(&["inspect", "--format", "{{.State.StartedAt}}", n])
            .trim()
            .to_owned()
    };
    let before: Vec<String> = names.iter().map(|n| started_at(n)).collect();
    // `restart` of many: each one restarted, echoed in the order given.
    let given: Vec<&str> = names.iter().rev().map(String::as_str).collect();
    let mut args = vec!["restart", "-t", "0"];
    args.extend(&given);
    assert_eq!(w.env.ok(&args), format!("{}\n", given.join("\n")));
    for (n, was) in names.iter().zip(&before) {
        assert_eq!(state_of(&w.env, n), "running", "{n}");
        assert_ne!(&started_at(n), was, "{n} was not restarted");
    }
    let mut rm = vec!["rm", "-f", "-t", "0"];
    rm.extend(names.iter().map(String::as_str));
    w.env.ok(&rm);
}

#[test]
fn pod_start_of_many_reports_in_input_order() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let mut pods = Vec::new();
    let mut ids = Vec::new();
    let mut members = Vec::new();
    for _ in 0..4 {
        let pod = unique_name("bsp");
        let id = w.env.ok(&["pod", "create", "--name", &pod]);
        let member = unique_name("bspm");
        w.env.ok(&[
            "create", "--pod", &pod, "--name", &member, &img, "sleep", "600",
        ]);
        pods.push(pod);
        ids.push(id.trim().to_owned());
        members.push(member);
    }
    let order = [2, 0, 3, 1];
    let mut args = vec!["pod", "start"];
    args.extend(order.iter().map(|&i| pods[i].as_str()));
    let out = w.env.ok(&args);
    let want: Vec<&str> = order.iter().map(|&i| ids[i].as_str()).collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), want);
    for m in &members {
        assert_eq!(state_of(&w.env, m), "running", "{m}");
    }
}
