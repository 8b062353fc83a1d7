//! The command-line interface: one module per subcommand, each a thin layer over the library.

pub mod sections;

use clap::{Parser, Subcommand};

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
    /// Print every section of the corpus as one JSON object per line.
    Sections(sections::Args),
}

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Sections(args) => sections::run(args),
    }
}
