//! `--mount type=image`, `ramfs` and `devpts` in a container's spec. An
//! image mount uses the image's read-only mount on the host (counted, as
//! `image mount` counts) bind-mounted read-only, or with `rw=true` an
//! overlay on top of it whose writes live in the run directory and are
//! dropped with the run. The images a run mounted are kept in the run
//! directory, so cleanup releases each once.

use std::path::{Path, PathBuf};

use oci_spec::runtime::{Mount, MountBuilder, Spec};

use super::paths::ContainerPaths;
use super::ContainerError;
use crate::engine::EngineCtx;
use crate::state::ContainerRecord;

fn mounted_file(paths: &ContainerPaths) -> PathBuf {
    paths.run_dir.join("images-mounted.json")
}

fn mount(
    dest: &str,
    typ: &str,
    source: &Path,
    options: Vec<String>,
) -> Result<Mount, ContainerError> {
    MountBuilder::default()
        .destination(dest)
        .typ(typ)
        .source(source)
        .options(options)
        .build()
        .map_err(|e| ContainerError::Io {
            path: PathBuf::from(dest),
            source: std::io::Error::other(e.to_string()),
        })
}

/// Adds the container's image, ramfs and devpts mounts to `spec` (each
/// replacing a default mount at its destination).
pub(crate) fn apply(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    paths: &ContainerPaths,
    spec: &mut Spec,
) -> Result<(), ContainerError> {
    let o = &rec.options;
    if o.image_mounts.is_empty() && o.fs_mounts.is_empty() {
        return Ok(());
    }
    let mut mounts = spec.mounts().clone().unwrap_or_default();
    let mut mounted: Vec<String> = Vec::new();
    let res = (|| {
        for f in &o.fs_mounts {
            let mut options: Vec<String> = match f.fs_type.as_str() {
                "devpts" => [
                    "nosuid",
                    "noexec",
                    "newinstance",
                    "ptmxmode=0666",
                    "mode=0620",
                ]
                .map(String::from)
                .to_vec(),
                _ => ["nosuid", "nodev"].map(String::from).to_vec(),
            };
            for opt in &f.options {
                let key = opt.split('=').next().unwrap_or(opt);
                options.retain(|x| x.split('=').next() != Some(key));
                options.push(opt.clone());
            }
            mounts.retain(|m| m.destination() != Path::new(&f.destination));
            mounts.push(mount(
                &f.destination,
                &f.fs_type,
                Path::new(&f.fs_type),
                options,
            )?);
        }
        let dir = paths.run_dir.join("image-mounts");
        let _ = std::fs::remove_dir_all(&dir);
        for (i, m) in o.image_mounts.iter().enumerate() {
            let image = ctx
                .store
                .lookup_image(&m.source)?
                .ok_or_else(|| ContainerError::ImageNotFound(m.source.clone()))?;
            let merged = ctx.store.mount_image(&image)?;
            mounted.push(image.id.clone());
            let source = match &m.subpath {
                Some(s) => merged.join(s.trim_start_matches('/')),
                None => merged,
            };
            mounts.retain(|x| x.destination() != Path::new(&m.destination));
            if !m.rw {
                let opts = ["rbind", "ro", "nosuid", "nodev"]
                    .map(String::from)
                    .to_vec();
                mounts.push(mount(&m.destination, "bind", &source, opts)?);
                continue;
            }
            let upper = dir.join(i.to_string()).join("upper");
            let work = dir.join(i.to_string()).join("work");
            for d in [&upper, &work] {
                std::fs::create_dir_all(d).map_err(super::error::io_err(d))?;
            }
            let opts = vec![
                format!("lowerdir={}", source.display()),
                format!("upperdir={}", upper.display()),
                format!("workdir={}", work.display()),
            ];
            mounts.push(mount(
                &m.destination,
                "overlay",
                Path::new("overlay"),
                opts,
            )?);
        }
        let file = mounted_file(paths);
        std::fs::write(&file, serde_json::to_vec(&mounted).unwrap_or_default())
            .map_err(super::error::io_err(&file))?;
        Ok(())
    })();
    if let Err(e) = res {
        unmount_all(ctx, &mounted);
        return Err(e);
    }
    spec.set_mounts(Some(mounts));
    Ok(())
}

/// Releases the images the last run mounted (nothing if already done).
pub(crate) fn release(ctx: &EngineCtx, paths: &ContainerPaths) {
    let file = mounted_file(paths);
    let Ok(raw) = std::fs::read(&file) else {
        return;
    };
    let ids: Vec<String> = serde_json::from_slice(&raw).unwrap_or_default();
    unmount_all(ctx, &ids);
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_dir_all(paths.run_dir.join("image-mounts"));
}

fn unmount_all(ctx: &EngineCtx, ids: &[String]) {
    for id in ids {
        if let Err(e) = ctx.store.unmount_image(id, false) {
            tracing::warn!(image = %id, "unmounting image: {e}");
        }
    }
}
