//! A build context read from a stream (`rpod build -` and the REST API's
//! body): a tar archive (plain or compressed) unpacked into a directory,
//! or, as Docker and Buildah take it, a lone Containerfile.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::BuildError;
use crate::storage::compression::{decompress, Compression};

/// Where a tar header keeps its magic (`ustar`).
const TAR_MAGIC_AT: usize = 257;

/// Unpacks `input` into `dir` (which exists and is empty).
pub(crate) fn unpack(input: Box<dyn Read + Send>, dir: &Path) -> Result<(), BuildError> {
    let (compression, reader) =
        decompress(input).map_err(|e| BuildError::Context(format!("reading stdin: {e}")))?;
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let head = reader
        .fill_buf()
        .map_err(|e| BuildError::Context(format!("reading stdin: {e}")))?;
    let is_tar = head
        .get(TAR_MAGIC_AT..TAR_MAGIC_AT + 5)
        .is_some_and(|m| m == b"ustar");
    if !is_tar && compression == Compression::None {
        let file = dir.join("Containerfile");
        let mut out = std::fs::File::create(&file).map_err(|e| BuildError::io(&file, e))?;
        std::io::copy(&mut reader, &mut out).map_err(|e| BuildError::io(&file, e))?;
        return Ok(());
    }
    let mut archive = tar::Archive::new(reader);
    archive.set_preserve_permissions(true);
    archive.set_overwrite(true);
    // tar's unpack refuses entries that leave `dir` (`..`, absolute links).
    archive
        .unpack(dir)
        .map_err(|e| BuildError::Context(format!("unpacking the build context: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tarball_is_unpacked() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(3);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "sub/f", &b"abc"[..]).unwrap();
        let data = b.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &data).unwrap();
        unpack(
            Box::new(std::io::Cursor::new(gz.finish().unwrap())),
            dir.path(),
        )
        .unwrap();
        assert_eq!(std::fs::read(dir.path().join("sub/f")).unwrap(), b"abc");
    }

    #[test]
    fn plain_text_is_a_containerfile() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"FROM scratch\n".to_vec();
        unpack(Box::new(std::io::Cursor::new(text.clone())), dir.path()).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("Containerfile")).unwrap(),
            text
        );
    }
}
