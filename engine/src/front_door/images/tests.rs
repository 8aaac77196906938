//! The Images service of a local engine in a temporary root, end to end.

use rpod_api::front_door::images::{
    ArchiveSource, ImageImportOptions, ImageListOptions, ImagePruneOptions, ImageRemoveOptions,
};
use rpod_api::front_door::Images;
use rpod_api::ErrorKind;

use crate::front_door::LocalEngine;

fn rootfs_tar() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let data = b"hello\n";
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "etc/hello", &data[..]).unwrap();
    b.into_inner().unwrap()
}

fn engine(dir: &std::path::Path) -> LocalEngine {
    crate::front_door::test_engine(dir)
}

#[test]
fn import_list_tag_remove_history_prune() {
    let dir = tempfile::tempdir().unwrap();
    let fd = engine(dir.path());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let id = fd
            .image_import(
                ArchiveSource::Stream(Box::new(std::io::Cursor::new(rootfs_tar()))),
                ImageImportOptions {
                    reference: Some("one".into()),
                    source_name: "root.tar".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let list = fd.image_list(ImageListOptions::default()).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].id, id);
        assert_eq!(
            list[0].repo_tags.as_deref(),
            Some(&["localhost/one:latest".to_string()][..])
        );

        fd.image_tag(&id, vec!["two".into()]).await.unwrap();
        assert!(fd.image_exists("localhost/two").await.unwrap());
        let filtered = fd
            .image_list(ImageListOptions {
                filter: vec!["reference=two".into()],
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(filtered.len(), 1);
        let e = fd
            .image_list(ImageListOptions {
                filter: vec!["bogus".into()],
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);

        let history = fd.image_history("one").await.unwrap();
        assert_eq!(history[0].id, id);
        assert!(
            history[0].created_by.contains("ADD file:root.tar"),
            "{history:?}"
        );
        assert_eq!(history[0].tags.len(), 2);

        let inspect = fd.image_inspect("two").await.unwrap();
        assert_eq!(inspect.id, id);
        let e = fd.image_inspect("nothere").await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::NoSuchImage);
        assert_eq!(e.message, "nothere: image not known");

        // `repo@digest` untags only that (digest) name: the tags stay.
        let by_digest = format!("localhost/one@{}", inspect.digest);
        fd.image_untag(&id, vec![by_digest.clone()]).await.unwrap();
        let r = fd
            .image_remove(vec![by_digest.clone()], ImageRemoveOptions::default())
            .await
            .unwrap();
        assert_eq!(r.untagged, vec![by_digest]);
        assert!(r.deleted.is_empty());
        assert!(fd.image_exists("one").await.unwrap());

        // `--force` of one of several names also only untags it.
        fd.image_tag(&id, vec!["three".into()]).await.unwrap();
        let r = fd
            .image_remove(
                vec!["three".into()],
                ImageRemoveOptions {
                    force: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(r.untagged, vec!["localhost/three:latest".to_string()]);
        assert!(r.deleted.is_empty());
        // The removed name stays in the image's name history (Podman's
        // `.History`), after the current names.
        let listed = fd.image_list(ImageListOptions::default()).await.unwrap();
        let history = listed[0].history.clone().unwrap();
        assert_eq!(
            history.last().map(String::as_str),
            Some("localhost/three:latest")
        );
        assert!(
            history[..2].contains(&"localhost/one:latest".to_string()),
            "{history:?}"
        );

        // One of several names: only that name goes; a missing one is an error
        // of its own; by ID with two names needs force.
        let r = fd
            .image_remove(
                vec!["two".into(), "nothere".into()],
                ImageRemoveOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(r.untagged, vec!["localhost/two:latest".to_string()]);
        assert!(r.deleted.is_empty());
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].kind, ErrorKind::NoSuchImage);

        fd.image_untag(&id, Vec::new()).await.unwrap();
        let pruned = fd.image_prune(ImagePruneOptions::default()).await.unwrap();
        assert_eq!(pruned.len(), 1);
        assert_eq!(pruned[0].id, id);
        assert!(fd
            .image_list(ImageListOptions::default())
            .await
            .unwrap()
            .is_empty());
        let r = fd
            .image_remove(
                Vec::new(),
                ImageRemoveOptions {
                    all: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(r.deleted.is_empty() && r.errors.is_empty());
    });
}
