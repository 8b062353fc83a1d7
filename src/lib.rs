//! tipdex: full-text search over a directory of anti-trafficking organizations,
//! mandate holders and their reports.
//!
//! The data flows one way: [`corpus::load`] turns files into [`Section`]s, the index
//! module writes them to a tantivy index, and the search module answers queries.

pub mod corpus;
pub mod error;

pub use corpus::{Kind, Section};
pub use error::{Error, Result};
