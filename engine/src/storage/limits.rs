//! Resource bounds on unpacking layers (`[storage]` in rpod.conf): how much
//! one layer and one image may expand to, how many entries a layer may
//! have and how deep its directories may nest. The defaults are far above
//! what real images use, so only hostile or broken archives reach them.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Default `storage.max_layer_size`: 64 GiB of uncompressed tar stream. The
/// largest public images (CUDA / ML stacks) have layers of a few GiB.
pub const DEFAULT_MAX_LAYER_SIZE: u64 = 64 << 30;
/// Default `storage.max_image_size`: 128 GiB, the sum of an image's layers.
pub const DEFAULT_MAX_IMAGE_SIZE: u64 = 128 << 30;
/// Default `storage.max_layer_entries`: 10 million tar entries. Full
/// distribution images hold a few hundred thousand files; every entry costs
/// an inode, so this bounds inode exhaustion.
pub const DEFAULT_MAX_LAYER_ENTRIES: u64 = 10_000_000;
/// Default `storage.max_path_depth`: 4096 directory levels. Paths of real
/// images nest a few dozen levels (node_modules chains stay below 200);
/// `PATH_MAX` (4096 bytes) makes anything past 2048 levels unusable by
/// ordinary programs anyway. The limit stays above that so that what a
/// container can build in its own root (and `commit`) is still accepted:
/// rpod's walkers are iterative and fd-relative, so depth itself costs
/// nothing but the tree's size.
pub const DEFAULT_MAX_PATH_DEPTH: u32 = 4096;

/// The limits in force for one store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnpackLimits {
    /// Bytes of uncompressed tar stream per layer.
    pub max_layer_size: u64,
    /// Bytes of uncompressed tar stream per image (all its layers).
    pub max_image_size: u64,
    /// Tar entries per layer.
    pub max_layer_entries: u64,
    /// Directory levels below the layer root, symlinks resolved.
    pub max_path_depth: u32,
}

impl Default for UnpackLimits {
    fn default() -> Self {
        UnpackLimits {
            max_layer_size: DEFAULT_MAX_LAYER_SIZE,
            max_image_size: DEFAULT_MAX_IMAGE_SIZE,
            max_layer_entries: DEFAULT_MAX_LAYER_ENTRIES,
            max_path_depth: DEFAULT_MAX_PATH_DEPTH,
        }
    }
}

/// Which limit was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    /// One layer expands to more than `max_layer_size`.
    #[error("unpacked size exceeds the limit of {0} bytes (storage.max_layer_size in rpod.conf)")]
    LayerSize(u64),
    /// The image's layers together expand to more than `max_image_size`.
    #[error(
        "unpacked image size exceeds the limit of {0} bytes (storage.max_image_size in rpod.conf)"
    )]
    ImageSize(u64),
    /// A layer has more than `max_layer_entries` entries.
    #[error("number of entries exceeds the limit of {0} (storage.max_layer_entries in rpod.conf)")]
    Entries(u64),
    /// A directory nests deeper than `max_path_depth`.
    #[error("path depth exceeds the limit of {0} (storage.max_path_depth in rpod.conf)")]
    Depth(u32),
}

/// The unpacked bytes of one image so far, shared by the layers of that
/// image that are unpacked in parallel.
#[derive(Debug, Clone, Default)]
pub struct ImageBudget {
    used: Arc<AtomicU64>,
}

impl ImageBudget {
    /// A budget of which `used` bytes are already spent (layers of the
    /// image that are stored already).
    pub fn with_used(used: u64) -> Self {
        ImageBudget {
            used: Arc::new(AtomicU64::new(used)),
        }
    }

    /// Spends `n` bytes; false once the total passes `max`.
    fn spend(&self, n: u64, max: u64) -> bool {
        let before = self.used.fetch_add(n, Ordering::Relaxed);
        before.saturating_add(n) <= max
    }

    /// Bytes spent so far.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }
}

/// Checks that an entry announcing `size` bytes, whose data starts at
/// `position` in the layer's stream, fits in both limits: a bomb's first
/// big file is refused before any of it is written.
pub(crate) fn check_announced(
    limits: &UnpackLimits,
    image: &ImageBudget,
    position: u64,
    size: u64,
) -> Result<(), LimitExceeded> {
    if position.saturating_add(size) > limits.max_layer_size {
        Err(LimitExceeded::LayerSize(limits.max_layer_size))
    } else if image.used().saturating_add(size) > limits.max_image_size {
        Err(LimitExceeded::ImageSize(limits.max_image_size))
    } else {
        Ok(())
    }
}

/// Counts what is read through it against the layer and image limits and
/// fails the read, remembering why, as soon as one is passed.
pub(crate) struct LimitedReader<'a, R> {
    inner: R,
    limits: &'a UnpackLimits,
    image: &'a ImageBudget,
    count: u64,
    exceeded: Option<LimitExceeded>,
}

impl<'a, R> LimitedReader<'a, R> {
    pub(crate) fn new(inner: R, limits: &'a UnpackLimits, image: &'a ImageBudget) -> Self {
        LimitedReader {
            inner,
            limits,
            image,
            count: 0,
            exceeded: None,
        }
    }

    /// The limit that made a read fail, if any.
    pub(crate) fn exceeded(&self) -> Option<LimitExceeded> {
        self.exceeded
    }
}

impl<R: Read> Read for LimitedReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.exceeded {
            return Err(io::Error::other(e));
        }
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if self.count > self.limits.max_layer_size {
            self.exceeded = Some(LimitExceeded::LayerSize(self.limits.max_layer_size));
        } else if !self.image.spend(n as u64, self.limits.max_image_size) {
            self.exceeded = Some(LimitExceeded::ImageSize(self.limits.max_image_size));
        }
        match self.exceeded {
            Some(e) => Err(io::Error::other(e)),
            None => Ok(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_stops_at_the_layer_and_image_limits() {
        let limits = UnpackLimits {
            max_layer_size: 10,
            max_image_size: 15,
            ..UnpackLimits::default()
        };
        let image = ImageBudget::default();
        let mut r = LimitedReader::new(&[0u8; 10][..], &limits, &image);
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), 10);
        assert_eq!(r.exceeded(), None);

        let other = ImageBudget::default();
        let mut r = LimitedReader::new(&[0u8; 11][..], &limits, &other);
        assert!(r.read_to_end(&mut Vec::new()).is_err());
        assert_eq!(r.exceeded(), Some(LimitExceeded::LayerSize(10)));

        // 10 already spent by the first layer: 6 more pass the image limit.
        let mut r = LimitedReader::new(&[0u8; 6][..], &limits, &image);
        assert!(r.read_to_end(&mut Vec::new()).is_err());
        assert_eq!(r.exceeded(), Some(LimitExceeded::ImageSize(15)));
        assert!(LimitExceeded::ImageSize(15)
            .to_string()
            .contains("storage.max_image_size in rpod.conf"));
    }

    #[test]
    fn announced_sizes_are_refused_before_reading() {
        let limits = UnpackLimits {
            max_layer_size: 100,
            ..UnpackLimits::default()
        };
        let image = ImageBudget::with_used(0);
        assert!(check_announced(&limits, &image, 50, 50).is_ok());
        assert_eq!(
            check_announced(&limits, &image, 50, 51),
            Err(LimitExceeded::LayerSize(100))
        );
        let limits = UnpackLimits {
            max_image_size: 100,
            ..UnpackLimits::default()
        };
        let image = ImageBudget::with_used(90);
        assert_eq!(
            check_announced(&limits, &image, 0, 11),
            Err(LimitExceeded::ImageSize(100))
        );
    }
}
