//! Building an index on disk, atomically, and opening the current one.
//!
//! Layout of an index directory:
//! ```text
//! INDEX/CURRENT          name of the generation in use (replaced atomically)
//! INDEX/gen-<stamp>/     one complete tantivy index + tipdex.json (build facts)
//! INDEX/.lock            held while a build runs
//! ```
//! A build writes a new generation in a temporary directory, renames it into place,
//! then switches `CURRENT`: readers see the old index or the new one, never a mix, and
//! a build that fails or is killed leaves the previous generation in use.

use crate::corpus::{Kind, Section, Warning};
use crate::error::{Error, Result};
use crate::glossary::{self, Glossary};
use crate::schema::{self, Fields, FORMAT_VERSION};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::Index;

const CURRENT: &str = "CURRENT";
const LOCK: &str = ".lock";
const INFO: &str = "tipdex.json";
/// Prefix of every generation directory's name.
pub const GEN_PREFIX: &str = "gen-";
/// Document-store block size: a hit decompresses one block, so smaller blocks make
/// fetching ten results cheaper (tantivy's default is 16 KiB).
const DOC_STORE_BLOCK_BYTES: usize = 4096;
const TMP_SUFFIX: &str = ".tmp";

/// Facts about one build, stored beside the index.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BuildInfo {
    /// Schema and analyzer version.
    pub format_version: u32,
    /// tipdex version that built it.
    pub tipdex_version: String,
    /// Seconds since the Unix epoch when the build finished.
    pub built_at: u64,
    /// Build time in milliseconds.
    pub build_ms: u64,
    /// Sections per kind.
    pub sections: BTreeMap<String, usize>,
    /// Number of sections.
    pub total: usize,
    /// Corpus directory the index was built from, if any.
    pub corpus: Option<String>,
    /// Fingerprint of the corpus files (names, sizes, modification times).
    pub corpus_fingerprint: Option<String>,
    /// Parser warnings at build time.
    pub warnings: usize,
    /// The backend this generation is searched on, when not the local index
    /// (`quickwit=http://HOST:PORT/NAME`); see [`crate::backend::Backend`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
}

/// Where the sections came from, recorded in [`BuildInfo`].
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// Corpus directory.
    pub corpus: Option<PathBuf>,
    /// Corpus fingerprint, see [`corpus_fingerprint`].
    pub fingerprint: Option<String>,
    /// Parser warnings.
    pub warnings: Vec<Warning>,
    /// Glossary text stored with the index (`None`: the built-in glossary).
    pub glossary: Option<String>,
    /// The backend the generation is published to (`None`: local only).
    pub backend: Option<String>,
}

/// An opened index generation.
pub struct Opened {
    /// The tantivy index, analyzers registered.
    pub index: Index,
    /// Field handles.
    pub fields: Fields,
    /// Build facts.
    pub info: BuildInfo,
    /// Generation directory name.
    pub generation: String,
    /// Size of the generation on disk, in bytes.
    pub size_bytes: u64,
    /// The glossary the index was built with.
    pub glossary: Glossary,
}

/// Writer settings.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// Indexing threads.
    pub threads: usize,
    /// Memory budget for all threads together, in bytes.
    pub memory_bytes: usize,
}

impl WriterOptions {
    /// One thread for small corpora (deterministic single segment), both cores for large ones.
    pub fn for_sections(n: usize) -> WriterOptions {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        let threads = if n < 20_000 { 1 } else { cores.clamp(1, 4) };
        WriterOptions {
            threads,
            memory_bytes: threads * 96_000_000,
        }
    }
}

/// Builds a new generation from `sections` and makes it current. Holds the lock throughout.
pub fn build(sections: &[Section], root: &Path, provenance: &Provenance) -> Result<BuildInfo> {
    build_with(
        sections,
        root,
        provenance,
        WriterOptions::for_sections(sections.len()),
    )
}

/// [`build`] with explicit writer settings.
pub fn build_with(
    sections: &[Section],
    root: &Path,
    provenance: &Provenance,
    options: WriterOptions,
) -> Result<BuildInfo> {
    build_and_publish(sections, root, provenance, options, &|_| Ok(()))
}

/// [`build_with`], calling `publish` with the new generation's name once it is complete
/// on disk and before it becomes current: if `publish` fails, the generation is
/// discarded and the previous one stays current.
pub fn build_and_publish(
    sections: &[Section],
    root: &Path,
    provenance: &Provenance,
    options: WriterOptions,
    publish: &dyn Fn(&str) -> Result<()>,
) -> Result<BuildInfo> {
    let started = Instant::now();
    fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
    let _lock = acquire_lock(root)?;
    remove_leftovers(root);
    let generation = new_generation_name();
    let tmp = root.join(format!("{generation}{TMP_SUFFIX}"));
    let result = write_generation(sections, &tmp, provenance, options, started);
    let info = match result {
        Ok(info) => info,
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    let final_dir = root.join(&generation);
    fs::rename(&tmp, &final_dir).map_err(|e| Error::io(&final_dir, e))?;
    if let Err(e) = publish(&generation) {
        let _ = fs::remove_dir_all(&final_dir);
        return Err(e);
    }
    switch_current(root, &generation)?;
    remove_old_generations(root, &generation);
    Ok(info)
}

fn write_generation(
    sections: &[Section],
    dir: &Path,
    provenance: &Provenance,
    options: WriterOptions,
    started: Instant,
) -> Result<BuildInfo> {
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let (schema, fields) = schema::build_schema();
    let settings = tantivy::IndexSettings {
        docstore_blocksize: DOC_STORE_BLOCK_BYTES,
        ..Default::default()
    };
    let index = Index::builder()
        .schema(schema)
        .settings(settings)
        .create_in_dir(dir)?;
    schema::register_analyzers(&index);
    let mut writer = index.writer_with_num_threads(options.threads, options.memory_bytes)?;
    for (ord, section) in sections.iter().enumerate() {
        writer.add_document(schema::to_document(&fields, section, ord as u64))?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    let mut counts: BTreeMap<String, usize> = Kind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), 0))
        .collect();
    for s in sections {
        *counts.entry(s.kind.as_str().to_string()).or_default() += 1;
    }
    let info = BuildInfo {
        format_version: FORMAT_VERSION,
        tipdex_version: env!("CARGO_PKG_VERSION").to_string(),
        built_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        build_ms: started.elapsed().as_millis() as u64,
        sections: counts,
        total: sections.len(),
        corpus: provenance.corpus.as_ref().map(|p| p.display().to_string()),
        corpus_fingerprint: provenance.fingerprint.clone(),
        warnings: provenance.warnings.len(),
        backend: provenance.backend.clone(),
    };
    if let Some(text) = &provenance.glossary {
        let compiled = Glossary::parse(text, glossary::FILE_NAME)?;
        write_synced(&dir.join(glossary::FILE_NAME), text.as_bytes())?;
        let lines = compiled.to_lines();
        write_synced(
            &dir.join(glossary::COMPILED_LINES_FILE_NAME),
            lines.as_bytes(),
        )?;
    }
    let json = serde_json::to_vec_pretty(&info).expect("build info serializes");
    write_synced(&dir.join(INFO), &json)?;
    share_like_siblings(dir);
    sync_dir(dir);
    Ok(info)
}

/// Generations up to this size are read into memory when opened rather than mapped.
pub const IN_MEMORY_BYTES: u64 = 64 * 1024 * 1024;

/// Opens the current generation of the index at `root`.
///
/// A rebuild may switch generations while this runs; the open is then retried on the
/// new current generation.
pub fn open(root: &Path) -> Result<Opened> {
    open_for(root, None)
}

/// [`open`], with only the part of the glossary that `query` can use (`None`: all of
/// it); for a process that answers one query.
pub fn open_for(root: &Path, query: Option<&str>) -> Result<Opened> {
    let mut attempt = 0;
    loop {
        let generation = current_generation(root)?;
        match open_generation(root, generation.clone(), query) {
            Err(e)
                if attempt < 3 && current_generation(root).ok().as_ref() != Some(&generation) =>
            {
                attempt += 1;
                drop(e);
            }
            result => return result,
        }
    }
}

fn open_generation(root: &Path, generation: String, query: Option<&str>) -> Result<Opened> {
    let dir = root.join(&generation);
    let unusable = |message: String| Error::IndexUnusable {
        path: root.to_path_buf(),
        message,
    };
    let info_path = dir.join(INFO);
    let info_bytes = fs::read(&info_path)
        .map_err(|e| unusable(format!("cannot read {}: {e}", info_path.display())))?;
    let info: BuildInfo = serde_json::from_slice(&info_bytes)
        .map_err(|e| unusable(format!("{} is damaged: {e}", info_path.display())))?;
    if info.format_version != FORMAT_VERSION {
        return Err(unusable(format!(
            "built by an incompatible version of tipdex (index format {}, this tipdex reads format {})",
            info.format_version, FORMAT_VERSION
        )));
    }
    let size_bytes = dir_size(&dir);
    let in_memory = size_bytes <= IN_MEMORY_BYTES;
    let index = ReadOnlyGeneration::open(&dir, in_memory)
        .and_then(Index::open)
        .map_err(|e| unusable(e.to_string()))?;
    schema::register_analyzers(&index);
    let fields = schema::fields_of(&index.schema()).map_err(unusable)?;
    let glossary = open_glossary(&dir, query).map_err(|e| unusable(e.to_string()))?;
    Ok(Opened {
        index,
        fields,
        info,
        generation,
        size_bytes,
        glossary,
    })
}

/// The glossary stored with a generation: compiled (JSON Lines, or the JSON of earlier
/// generations), else its TOML source, else the built-in glossary. With `query`, only
/// the part of it that query can use ([`Glossary::restricted`]).
fn open_glossary(dir: &Path, query: Option<&str>) -> Result<Glossary> {
    let damaged = |file: &Path, e: serde_json::Error| Error::Glossary {
        file: file.display().to_string(),
        message: e.to_string(),
    };
    let lines = dir.join(glossary::COMPILED_LINES_FILE_NAME);
    if let Ok(text) = fs::read_to_string(&lines) {
        return Glossary::from_lines(&text, query).map_err(|e| damaged(&lines, e));
    }
    let compiled = dir.join(glossary::COMPILED_FILE_NAME);
    let full = match fs::read(&compiled) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| damaged(&compiled, e))?,
        Err(_) => {
            let source = dir.join(glossary::FILE_NAME);
            match fs::read_to_string(&source) {
                Ok(text) => Glossary::parse(&text, &source.display().to_string())?,
                Err(_) => Glossary::builtin(),
            }
        }
    };
    Ok(match query {
        Some(q) => full.restricted(q),
        None => full,
    })
}

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
struct ReadOnlyGeneration {
    mmap: tantivy::directory::MmapDirectory,
    dir: PathBuf,
    in_memory: bool,
    read: std::sync::Arc<std::sync::Mutex<BTreeMap<PathBuf, tantivy::directory::OwnedBytes>>>,
}

impl ReadOnlyGeneration {
    fn open(dir: &Path, in_memory: bool) -> tantivy::Result<ReadOnlyGeneration> {
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

/// The name of the current generation, or an error saying there is no index.
pub fn current_generation(root: &Path) -> Result<String> {
    let current = root.join(CURRENT);
    match fs::read_to_string(&current) {
        Ok(name) => {
            let name = name.trim().to_string();
            let valid =
                name.starts_with(GEN_PREFIX) && !name.contains(['/', '\\']) && name.len() < 100;
            if !valid || !root.join(&name).is_dir() {
                return Err(Error::IndexUnusable {
                    path: root.to_path_buf(),
                    message: format!("{} names a missing generation `{name}`", current.display()),
                });
            }
            Ok(name)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::IndexMissing {
            path: root.to_path_buf(),
        }),
        Err(e) => Err(Error::io(current, e)),
    }
}

/// The build facts of the current generation, without opening the index.
pub fn current_info(root: &Path) -> Result<BuildInfo> {
    let generation = current_generation(root)?;
    let path = root.join(generation).join(INFO);
    let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::IndexUnusable {
        path: root.to_path_buf(),
        message: format!("{} is damaged: {e}", path.display()),
    })
}

/// Whether an index exists at `root` (it may still be unusable).
pub fn exists(root: &Path) -> bool {
    root.join(CURRENT).exists()
}

/// A fingerprint of the corpus files: changes when a file is added, removed, resized or touched.
pub fn corpus_fingerprint(dir: &Path) -> Option<String> {
    let mut entries = Vec::new();
    collect_stamps(dir, dir, &mut entries).ok()?;
    entries.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for e in entries {
        for b in e.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    Some(format!("{hash:016x}"))
}

fn collect_stamps(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        let path = entry.path();
        if meta.is_dir() {
            collect_stamps(root, &path, out)?;
        } else {
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            out.push(format!("{rel}\0{}\0{mtime}", meta.len()));
        }
    }
    Ok(())
}

/// The lock held while building; released when dropped (or when the process dies).
struct BuildLock(#[allow(dead_code)] File);

fn acquire_lock(root: &Path) -> Result<BuildLock> {
    let path = root.join(LOCK);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(BuildLock(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::IndexLocked {
            path: root.to_path_buf(),
            lock: path,
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
    }
}

fn new_generation_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{GEN_PREFIX}{nanos:024}-{}", std::process::id())
}

fn switch_current(root: &Path, generation: &str) -> Result<()> {
    let tmp = root.join(format!("{CURRENT}{TMP_SUFFIX}"));
    write_synced(&tmp, generation.as_bytes())?;
    let current = root.join(CURRENT);
    fs::rename(&tmp, &current).map_err(|e| Error::io(&current, e))?;
    sync_dir(root);
    Ok(())
}

/// tantivy writes `meta.json` and `.managed.json` through temporary files, readable by
/// their owner only; they get the permissions of the generation's other files, so that
/// an index built by one user can be searched by another.
fn share_like_siblings(dir: &Path) {
    if let Ok(meta) = fs::metadata(dir.join(INFO)) {
        for name in ["meta.json", ".managed.json"] {
            let _ = fs::set_permissions(dir.join(name), meta.permissions());
        }
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = File::create(path).map_err(|e| Error::io(path, e))?;
    f.write_all(bytes).map_err(|e| Error::io(path, e))?;
    f.sync_all().map_err(|e| Error::io(path, e))
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Removes temporary directories left by builds that were interrupted (the lock is held).
fn remove_leftovers(root: &Path) {
    for name in generation_names(root) {
        if name.ends_with(TMP_SUFFIX) {
            let _ = fs::remove_dir_all(root.join(name));
        }
    }
}

/// Keeps the current generation and the one before it (still open in running readers).
fn remove_old_generations(root: &Path, current: &str) {
    let mut complete: Vec<String> = generation_names(root)
        .into_iter()
        .filter(|n| !n.ends_with(TMP_SUFFIX) && n != current)
        .collect();
    complete.sort();
    let keep_previous = complete.pop();
    for name in complete {
        let _ = fs::remove_dir_all(root.join(name));
    }
    drop(keep_previous);
}

/// Names of the complete generations at `root` (the current one and the one kept before it).
pub fn generations(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = generation_names(root)
        .into_iter()
        .filter(|n| !n.ends_with(TMP_SUFFIX))
        .collect();
    names.sort();
    names
}

fn generation_names(root: &Path) -> Vec<String> {
    fs::read_dir(root)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(GEN_PREFIX))
                .collect()
        })
        .unwrap_or_default()
}

fn dir_size(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sections() -> Vec<Section> {
        let mut s = Section::new(
            Kind::Report,
            "Visit to Montenegro",
            "Visit to Montenegro, 2022",
        );
        s.id = "report-x".into();
        s.symbols = vec!["A/HRC/49/51/Add.1".into()];
        vec![s]
    }

    #[test]
    fn build_then_rebuild_switches_generation_and_keeps_one_previous() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("idx");
        let mut generations = Vec::new();
        for _ in 0..3 {
            build(&sections(), &root, &Provenance::default()).unwrap();
            generations.push(current_generation(&root).unwrap());
        }
        assert_ne!(generations[0], generations[2]);
        let opened = open(&root).unwrap();
        assert_eq!(opened.info.total, 1);
        assert_eq!(
            generation_names(&root).len(),
            2,
            "current and previous only"
        );
    }

    #[test]
    fn missing_and_incompatible_indexes_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("idx");
        assert!(matches!(open(&root), Err(Error::IndexMissing { .. })));
        build(&sections(), &root, &Provenance::default()).unwrap();
        let gen = current_generation(&root).unwrap();
        let info_path = root.join(&gen).join(INFO);
        let text = fs::read_to_string(&info_path).unwrap().replace(
            &format!("\"format_version\": {FORMAT_VERSION}"),
            "\"format_version\": 999",
        );
        fs::write(&info_path, text).unwrap();
        let err = open(&root).err().unwrap().to_string();
        assert!(err.contains("incompatible version"), "{err}");
    }

    #[test]
    fn a_second_builder_is_refused_while_the_lock_is_held() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("idx");
        fs::create_dir_all(&root).unwrap();
        let _held = acquire_lock(&root).unwrap();
        let err = build(&sections(), &root, &Provenance::default()).unwrap_err();
        assert!(matches!(err, Error::IndexLocked { .. }), "{err}");
    }
}
