//! Searching an index, cut by stage, each stage a module named for what it does:
//!
//! 1. [`request`]: what a search is asked ([`SearchRequest`]) and answers
//!    ([`SearchResponse`]); [`query`] and [`filter`] read the query and filter
//!    languages; [`budget`] bounds what one search may spend.
//! 2. understand (`understand`): the field's vocabulary applied to the query
//!    (glossary, sessions, intents, question words), before any index is consulted.
//! 3. expand (`expand`): typo and prefix expansion against the index's dictionary.
//! 4. plan (`plan`): boosts and priors, into backend-neutral query trees (`tree`).
//! 5. execute (`execute`): the trees run on the local index or on Quickwit, behind one
//!    executor trait; results in one order for both.
//! 6. present ([`present`]): snippets as text and match spans, and the one renderer
//!    of every front end; [`suggest`] completes what is being typed.
//!
//! [`Engine`] runs the stages in that order.

pub mod budget;
mod engine;
pub(crate) mod execute;
pub(crate) mod expand;
pub mod filter;
pub(crate) mod plan;
pub mod present;
pub mod query;
pub mod request;
pub mod suggest;
pub(crate) mod tree;
pub(crate) mod understand;

pub use engine::Engine;
pub use request::{
    Facets, Hit, QueryExplanation, SearchRequest, SearchResponse, Sort, SortField, Stats,
    DEFAULT_LIMIT, MAX_EXPLAIN_LIMIT, MAX_LIMIT, MAX_OFFSET,
};
pub use understand::neighbours::SearchedInstead;
