//! Layer blob decompression, detected from the stream's magic bytes (as
//! containers/image does) rather than trusted from the media type.

use std::io::{self, BufRead, BufReader, Read};

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Compression of a layer blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain tar.
    None,
    /// gzip.
    Gzip,
    /// zstd (also zstd:chunked, read as plain zstd).
    Zstd,
}

/// Wraps `reader` in the decompressor its first bytes call for.
pub fn decompress<'a, R: Read + Send + 'a>(
    reader: R,
) -> io::Result<(Compression, Box<dyn Read + Send + 'a>)> {
    let mut buf = BufReader::with_capacity(128 * 1024, reader);
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
    } else {
        Ok((Compression::None, Box::new(buf)))
    }
}
