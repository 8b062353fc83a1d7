//! Backend-neutral query trees: what ranking builds, and what each backend compiles.
//!
//! Ranking decides *what* to search (fields, analyzed terms, boosts, filters); a
//! [`Node`] records that decision without tying it to an engine. The local backend
//! compiles it to tantivy queries ([`Node::to_tantivy`]); the Quickwit backend to
//! Quickwit's Elasticsearch-compatible query DSL (`crate::quickwit`).

use std::ops::Bound;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, ExistsQuery, FuzzyTermQuery,
    Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;

/// One node of a query tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Every document.
    All,
    /// No document.
    Empty,
    /// An analyzed term of a text field. With `freqs`, scored by BM25 with term
    /// frequencies; without, as present or not (filters, names).
    Term {
        /// The field.
        field: Field,
        /// The term, as the field's analyzer produced it.
        text: String,
        /// Scored with term frequencies.
        freqs: bool,
    },
    /// Sections of this year (`field` is the year field).
    Year(Field, i64),
    /// Sections whose year is within the bounds.
    YearRange(Field, Bound<i64>, Bound<i64>),
    /// Sections with a value in the field.
    Exists(&'static str),
    /// Analyzed terms in order, at most `slop` words apart.
    Phrase {
        /// The field.
        field: Field,
        /// The terms.
        terms: Vec<String>,
        /// Words allowed between them.
        slop: u32,
    },
    /// Terms of the field starting with `prefix` (a constant score).
    Prefix {
        /// The field.
        field: Field,
        /// The prefix.
        prefix: String,
    },
    /// Clauses combined: `Must` all, `Should` scores, `MustNot` excludes.
    Bool(Vec<(Occur, Node)>),
    /// A score multiplied (0 makes a scoreless filter).
    Boost(Box<Node>, f32),
    /// A constant score for every match.
    Const(Box<Node>, f32),
}

impl Node {
    /// A BM25-scored term, boosted.
    pub fn term(field: Field, text: impl Into<String>, boost: f32) -> Node {
        Node::Term {
            field,
            text: text.into(),
            freqs: true,
        }
        .boosted(boost)
    }

    /// A present-or-not term.
    pub fn basic_term(field: Field, text: impl Into<String>) -> Node {
        Node::Term {
            field,
            text: text.into(),
            freqs: false,
        }
    }

    /// Matches of any of `alternatives`, their scores added up (a word's fields,
    /// a word's synonyms, `OR`).
    pub fn any(alternatives: Vec<Node>) -> Node {
        Node::Bool(
            alternatives
                .into_iter()
                .map(|a| (Occur::Should, a))
                .collect(),
        )
    }

    /// This node with its score multiplied by `boost`.
    pub fn boosted(self, boost: f32) -> Node {
        Node::Boost(Box::new(self), boost)
    }

    /// The tantivy query for this tree.
    pub fn to_tantivy(&self) -> Box<dyn Query> {
        match self {
            Node::All => Box::new(AllQuery),
            Node::Empty => Box::new(EmptyQuery),
            Node::Term { field, text, freqs } => {
                let option = if *freqs {
                    IndexRecordOption::WithFreqs
                } else {
                    IndexRecordOption::Basic
                };
                Box::new(TermQuery::new(Term::from_field_text(*field, text), option))
            }
            Node::Year(field, year) => Box::new(TermQuery::new(
                Term::from_field_i64(*field, *year),
                IndexRecordOption::Basic,
            )),
            Node::YearRange(field, lower, upper) => {
                let term = |y: &i64| Term::from_field_i64(*field, *y);
                Box::new(RangeQuery::new(
                    lower.as_ref().map(term),
                    upper.as_ref().map(term),
                ))
            }
            Node::Exists(name) => Box::new(ExistsQuery::new(name.to_string(), false)),
            Node::Phrase { field, terms, slop } => {
                let terms = terms
                    .iter()
                    .map(|t| Term::from_field_text(*field, t))
                    .collect();
                let mut q = PhraseQuery::new(terms);
                q.set_slop(*slop);
                Box::new(q)
            }
            Node::Prefix { field, prefix } => Box::new(FuzzyTermQuery::new_prefix(
                Term::from_field_text(*field, prefix),
                0,
                false,
            )),
            Node::Bool(clauses) => Box::new(BooleanQuery::new(
                clauses.iter().map(|(o, n)| (*o, n.to_tantivy())).collect(),
            )),
            Node::Boost(inner, boost) => Box::new(BoostQuery::new(inner.to_tantivy(), *boost)),
            Node::Const(inner, score) => Box::new(ConstScoreQuery::new(inner.to_tantivy(), *score)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::build_schema;

    #[test]
    fn trees_compile_to_tantivy_queries() {
        let f = build_schema().1;
        let tree = Node::Bool(vec![
            (Occur::Must, Node::term(f.body, "traffick", 2.0)),
            (
                Occur::Should,
                Node::any(vec![
                    Node::Const(Box::new(Node::basic_term(f.person, "smith")), 3.0),
                    Node::Phrase {
                        field: f.body,
                        terms: vec!["sale".into(), "child".into()],
                        slop: 1,
                    },
                ]),
            ),
            (
                Occur::MustNot,
                Node::YearRange(f.year, Bound::Included(2020), Bound::Unbounded),
            ),
        ]);
        let debug = format!("{:?}", tree.to_tantivy());
        assert!(debug.contains("traffick"), "{debug}");
        assert!(debug.contains("smith"), "{debug}");
    }
}
