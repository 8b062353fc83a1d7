//! The index directory as tipdex's own: a marker file says tipdex made it and records
//! every generation tipdex created there; builds replace or remove only what is recorded,
//! and the build lock cannot be redirected through a link.
//!
//! ```text
//! INDEX/tipdex-index.json   the marker: layout version and the generations tipdex wrote
//! INDEX/CURRENT             name of the generation in use (replaced atomically)
//! INDEX/.lock               held while a build runs
//! INDEX/gen-<stamp>/        one complete generation (gen-<stamp>.tmp while it is built)
//! INDEX/extract-cache/      text extracted from the corpus's PDFs (see `corpus::cache`)
//! ```
//! A directory tipdex did not create is refused unless it is empty, or an index of an
//! earlier tipdex (nothing in it but what that version wrote), which is adopted.

use crate::error::{Error, Result};
use crate::files;
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The marker file of an index directory.
pub const MARKER: &str = "tipdex-index.json";
const MARKER_TMP: &str = "tipdex-index.json.tmp";
pub(super) const CURRENT: &str = "CURRENT";
pub(super) const CURRENT_TMP: &str = "CURRENT.tmp";
const LOCK: &str = ".lock";
/// The extraction cache's directory (see [`crate::corpus::cache`]).
pub const EXTRACTION_CACHE: &str = "extract-cache";
/// Prefix of every generation directory's name.
pub const GEN_PREFIX: &str = "gen-";
/// Suffix of a generation directory while it is being written.
pub(super) const TMP_SUFFIX: &str = ".tmp";
/// Version of the directory layout the marker describes.
const LAYOUT_VERSION: u32 = 1;
/// Largest marker read (it lists a few generations).
const MAX_MARKER_BYTES: u64 = 1 << 20;
/// How often a waiting process tries the lock again.
const LOCK_POLL: Duration = Duration::from_millis(100);

/// What the marker records.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
struct Record {
    /// Layout version (the marker's identity).
    tipdex_index: u32,
    /// Generations tipdex created here, oldest first.
    generations: Vec<GenerationRecord>,
}

/// One generation tipdex created.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct GenerationRecord {
    /// Directory name (`gen-…`); `gen-….tmp` while not complete.
    name: String,
    /// Renamed into place, complete on disk.
    complete: bool,
}

/// An index directory tipdex may build in (see [`IndexDir::claim`]).
#[derive(Debug)]
pub struct IndexDir {
    root: PathBuf,
}

impl IndexDir {
    /// Claims `root` for building: creates it with its marker when it is missing or
    /// empty; accepts it when it holds the marker, or when it is an index of an earlier
    /// tipdex (then recorded as tipdex's); refuses any other directory, untouched.
    pub fn claim(root: &Path) -> Result<IndexDir> {
        match fs::symlink_metadata(root) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
            }
            Err(e) => return Err(Error::io(root, e)),
            Ok(meta) if meta.is_dir() => {}
            Ok(meta) if meta.file_type().is_symlink() && root.is_dir() => {}
            Ok(meta) => {
                return Err(not_an_index(
                    root,
                    &format!("it is {}, not a directory", files::describe_type(&meta)),
                ))
            }
        }
        let dir = IndexDir {
            root: root.to_path_buf(),
        };
        if dir.read_record().is_ok() {
            return Ok(dir);
        }
        let adopted = adoptable(root)?;
        write_record(root, &adopted)?;
        Ok(dir)
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Takes the build lock, or says that another process holds it.
    pub fn lock(&self) -> Result<BuildLock> {
        let path = self.root.join(LOCK);
        let file = files::open_lock_file(&path).map_err(|e| Error::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(BuildLock {
                _file: file,
                root: self.root.clone(),
            }),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::IndexLocked {
                path: self.root.clone(),
                lock: path,
            }),
            Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
        }
    }

    /// Takes the build lock, waiting up to `timeout` for another process to release it;
    /// `Ok(None)` when it is still held then.
    pub fn lock_waiting(&self, timeout: Duration) -> Result<Option<BuildLock>> {
        let until = Instant::now() + timeout;
        loop {
            match self.lock() {
                Ok(lock) => return Ok(Some(lock)),
                Err(Error::IndexLocked { .. }) if Instant::now() < until => {
                    std::thread::sleep(LOCK_POLL)
                }
                Err(Error::IndexLocked { .. }) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
    }

    fn read_record(&self) -> Result<Record> {
        read_record(&self.root)
    }
}

/// The build lock of one index directory, held until dropped (or the process dies);
/// everything that changes the directory goes through it.
#[derive(Debug)]
pub struct BuildLock {
    _file: File,
    root: PathBuf,
}

impl BuildLock {
    /// The index directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Removes what killed or failed builds left (recorded, never complete).
    pub(super) fn remove_unfinished(&self) -> Result<()> {
        let mut record = read_record(&self.root)?;
        let (unfinished, kept): (Vec<_>, Vec<_>) =
            record.generations.into_iter().partition(|g| !g.complete);
        for generation in &unfinished {
            remove_generation_dirs(&self.root, &generation.name);
        }
        record.generations = kept;
        write_record(&self.root, &record)
    }

    /// Records a new generation before anything of it is written; returns the
    /// directory to write it in (created empty, `NAME.tmp`).
    pub(super) fn begin(&self, name: &str) -> Result<PathBuf> {
        let mut record = read_record(&self.root)?;
        record.generations.push(GenerationRecord {
            name: name.to_string(),
            complete: false,
        });
        write_record(&self.root, &record)?;
        let tmp = self.root.join(format!("{name}{TMP_SUFFIX}"));
        fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
        Ok(tmp)
    }

    /// Renames a written generation into place, makes it read-only (it is never
    /// written again) and records it complete.
    pub(super) fn complete(&self, name: &str) -> Result<PathBuf> {
        let tmp = self.root.join(format!("{name}{TMP_SUFFIX}"));
        let dir = self.root.join(name);
        fs::rename(&tmp, &dir).map_err(|e| Error::io(&dir, e))?;
        set_read_only(&dir);
        let mut record = read_record(&self.root)?;
        for g in record.generations.iter_mut().filter(|g| g.name == name) {
            g.complete = true;
        }
        write_record(&self.root, &record)?;
        Ok(dir)
    }

    /// Removes a generation this build made (failed publish, failed write).
    pub(super) fn discard(&self, name: &str) {
        remove_generation_dirs(&self.root, name);
        if let Ok(mut record) = read_record(&self.root) {
            record.generations.retain(|g| g.name != name);
            let _ = write_record(&self.root, &record);
        }
    }

    /// Points `CURRENT` at `name` atomically.
    pub(super) fn switch_current(&self, name: &str) -> Result<()> {
        let tmp = self.root.join(CURRENT_TMP);
        write_file_synced(&tmp, name.as_bytes(), true)?;
        let current = self.root.join(CURRENT);
        fs::rename(&tmp, &current).map_err(|e| Error::io(&current, e))?;
        super::sync_dir(&self.root);
        Ok(())
    }

    /// Removes the recorded complete generations but `current` and `previous` (still
    /// open in running readers); what tipdex did not record is never touched.
    pub(super) fn remove_old(&self, current: &str, previous: Option<&str>) -> Result<()> {
        let mut record = read_record(&self.root)?;
        let complete: Vec<String> = record
            .generations
            .iter()
            .filter(|g| g.complete && g.name != current)
            .map(|g| g.name.clone())
            .collect();
        let keep = match previous {
            Some(p) if complete.iter().any(|n| n == p) => Some(p.to_string()),
            _ => complete.last().cloned(),
        };
        let mut removed = Vec::new();
        for name in complete.iter().filter(|n| Some(*n) != keep.as_ref()) {
            remove_generation_dirs(&self.root, name);
            removed.push(name.clone());
        }
        record.generations.retain(|g| !removed.contains(&g.name));
        write_record(&self.root, &record)
    }

    /// The complete generations tipdex recorded, oldest first.
    pub fn generations(&self) -> Result<Vec<String>> {
        recorded_generations(&self.root)
    }
}

/// The complete generations recorded at `root`, oldest first (empty without a marker).
pub(super) fn recorded_generations(root: &Path) -> Result<Vec<String>> {
    Ok(read_record(root)
        .unwrap_or_default()
        .generations
        .into_iter()
        .filter(|g| g.complete)
        .map(|g| g.name)
        .collect())
}

fn remove_generation_dirs(root: &Path, name: &str) {
    for dir in [root.join(name), root.join(format!("{name}{TMP_SUFFIX}"))] {
        let is_dir = fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir());
        if is_dir {
            // A complete generation is read-only: its entries can go once it is writable.
            set_mode(&dir, 0o755);
        }
        // remove_dir_all removes a link itself, never what it points to.
        let _ = fs::remove_dir_all(&dir);
    }
}

/// Files of a complete generation read-only (0444), the directory too (0555).
fn set_read_only(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                set_mode(&entry.path(), 0o444);
            }
        }
    }
    set_mode(dir, 0o555);
}

fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    {
        if let Ok(meta) = fs::metadata(path) {
            let mut perms = meta.permissions();
            perms.set_readonly(mode & 0o200 == 0);
            let _ = fs::set_permissions(path, perms);
        }
    }
}

fn not_an_index(root: &Path, why: &str) -> Error {
    Error::NotAnIndexDir {
        path: root.to_path_buf(),
        message: why.to_string(),
    }
}

fn read_record(root: &Path) -> Result<Record> {
    let path = root.join(MARKER);
    let bytes = files::read_own_file(&path, MAX_MARKER_BYTES).map_err(|e| Error::io(&path, e))?;
    let record: Record = serde_json::from_slice(&bytes).map_err(|e| Error::IndexUnusable {
        path: root.to_path_buf(),
        message: format!("{} is damaged: {e}", path.display()),
    })?;
    if record.tipdex_index != LAYOUT_VERSION {
        return Err(Error::IndexUnusable {
            path: root.to_path_buf(),
            message: format!(
                "{} describes layout {}, this tipdex writes layout {LAYOUT_VERSION}",
                path.display(),
                record.tipdex_index
            ),
        });
    }
    Ok(record)
}

fn write_record(root: &Path, record: &Record) -> Result<()> {
    let json = serde_json::to_vec_pretty(record).expect("the index record serializes");
    let tmp = root.join(MARKER_TMP);
    write_file_synced(&tmp, &json, true)?;
    let path = root.join(MARKER);
    fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
    super::sync_dir(root);
    Ok(())
}

/// Writes `bytes` to a new file at `path` and syncs it; `replace_own`: `path` is a
/// temporary name tipdex reserves, and what a killed run left there is removed first.
pub(super) fn write_file_synced(path: &Path, bytes: &[u8], replace_own: bool) -> Result<()> {
    let created = if replace_own {
        files::create_replacing_own(path)
    } else {
        files::create_new(path)
    };
    let mut f = created.map_err(|e| Error::io(path, e))?;
    f.write_all(bytes).map_err(|e| Error::io(path, e))?;
    f.sync_all().map_err(|e| Error::io(path, e))
}

/// What to record for a directory without a (readable) marker: nothing for an empty
/// one, its generations for an index of an earlier tipdex; any other directory is
/// refused, naming an entry that tipdex did not write.
fn adoptable(root: &Path) -> Result<Record> {
    let entries = fs::read_dir(root).map_err(|e| Error::io(root, e))?;
    let mut generations = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(root, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if name == EXTRACTION_CACHE && is_dir {
            continue;
        }
        if [CURRENT, CURRENT_TMP, LOCK, MARKER, MARKER_TMP].contains(&name.as_str()) && !is_dir {
            continue;
        }
        match generation_stamp(&name) {
            Some(unfinished) if is_dir => {
                let complete = !unfinished && entry.path().join(super::INFO).is_file();
                generations.push(GenerationRecord {
                    name: name.trim_end_matches(TMP_SUFFIX).to_string(),
                    complete,
                });
            }
            _ => {
                return Err(not_an_index(
                    root,
                    &format!(
                        "it is not empty and tipdex did not create it (`{}` is not tipdex's; \
                         no {MARKER})",
                        name.chars().take(60).collect::<String>()
                    ),
                ))
            }
        }
    }
    generations.sort_by(|a, b| a.name.cmp(&b.name));
    generations.dedup_by(|a, b| a.name == b.name);
    Ok(Record {
        tipdex_index: LAYOUT_VERSION,
        generations,
    })
}

/// For a name tipdex gives generations (`gen-` + 24 digits + `-` + a process id,
/// `.tmp` while unfinished): whether it is unfinished. `None` for any other name.
fn generation_stamp(name: &str) -> Option<bool> {
    let (base, unfinished) = match name.strip_suffix(TMP_SUFFIX) {
        Some(base) => (base, true),
        None => (name, false),
    };
    let rest = base.strip_prefix(GEN_PREFIX)?;
    let (stamp, pid) = rest.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (stamp.len() == 24 && digits(stamp) && digits(pid) && pid.len() <= 10).then_some(unfinished)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_names_are_recognized_exactly() {
        assert_eq!(
            generation_stamp("gen-000001764628000000000000-1234"),
            Some(false)
        );
        assert_eq!(
            generation_stamp("gen-000001764628000000000000-1234.tmp"),
            Some(true)
        );
        for other in ["gen-notes", "gen-1-2", "gen-000001764628000000000000-", "x"] {
            assert_eq!(generation_stamp(other), None, "{other}");
        }
    }

    #[test]
    fn a_directory_with_other_files_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
        fs::create_dir(dir.path().join("gen-notes")).unwrap();
        let e = IndexDir::claim(dir.path()).unwrap_err().to_string();
        assert!(e.contains("tipdex did not create it"), "{e}");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 2);
    }

    #[test]
    fn an_empty_or_missing_directory_is_claimed() {
        let dir = tempfile::tempdir().unwrap();
        IndexDir::claim(dir.path()).unwrap();
        assert!(dir.path().join(MARKER).is_file());
        let missing = dir.path().join("a/b");
        IndexDir::claim(&missing).unwrap();
        assert!(missing.join(MARKER).is_file());
        // Claiming again keeps the record.
        IndexDir::claim(dir.path()).unwrap();
    }
}
