//! The hooks that match a container, placed into its runtime spec: the
//! OCI stages into `hooks` (Podman's mapping: `prestart` runs as
//! `createRuntime`), `precreate` run here before the runtime sees the spec.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use oci_spec::runtime::{Hook, Hooks, Spec};

use super::config::{load, Target};
use super::HookError;

/// Adds the hooks of `dirs` that match `spec` to it and runs the
/// `precreate` ones on it (in `bundle`). `has_bind_mounts`: the user gave
/// volumes or bind mounts.
pub fn apply(
    dirs: &[std::path::PathBuf],
    spec: &mut Spec,
    has_bind_mounts: bool,
    bundle: &Path,
) -> Result<(), HookError> {
    let hooks = load(dirs)?;
    if hooks.is_empty() {
        return Ok(());
    }
    let annotations = spec
        .annotations()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let command = spec
        .process()
        .as_ref()
        .and_then(|p| p.args().as_ref())
        .and_then(|a| a.first().cloned());
    let target = Target {
        annotations: &annotations,
        command: command.as_deref(),
        has_bind_mounts,
    };
    let mut oci = spec.hooks().clone().unwrap_or_default();
    let mut precreate = Vec::new();
    let mut any = false;
    for (name, hook) in &hooks {
        if !hook.matches(&target) {
            tracing::debug!("hook {name} did not match");
            continue;
        }
        tracing::debug!("hook {name} matched; adding to stages {:?}", hook.stages());
        for stage in hook.stages() {
            let h = hook.hook.clone();
            match stage.as_str() {
                "precreate" => precreate.push(h),
                "prestart" | "createRuntime" => push(&mut oci, Hooks::create_runtime_mut, h),
                "createContainer" => push(&mut oci, Hooks::create_container_mut, h),
                "startContainer" => push(&mut oci, Hooks::start_container_mut, h),
                "poststart" => push(&mut oci, Hooks::poststart_mut, h),
                "poststop" => push(&mut oci, Hooks::poststop_mut, h),
                // `config::read` admits no other stage.
                _ => {}
            }
            any = true;
        }
    }
    if any {
        spec.set_hooks(Some(oci));
    }
    for (index, hook) in precreate.iter().enumerate() {
        let input = serde_json::to_vec(spec).map_err(|e| HookError::Precreate {
            index,
            message: e.to_string(),
        })?;
        let output =
            run(hook, bundle, &input).map_err(|message| HookError::Precreate { index, message })?;
        *spec = serde_json::from_slice(&output).map_err(|e| HookError::Precreate {
            index,
            message: format!("unmarshal output from config-filter hook {index}: {e}"),
        })?;
    }
    Ok(())
}

fn push(hooks: &mut Hooks, list: fn(&mut Hooks) -> &mut Option<Vec<Hook>>, h: Hook) {
    list(hooks).get_or_insert_with(Vec::new).push(h);
}

/// Runs one hook with `input` on its stdin in `dir`; its stdout. `args[0]`
/// is the program's argv[0]; the environment is exactly the hook's `env`.
pub fn run(hook: &Hook, dir: &Path, input: &[u8]) -> Result<Vec<u8>, String> {
    let args = hook.args().clone().unwrap_or_default();
    let mut cmd = Command::new(hook.path());
    if let Some((argv0, rest)) = args.split_first() {
        cmd.arg0(argv0).args(rest);
    }
    cmd.env_clear()
        .envs(
            hook.env()
                .iter()
                .flatten()
                .filter_map(|e| e.split_once('=')),
        )
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let shown = format!("[{}]", args.join(" "));
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("executing {shown}: {}", crate::error_chain::io_reason(&e)))?;
    let mut stdin = child.stdin.take();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        if let Some(s) = stdin.as_mut() {
            // A hook may ignore its input and close stdin early.
            let _ = s.write_all(&data);
        }
    });
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_end(&mut out);
        }
        out
    });
    let deadline = hook
        .timeout()
        .filter(|&t| t > 0)
        .map(|t| Instant::now() + Duration::from_secs(t.unsigned_abs()));
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(format!("waiting for {shown}: {e}")),
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("executing {shown}: context deadline exceeded"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = writer.join();
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(format!("executing {shown}: {status}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::{ProcessBuilder, SpecBuilder};

    fn hook_file(dir: &Path, name: &str, script: &str, stages: &str) {
        let prog = dir.join(format!("{name}.sh"));
        std::fs::write(&prog, script).unwrap();
        std::fs::set_permissions(&prog, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        std::fs::write(
            dir.join(format!("{name}.json")),
            format!(
                r#"{{"version":"1.0.0","hook":{{"path":"{}"}},"when":{{"always":true}},"stages":{stages}}}"#,
                prog.display()
            ),
        )
        .unwrap();
    }

    #[test]
    fn stages_and_precreate() {
        let d = tempfile::tempdir().unwrap();
        hook_file(
            d.path(),
            "a",
            "#!/bin/sh\ncat >/dev/null\n",
            r#"["prestart","poststop"]"#,
        );
        // A precreate hook that sets the hostname through the spec.
        hook_file(
            d.path(),
            "b",
            "#!/bin/sh\nsed 's/\"hostname\":\"old\"/\"hostname\":\"new\"/'\n",
            r#"["precreate"]"#,
        );
        let mut spec = SpecBuilder::default()
            .hostname("old")
            .process(
                ProcessBuilder::default()
                    .args(vec!["/bin/top".to_string()])
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        apply(&[d.path().to_owned()], &mut spec, false, d.path()).unwrap();
        let hooks = spec.hooks().clone().unwrap();
        assert_eq!(hooks.create_runtime().as_ref().unwrap().len(), 1);
        assert_eq!(hooks.poststop().as_ref().unwrap().len(), 1);
        assert_eq!(spec.hostname().as_deref(), Some("new"));

        hook_file(
            d.path(),
            "c",
            "#!/bin/sh\necho garbage\n",
            r#"["precreate"]"#,
        );
        let err = apply(&[d.path().to_owned()], &mut spec, false, d.path()).unwrap_err();
        assert!(err.to_string().contains("unmarshal output"), "{err}");
        hook_file(d.path(), "c", "#!/bin/sh\nexit 3\n", r#"["precreate"]"#);
        let err = apply(&[d.path().to_owned()], &mut spec, false, d.path()).unwrap_err();
        assert!(err.to_string().contains("exit status: 3"), "{err}");
    }
}
