//! `tipdex index`: load the corpus and build the index atomically.

use super::{corpus_dir, load_corpus, IndexLocation};
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::time::Instant;

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
}

/// Builds the index and reports what it did.
pub fn run(args: Args) -> anyhow::Result<()> {
    let corpus = corpus_dir(args.corpus.as_deref());
    build_index(&corpus, &args.location.path(), args.quiet)
}

/// Loads `corpus` and builds the index at `index`, printing a summary unless `quiet`.
pub fn build_index(corpus: &Path, index: &Path, quiet: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let (loaded, provenance) = load_corpus(corpus)?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    if loaded.sections.is_empty() {
        anyhow::bail!(
            "corpus {} has no sections (expected .txt, .md or .jsonl files); the index was left unchanged",
            corpus.display()
        );
    }
    let info = tipdex::index::build(&loaded.sections, index, &provenance)
        .with_context(|| format!("cannot build the index at {}", index.display()))?;
    if !quiet {
        let per_kind: Vec<String> = info
            .sections
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        eprintln!(
            "indexed {} sections ({}) from {} file(s) in {} into {} in {} ms; {} warning(s)",
            info.total,
            per_kind.join(", "),
            loaded.files.len(),
            corpus.display(),
            index.display(),
            started.elapsed().as_millis(),
            loaded.warnings.len()
        );
    }
    Ok(())
}
