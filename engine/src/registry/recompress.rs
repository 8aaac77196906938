//! Layer compression on push (`--compression-format gzip|zstd`,
//! `--compression-level`, `--force-compression`): a layer blob in another
//! format is decompressed and compressed again into a temp file,
//! and the manifest is rewritten with the new digests, sizes and media
//! types (a Docker manifest becomes OCI for zstd, which Docker schema 2
//! cannot describe). Config bytes, so the image id, never change.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::storage::compression::{decompress, Compression};
use crate::storage::manifest::{
    to_oci, Manifest, DOCKER_LAYER_GZIP, OCI_LAYER_GZIP, OCI_LAYER_ZSTD,
};
use crate::storage::Hashing;

/// A compression layers can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// gzip (`application/…tar+gzip`).
    Gzip,
    /// zstd (`application/vnd.oci.image.layer.v1.tar+zstd`).
    Zstd,
}

/// Why a compression request is refused.
#[derive(Debug, thiserror::Error)]
pub enum CompressionError {
    /// An unknown `--compression-format`.
    #[error("unsupported compression format {0:?}: gzip and zstd are supported")]
    Unknown(String),
    /// `zstd:chunked` output needs its table of contents, not written by rpod.
    #[error("compression format {0:?} is not implemented for push: rpod writes gzip and zstd (see docs/compatibility.md)")]
    NotImplemented(String),
    /// A level outside the algorithm's range.
    #[error("compression level {level} out of range for {format} ({min}-{max})")]
    Level {
        /// The level asked for.
        level: i32,
        /// The algorithm.
        format: &'static str,
        /// Lowest level.
        min: i32,
        /// Highest level.
        max: i32,
    },
    /// Reading or writing a blob failed.
    #[error("recompressing layer {digest}: {source}")]
    Io {
        /// The layer.
        digest: String,
        /// The cause.
        source: io::Error,
    },
    /// The manifest cannot be rewritten.
    #[error("rewriting manifest: {0}")]
    Manifest(String),
}

/// A validated compression request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recompress {
    /// The wanted format.
    pub target: Target,
    /// Its level (the algorithm's default if `None`).
    pub level: Option<i32>,
    /// `--force-compression`: every layer in `target`, even one whose
    /// original blob the destination already has (without it such a layer
    /// is reused as it is, as containers/image reuses blobs).
    pub force: bool,
}

impl Recompress {
    /// Parses `--compression-format` / `--compression-level` /
    /// `--force-compression` (which defaults to true when a format is given).
    pub fn parse(
        format: Option<&str>,
        level: Option<i32>,
        force: Option<bool>,
    ) -> Result<Option<Recompress>, CompressionError> {
        let Some(format) = format else {
            return Ok(None);
        };
        let target = match format {
            "gzip" => Target::Gzip,
            "zstd" => Target::Zstd,
            "zstd:chunked" => return Err(CompressionError::NotImplemented(format.to_string())),
            other => return Err(CompressionError::Unknown(other.to_string())),
        };
        if let Some(level) = level {
            let (name, min, max) = match target {
                Target::Gzip => ("gzip", 0, 9),
                Target::Zstd => ("zstd", 1, 20),
            };
            if !(min..=max).contains(&level) {
                return Err(CompressionError::Level {
                    level,
                    format: name,
                    min,
                    max,
                });
            }
        }
        Ok(Some(Recompress {
            target,
            level,
            force: force.unwrap_or(true),
        }))
    }

    /// Whether a blob compressed as `current` must be written again.
    pub fn needed(&self, current: Compression) -> bool {
        !matches!(
            (self.target, current),
            (Target::Gzip, Compression::Gzip) | (Target::Zstd, Compression::Zstd)
        )
    }
}

/// The compression of the blob at `path`, from its first bytes.
pub fn sniff(path: &Path) -> io::Result<Compression> {
    let (c, _) = decompress(File::open(path)?)?;
    Ok(c)
}

/// A layer written again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    /// The stored blob it came from.
    pub from: String,
    /// The new blob's digest.
    pub digest: String,
    /// Its size.
    pub size: u64,
    /// The file holding it.
    pub path: PathBuf,
}

/// Writes the blob `digest` at `src` compressed as `how` into `dest`
/// (blocking: call off the async executor).
pub fn recompress_blob(
    digest: &str,
    src: &Path,
    dest: PathBuf,
    how: Recompress,
) -> Result<Rewritten, CompressionError> {
    let io_err = |source: io::Error| CompressionError::Io {
        digest: digest.to_string(),
        source,
    };
    let (_, mut reader) = decompress(File::open(src).map_err(io_err)?).map_err(io_err)?;
    let out = Hashing::new(BufWriter::new(File::create(&dest).map_err(io_err)?));
    let mut out = match how.target {
        Target::Gzip => {
            let level = how.level.map_or(flate2::Compression::default(), |l| {
                flate2::Compression::new(l.unsigned_abs())
            });
            let mut enc = flate2::write::GzEncoder::new(out, level);
            copy(&mut reader, &mut enc).map_err(io_err)?;
            enc.finish().map_err(io_err)?
        }
        Target::Zstd => {
            let mut enc =
                zstd::stream::write::Encoder::new(out, how.level.unwrap_or(3)).map_err(io_err)?;
            copy(&mut reader, &mut enc).map_err(io_err)?;
            enc.finish().map_err(io_err)?
        }
    };
    out.flush().map_err(io_err)?;
    let (digest_out, size) = (out.digest(), out.count);
    out.inner
        .into_inner()
        .map_err(|e| io_err(e.into_error()))?
        .sync_all()
        .map_err(io_err)?;
    Ok(Rewritten {
        from: digest.to_string(),
        digest: digest_out,
        size,
        path: dest,
    })
}

fn copy(r: &mut dyn Read, w: &mut dyn Write) -> io::Result<u64> {
    io::copy(r, w)
}

/// The manifest `raw` with `rewritten` layers (by their old digest) in
/// `target`'s media type; a Docker manifest becomes OCI for zstd.
pub fn rewrite_manifest(
    raw: &[u8],
    target: Target,
    rewritten: &[Rewritten],
) -> Result<Vec<u8>, CompressionError> {
    let bad = |e: serde_json::Error| CompressionError::Manifest(e.to_string());
    let parsed = Manifest::parse(raw).map_err(bad)?;
    let docker = parsed.is_docker() && target == Target::Gzip;
    let base = if parsed.is_docker() && !docker {
        to_oci(raw).map_err(bad)?
    } else {
        raw.to_vec()
    };
    let mut v: Value = serde_json::from_slice(&base).map_err(bad)?;
    let layers = v
        .get_mut("layers")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| CompressionError::Manifest("no layers".to_string()))?;
    let media_type = match (target, docker) {
        (Target::Gzip, true) => DOCKER_LAYER_GZIP,
        (Target::Gzip, false) => OCI_LAYER_GZIP,
        (Target::Zstd, _) => OCI_LAYER_ZSTD,
    };
    for layer in layers.iter_mut() {
        let Some(r) = rewritten
            .iter()
            .find(|r| layer.get("digest").and_then(Value::as_str) == Some(r.from.as_str()))
        else {
            continue;
        };
        if let Some(obj) = layer.as_object_mut() {
            obj.insert("mediaType".into(), json!(media_type));
            obj.insert("digest".into(), json!(r.digest));
            obj.insert("size".into(), json!(r.size));
        }
    }
    serde_json::to_vec(&v).map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::manifest::{DOCKER_CONFIG, DOCKER_MANIFEST, OCI_MANIFEST};
    use sha2::{Digest, Sha256};

    #[test]
    fn parse_formats_levels_and_force() {
        assert_eq!(Recompress::parse(None, Some(3), None).unwrap(), None);
        let z = Recompress::parse(Some("zstd"), Some(19), None)
            .unwrap()
            .unwrap();
        assert_eq!((z.target, z.level, z.force), (Target::Zstd, Some(19), true));
        let g = Recompress::parse(Some("gzip"), None, Some(false))
            .unwrap()
            .unwrap();
        assert!(!g.force);
        assert!(!g.needed(Compression::Gzip));
        assert!(g.needed(Compression::Zstd));
        assert!(g.needed(Compression::None));
        assert!(!z.needed(Compression::Zstd));
        assert!(matches!(
            Recompress::parse(Some("gzip"), Some(10), None),
            Err(CompressionError::Level { .. })
        ));
        assert!(matches!(
            Recompress::parse(Some("zstd:chunked"), None, None),
            Err(CompressionError::NotImplemented(_))
        ));
        assert!(matches!(
            Recompress::parse(Some("lz4"), None, None),
            Err(CompressionError::Unknown(_))
        ));
    }

    #[test]
    fn gzip_to_zstd_round_trip_and_docker_manifest_becomes_oci() {
        let dir = tempfile::tempdir().unwrap();
        let data = b"layer tar bytes ".repeat(1000);
        let src = dir.path().join("src");
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&data).unwrap();
        std::fs::write(&src, e.finish().unwrap()).unwrap();
        let how = Recompress::parse(Some("zstd"), None, None)
            .unwrap()
            .unwrap();
        let r = recompress_blob("sha256:old", &src, dir.path().join("out"), how).unwrap();
        let written = std::fs::read(&r.path).unwrap();
        assert_eq!(r.size, written.len() as u64);
        assert_eq!(
            r.digest,
            format!("sha256:{}", hex::encode(Sha256::digest(&written)))
        );
        assert_eq!(sniff(&r.path).unwrap(), Compression::Zstd);
        assert_eq!(zstd::decode_all(&written[..]).unwrap(), data);

        let m = json!({
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": DOCKER_CONFIG, "digest": "sha256:cc", "size": 3},
            "layers": [{"mediaType": DOCKER_LAYER_GZIP, "digest": "sha256:old", "size": 4}]
        });
        let raw = serde_json::to_vec(&m).unwrap();
        let out: Value = serde_json::from_slice(
            &rewrite_manifest(&raw, Target::Zstd, std::slice::from_ref(&r)).unwrap(),
        )
        .unwrap();
        assert_eq!(out["mediaType"], OCI_MANIFEST);
        assert_eq!(out["layers"][0]["mediaType"], OCI_LAYER_ZSTD);
        assert_eq!(out["layers"][0]["digest"], json!(r.digest));
        assert_eq!(out["config"]["digest"], "sha256:cc");
        let gz: Value =
            serde_json::from_slice(&rewrite_manifest(&raw, Target::Gzip, &[r]).unwrap()).unwrap();
        assert_eq!(gz["mediaType"], DOCKER_MANIFEST);
        assert_eq!(gz["layers"][0]["mediaType"], DOCKER_LAYER_GZIP);
    }
}
