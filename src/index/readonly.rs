//! A complete generation opened read-only: tantivy's lock skipped (a generation is never
//! written again), small generations read into memory.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};

/// A complete generation, opened for searching. tantivy takes a lock file
/// (`.tantivy-meta.lock`, opened for writing) while it opens segments, so that a writer
/// in the same directory cannot delete them meanwhile; a generation is never written
/// again once complete, so that lock is skipped here, and an index on a read-only file
/// system, or in a directory the user may only read, can still be searched. Everything
/// else goes to tantivy's memory-mapped directory, except that the files of a small
/// generation are read into memory: then nothing done to them on disk afterwards (a file
/// truncated in place, say) can reach a running server through its memory maps. Each
/// file is read once (opening the index and verifying its checksums share the bytes).
#[derive(Debug, Clone)]
pub(super) struct ReadOnlyGeneration {
    mmap: tantivy::directory::MmapDirectory,
    dir: PathBuf,
    in_memory: bool,
    read: std::sync::Arc<std::sync::Mutex<BTreeMap<PathBuf, tantivy::directory::OwnedBytes>>>,
}

impl ReadOnlyGeneration {
    pub(super) fn open(dir: &Path, in_memory: bool) -> tantivy::Result<ReadOnlyGeneration> {
        let mmap =
            tantivy::directory::MmapDirectory::open(dir).map_err(tantivy::TantivyError::from)?;
        Ok(ReadOnlyGeneration {
            mmap,
            dir: dir.to_path_buf(),
            in_memory,
            read: Default::default(),
        })
    }

    /// The whole file at `path`, read into memory.
    fn read_file(
        &self,
        path: &Path,
    ) -> std::result::Result<std::sync::Arc<dyn tantivy::directory::FileHandle>, OpenReadError>
    {
        let mut read = self.read.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bytes) = read.get(path) {
            return Ok(std::sync::Arc::new(bytes.clone()));
        }
        match fs::read(self.dir.join(path)) {
            Ok(bytes) => {
                let bytes = tantivy::directory::OwnedBytes::new(bytes);
                read.insert(path.to_path_buf(), bytes.clone());
                Ok(std::sync::Arc::new(bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(OpenReadError::FileDoesNotExist(path.to_path_buf()))
            }
            Err(e) => Err(OpenReadError::wrap_io_error(e, path.to_path_buf())),
        }
    }
}

impl tantivy::Directory for ReadOnlyGeneration {
    fn get_file_handle(
        &self,
        path: &Path,
    ) -> std::result::Result<std::sync::Arc<dyn tantivy::directory::FileHandle>, OpenReadError>
    {
        if self.in_memory {
            self.read_file(path)
        } else {
            self.mmap.get_file_handle(path)
        }
    }

    fn delete(&self, path: &Path) -> std::result::Result<(), DeleteError> {
        self.mmap.delete(path)
    }

    fn exists(&self, path: &Path) -> std::result::Result<bool, OpenReadError> {
        self.mmap.exists(path)
    }

    fn open_write(
        &self,
        path: &Path,
    ) -> std::result::Result<tantivy::directory::WritePtr, OpenWriteError> {
        self.mmap.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> std::result::Result<Vec<u8>, OpenReadError> {
        self.mmap.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        self.mmap.atomic_write(path, data)
    }

    fn sync_directory(&self) -> std::io::Result<()> {
        self.mmap.sync_directory()
    }

    fn watch(
        &self,
        callback: tantivy::directory::WatchCallback,
    ) -> tantivy::Result<tantivy::directory::WatchHandle> {
        self.mmap.watch(callback)
    }

    fn acquire_lock(
        &self,
        _lock: &tantivy::directory::Lock,
    ) -> std::result::Result<tantivy::directory::DirectoryLock, LockError> {
        Ok(tantivy::directory::DirectoryLock::from(Box::new(())))
    }
}
