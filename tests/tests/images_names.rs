//! Image names and removal: tag, untag, rmi, image prune, image exists,
//! images filters and sorting, history, and layer garbage collection.

mod common;

use common::{busybox, world};
use rpod_tests::unique_name;

fn count_entries(dir: std::path::PathBuf) -> usize {
    std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0)
}

#[test]
fn tag_untag_exists_and_filters() {
    let (w, img) = busybox();
    let env = &w.env;
    let id = env.ok(&["images", "-q", "--no-trunc"]).trim().to_string();
    assert!(id.starts_with("sha256:"), "{id}");
    env.ok(&["tag", &img, "mytag", "quay.io/x/other:v2"]);
    let names = env.ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert!(names.contains("localhost/mytag:latest"), "{names}");
    assert!(names.contains("quay.io/x/other:v2"), "{names}");
    env.ok(&["image", "exists", "mytag"]);
    let (code, _) = env.fails(&["image", "exists", "nothere"]);
    assert_eq!(code, 1);

    let f = env.ok(&[
        "images",
        "--filter",
        "reference=*other*",
        "--format",
        "{{.Repository}}",
    ]);
    assert!(f.contains("quay.io/x/other"), "{f}");
    let none = env.ok(&["images", "-q", "--filter", "reference=nomatch*"]);
    assert_eq!(none, "");
    assert_eq!(env.ok(&["images", "-q", "--filter", "dangling=true"]), "");
    let (code, err) = env.fails(&["images", "--filter", "bogus=1"]);
    assert_eq!(code, 125, "{err}");
    let (code, err) = env.fails(&["images", "--sort", "nope"]);
    assert_eq!(code, 125, "{err}");
    env.ok(&["images", "--sort", "repository"]);

    env.ok(&["untag", &img, "mytag"]);
    assert!(env.fails(&["image", "exists", "mytag"]).0 == 1);
    env.ok(&["image", "exists", &img]);
    // Without names, every name goes.
    env.ok(&["untag", "quay.io/x/other:v2"]);
    let dangling = env.ok(&["images", "-q", "--no-trunc", "--filter", "dangling=true"]);
    assert_eq!(dangling.trim(), id);
    let table = env.ok(&["images"]);
    assert!(table.contains("<none>"), "{table}");
    // A dangling image goes with prune; the layers and blobs with it.
    assert_eq!(env.ok(&["image", "prune", "-f"]).trim(), &id[7..]);
    assert_eq!(env.ok(&["images", "-q"]), "");
    let storage = env.root().join("storage");
    assert_eq!(count_entries(storage.join("layers")), 0);
    assert_eq!(count_entries(storage.join("blobs/sha256")), 0);
    assert_eq!(count_entries(storage.join("l")), 0);
}

#[test]
fn history_lists_layers_newest_first() {
    let w = world(&["multilayer"]);
    w.env.ok(&["pull", "-q", &w.images[0]]);
    let out = w.env.ok(&["history", &w.images[0]]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("ID"), "{out}");
    assert!(lines[0].contains("CREATED BY"), "{out}");
    assert!(lines.len() >= 3, "{out}");
    assert!(lines[2].starts_with("<missing>"), "{out}");
    let ids = w.env.ok(&["history", "-q", &w.images[0]]);
    let short = w.env.ok(&["images", "-q"]);
    assert_eq!(ids.lines().next(), short.lines().next());
    let json = w
        .env
        .ok(&["history", "--format", "{{.Size}}", &w.images[0]]);
    assert_eq!(json.lines().count(), lines.len() - 1);
    let (code, err) = w.env.fails(&["history", "nothere"]);
    assert_eq!(code, 125);
    assert!(err.contains("nothere: image not known"), "{err}");
}

#[test]
fn rmi_refuses_images_in_use_unless_forced() {
    let (w, img) = busybox();
    let env = &w.env;
    let name = unique_name("inuse");
    env.ok(&["create", "--name", &name, &img, "true"]);
    let before = env.ok(&["images", "-q"]);
    let (code, err) = env.fails(&["rmi", &img]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("image is in use by a container"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert_eq!(env.ok(&["images", "-q"]), before, "store unchanged");

    // A second name: rmi by that name only untags.
    env.ok(&["tag", &img, "second"]);
    let out = env.ok(&["rmi", "second"]);
    assert_eq!(out.trim(), "Untagged: localhost/second:latest");
    assert_eq!(env.ok(&["images", "-q"]), before);

    let out = env.ok(&["rmi", "-f", &img]);
    assert!(out.contains(&format!("Untagged: {img}")), "{out}");
    assert!(out.contains("Deleted: "), "{out}");
    assert_eq!(env.ok(&["ps", "-aq"]), "", "container removed with -f");
    assert_eq!(env.ok(&["images", "-q"]), "");
    let (code, err) = env.fails(&["rmi", &img]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("image not known"), "{err}");
    env.ok(&["rmi", "-i", &img]);
    assert_eq!(
        env.ok(&["rmi", "-f", &img]),
        "",
        "-f: a missing image is no error"
    );
}

#[test]
fn rmi_keeps_layers_shared_with_other_images() {
    let w = world(&["busybox", "multiarch"]);
    let env = &w.env;
    env.ok(&["pull", "-q", &w.images[0]]);
    env.ok(&["pull", "-q", &w.images[1]]);
    let layers = env.root().join("storage/layers");
    assert_eq!(count_entries(layers.clone()), 2, "busybox layer shared");
    env.ok(&["rmi", &w.images[0]]);
    assert_eq!(count_entries(layers.clone()), 2);
    let out = env.ok(&["run", "--rm", &w.images[1], "cat", "/platform"]);
    assert!(!out.is_empty());
    env.ok(&["rmi", "-a"]);
    assert_eq!(count_entries(layers), 0);
}

#[test]
fn image_tree_and_save_to_stdout() {
    let w = world(&["multilayer"]);
    let env = &w.env;
    env.ok(&["pull", "-q", &w.images[0]]);
    let tree = env.ok(&["image", "tree", &w.images[0]]);
    let lines: Vec<&str> = tree.lines().collect();
    assert!(lines[0].starts_with("Image ID: "), "{tree}");
    assert_eq!(lines[3], "Image Layers", "{tree}");
    assert!(lines[4].starts_with("├── ID: "), "{tree}");
    assert!(
        lines[5].starts_with("└── ID: ") && lines[5].contains(&w.images[0]),
        "{tree}"
    );
    // save to a pipe (stdout) and load it back.
    let out_path = env.dir().join("stdout.tar");
    let status = env
        .cmd(&["save", &w.images[0]])
        .stdout(std::fs::File::create(&out_path).unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    env.ok(&["rmi", "-a"]);
    let out = env.ok(&["load", "-i", out_path.to_str().unwrap()]);
    assert_eq!(out.trim(), format!("Loaded image: {}", w.images[0]));
}

#[test]
fn rmi_all_removes_images_with_several_names() {
    let (w, img) = busybox();
    w.env
        .ok(&["tag", &img, "localhost/second:v1", "localhost/third:v2"]);
    let ids = w.env.ok(&["images", "-q"]);
    let id = ids.lines().next().unwrap();
    let (code, err) = w.env.fails(&["rmi", id]);
    assert_eq!(code, 2, "by id with several names needs --force: {err}");
    w.env.ok(&["rmi", "-a"]);
    assert_eq!(w.env.ok(&["images", "-q"]), "");
}

/// A pull by digest stores `repo@digest` as a name, as containers/image
/// does: it is no tag (`RepoTags`, `images`), and `rmi repo@digest` removes
/// it while the image keeps its tag (Podman's 010-images "after pulling by
/// sha").
#[test]
fn a_name_pulled_by_digest_is_no_tag_and_rmi_removes_it() {
    let (w, img) = busybox();
    let env = &w.env;
    let digest = env.ok(&["image", "inspect", "--format", "{{.Digest}}", &img]);
    let repo = img.rsplit_once(':').map(|(r, _)| r).unwrap();
    let by_digest = format!("{repo}@{}", digest.trim());
    let before = env.ok(&["images", "-a"]);
    env.ok(&["pull", "-q", &by_digest]);
    assert_eq!(
        env.ok(&["images", "-a"]),
        before,
        "no new row for the digest"
    );
    let tags = env.ok(&["image", "inspect", "--format", "{{.RepoTags}}", &img]);
    assert_eq!(tags.trim(), format!("[{img}]"));
    let digests = env.ok(&["image", "inspect", "--format", "{{.RepoDigests}}", &img]);
    assert_eq!(digests.trim(), format!("[{by_digest}]"));

    assert_eq!(
        env.ok(&["rmi", &by_digest]).trim(),
        format!("Untagged: {by_digest}")
    );
    // Removing the image now names only its tag.
    let out = env.ok(&["rmi", "-af"]);
    let untagged: Vec<&str> = out.lines().filter(|l| l.starts_with("Untagged:")).collect();
    assert_eq!(untagged, [format!("Untagged: {img}")], "{out}");
}
