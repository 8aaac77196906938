//! Layer blobs as they were received or produced (`blobs/sha256/<hex>`),
//! kept so that an image can be pushed or saved with the digests of its
//! manifest: a layer is unpacked for containers, but its compressed form is
//! what registries and archives exchange.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use rustix::fs::{RenameFlags, CWD};
use rustix::io::Errno;

use super::atomic;
use super::error::{Result, StorageError};
use super::layers::digest_hex;
use super::store::Store;

impl Store {
    /// Where the blob `digest` (`sha256:…`) is kept.
    pub fn blob_path(&self, digest: &str) -> Result<PathBuf> {
        Ok(self.inner.blobs.join(digest_hex(digest)?))
    }

    /// Whether the blob `digest` is stored.
    pub fn has_blob(&self, digest: &str) -> bool {
        self.blob_path(digest).is_ok_and(|p| p.exists())
    }

    /// Opens a stored blob.
    pub fn open_blob(&self, digest: &str) -> Result<File> {
        let path = self.blob_path(digest)?;
        File::open(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StorageError::BlobUnknown(digest.to_string()),
            _ => StorageError::io("opening", &path)(e),
        })
    }

    /// Moves `src` (a file in this store's temp area whose content was
    /// verified to hash to `digest`) into the blob store. A blob that is
    /// already there is kept and `src` is left alone.
    pub(crate) fn adopt_blob(&self, src: &Path, digest: &str) -> Result<()> {
        let dst = self.blob_path(digest)?;
        match rustix::fs::renameat_with(CWD, src, CWD, &dst, RenameFlags::NOREPLACE) {
            Ok(()) => atomic::sync_dir(&self.inner.blobs),
            Err(Errno::EXIST) => Ok(()),
            Err(e) => Err(StorageError::io("renaming", src)(e.into())),
        }
    }

    /// Deletes a stored blob; a missing one is fine.
    pub(crate) fn delete_blob(&self, digest: &str) -> Result<()> {
        let path = self.blob_path(digest)?;
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::io("removing", &path)(e)),
        }
    }
}
