#![warn(missing_docs)]
//! tipdex: full-text search over a directory of anti-trafficking organizations,
//! mandate holders and their reports.
//!
//! The data flows one way: [`corpus::stream`] turns files into [`Section`]s as they
//! are read ([`corpus::load`] collects them), [`index::build_fed`] writes them to a
//! tantivy index as they come (schema in [`schema`]), and
//! [`search::Engine`] answers [`search::SearchRequest`]s for the CLI and the server.

pub mod backend;
pub mod corpus;
pub mod error;
pub mod files;
pub mod glossary;
pub mod index;
pub mod quickwit;
pub mod schema;
pub mod search;
pub mod server;
pub mod stemming;
pub mod stored;
pub mod words;

pub use corpus::{Kind, Section};
pub use error::{Error, Result};
pub use search::{Engine, SearchRequest, SearchResponse};
