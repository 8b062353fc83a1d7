//! `tipdex export`: write the current index in another engine's format.

use super::IndexLocation;
use anyhow::Context;
use std::path::PathBuf;
use tipdex::Engine;

/// Flags of `tipdex export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub format: Format,
}

/// Export formats.
#[derive(Debug, clap::Subcommand)]
pub enum Format {
    /// A Quickwit index config (`index-config.yaml`) and its documents
    /// (`documents.ndjson`), analyzed by tipdex, for `quickwit index create` and
    /// `quickwit index ingest`. The index id is `NAME-GENERATION`, the one
    /// `--backend quickwit=http://HOST:PORT/NAME` searches for this generation.
    Quickwit(QuickwitArgs),
}

/// Flags of `tipdex export quickwit`.
#[derive(Debug, clap::Args)]
pub struct QuickwitArgs {
    #[command(flatten)]
    pub location: IndexLocation,
    /// Directory to write the files to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Base name of the Quickwit index.
    #[arg(long, default_value = "sections")]
    pub name: String,
}

/// Writes the export and says where.
pub fn run(args: Args) -> anyhow::Result<()> {
    let Format::Quickwit(args) = args.format;
    tipdex::quickwit::check_index_name(&args.name)
        .map_err(|why| anyhow::anyhow!("invalid --name `{}`: {why}", args.name))?;
    let index = args.location.ensure()?;
    let engine = Engine::open_with(&index, Some(&tipdex::backend::Backend::Local))?;
    let sections = engine.all_sections()?;
    let index_id = tipdex::quickwit::index_id(&args.name, engine.generation());
    let (config, docs) = tipdex::quickwit::export(&args.out, &index_id, &sections)
        .with_context(|| format!("cannot export to {}", args.out.display()))?;
    eprintln!(
        "exported {} sections as Quickwit index {index_id}: {} and {}",
        sections.len(),
        config.display(),
        docs.display()
    );
    Ok(())
}
