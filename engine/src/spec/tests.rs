//! Tests of [`generate`] as a whole.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use oci_spec::runtime::{LinuxNamespaceType, Spec};

use super::*;
use crate::container::options::BindMount;

struct Fixture {
    _dir: tempfile::TempDir,
    rootfs: PathBuf,
    etc: EtcFiles,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let rootfs = dir.path().join("rootfs");
    std::fs::create_dir_all(rootfs.join("etc")).unwrap();
    std::fs::write(
        rootfs.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
    )
    .unwrap();
    std::fs::write(
        rootfs.join("etc/group"),
        "root:x:0:\napp:x:1000:\nwheel:x:10:app\n",
    )
    .unwrap();
    let etc = write_etc_files(&dir.path().join("userdata"), "h", &NetworkMode::None).unwrap();
    Fixture {
        _dir: dir,
        rootfs,
        etc,
    }
}

const ID: &str = "0123456789abcdef0123456789abcdef";

fn gen(f: &Fixture, opts: &ContainerOptions, image: &str) -> Result<Spec, SpecError> {
    generate(&SpecInput {
        id: ID,
        options: opts,
        image_config: image.as_bytes(),
        rootfs: &f.rootfs,
        etc_files: &f.etc,
        cgroups_path: Some("/rpod/test".into()),
        volume_binds: &[],
    })
}

const IMAGE: &str = r#"{"config":{"Cmd":["/bin/sh"],"Env":["PATH=/img","X=1"],"WorkingDir":"/srv/app","User":"app"}}"#;

#[test]
fn image_defaults_flow_into_the_process() {
    let f = fixture();
    let spec = gen(&f, &ContainerOptions::default(), IMAGE).unwrap();
    let p = spec.process().as_ref().unwrap();
    assert_eq!(p.args().as_deref(), Some(&["/bin/sh".to_string()][..]));
    assert_eq!(p.cwd(), Path::new("/srv/app"));
    assert_eq!((p.user().uid(), p.user().gid()), (1000, 1000));
    assert_eq!(p.user().additional_gids().as_deref(), Some(&[1000, 10][..]));
    let env = p.env().as_ref().unwrap();
    for want in [
        "PATH=/img",
        "X=1",
        "HOME=/home/app",
        "HOSTNAME=0123456789ab",
    ] {
        assert!(env.iter().any(|e| e == want), "{want} in {env:?}");
    }
    // Non-root: nothing effective.
    let caps = p.capabilities().as_ref().unwrap();
    assert!(caps.effective().as_ref().unwrap().is_empty());
    assert_eq!(p.terminal(), Some(false));
    assert_eq!(p.no_new_privileges(), Some(false));
    assert_eq!(p.oom_score_adj(), None);
    // The image's working directory was created, owned by the user.
    let md = std::fs::metadata(f.rootfs.join("srv/app")).unwrap();
    assert!(md.is_dir());
    assert_eq!((md.uid(), md.gid()), (1000, 1000));
    assert_eq!(spec.hostname().as_deref(), Some("0123456789ab"));
    assert_eq!(
        spec.annotations()
            .as_ref()
            .unwrap()
            .get(MANAGER_ANNOTATION)
            .map(String::as_str),
        Some("rpod")
    );
}

#[test]
fn options_override_the_image() {
    let f = fixture();
    std::fs::create_dir(f.rootfs.join("work")).unwrap();
    let opts = ContainerOptions {
        user: Some("0".into()),
        workdir: Some("/work".into()),
        hostname: Some("custom".into()),
        env: vec!["X=2".into()],
        command: vec!["echo".into(), "hi".into()],
        tty: true,
        ..Default::default()
    };
    let spec = gen(&f, &opts, IMAGE).unwrap();
    let p = spec.process().as_ref().unwrap();
    assert_eq!(p.args().as_ref().unwrap(), &["echo", "hi"]);
    assert_eq!(p.cwd(), Path::new("/work"));
    assert_eq!(p.user().uid(), 0);
    assert_eq!(p.terminal(), Some(true));
    let env = p.env().as_ref().unwrap();
    assert!(env.contains(&"X=2".to_string()) && !env.contains(&"X=1".to_string()));
    assert!(env.contains(&"HOSTNAME=custom".to_string()));
    assert!(env.contains(&"HOME=/root".to_string()));
    assert!(env.contains(&"TERM=xterm".to_string()));
    assert_eq!(spec.hostname().as_deref(), Some("custom"));
    let caps = p.capabilities().as_ref().unwrap();
    assert_eq!(
        caps.effective().as_ref().unwrap().len(),
        DEFAULT_CAPABILITIES.len()
    );
}

#[test]
fn unknown_user_is_an_error() {
    let f = fixture();
    let opts = ContainerOptions {
        user: Some("ghost".into()),
        ..Default::default()
    };
    let err = gen(&f, &opts, IMAGE).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unable to find user ghost: no matching entries in passwd file"
    );
}

#[test]
fn read_only_root_and_linux_defaults() {
    let f = fixture();
    let opts = ContainerOptions {
        read_only: true,
        ..Default::default()
    };
    let spec = gen(&f, &opts, IMAGE).unwrap();
    let root = spec.root().as_ref().unwrap();
    assert_eq!(root.readonly(), Some(true));
    assert_eq!(root.path(), &f.rootfs);
    let linux = spec.linux().as_ref().unwrap();
    let masked = linux.masked_paths().as_ref().unwrap();
    for p in MASKED_PATHS {
        assert!(masked.iter().any(|m| m == p));
    }
    assert!(linux.readonly_paths().as_ref().unwrap().len() == READONLY_PATHS.len());
    assert_eq!(
        linux.cgroups_path().as_deref(),
        Some(Path::new("/rpod/test"))
    );
    let ns: Vec<_> = linux
        .namespaces()
        .as_ref()
        .unwrap()
        .iter()
        .map(|n| n.typ())
        .collect();
    assert!(ns.contains(&LinuxNamespaceType::Network));
    assert!(!ns.contains(&LinuxNamespaceType::User));
    let mounts = spec.mounts().as_ref().unwrap();
    assert!(mounts.iter().any(|m| m.destination() == Path::new("/tmp")));
    let rw = ContainerOptions::default();
    let spec = gen(&f, &rw, IMAGE).unwrap();
    assert_eq!(spec.root().as_ref().unwrap().readonly(), Some(false));
}

#[test]
fn network_host_shares_the_network_namespace() {
    let f = fixture();
    let opts = ContainerOptions {
        network: NetworkMode::Host,
        ..Default::default()
    };
    let spec = gen(&f, &opts, IMAGE).unwrap();
    let ns = spec
        .linux()
        .as_ref()
        .unwrap()
        .namespaces()
        .as_ref()
        .unwrap();
    assert!(ns.iter().all(|n| n.typ() != LinuxNamespaceType::Network));
    let host = nix::unistd::gethostname().unwrap();
    assert_eq!(spec.hostname().as_deref(), host.to_str());
}

#[test]
fn no_command_anywhere_fails() {
    let f = fixture();
    let err = gen(&f, &ContainerOptions::default(), r#"{"config":{}}"#).unwrap_err();
    assert!(matches!(err, SpecError::NoCommand));
}

#[test]
fn workdir_that_is_a_file_fails_and_bind_mounted_workdir_is_not_created() {
    let f = fixture();
    std::fs::write(f.rootfs.join("afile"), "").unwrap();
    let opts = ContainerOptions {
        workdir: Some("/afile".into()),
        ..Default::default()
    };
    assert!(matches!(
        gen(&f, &opts, IMAGE),
        Err(SpecError::WorkdirNotDir(..))
    ));
    let src = tempfile::tempdir().unwrap();
    let opts = ContainerOptions {
        workdir: Some("/data/inner".into()),
        mounts: vec![BindMount {
            source: src.path().to_string_lossy().into_owned(),
            destination: "/data".into(),
            readonly: false,
            options: vec![],
        }],
        ..Default::default()
    };
    gen(&f, &opts, IMAGE).unwrap();
    assert!(!f.rootfs.join("data").exists());
    // A --workdir the image lacks is not created: Podman's error.
    let opts = ContainerOptions {
        workdir: Some("/i/do/not/exist".into()),
        ..Default::default()
    };
    let err = gen(&f, &opts, IMAGE).unwrap_err();
    assert!(matches!(err, SpecError::WorkdirMissing(..)), "{err}");
    assert_eq!(
        err.to_string(),
        format!("workdir \"/i/do/not/exist\" does not exist on container {ID}")
    );
    assert!(!f.rootfs.join("i").exists());
    // ... unless it is on the way to a mount (the runtime creates it).
    let opts = ContainerOptions {
        workdir: Some("/above".into()),
        mounts: vec![BindMount {
            source: src.path().to_string_lossy().into_owned(),
            destination: "/above/mnt".into(),
            readonly: false,
            options: vec![],
        }],
        ..Default::default()
    };
    gen(&f, &opts, IMAGE).unwrap();
}

#[test]
fn write_spec_round_trips() {
    let f = fixture();
    let spec = gen(&f, &ContainerOptions::default(), IMAGE).unwrap();
    let bundle = tempfile::tempdir().unwrap();
    let path = write_spec(&spec, bundle.path()).unwrap();
    assert_eq!(path, bundle.path().join("config.json"));
    assert_eq!(Spec::load(&path).unwrap(), spec);
}

#[test]
fn exec_process_inherits_and_overrides() {
    let f = fixture();
    let spec = gen(&f, &ContainerOptions::default(), IMAGE).unwrap();
    let p = process_spec_for_exec(
        &spec,
        &["id".into()],
        &["X=exec".into()],
        Some("/tmp"),
        None,
        &[],
        true,
    )
    .unwrap();
    assert_eq!(p.args().as_ref().unwrap(), &["id"]);
    assert_eq!(p.cwd(), Path::new("/tmp"));
    assert_eq!(p.user().uid(), 1000);
    assert_eq!(p.terminal(), Some(true));
    let env = p.env().as_ref().unwrap();
    assert!(env.contains(&"X=exec".to_string()) && !env.contains(&"X=1".to_string()));
    let p =
        process_spec_for_exec(&spec, &["id".into()], &[], None, Some("root"), &[], false).unwrap();
    assert_eq!(p.user().uid(), 0);
    assert_eq!(p.cwd(), Path::new("/srv/app"));
    assert!(p
        .env()
        .as_ref()
        .unwrap()
        .contains(&"HOME=/root".to_string()));
    assert_eq!(
        p.capabilities()
            .as_ref()
            .unwrap()
            .effective()
            .as_ref()
            .unwrap()
            .len(),
        DEFAULT_CAPABILITIES.len()
    );
    assert!(matches!(
        process_spec_for_exec(&spec, &[], &[], None, None, &[], false),
        Err(SpecError::EmptyExecCommand)
    ));
    assert!(matches!(
        process_spec_for_exec(&spec, &["id".into()], &[], None, Some("ghost"), &[], false),
        Err(SpecError::UserNotFound(_))
    ));
}

#[test]
fn term_only_for_a_terminal() {
    let f = fixture();
    let term = |tty: bool| {
        let opts = ContainerOptions {
            command: vec!["true".into()],
            tty,
            ..Default::default()
        };
        let spec = gen(&f, &opts, IMAGE).unwrap();
        let env = spec.process().as_ref().unwrap().env().clone().unwrap();
        env.into_iter().find(|e| e.starts_with("TERM="))
    };
    assert_eq!(term(false), None);
    assert_eq!(term(true).as_deref(), Some("TERM=xterm"));
}

#[test]
fn umask_and_group_add_reach_the_process_and_exec_users() {
    let f = fixture();
    let opts = ContainerOptions {
        umask: Some(0o724),
        group_add: vec!["wheel".into(), "7".into()],
        ..Default::default()
    };
    let spec = gen(&f, &opts, IMAGE).unwrap();
    let user = spec.process().as_ref().unwrap().user().clone();
    assert_eq!(user.umask(), Some(0o724));
    // The image user `app`: primary 1000, member of wheel (10), then 7.
    assert_eq!(user.additional_gids().as_deref(), Some(&[1000, 10, 7][..]));

    // An exec without --user keeps the container's user as it is.
    let p = process_spec_for_exec(
        &spec,
        &["id".into()],
        &[],
        None,
        None,
        &opts.group_add,
        false,
    )
    .unwrap();
    assert_eq!(p.user(), &user);
    // With an explicit group only --group-add is added; the umask stays.
    let p = process_spec_for_exec(
        &spec,
        &["id".into()],
        &[],
        None,
        Some("root:root"),
        &opts.group_add,
        false,
    )
    .unwrap();
    assert_eq!(p.user().additional_gids().as_deref(), Some(&[0, 10, 7][..]));
    assert_eq!(p.user().umask(), Some(0o724));

    let bad = ContainerOptions {
        group_add: vec!["nogroup-here".into()],
        ..Default::default()
    };
    assert!(matches!(
        gen(&f, &bad, IMAGE),
        Err(SpecError::GroupNotFound(_))
    ));
}

#[test]
fn poststop_hooks_are_found_in_the_written_spec() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    assert!(has_poststop_hooks(dir.path()), "no spec: assume hooks");
    let mut spec = gen(&f, &ContainerOptions::default(), IMAGE).unwrap();
    write_spec(&spec, dir.path()).unwrap();
    assert!(!has_poststop_hooks(dir.path()));
    let hook = oci_spec::runtime::HookBuilder::default()
        .path("/bin/true")
        .build()
        .unwrap();
    let hooks = oci_spec::runtime::HooksBuilder::default()
        .prestart(vec![hook.clone()])
        .build()
        .unwrap();
    spec.set_hooks(Some(hooks));
    write_spec(&spec, dir.path()).unwrap();
    assert!(!has_poststop_hooks(dir.path()), "prestart only");
    let hooks = oci_spec::runtime::HooksBuilder::default()
        .poststop(vec![hook])
        .build()
        .unwrap();
    spec.set_hooks(Some(hooks));
    write_spec(&spec, dir.path()).unwrap();
    assert!(has_poststop_hooks(dir.path()));
    std::fs::write(dir.path().join("config.json"), b"{garbled").unwrap();
    assert!(has_poststop_hooks(dir.path()), "unreadable: assume hooks");
}
