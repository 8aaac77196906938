//! Layer blob and archive decompression, detected from the stream's magic
//! bytes (as containers/image and containers/storage's DecompressStream do:
//! gzip, bzip2, xz, zstd) rather than trusted from the media type.

use std::io::{self, BufRead, BufReader, Read};

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const BZIP2_MAGIC: &[u8] = b"BZh";
const XZ_MAGIC: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0x00];

/// Compression of a layer blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain tar.
    None,
    /// gzip.
    Gzip,
    /// zstd (also zstd:chunked, read as plain zstd).
    Zstd,
    /// bzip2.
    Bzip2,
    /// xz.
    Xz,
}

/// Wraps `reader` in the decompressor its first bytes call for.
pub fn decompress<'a, R: Read + Send + 'a>(
    reader: R,
) -> io::Result<(Compression, Box<dyn Read + Send + 'a>)> {
    decompress_buffered(BufReader::with_capacity(128 * 1024, reader))
}

/// [`decompress`] for a reader that buffers already (the decompressors
/// read from its buffer, with no copy into one of their own).
pub fn decompress_buffered<'a, R: BufRead + Send + 'a>(
    mut buf: R,
) -> io::Result<(Compression, Box<dyn Read + Send + 'a>)> {
    let head = buf.fill_buf()?;
    if head.starts_with(GZIP_MAGIC) {
        Ok((
            Compression::Gzip,
            Box::new(flate2::bufread::MultiGzDecoder::new(buf)),
        ))
    } else if head.starts_with(ZSTD_MAGIC) {
        Ok((
            Compression::Zstd,
            Box::new(zstd::stream::read::Decoder::with_buffer(buf)?),
        ))
    } else if head.starts_with(BZIP2_MAGIC) {
        Ok((
            Compression::Bzip2,
            Box::new(bzip2::bufread::MultiBzDecoder::new(buf)),
        ))
    } else if head.starts_with(XZ_MAGIC) {
        Ok((
            Compression::Xz,
            Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(buf)),
        ))
    } else {
        Ok((Compression::None, Box::new(buf)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn every_format_is_recognised_and_read() {
        let data = b"some tar bytes".repeat(100);
        let gz = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&data).unwrap();
            e.finish().unwrap()
        };
        let bz = {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            e.write_all(&data).unwrap();
            e.finish().unwrap()
        };
        let xz = {
            let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
            e.write_all(&data).unwrap();
            e.finish().unwrap()
        };
        let zst = zstd::encode_all(&data[..], 1).unwrap();
        for (blob, kind) in [
            (gz, Compression::Gzip),
            (bz, Compression::Bzip2),
            (xz, Compression::Xz),
            (zst, Compression::Zstd),
            (data.clone(), Compression::None),
        ] {
            let (got, mut r) = decompress(&blob[..]).unwrap();
            assert_eq!(got, kind);
            let mut out = Vec::new();
            r.read_to_end(&mut out).unwrap();
            assert_eq!(out, data, "{kind:?}");
        }
    }
}
