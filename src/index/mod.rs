//! Building an index on disk, atomically, and opening the current one.
//!
//! A build writes a new generation in a temporary directory, renames it into place,
//! then switches `CURRENT`: readers see the old index or the new one, never a mix, and
//! a build that fails or is killed leaves the previous generation in use. The
//! directory is tipdex's own ([`owned`]): builds touch only what tipdex recorded there.

mod owned;
mod readonly;

pub use owned::{BuildLock, IndexDir, EXTRACTION_CACHE, GEN_PREFIX, MARKER};

use crate::corpus::{Kind, Section, Warning};
use crate::error::{Error, Result};
use crate::glossary::{self, Glossary};
use crate::schema::{self, Fields, FORMAT_VERSION};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tantivy::Index;

use owned::CURRENT;

const INFO: &str = "tipdex.json";
/// Document-store block size: a hit decompresses one block, so smaller blocks make
/// fetching ten results cheaper (tantivy's default is 16 KiB).
const DOC_STORE_BLOCK_BYTES: usize = 4096;

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
    /// The corpus was read following symbolic links out of it (`tipdex index --follow-links`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub follow_links: bool,
}

/// Where the sections came from, recorded in [`BuildInfo`].
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// Corpus directory.
    pub corpus: Option<PathBuf>,
    /// Corpus fingerprint, see [`crate::corpus::corpus_fingerprint`].
    pub fingerprint: Option<String>,
    /// Parser warnings.
    pub warnings: Vec<Warning>,
    /// Glossary text stored with the index (`None`: the built-in glossary).
    pub glossary: Option<String>,
    /// The backend the generation is published to (`None`: local only).
    pub backend: Option<String>,
    /// The corpus was read following links out of it.
    pub follow_links: bool,
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
    /// [`WriterOptions::for_sections`] for a corpus of `bytes` whose sections are not
    /// counted yet (about 500 bytes of a corpus file make a section).
    pub fn for_corpus_bytes(bytes: u64) -> WriterOptions {
        WriterOptions::for_sections(usize::try_from(bytes / 500).unwrap_or(usize::MAX))
    }

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

/// Builds a new generation from `sections` at `root` and makes it current: claims the
/// directory ([`IndexDir::claim`]) and holds its lock throughout (failing at once when
/// another build holds it).
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
    let lock = IndexDir::claim(root)?.lock()?;
    build_and_publish(sections, &lock, provenance, options, &|_| Ok(()))
}

/// Builds a new generation in the directory `lock` holds, calling `publish` with its
/// name once it is complete on disk and before it becomes current: if `publish` fails,
/// the generation is discarded and the previous one stays current. Afterwards the
/// recorded generations but the new one and the one it replaced are removed.
pub fn build_and_publish(
    sections: &[Section],
    lock: &BuildLock,
    provenance: &Provenance,
    options: WriterOptions,
    publish: &dyn Fn(&str) -> Result<()>,
) -> Result<BuildInfo> {
    build_fed(
        lock,
        options,
        |sink| {
            for (ord, section) in sections.iter().enumerate() {
                sink.add(ord as u64, section)?;
            }
            Ok(provenance.clone())
        },
        publish,
    )
}

/// [`build_and_publish`] with the sections handed to a [`SectionSink`] by `feed`, which
/// returns the build's provenance once it has handed on all of them: the sections are
/// written as they come and never held together. When `feed` fails (or hands on
/// nothing) the generation is discarded and the previous one stays current.
pub fn build_fed<E: From<Error>>(
    lock: &BuildLock,
    options: WriterOptions,
    feed: impl FnOnce(&mut SectionSink) -> std::result::Result<Provenance, E>,
    publish: &dyn Fn(&str) -> Result<()>,
) -> std::result::Result<BuildInfo, E> {
    let started = Instant::now();
    let root = lock.root();
    lock.remove_unfinished()?;
    let previous = current_generation(root).ok();
    let generation = new_generation_name();
    let written = (|| {
        let tmp = lock.begin(&generation)?;
        let info = write_generation(&tmp, options, started, feed)?;
        lock.complete(&generation)?;
        publish(&generation)?;
        Ok(info)
    })();
    let info = match written {
        Ok(info) => info,
        Err(e) => {
            lock.discard(&generation);
            return Err(e);
        }
    };
    lock.switch_current(&generation)?;
    // The new generation is in use; a failure to tidy up is left for the next build.
    let _ = lock.remove_old(&generation, previous.as_deref());
    Ok(info)
}

/// Where the sections of a generation being built go.
pub struct SectionSink<'w> {
    writer: &'w tantivy::IndexWriter,
    fields: &'w Fields,
    counts: BTreeMap<String, usize>,
    total: usize,
    writer_failed: bool,
}

impl SectionSink<'_> {
    /// Writes `section`, at place `ord` in corpus order.
    pub fn add(&mut self, ord: u64, section: &Section) -> Result<()> {
        if let Err(e) = self
            .writer
            .add_document(schema::to_document(self.fields, section, ord))
        {
            // An indexing thread that failed (on a full disk, say) leaves only "an index
            // writer was killed" here; its own error comes back from the commit.
            self.writer_failed = true;
            return Err(Error::Engine(e));
        }
        *self
            .counts
            .entry(section.kind.as_str().to_string())
            .or_default() += 1;
        self.total += 1;
        Ok(())
    }

    /// Sections written so far.
    pub fn total(&self) -> usize {
        self.total
    }
}

fn write_generation<E: From<Error>>(
    dir: &Path,
    options: WriterOptions,
    started: Instant,
    feed: impl FnOnce(&mut SectionSink) -> std::result::Result<Provenance, E>,
) -> std::result::Result<BuildInfo, E> {
    let (schema, fields) = schema::build_schema();
    let settings = tantivy::IndexSettings {
        docstore_blocksize: DOC_STORE_BLOCK_BYTES,
        ..Default::default()
    };
    let index = Index::builder()
        .schema(schema)
        .settings(settings)
        .create_in_dir(dir)
        .map_err(Error::from)?;
    schema::register_analyzers(&index);
    let mut writer = index
        .writer_with_num_threads(options.threads, options.memory_bytes)
        .map_err(Error::from)?;
    let mut sink = SectionSink {
        writer: &writer,
        fields: &fields,
        counts: Kind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), 0))
            .collect(),
        total: 0,
        writer_failed: false,
    };
    let fed = feed(&mut sink);
    let (counts, total, writer_failed) = (sink.counts, sink.total, sink.writer_failed);
    let provenance = match fed {
        Ok(provenance) => provenance,
        // A failed writing thread's own error (a full disk, say) is the better one.
        Err(e) if writer_failed => {
            return Err(writer.commit().err().map_or(e, |c| Error::from(c).into()))
        }
        Err(e) => return Err(e),
    };
    writer.commit().map_err(Error::from)?;
    writer.wait_merging_threads().map_err(Error::from)?;
    let info = BuildInfo {
        format_version: FORMAT_VERSION,
        tipdex_version: env!("CARGO_PKG_VERSION").to_string(),
        built_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        build_ms: started.elapsed().as_millis() as u64,
        sections: counts,
        total,
        corpus: provenance.corpus.as_ref().map(|p| p.display().to_string()),
        corpus_fingerprint: provenance.fingerprint.clone(),
        warnings: provenance.warnings.len(),
        backend: provenance.backend.clone(),
        follow_links: provenance.follow_links,
    };
    if let Some(text) = &provenance.glossary {
        let compiled = Glossary::parse(text, glossary::FILE_NAME)?;
        owned::write_file_synced(&dir.join(glossary::FILE_NAME), text.as_bytes(), false)?;
        let lines = compiled.to_lines();
        owned::write_file_synced(
            &dir.join(glossary::COMPILED_LINES_FILE_NAME),
            lines.as_bytes(),
            false,
        )?;
    }
    let json = serde_json::to_vec_pretty(&info).expect("build info serializes");
    owned::write_file_synced(&dir.join(INFO), &json, false)?;
    sync_dir(dir);
    Ok(info)
}

/// Generations up to this size are read into memory when opened rather than mapped
/// (`$TIPDEX_IN_MEMORY_MAX_BYTES` sets another bound): then nothing done to their files
/// afterwards reaches a running server. A larger generation is memory-mapped, and a
/// file of it truncated in place would end the server (SIGBUS); tipdex makes complete
/// generations read-only so that nothing truncates them by accident.
pub const IN_MEMORY_BYTES: u64 = 256 * 1024 * 1024;

/// The bound under which generations are read into memory (see [`IN_MEMORY_BYTES`]).
pub fn in_memory_bound() -> u64 {
    std::env::var("TIPDEX_IN_MEMORY_MAX_BYTES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(IN_MEMORY_BYTES)
}

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
    let in_memory = size_bytes <= in_memory_bound();
    let index = readonly::ReadOnlyGeneration::open(&dir, in_memory)
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

/// The name of the current generation, or an error saying there is no index.
pub fn current_generation(root: &Path) -> Result<String> {
    let current = root.join(CURRENT);
    match crate::files::read_own_file(&current, 4096) {
        Ok(bytes) => {
            let name = String::from_utf8_lossy(&bytes).trim().to_string();
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

fn new_generation_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{GEN_PREFIX}{nanos:024}-{}", std::process::id())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Names of the complete generations tipdex recorded at `root`, oldest first (the
/// current one and the one kept before it).
pub fn generations(root: &Path) -> Vec<String> {
    owned::recorded_generations(root).unwrap_or_default()
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
        let recorded = super::generations(&root);
        assert_eq!(recorded.len(), 2, "current and previous only");
        let on_disk = fs::read_dir(&root)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(GEN_PREFIX)
            })
            .count();
        assert_eq!(on_disk, 2);
        assert_eq!(recorded, generations[1..]);
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
        let _held = IndexDir::claim(&root).unwrap().lock().unwrap();
        let err = build(&sections(), &root, &Provenance::default()).unwrap_err();
        assert!(matches!(err, Error::IndexLocked { .. }), "{err}");
    }
}
