//! Words: the one place text is cut into words and words are compared.
//!
//! - [`split`]: the analyzers' tokenizer (runs of letters and digits, lowercased, folded
//!   to ASCII), tantivy's four stages in one pass.
//! - [`scan`]: the same words found in a text with their offsets, for highlighting.
//! - [`shape`]: accents folded, a term's or query's words, capitals, edit distance.

pub mod scan;
pub mod shape;
pub mod split;

pub use shape::{fold_char, is_written_in_capitals, strip_elision, within_edits, words};
pub use split::FoldedWords;
