//! The extraction cache: the text of each PDF kept beside the index, keyed by the file's
//! content and the extractor's version, so that a rebuild extracts only what changed.
//!
//! Every entry is a file tipdex wrote, named by its key and starting with [`HEADER`];
//! pruning removes only such files.

use super::pdf::{self, PdfExtractor, PdfText};
use crate::files;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The first line of every cache entry.
const HEADER: &str = "tipdex extraction cache 1\n";
/// Largest entry read back.
const MAX_ENTRY_BYTES: u64 = 1 << 30;

/// A directory of extracted texts.
#[derive(Debug, Clone)]
pub struct ExtractionCache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    used: Mutex<HashSet<String>>,
    hits: Mutex<(usize, usize)>,
}

impl PartialEq for ExtractionCache {
    fn eq(&self, other: &Self) -> bool {
        self.inner.dir == other.inner.dir
    }
}

impl ExtractionCache {
    /// The cache in `dir`, created when a first entry is written (never through a link).
    pub fn open(dir: &Path) -> std::io::Result<ExtractionCache> {
        match std::fs::symlink_metadata(dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(std::io::Error::other(format!(
                    "{} is not a directory tipdex made",
                    dir.display()
                )))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(ExtractionCache {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                used: Mutex::new(HashSet::new()),
                hits: Mutex::new((0, 0)),
            }),
        })
    }

    /// A PDF's text, from the cache when this version of the extractor read these bytes
    /// before.
    pub fn pdf(&self, bytes: &[u8], extractor: &PdfExtractor) -> Result<PdfText, String> {
        let key = key_of(&extractor.version_key(), bytes);
        self.inner
            .used
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.clone());
        if let Some(pages) = self.read_entry(&key) {
            self.count(true);
            return Ok(pdf::classify(&pages));
        }
        self.count(false);
        let pages = pdf::extract_checked(bytes, extractor)?;
        // A cache that cannot be written only costs time on the next build.
        let _ = self.write_entry(&key, &pages);
        Ok(pdf::classify(&pages))
    }

    /// Files read from the cache and files extracted, since it was opened.
    pub fn hits_and_misses(&self) -> (usize, usize) {
        *self.inner.hits.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn count(&self, hit: bool) {
        let mut hits = self.inner.hits.lock().unwrap_or_else(|e| e.into_inner());
        if hit {
            hits.0 += 1;
        } else {
            hits.1 += 1;
        }
    }

    fn path_of(&self, key: &str) -> PathBuf {
        self.inner.dir.join(format!("{key}.json"))
    }

    fn read_entry(&self, key: &str) -> Option<Vec<String>> {
        let bytes = files::read_own_file(&self.path_of(key), MAX_ENTRY_BYTES).ok()?;
        let json = bytes.strip_prefix(HEADER.as_bytes())?;
        serde_json::from_slice(json).ok()
    }

    fn write_entry(&self, key: &str, pages: &[String]) -> std::io::Result<()> {
        if let Err(e) = std::fs::create_dir(&self.inner.dir) {
            if e.kind() != std::io::ErrorKind::AlreadyExists {
                return Err(e);
            }
        }
        if !std::fs::symlink_metadata(&self.inner.dir)?.is_dir() {
            return Err(std::io::Error::other("the cache is not a directory"));
        }
        let tmp = self
            .inner
            .dir
            .join(format!("{key}.json.tmp-{}", std::process::id()));
        let mut file = files::create_replacing_own(&tmp)?;
        file.write_all(HEADER.as_bytes())?;
        serde_json::to_writer(&mut file, pages)?;
        file.flush()?;
        drop(file);
        std::fs::rename(&tmp, self.path_of(key))
    }

    /// Removes the entries this build did not use (files tipdex wrote, by name and
    /// header); returns how many went.
    pub fn prune(&self) -> usize {
        let used = self.inner.used.lock().unwrap_or_else(|e| e.into_inner());
        let Ok(entries) = std::fs::read_dir(&self.inner.dir) else {
            return 0;
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(key) = name.strip_suffix(".json") else {
                continue;
            };
            if !is_key(key) || used.contains(key) || !is_entry(&entry.path()) {
                continue;
            }
            if std::fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        removed
    }
}

/// The key of a file's bytes under an extractor and its version.
fn key_of(version: &str, bytes: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(version.as_bytes());
    hash.update([0]);
    hash.update(bytes);
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn is_key(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether the file at `path` is a regular file starting with the cache's header.
fn is_entry(path: &Path) -> bool {
    use std::io::Read;
    let Ok((file, meta)) = files::open_regular(path, false) else {
        return false;
    };
    let mut head = vec![0u8; HEADER.len()];
    meta.is_file()
        && file.take(HEADER.len() as u64).read_exact(&mut head).is_ok()
        && head == HEADER.as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_removes_only_unused_entries_tipdex_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ExtractionCache::open(&dir.path().join("c")).unwrap();
        cache
            .write_entry(&"a".repeat(64), &["page".into()])
            .unwrap();
        cache
            .write_entry(&"b".repeat(64), &["page".into()])
            .unwrap();
        let foreign = dir
            .path()
            .join("c")
            .join(format!("{}.json", "c".repeat(64)));
        std::fs::write(&foreign, "not ours").unwrap();
        std::fs::write(dir.path().join("c").join("notes.txt"), "mine").unwrap();
        cache.inner.used.lock().unwrap().insert("a".repeat(64));
        assert_eq!(cache.prune(), 1);
        assert!(cache.read_entry(&"a".repeat(64)).is_some());
        assert!(cache.read_entry(&"b".repeat(64)).is_none());
        assert!(foreign.exists());
        assert!(dir.path().join("c").join("notes.txt").exists());
    }
}
