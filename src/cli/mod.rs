//! The command-line interface: one module per subcommand, each a thin layer over the library.

pub mod bench;
pub mod export;
pub mod index;
pub mod query;
pub mod sections;
pub mod serve;

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tipdex::corpus::LoadOptions;
use tipdex::index::{IndexDir, Provenance};

/// Default corpus directory (relative to the working directory).
pub const DEFAULT_CORPUS: &str = "corpus";
/// Default index directory (relative to the working directory).
pub const DEFAULT_INDEX: &str = "index";

/// Search a directory of anti-trafficking organizations, mandate holders and reports.
#[derive(Debug, Parser)]
#[command(name = "tipdex", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the index from the corpus (atomically replacing the previous one).
    Index(index::Args),
    /// Search the index.
    Query(query::Args),
    /// Print every section of the corpus as one JSON object per line.
    Sections(sections::Args),
    /// Time a query set in-process: per-class latency percentiles and queries per second.
    Bench(bench::Args),
    /// Serve the search API, a Meilisearch-compatible API and a search page over HTTP.
    Serve(serve::Args),
    /// Write the index in another engine's format (Quickwit).
    Export(export::Args),
    /// Extract a PDF's text: the file's bytes on standard input, its pages as JSON on
    /// standard output (run by `tipdex index` in a child process, one per file).
    #[command(hide = true)]
    ExtractPdf,
}

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Index(args) => index::run(args),
        Command::Query(args) => query::run(args),
        Command::Sections(args) => sections::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Export(args) => export::run(args),
        Command::ExtractPdf => extract_pdf(),
    }
}

/// The extracting child: its answer goes to the standard output it was given, and
/// anything the extractor prints goes to standard error instead.
fn extract_pdf() -> anyhow::Result<()> {
    use std::os::fd::FromRawFd;
    std::panic::set_hook(Box::new(|_| {}));
    // SAFETY: duplicating and redirecting this process's own standard descriptors.
    let answer = unsafe {
        let answer = libc::dup(1);
        anyhow::ensure!(answer >= 0, "cannot duplicate standard output");
        libc::dup2(2, 1);
        std::fs::File::from_raw_fd(answer)
    };
    tipdex::corpus::pdf::serve_child(std::io::stdin().lock(), std::io::BufWriter::new(answer))
        .context("cannot answer the indexer")
}

/// How the CLI reads a corpus: PDFs extracted in child processes (`pdftotext` when
/// installed, else this binary's `extract-pdf`).
pub fn corpus_options(follow_links: bool) -> anyhow::Result<LoadOptions> {
    let program = std::env::current_exe().context("cannot find the tipdex binary")?;
    let pdf_extractor =
        tipdex::corpus::pdf::PdfExtractor::choose(program).map_err(anyhow::Error::msg)?;
    Ok(LoadOptions {
        follow_links,
        pdf_extractor,
        ..LoadOptions::default()
    })
}

/// Where the index is, and whether the user chose it.
#[derive(Debug, Clone, clap::Args)]
pub struct IndexLocation {
    /// Index directory [default: ./index, or $TIPDEX_INDEX].
    #[arg(long, value_name = "DIR")]
    pub index: Option<PathBuf>,
    /// Where searches run: `local`, or `quickwit=http://HOST:PORT/NAME` (a Quickwit
    /// cluster). `tipdex index` publishes there and records it with the index; searches
    /// default to what the index records [env: TIPDEX_BACKEND].
    #[arg(long, value_name = "BACKEND")]
    pub backend: Option<String>,
}

impl IndexLocation {
    /// The backend the user chose, if any: the flag, else $TIPDEX_BACKEND.
    pub fn backend(&self) -> anyhow::Result<Option<tipdex::backend::Backend>> {
        let text = self.backend.clone().or_else(|| {
            std::env::var("TIPDEX_BACKEND")
                .ok()
                .filter(|v| !v.trim().is_empty())
        });
        match text {
            Some(t) => Ok(Some(t.parse().context("invalid --backend")?)),
            None => Ok(None),
        }
    }

    /// The index path: the flag, else $TIPDEX_INDEX, else the default.
    pub fn path(&self) -> PathBuf {
        self.explicit()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_INDEX))
    }

    fn explicit(&self) -> Option<PathBuf> {
        self.index.clone().or_else(|| {
            std::env::var_os("TIPDEX_INDEX")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
    }

    /// The index path, building the default index from the default corpus first when
    /// it is missing or older than the corpus. An index the user named is never built here.
    /// When another process is building it, waits for that build (up to
    /// [`build_wait`]), then answers from what is there.
    pub fn ensure(&self) -> anyhow::Result<PathBuf> {
        if let Some(path) = self.explicit() {
            return Ok(path);
        }
        let index = PathBuf::from(DEFAULT_INDEX);
        let corpus = corpus_dir(None);
        if !needs_build(&index, &corpus) {
            return Ok(index);
        }
        let dir = IndexDir::claim(&index)
            .with_context(|| format!("cannot build the default index {}", index.display()))?;
        let lock = match dir.lock() {
            Ok(lock) => lock,
            Err(tipdex::Error::IndexLocked { .. }) => {
                let wait = build_wait();
                eprintln!(
                    "tipdex: another process is building the index {}; waiting for it (up to {} s)",
                    index.display(),
                    wait.as_secs()
                );
                match dir.lock_waiting(wait)? {
                    Some(lock) => lock,
                    None if tipdex::index::current_info(&index).is_ok() => {
                        eprintln!(
                            "tipdex: the build is still running after {} s: answering from the index as it is",
                            wait.as_secs()
                        );
                        return Ok(index);
                    }
                    None => anyhow::bail!(
                        "the index {} is still being built by another process after {} s; try again when it finishes",
                        index.display(),
                        wait.as_secs()
                    ),
                }
            }
            Err(e) => return Err(e.into()),
        };
        // The build this process waited for may have done the work.
        if needs_build(&index, &corpus) {
            eprintln!(
                "tipdex: building the index {} from {} (first run or corpus changed)",
                index.display(),
                corpus.display()
            );
            let options = build_options(&index)?;
            index::build_locked(&corpus, &options, &lock, self.backend()?.as_ref(), true)?;
        }
        Ok(index)
    }
}

/// How long a query waits for another process's build of the default index:
/// `$TIPDEX_BUILD_WAIT_SECS`, else two minutes.
pub fn build_wait() -> Duration {
    let secs = std::env::var("TIPDEX_BUILD_WAIT_SECS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(120);
    Duration::from_secs(secs.min(24 * 3600))
}

/// The corpus directory: the flag, else $TIPDEX_CORPUS, else `corpus`.
pub fn corpus_dir(flag: Option<&Path>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| {
            std::env::var_os("TIPDEX_CORPUS")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CORPUS))
}

fn needs_build(index: &Path, corpus: &Path) -> bool {
    // Only the build facts are read here; a damaged index is found (and rebuilt) when
    // opening it fails below.
    match tipdex::index::current_info(index) {
        Ok(info) if info.format_version == tipdex::schema::FORMAT_VERSION => {
            let options = LoadOptions {
                follow_links: tipdex::index::current_info(index).is_ok_and(|i| i.follow_links),
                ..LoadOptions::default()
            };
            let now = tipdex::corpus::corpus_fingerprint(corpus, &options);
            now.is_some() && info.corpus_fingerprint != now
        }
        _ => corpus.is_dir(),
    }
}

/// How the default index is rebuilt: as the current generation was built (links
/// followed if `tipdex index --follow-links` built it).
fn build_options(index: &Path) -> anyhow::Result<LoadOptions> {
    corpus_options(tipdex::index::current_info(index).is_ok_and(|i| i.follow_links))
}

/// Where a loaded corpus came from, failing (without touching any index) if a file
/// could not be read or its glossary is bad.
pub fn provenance_of(
    corpus: &Path,
    options: &LoadOptions,
    loaded: &tipdex::corpus::Corpus,
) -> anyhow::Result<Provenance> {
    if !loaded.errors.is_empty() {
        for e in &loaded.errors {
            eprintln!("error: {e}");
        }
        anyhow::bail!(
            "{} corpus file(s) in {} could not be loaded; the index was left unchanged",
            loaded.errors.len(),
            corpus.display()
        );
    }
    let glossary = loaded
        .glossary
        .clone()
        .unwrap_or_else(|| tipdex::glossary::BUILTIN.to_string());
    tipdex::glossary::Glossary::parse(
        &glossary,
        &corpus
            .join(tipdex::glossary::FILE_NAME)
            .display()
            .to_string(),
    )
    .context("the index was left unchanged")?;
    Ok(Provenance {
        // Absolute, so that `tipdex serve` finds the documents from any directory.
        corpus: Some(
            corpus
                .canonicalize()
                .unwrap_or_else(|_| corpus.to_path_buf()),
        ),
        fingerprint: Some(loaded.fingerprint.clone()),
        warnings: loaded.warnings.clone(),
        glossary: Some(glossary),
        backend: None,
        follow_links: options.follow_links,
    })
}
