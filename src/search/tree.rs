//! Backend-neutral query trees: what ranking builds, and what each backend compiles.
//!
//! Ranking decides *what* to search (fields, analyzed terms, boosts, filters); a
//! [`Node`] records that decision without tying it to an engine. The local backend
//! compiles it to tantivy queries ([`Node::to_tantivy`]); the Quickwit backend to
//! Quickwit's Elasticsearch-compatible query DSL (`crate::quickwit`).

use super::prefix::PrefixQuery;
use super::union::SeekingUnion;
use std::ops::Bound;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, ConstScorer, EmptyQuery, EmptyScorer,
    EnableScoring, ExistsQuery, Explanation, Occur, PhraseQuery, Query, RangeQuery, Scorer,
    TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError, Term};

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

    /// This node without what it asks of `absent` fields (fields no document has a term
    /// in): their terms, phrases and prefixes match nothing, so they are dropped from
    /// unions and empty what requires them. Scores of what still matches are unchanged;
    /// tantivy would otherwise open an empty dictionary for each of them at every use.
    pub fn without_fields(&self, absent: &[Field]) -> Node {
        match self {
            Node::Term { field, .. } | Node::Phrase { field, .. } | Node::Prefix { field, .. }
                if absent.contains(field) =>
            {
                Node::Empty
            }
            Node::Bool(clauses) => {
                let mut kept = Vec::with_capacity(clauses.len());
                for (occur, clause) in clauses {
                    match (occur, clause.without_fields(absent)) {
                        (Occur::Must, Node::Empty) => return Node::Empty,
                        (Occur::Should | Occur::MustNot, Node::Empty) => {}
                        (occur, clause) => kept.push((*occur, clause)),
                    }
                }
                let matches_something = kept.iter().any(|(o, _)| *o != Occur::MustNot);
                if !matches_something && !clauses.is_empty() {
                    return Node::Empty;
                }
                Node::Bool(kept)
            }
            Node::Boost(inner, boost) => match inner.without_fields(absent) {
                Node::Empty => Node::Empty,
                inner => Node::Boost(Box::new(inner), *boost),
            },
            Node::Const(inner, score) => match inner.without_fields(absent) {
                Node::Empty => Node::Empty,
                inner => Node::Const(Box::new(inner), *score),
            },
            other => other.clone(),
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

    /// The alternatives of a union (a boolean of two or more optional clauses, maybe
    /// boosted) and its boost.
    fn union_clauses(&self) -> Option<(Vec<&Node>, Option<f32>)> {
        match self {
            Node::Bool(clauses)
                if (2..=MAX_SEEKING_ALTERNATIVES).contains(&clauses.len())
                    && clauses.iter().all(|(o, _)| *o == Occur::Should) =>
            {
                Some((clauses.iter().map(|(_, n)| n).collect(), None))
            }
            Node::Boost(inner, boost) => match inner.union_clauses() {
                Some((alternatives, None)) => Some((alternatives, Some(*boost))),
                _ => None,
            },
            _ => None,
        }
    }

    /// The tantivy query for this tree.
    pub fn to_tantivy(&self) -> Box<dyn Query> {
        self.compile(false)
    }

    /// The tantivy query for this tree with the same scores, in the shape tantivy's
    /// explanations handle: its boolean explain seeks its scorer without checking it is
    /// not already past the document, which a bare term scorer forbids, so here a lone
    /// clause keeps its boolean and constant scores keep tantivy's own query.
    pub fn to_tantivy_explainable(&self) -> Box<dyn Query> {
        self.compile(true)
    }

    fn compile(&self, explainable: bool) -> Box<dyn Query> {
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
            // Words from the prefix up to (not including) the next prefix of its length: a
            // range of the dictionary, without building an automaton.
            Node::Prefix { field, prefix } => Box::new(PrefixQuery::new(*field, prefix)),
            // One required or optional clause matches and scores as the clause itself;
            // compiled bare, a union of terms inside stays visible to tantivy's pruning.
            Node::Bool(clauses)
                if !explainable && clauses.len() == 1 && clauses[0].0 != Occur::MustNot =>
            {
                clauses[0].1.compile(explainable)
            }
            // A small union that tantivy cannot prune (a symbol with its prefix range):
            // advanced on demand, rather than through a buffered window of 4,096
            // documents set up for a handful of matches.
            Node::Bool(_) if !explainable && !self.is_union_of_terms() => {
                match self.union_clauses() {
                    Some((alternatives, None)) => Box::new(SeekingUnion::new(
                        alternatives.iter().map(|a| a.compile(false)).collect(),
                    )),
                    _ => self.compile_bool(explainable),
                }
            }
            Node::Bool(_) => self.compile_bool(explainable),
            Node::Boost(inner, boost) => {
                Box::new(BoostQuery::new(inner.compile(explainable), *boost))
            }
            Node::Const(inner, score) if explainable => {
                Box::new(ConstScoreQuery::new(inner.compile(explainable), *score))
            }
            Node::Const(inner, score) => Box::new(ConstWhereAny {
                inner: inner.compile(explainable),
                score: *score,
            }),
        }
    }

    /// A boolean node as tantivy's boolean query.
    fn compile_bool(&self, explainable: bool) -> Box<dyn Query> {
        let Node::Bool(clauses) = self else {
            return self.compile(explainable);
        };
        // Clauses seeked by others (all but one required, or optional beside a
        // required one) are unions advanced on demand.
        let required = clauses.iter().filter(|(o, _)| *o == Occur::Must).count();
        let included = clauses.iter().filter(|(o, _)| *o != Occur::MustNot).count();
        let seeked = !explainable && required >= 1 && included >= 2;
        Box::new(BooleanQuery::new(
            clauses
                .iter()
                .map(|(o, n)| match (seeked, n.union_clauses()) {
                    (true, Some((alternatives, boost))) => {
                        let union = SeekingUnion::new(
                            alternatives.iter().map(|a| a.compile(false)).collect(),
                        );
                        let union: Box<dyn Query> = match boost {
                            Some(b) => Box::new(BoostQuery::new(Box::new(union), b)),
                            None => Box::new(union),
                        };
                        (*o, union)
                    }
                    _ => (*o, n.compile(explainable)),
                })
                .collect(),
        ))
    }
}

/// Most alternatives a union advanced on demand may have: it looks at every alternative
/// at each step, which beats tantivy's buffered union for one word's fields, not for a
/// prefix's dozens of completions (a seek within the buffered union's window is cheap).
const MAX_SEEKING_ALTERNATIVES: usize = 8;

/// The smallest byte string greater than every string starting with `prefix` (`None`
/// when there is none: an empty prefix, or one made only of 0xFF bytes).
pub(crate) fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// A constant score for the documents `inner` matches (tantivy's `ConstScoreQuery`,
/// except that in a segment where `inner` matches nothing it gives tantivy's empty
/// scorer, which a union drops: a constant scorer over nothing would keep a union of
/// terms from skipping the blocks that cannot reach the best hits).
#[derive(Debug)]
struct ConstWhereAny {
    inner: Box<dyn Query>,
    score: Score,
}

impl Clone for ConstWhereAny {
    fn clone(&self) -> Self {
        ConstWhereAny {
            inner: self.inner.box_clone(),
            score: self.score,
        }
    }
}

impl Query for ConstWhereAny {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        match enable_scoring {
            EnableScoring::Enabled { searcher, .. } => {
                let inner = self
                    .inner
                    .weight(EnableScoring::disabled_from_searcher(searcher))?;
                Ok(Box::new(ConstWhereAnyWeight {
                    inner,
                    score: self.score,
                }))
            }
            disabled => self.inner.weight(disabled),
        }
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct ConstWhereAnyWeight {
    inner: Box<dyn Weight>,
    score: Score,
}

impl Weight for ConstWhereAnyWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let inner = self.inner.scorer(reader, 1.0)?;
        if inner.is::<EmptyScorer>() {
            return Ok(Box::new(EmptyScorer));
        }
        Ok(Box::new(ConstScorer::new(inner, boost * self.score)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "Document #({doc}) does not match"
            )));
        }
        Ok(Explanation::new("Const", self.score))
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.inner.count(reader)
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

    #[test]
    fn a_prefix_finds_what_tantivys_prefix_automaton_finds_with_the_same_score() {
        use tantivy::collector::TopDocs;
        let (index, f, mut writer) = crate::schema::test_index();
        // Prefixes of a few words (a union of their postings) and of many (a bitset).
        let many: Vec<String> = (1..=12).map(|n| format!("A/HRC/5/{n}")).collect();
        let few = [
            "A/HRC/47/34",
            "A/HRC/47/34/Add.1",
            "A/HRC/4",
            "A/76/263",
            "E/CN.4/2005/78",
        ];
        for symbol in few.iter().copied().chain(many.iter().map(String::as_str)) {
            let mut doc = tantivy::TantivyDocument::default();
            for value in crate::schema::symbol_values(symbol) {
                doc.add_text(f.symbol, value);
            }
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        for prefix in [
            "a/hrc/4",
            "a/hrc/47/34",
            "a/",
            "e/cn.4/2005/78",
            "z",
            "a/hrc/47/34/add.1x",
            "a/hrc/5",
            "a/hrc/5/1",
        ] {
            let ours = Node::Prefix {
                field: f.symbol,
                prefix: prefix.to_string(),
            }
            .boosted(0.5);
            let theirs = BoostQuery::new(
                Box::new(tantivy::query::FuzzyTermQuery::new_prefix(
                    Term::from_field_text(f.symbol, prefix),
                    0,
                    false,
                )),
                0.5,
            );
            let top = || TopDocs::with_limit(20).order_by_score();
            let expected = searcher.search(&theirs, &top()).unwrap();
            assert_eq!(
                searcher.search(&*ours.to_tantivy(), &top()).unwrap(),
                expected,
                "{prefix}"
            );
            assert_eq!(
                searcher
                    .search(&*ours.to_tantivy(), &tantivy::collector::Count)
                    .unwrap(),
                expected.len(),
                "{prefix}"
            );
        }
        assert_eq!(prefix_successor(b"a/hrc"), Some(b"a/hrd".to_vec()));
        assert_eq!(prefix_successor(&[b'a', 0xFF]), Some(b"b".to_vec()));
        assert_eq!(prefix_successor(&[0xFF, 0xFF]), None);
        assert_eq!(prefix_successor(b""), None);
    }

    #[test]
    fn pruned_and_explainable_shapes_find_and_score_the_same_sections() {
        use tantivy::collector::{Count, TopDocs};
        let (index, f, mut writer) = crate::schema::test_index();
        let bodies = [
            "traffick traffick sale child",
            "sale of a child",
            "traffick",
            "nothing relevant here",
            "child child child",
        ];
        for (i, body) in bodies.iter().enumerate() {
            let mut doc = tantivy::TantivyDocument::default();
            doc.add_text(f.body, body);
            doc.add_text(f.title, if i % 2 == 0 { "traffick" } else { "report" });
            if i == 1 {
                doc.add_text(f.person, "smith");
            }
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let union = Node::any(vec![
            Node::term(f.body, "traffick", 2.0),
            Node::term(f.title, "traffick", 3.0),
            Node::Const(Box::new(Node::basic_term(f.person, "smith")), 3.0),
            Node::Const(Box::new(Node::basic_term(f.acronyms, "absent")), 9.0),
        ]);
        assert!(union.is_union_of_terms());
        assert_eq!(union.union_terms().map(|t| t.len()), Some(4));
        let lone = Node::Bool(vec![(Occur::Must, union.clone())]);
        assert!(lone.is_union_of_terms());
        let both = Node::Bool(vec![
            (Occur::Must, union.clone()),
            (Occur::Must, Node::term(f.body, "child", 1.0)),
        ]);
        assert!(!both.is_union_of_terms());
        assert_eq!(both.union_terms(), None);
        for tree in [union, lone, both] {
            let top = TopDocs::with_limit(10).order_by_score();
            let fast = searcher.search(&*tree.to_tantivy(), &top).unwrap();
            let plain = searcher
                .search(&*tree.to_tantivy_explainable(), &top)
                .unwrap();
            assert_eq!(fast, plain, "{tree:?}");
            assert!(!fast.is_empty());
            let count = searcher.search(&*tree.to_tantivy(), &Count).unwrap();
            assert_eq!(count, fast.len());
            for (_, address) in &fast {
                assert!(tree
                    .to_tantivy_explainable()
                    .explain(&searcher, *address)
                    .is_ok());
            }
        }
    }

    #[test]
    fn without_absent_fields_a_tree_finds_and_scores_the_same_sections() {
        use tantivy::collector::{Count, TopDocs};
        let (index, f, mut writer) = crate::schema::test_index();
        for (title, body) in [
            ("traffick report", "traffick sale child"),
            ("annual report", "sale of a child"),
            ("traffick", "nothing relevant here"),
        ] {
            let mut doc = tantivy::TantivyDocument::default();
            doc.add_text(f.title, title);
            doc.add_text(f.body, body);
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        // No document has a person, an organization or a path.
        let absent = [f.person, f.org, f.path];
        let word = |w: &str| {
            Node::any(vec![
                Node::term(f.title, w, 3.0),
                Node::term(f.org, w, 1.5),
                Node::term(f.body, w, 1.0),
                Node::Const(Box::new(Node::basic_term(f.person, w)), 3.0),
            ])
        };
        let trees = [
            word("traffick"),
            Node::Bool(vec![(Occur::Must, word("traffick"))]),
            Node::Bool(vec![
                (Occur::Must, word("sale")),
                (Occur::Should, word("child")),
                (Occur::MustNot, Node::basic_term(f.path, "x")),
            ]),
            Node::Bool(vec![
                (Occur::Must, word("report")),
                (
                    Occur::Must,
                    Node::Phrase {
                        field: f.org,
                        terms: vec!["a".into(), "b".into()],
                        slop: 0,
                    },
                ),
            ]),
            Node::any(vec![Node::Prefix {
                field: f.org,
                prefix: "tr".into(),
            }]),
        ];
        let top = || TopDocs::with_limit(10).order_by_score();
        for tree in &trees {
            let pruned = tree.without_fields(&absent);
            assert_eq!(
                searcher.search(&*pruned.to_tantivy(), &top()).unwrap(),
                searcher.search(&*tree.to_tantivy(), &top()).unwrap(),
                "{tree:?}"
            );
            assert_eq!(
                searcher.search(&*pruned.to_tantivy(), &Count).unwrap(),
                searcher.search(&*tree.to_tantivy(), &Count).unwrap(),
            );
        }
        assert_eq!(trees[3].without_fields(&absent), Node::Empty);
        assert_eq!(trees[4].without_fields(&absent), Node::Empty);
        assert!(trees[0].without_fields(&absent).is_union_of_terms());
        assert_eq!(
            trees[0].without_fields(&[]),
            trees[0],
            "nothing absent, nothing changed"
        );
        let pruned = format!("{:?}", trees[2].without_fields(&absent));
        for field in absent {
            assert!(!pruned.contains(&format!("{field:?},")), "{pruned}");
        }
    }
}
