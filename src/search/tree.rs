//! Backend-neutral query trees: what planning builds and every executor runs.
//!
//! Planning decides *what* to search (fields, analyzed terms, boosts, filters); a
//! [`Node`] records that decision without tying it to an engine, with the rewrites that
//! keep its meaning (fields without terms dropped) and the shapes executors look for
//! (plain unions of terms). The local executor compiles it to tantivy queries
//! (`execute/local/compile.rs`); the remote one to Quickwit's query DSL
//! (`execute/remote/dsl.rs`).

use std::ops::Bound;
use tantivy::query::Occur;
use tantivy::schema::Field;
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
    /// Terms of a raw (untokenized) field holding `text` anywhere, or at its start,
    /// compared case-insensitively (a constant score; filters only).
    Contains {
        /// The field.
        field: Field,
        /// The text the term holds.
        text: String,
        /// Only at the start of the term (`STARTS WITH`).
        at_start: bool,
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

    /// This node without the optional terms already in `seen` (a field and its text),
    /// adding its own: what remains scores only terms not scored before. Only optional
    /// (scoring) terms are dropped, never one a match requires.
    pub fn without_repeated_terms(
        &self,
        seen: &mut std::collections::HashSet<(Field, String)>,
    ) -> Node {
        match self {
            Node::Term { field, text, .. } => {
                if seen.insert((*field, text.clone())) {
                    self.clone()
                } else {
                    Node::Empty
                }
            }
            Node::Boost(inner, boost) => match inner.without_repeated_terms(seen) {
                Node::Empty => Node::Empty,
                inner => Node::Boost(Box::new(inner), *boost),
            },
            Node::Const(inner, score) => match inner.without_repeated_terms(seen) {
                Node::Empty => Node::Empty,
                inner => Node::Const(Box::new(inner), *score),
            },
            Node::Bool(clauses) if clauses.iter().all(|(o, _)| *o == Occur::Should) => {
                let kept: Vec<(Occur, Node)> = clauses
                    .iter()
                    .map(|(o, c)| (*o, c.without_repeated_terms(seen)))
                    .filter(|(_, c)| *c != Node::Empty)
                    .collect();
                if kept.is_empty() {
                    Node::Empty
                } else {
                    Node::Bool(kept)
                }
            }
            other => other.clone(),
        }
    }

    /// This node with its score multiplied by `boost`.
    pub fn boosted(self, boost: f32) -> Node {
        Node::Boost(Box::new(self), boost)
    }

    /// This node without what it asks of `absent` fields (fields no document has a term
    /// in): their terms, phrases and prefixes match nothing, so they are dropped from
    /// unions and empty what requires them. Scores of what still matches are unchanged;
    /// tantivy would otherwise open an empty dictionary for each of them at every use.
    #[cfg(test)]
    pub fn without_fields(&self, absent: &[Field]) -> Node {
        let mut pruned = self.clone();
        pruned.prune(&|leaf| leaf.field().is_some_and(|f| absent.contains(&f)));
        pruned
    }

    /// Drops, in place, the leaves (terms, phrases, prefixes, containment tests) that
    /// `matches_nothing` says no document has: from unions and exclusions; what requires
    /// one becomes [`Node::Empty`]. What still matches matches and scores as before (a
    /// clause that matches nothing adds nothing to a sum), and tantivy builds no weight
    /// or scorer for what was dropped.
    pub fn prune(&mut self, matches_nothing: &dyn Fn(&Node) -> bool) {
        let empty = match self {
            Node::Term { .. }
            | Node::Phrase { .. }
            | Node::Prefix { .. }
            | Node::Contains { .. } => matches_nothing(self),
            Node::Bool(clauses) => {
                let had_clauses = !clauses.is_empty();
                let mut required_is_empty = false;
                clauses.retain_mut(|(occur, clause)| {
                    if required_is_empty {
                        return true;
                    }
                    clause.prune(matches_nothing);
                    let empty = matches!(clause, Node::Empty);
                    required_is_empty = empty && *occur == Occur::Must;
                    !empty
                });
                let matches_something = clauses.iter().any(|(o, _)| *o != Occur::MustNot);
                required_is_empty || (had_clauses && !matches_something)
            }
            Node::Boost(inner, _) | Node::Const(inner, _) => {
                inner.prune(matches_nothing);
                matches!(**inner, Node::Empty)
            }
            _ => false,
        };
        if empty {
            *self = Node::Empty;
        }
    }

    /// The field a leaf searches (a term, phrase, prefix or containment test).
    pub fn field(&self) -> Option<Field> {
        match self {
            Node::Term { field, .. }
            | Node::Phrase { field, .. }
            | Node::Prefix { field, .. }
            | Node::Contains { field, .. } => Some(*field),
            _ => None,
        }
    }

    /// Whether this compiles to a plain union of term queries (each maybe boosted or
    /// made constant): the shape whose best hits tantivy finds without scoring every match.
    pub fn is_union_of_terms(&self) -> bool {
        let is_term = |node: &Node| match node {
            Node::Term { .. } => true,
            Node::Boost(inner, _) | Node::Const(inner, _) => {
                matches!(**inner, Node::Term { .. })
            }
            _ => false,
        };
        match self {
            Node::Bool(clauses) if clauses.len() == 1 && clauses[0].0 != Occur::MustNot => {
                clauses[0].1.is_union_of_terms()
            }
            Node::Bool(clauses) => clauses
                .iter()
                .all(|(occur, node)| *occur == Occur::Should && is_term(node)),
            node => is_term(node),
        }
    }

    /// A required plain union of terms beside one constant bonus for a term (the
    /// preferred language's sections, `Const(language, w)`): the union, the bonus term
    /// and its score. Its best hits can be found by pruning the union and adding the
    /// bonus to the matches that have it.
    pub fn union_with_bonus(&self) -> Option<(&Node, Term, f32)> {
        let Node::Bool(clauses) = self else {
            return None;
        };
        let [(Occur::Must, union), (Occur::Should, Node::Const(bonus, score))] = &clauses[..]
        else {
            return None;
        };
        let Node::Term { field, text, .. } = &**bonus else {
            return None;
        };
        union
            .is_union_of_terms()
            .then(|| (union, Term::from_field_text(*field, text), *score))
    }

    /// The terms of a plain union of term queries (see [`Node::is_union_of_terms`]).
    pub fn union_terms(&self) -> Option<Vec<Term>> {
        self.is_union_of_terms()
            .then(|| self.matching_terms())
            .flatten()
    }

    /// Terms whose posting lists together hold exactly the documents this node matches,
    /// scores aside: a term, or optional clauses (or one required clause) of such nodes,
    /// boosted or not — a query word over its fields, or several words any of which
    /// will do. `None` for anything else (intersections, phrases, filters, exclusions).
    pub fn matching_terms(&self) -> Option<Vec<Term>> {
        fn collect(node: &Node, out: &mut Vec<Term>) -> bool {
            match node {
                Node::Term { field, text, .. } => {
                    out.push(Term::from_field_text(*field, text));
                    true
                }
                Node::Boost(inner, _) | Node::Const(inner, _) => collect(inner, out),
                Node::Bool(clauses) if clauses.len() == 1 && clauses[0].0 != Occur::MustNot => {
                    collect(&clauses[0].1, out)
                }
                Node::Bool(clauses) => clauses
                    .iter()
                    .all(|(occur, n)| *occur == Occur::Should && collect(n, out)),
                _ => false,
            }
        }
        let mut terms = Vec::new();
        collect(self, &mut terms).then_some(terms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_union_beside_a_constant_bonus_is_told_apart_from_other_shapes() {
        let (body, title, language) = (
            Field::from_field_id(0),
            Field::from_field_id(1),
            Field::from_field_id(2),
        );
        let word = Node::any(vec![
            Node::term(title, "traffick", 3.0),
            Node::term(body, "traffick", 1.0),
        ]);
        let bonus = Node::Const(Box::new(Node::basic_term(language, "en")), 0.5);
        let query = Node::Bool(vec![
            (Occur::Must, word.clone()),
            (Occur::Should, bonus.clone()),
        ]);
        let (union, term, score) = query.union_with_bonus().expect("a union beside a bonus");
        assert_eq!(union, &word);
        assert_eq!(term, Term::from_field_text(language, "en"));
        assert_eq!(score, 0.5);
        // Two required words, or a bonus that is not a constant for a term, are not.
        let two = Node::Bool(vec![
            (Occur::Must, word.clone()),
            (Occur::Must, word.clone()),
        ]);
        assert!(two.union_with_bonus().is_none());
        let scored = Node::Bool(vec![(Occur::Must, word.clone()), (Occur::Should, word)]);
        assert!(scored.union_with_bonus().is_none());
    }
}
