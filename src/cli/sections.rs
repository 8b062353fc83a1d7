//! `tipdex sections`: print the corpus as JSON Lines, warnings to stderr.

use anyhow::{bail, Context};
use std::io::Write;
use std::path::PathBuf;

/// Flags of `tipdex sections`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Corpus directory.
    #[arg(long, env = "TIPDEX_CORPUS", default_value = "corpus")]
    pub corpus: PathBuf,
    /// Also read files that symbolic links lead to outside the corpus.
    #[arg(long)]
    pub follow_links: bool,
}

/// Loads the corpus and prints one JSON object per section.
pub fn run(args: Args) -> anyhow::Result<()> {
    let options = super::corpus_options(args.follow_links)?;
    let corpus = tipdex::corpus::load_with(&args.corpus, &options)
        .with_context(|| format!("cannot load corpus {}", args.corpus.display()))?;
    for warning in &corpus.warnings {
        eprintln!("warning: {warning}");
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for section in &corpus.sections {
        serde_json::to_writer(&mut out, section)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    if let Some(first) = corpus.errors.first() {
        for e in &corpus.errors {
            eprintln!("error: {e}");
        }
        bail!(
            "{} corpus file(s) could not be loaded (first: {first})",
            corpus.errors.len()
        );
    }
    Ok(())
}
