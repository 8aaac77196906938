//! The infra ("pause") image, built locally without any registry, as
//! Podman builds its `localhost/podman-pause`: one layer holding the static
//! `catatonit` binary from the host (Debian package `catatonit`), run as
//! `catatonit -P` (it only waits, holding the pod's namespaces).

use std::io::Cursor;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::PodError;
use crate::storage::{Image, NewImage, Store};

/// Name of the infra image in rpod's store.
pub const INFRA_IMAGE: &str = concat!("localhost/rpod-pause:", env!("CARGO_PKG_VERSION"));

/// Where the catatonit binary is looked for, in order.
const CATATONIT_PATHS: &[&str] = &[
    "/usr/libexec/podman/catatonit",
    "/usr/bin/catatonit",
    "/usr/local/bin/catatonit",
];

/// The infra image's entrypoint.
pub const INFRA_ENTRYPOINT: &[&str] = &["/catatonit", "-P"];

fn infra_err(why: impl Into<String>) -> PodError {
    PodError::InfraImage {
        image: INFRA_IMAGE.to_owned(),
        why: why.into(),
    }
}

/// The infra image, built into `store` first if it is not there yet.
pub fn ensure_infra_image(store: &Store) -> Result<Image, PodError> {
    if let Some(img) = store.lookup_image(INFRA_IMAGE)? {
        return Ok(img);
    }
    let bin = find_catatonit()
        .ok_or_else(|| infra_err("catatonit not found (install the catatonit package)"))?;
    let binary =
        std::fs::read(&bin).map_err(|e| infra_err(format!("reading {}: {e}", bin.display())))?;
    if is_dynamic_elf(&binary) {
        return Err(infra_err(format!(
            "{} is dynamically linked: the infra image needs a static catatonit",
            bin.display()
        )));
    }
    let layer = layer_tar(&binary).map_err(|e| infra_err(format!("writing the layer: {e}")))?;
    let diff_id = format!("sha256:{}", hex::encode(Sha256::digest(&layer)));
    let info = store.create_layer(None, &diff_id, Cursor::new(&layer))?;
    let config = serde_json::json!({
        "architecture": crate::image_ref::platform::host_arch(),
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": {
            "Entrypoint": INFRA_ENTRYPOINT,
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Labels": {"io.rpod.infra": "true"},
            "StopSignal": "SIGTERM",
        },
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    });
    let config = serde_json::to_vec(&config).map_err(|e| infra_err(e.to_string()))?;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": format!("sha256:{}", hex::encode(Sha256::digest(&config))),
            "size": config.len(),
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": diff_id,
            "size": layer.len(),
        }],
    });
    let manifest = serde_json::to_vec(&manifest).map_err(|e| infra_err(e.to_string()))?;
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(&manifest)));
    let img = store.commit_image(&NewImage {
        manifest: &manifest,
        manifest_digest: &digest,
        extra_digests: &[],
        config: &config,
        layers: &[info.chain_id],
        names: &[INFRA_IMAGE.to_owned()],
    })?;
    tracing::debug!(image = %img.id, "built the infra image from {}", bin.display());
    Ok(img)
}

fn find_catatonit() -> Option<PathBuf> {
    CATATONIT_PATHS
        .iter()
        .map(Path::new)
        .find(|p| p.is_file())
        .map(Path::to_owned)
}

/// Whether an ELF file asks for a program interpreter (is dynamically
/// linked). Anything that is not a well-formed 64-bit little-endian ELF
/// counts as dynamic, so it is refused.
pub fn is_dynamic_elf(bytes: &[u8]) -> bool {
    const PT_INTERP: u32 = 3;
    let u16_at = |o: usize| {
        bytes
            .get(o..o + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |o: usize| {
        bytes
            .get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let u64_at = |o: usize| {
        bytes
            .get(o..o + 8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    };
    if bytes.get(..6) != Some(b"\x7fELF\x02\x01".as_slice()) {
        return true;
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38))
    else {
        return true;
    };
    (0..phnum as usize).any(|i| {
        let off = phoff as usize + i * phentsize as usize;
        u32_at(off).is_none_or(|t| t == PT_INTERP)
    })
}

/// A deterministic tar stream with `/catatonit` (mode 0755, root-owned).
fn layer_tar(binary: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_ustar();
    header.set_path("catatonit")?;
    header.set_size(binary.len() as u64);
    header.set_mode(0o755);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    builder.append(&header, binary)?;
    builder.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_and_static_elf() {
        let sh = std::fs::read("/bin/sh").unwrap();
        assert!(is_dynamic_elf(&sh), "/bin/sh is dynamically linked");
        assert!(is_dynamic_elf(b"#!/bin/sh\n"));
        let busybox = std::fs::read("/bin/busybox").unwrap();
        assert!(!is_dynamic_elf(&busybox), "busybox-static is static");
    }

    #[test]
    fn builds_once_into_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let img = ensure_infra_image(&store).unwrap();
        assert_eq!(img.names, [INFRA_IMAGE]);
        assert_eq!(img.layers.len(), 1);
        let diff = store.layer_diff_path(&img.layers[0]).unwrap();
        assert!(diff.join("catatonit").is_file());
        let again = ensure_infra_image(&store).unwrap();
        assert_eq!(again.id, img.id);
    }
}
