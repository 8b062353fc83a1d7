//! `tipdex index`: load the corpus and build the index atomically.

use super::{corpus_dir, IndexLocation};
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tipdex::backend::Backend;
use tipdex::corpus::LoadOptions;
use tipdex::index::Provenance;
use tipdex::index::{BuildLock, IndexDir};

/// Flags of `tipdex index`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Corpus directory [default: ./corpus, or $TIPDEX_CORPUS].
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
    #[command(flatten)]
    pub location: IndexLocation,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Also read files that symbolic links in the corpus lead to outside it (links
    /// inside the corpus are always followed; FIFOs and devices are never read).
    #[arg(long)]
    pub follow_links: bool,
}

/// Builds the index and reports what it did.
pub fn run(args: Args) -> anyhow::Result<()> {
    let corpus = corpus_dir(args.corpus.as_deref());
    let backend = args.location.backend()?;
    let options = super::corpus_options(args.follow_links)?;
    build_index(
        &corpus,
        &options,
        &args.location.path(),
        backend.as_ref(),
        args.quiet,
    )
}

/// Loads `corpus` and builds the index at `index`, publishing it to `backend` (`None`:
/// where the current generation was published, if anywhere) before it becomes
/// current; prints a summary unless `quiet`. Fails at once when another build holds
/// the index's lock, and before reading the corpus when `index` is not tipdex's.
pub fn build_index(
    corpus: &Path,
    options: &LoadOptions,
    index: &Path,
    backend: Option<&Backend>,
    quiet: bool,
) -> anyhow::Result<()> {
    let lock = IndexDir::claim(index)
        .and_then(|dir| dir.lock())
        .with_context(|| format!("cannot build the index at {}", index.display()))?;
    build_locked(corpus, options, &lock, backend, quiet)
}

/// [`build_index`] with the index's build lock already held.
pub fn build_locked(
    corpus: &Path,
    options: &LoadOptions,
    lock: &BuildLock,
    backend: Option<&Backend>,
    quiet: bool,
) -> anyhow::Result<()> {
    let index = lock.root();
    let started = Instant::now();
    // Without a choice, a rebuild goes where the current generation went.
    let recorded: Option<Backend> = match backend {
        Some(_) => None,
        None => tipdex::index::current_info(index)
            .ok()
            .and_then(|info| info.backend)
            .and_then(|text| text.parse().ok()),
    };
    let backend = backend.or(recorded.as_ref());
    let cache = open_extraction_cache(index);
    let options = &LoadOptions {
        extraction_cache: cache.clone(),
        ..options.clone()
    };
    let target = match backend {
        Some(Backend::Quickwit(target)) => Some(target),
        _ => None,
    };
    let backend_name = backend
        .filter(|b| **b != Backend::Local)
        .map(ToString::to_string);
    let (info, files, read_ms) = match target {
        Some(target) => {
            build_and_publish_whole(corpus, options, lock, target, backend_name, quiet)?
        }
        None => build_streamed(corpus, options, lock, backend_name)?,
    };
    if let Some(cache) = &cache {
        cache.prune();
        let (hits, misses) = cache.hits_and_misses();
        if !quiet && hits + misses > 0 {
            eprintln!("documents: {misses} extracted, {hits} from the extraction cache");
        }
    }
    if !quiet {
        print_summary(&info, files, corpus, index, (started, read_ms));
    }
    Ok(())
}

/// Builds a local index as the corpus is read: sections go to the writer as they come,
/// so the corpus is never held whole. Returns the build, the files read and how long
/// reading took (it overlaps writing: the whole build, less the final commit).
fn build_streamed(
    corpus: &Path,
    options: &LoadOptions,
    lock: &BuildLock,
    backend: Option<String>,
) -> anyhow::Result<(tipdex::index::BuildInfo, usize, u128)> {
    let started = Instant::now();
    let walked = tipdex::corpus::walk::walk(corpus, options)
        .with_context(|| format!("cannot load corpus {}", corpus.display()))?;
    let writer = tipdex::index::WriterOptions::for_corpus_bytes(walked.bytes());
    let files = std::cell::Cell::new(0);
    let read_ms = std::cell::Cell::new(0);
    let feed = |sink: &mut tipdex::index::SectionSink| -> anyhow::Result<Provenance> {
        let streamed = tipdex::corpus::stream::stream_walked(
            corpus,
            walked,
            options,
            tipdex::corpus::stream::OnError::Stop,
            &mut |ord, section| sink.add(ord, &section),
        )
        .with_context(|| format!("cannot load corpus {}", corpus.display()))?;
        read_ms.set(started.elapsed().as_millis());
        files.set(streamed.files.len());
        let handed = streamed.sections;
        let loaded = streamed.into_corpus(Vec::new());
        let mut provenance = checked_provenance(corpus, options, &loaded, handed)?;
        provenance.backend = backend;
        Ok(provenance)
    };
    let info = tipdex::index::build_fed(lock, writer, feed, &|_| Ok(()))
        .with_context(|| format!("cannot build the index at {}", lock.root().display()))?;
    Ok((info, files.get(), read_ms.get()))
}

/// Builds the index from the whole corpus, held in memory, and publishes it to Quickwit
/// before it becomes current.
fn build_and_publish_whole(
    corpus: &Path,
    options: &LoadOptions,
    lock: &BuildLock,
    target: &tipdex::quickwit::Target,
    backend: Option<String>,
    quiet: bool,
) -> anyhow::Result<(tipdex::index::BuildInfo, usize, u128)> {
    let started = Instant::now();
    let loaded = tipdex::corpus::load_with(corpus, options)
        .with_context(|| format!("cannot load corpus {}", corpus.display()))?;
    let read_ms = started.elapsed().as_millis();
    let mut provenance = checked_provenance(corpus, options, &loaded, loaded.sections.len())?;
    provenance.backend = backend;
    let sections = &loaded.sections;
    let publish_ms = std::cell::Cell::new(0u128);
    let publish = |generation: &str| {
        let started = Instant::now();
        let published = tipdex::quickwit::publish(target, generation, sections);
        publish_ms.set(started.elapsed().as_millis());
        published
    };
    let options = tipdex::index::WriterOptions::for_sections(sections.len());
    let index = lock.root();
    let info = tipdex::index::build_and_publish(sections, lock, &provenance, options, &publish)
        .with_context(|| format!("cannot build the index at {}", index.display()))?;
    let kept = tipdex::index::generations(index);
    let removed = tipdex::quickwit::remove_unused(target, &kept)
        .context("the new index is in use; removing older Quickwit indexes failed")?;
    if !quiet {
        eprintln!(
            "published to Quickwit {target} as index {} in {} ms ({} older index(es) removed)",
            target.index_id(&tipdex::index::current_generation(index)?),
            publish_ms.get(),
            removed.len()
        );
    }
    Ok((info, loaded.files.len(), read_ms))
}

/// The provenance of a corpus that loaded whole, with its warnings printed; an error
/// naming what was wrong when a file could not be loaded, the glossary is bad or there
/// are no sections (the index is then left unchanged).
fn checked_provenance(
    corpus: &Path,
    options: &LoadOptions,
    loaded: &tipdex::corpus::Corpus,
    sections: usize,
) -> anyhow::Result<Provenance> {
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    let provenance = super::provenance_of(corpus, options, loaded)?;
    if sections == 0 {
        anyhow::bail!(
            "corpus {} has no sections (expected .txt, .md, .jsonl, .pdf or .html files); the index was left unchanged",
            corpus.display()
        );
    }
    Ok(provenance)
}

/// The extraction cache beside the index (`INDEX/extract-cache/`); without one (it cannot
/// be made) every document is extracted again.
fn open_extraction_cache(index: &Path) -> Option<tipdex::corpus::cache::ExtractionCache> {
    match tipdex::corpus::cache::ExtractionCache::open(&index.join(tipdex::index::EXTRACTION_CACHE))
    {
        Ok(cache) => Some(cache),
        Err(e) => {
            eprintln!("warning: no extraction cache in {}: {e}", index.display());
            None
        }
    }
}

/// The one-line account of a build on stderr.
fn print_summary(
    info: &tipdex::index::BuildInfo,
    files: usize,
    corpus: &Path,
    index: &Path,
    (started, read_ms): (Instant, u128),
) {
    let per_kind: Vec<String> = info
        .sections
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    eprintln!(
        "indexed {} sections ({}) from {} file(s) in {} into {} in {} ms (files read in {} ms); {} warning(s)",
        info.total,
        per_kind.join(", "),
        files,
        corpus.display(),
        index.display(),
        started.elapsed().as_millis(),
        read_ms,
        info.warnings
    );
}
