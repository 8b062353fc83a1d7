//! Query trees compiled to tantivy queries, with the scorers tipdex adds: a constant
//! score that vanishes where nothing matches (so unions stay prunable), unions advanced
//! on demand, prefixes as unions of their few words.

use super::prefix::PrefixQuery;
use super::union::SeekingUnion;
use crate::search::tree::Node;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, ConstScorer, EmptyQuery, EmptyScorer,
    EnableScoring, ExistsQuery, Explanation, Occur, PhraseQuery, Query, RangeQuery, Scorer,
    TermQuery, Weight,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError, Term};

impl Node {
    /// The alternatives of a union (a boolean of two to `most` optional clauses, maybe
    /// boosted) and its boost.
    fn union_clauses(&self, most: usize) -> Option<(Vec<&Node>, Option<f32>)> {
        match self {
            Node::Bool(clauses)
                if (2..=most).contains(&clauses.len())
                    && clauses.iter().all(|(o, _)| *o == Occur::Should) =>
            {
                Some((clauses.iter().map(|(_, n)| n).collect(), None))
            }
            Node::Boost(inner, boost) => match inner.union_clauses(most) {
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
                if explainable {
                    Box::new(ExplainedWhereMatching(Box::new(q)))
                } else {
                    Box::new(q)
                }
            }
            // Words from the prefix up to (not including) the next prefix of its length: a
            // range of the dictionary, without building an automaton.
            Node::Prefix { field, prefix } => Box::new(PrefixQuery::new(*field, prefix)),
            Node::Contains {
                field,
                text,
                at_start,
            } => contains_query(*field, text, *at_start),
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
                match self.union_clauses(MAX_DRIVING_ALTERNATIVES) {
                    Some((alternatives, None)) => seeking_union(&alternatives),
                    _ => self.compile_bool(explainable),
                }
            }
            Node::Bool(_) if explainable => {
                Box::new(ExplainedWhereMatching(self.compile_bool(true)))
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

    /// The tantivy query for this tree where another clause drives it by seeking (a
    /// word's alternatives beside the other words, optional clauses beside required
    /// ones): a small union, even one nested in another, is advanced on demand; a union
    /// of terms compiled for tantivy's buffered union would score every posting of its
    /// window at each seek (`based on` while typing: `on` and its completions in three
    /// fields, 5 ms on 100,000 sections).
    fn compile_seeked(&self) -> Box<dyn Query> {
        match self.union_clauses(MAX_SEEKED_ALTERNATIVES) {
            Some((alternatives, boost)) => {
                let union = seeking_union(&alternatives);
                match boost {
                    Some(b) => Box::new(BoostQuery::new(union, b)),
                    None => union,
                }
            }
            None => self.compile(false),
        }
    }

    /// The tantivy query for the one required clause that the others are seeked to: a
    /// union of a word's few field alternatives advanced on demand, a larger one
    /// (a prefix's completions) through tantivy's buffered union, which advances fast.
    fn compile_driving(&self) -> Box<dyn Query> {
        match self.union_clauses(MAX_DRIVING_ALTERNATIVES) {
            Some((alternatives, boost)) => {
                let union = Box::new(SeekingUnion::new(
                    alternatives.iter().map(|a| a.compile(false)).collect(),
                ));
                match boost {
                    Some(b) => Box::new(BoostQuery::new(union, b)),
                    None => union,
                }
            }
            None => self.compile(false),
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
        let compiled = clauses.iter().map(|(o, n)| {
            let drives = *o == Occur::Must && required == 1;
            match (seeked, drives) {
                (true, false) => (*o, n.compile_seeked()),
                (true, true) => (*o, n.compile_driving()),
                _ => (*o, n.compile(explainable)),
            }
        });
        if !seeked {
            return Box::new(BooleanQuery::new(compiled.collect()));
        }
        // Beside required clauses, the optional ones only add to the score of what the
        // required ones match: one union advanced to each of those documents. As several
        // clauses, tantivy would join them in its buffered union, which scores every
        // document of a window of 4,096 at each seek — every document, for a common
        // word ("callback in the": 8.6 ms on 100,000 sections).
        let (optional, mut kept): (Vec<_>, Vec<_>) =
            compiled.partition(|(o, _)| *o == Occur::Should);
        match optional.len() {
            0 => {}
            1 => kept.extend(optional),
            _ => kept.push((
                Occur::Should,
                Box::new(SeekingUnion::new(
                    optional.into_iter().map(|(_, q)| q).collect(),
                )),
            )),
        }
        Box::new(BooleanQuery::new(kept))
    }
}

/// The union of `alternatives` advanced on demand, each compiled for being seeked.
fn seeking_union(alternatives: &[&Node]) -> Box<dyn Query> {
    Box::new(SeekingUnion::new(
        alternatives.iter().map(|a| a.compile_seeked()).collect(),
    ))
}

/// Most alternatives of a union advanced on demand that drives a search: it looks at
/// every alternative at each step, which beats tantivy's buffered union for one word's
/// fields, not for a prefix's dozens of completions.
const MAX_DRIVING_ALTERNATIVES: usize = 8;

/// Most alternatives of a union advanced on demand that is seeked: the buffered union
/// scores every posting of its window at each seek, so on demand wins further (a word
/// being typed and its completions in three fields: 25 % fewer instructions for the
/// benchmark's unquoted multi-word queries on 100,000 sections).
const MAX_SEEKED_ALTERNATIVES: usize = 16;

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

/// A query explained only for the documents it matches: tantivy's phrase and boolean
/// explanations seek a new scorer to the document without checking it is not already
/// past it, which those scorers assert against (a panic when the query is an optional
/// clause of a document matched by the others).
#[derive(Debug)]
struct ExplainedWhereMatching(Box<dyn Query>);

impl Clone for ExplainedWhereMatching {
    fn clone(&self) -> Self {
        ExplainedWhereMatching(self.0.box_clone())
    }
}

impl Query for ExplainedWhereMatching {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(ExplainedWhereMatchingWeight(
            self.0.weight(enable_scoring)?,
        )))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct ExplainedWhereMatchingWeight(Box<dyn Weight>);

impl Weight for ExplainedWhereMatchingWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.0.scorer(reader, boost)
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.0.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "Document #({doc}) does not match"
            )));
        }
        self.0.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.0.count(reader)
    }
}

/// Terms of a raw field holding `text` (anywhere, or `at_start`), case-insensitively: a
/// regular expression over the term dictionary (the pattern is the text, escaped).
fn contains_query(field: tantivy::schema::Field, text: &str, at_start: bool) -> Box<dyn Query> {
    let before = if at_start { "" } else { ".*" };
    let pattern = format!("(?is){before}{}.*", regex::escape(text));
    match tantivy::query::RegexQuery::from_pattern(&pattern, field) {
        Ok(query) => Box::new(ConstScoreQuery::new(Box::new(query), 1.0)),
        // An escaped literal always compiles; should the automaton grow too large,
        // nothing matches rather than everything.
        Err(_) => Box::new(EmptyQuery),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::build_schema;
    use std::ops::Bound;

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
        // A required word with several optional ones beside it (joined in one union
        // advanced to the required word's documents).
        let optional = Node::Bool(vec![
            (Occur::Must, Node::term(f.body, "child", 1.0)),
            (Occur::Should, union.clone()),
            (Occur::Should, Node::term(f.body, "sale", 0.1)),
            (Occur::Should, Node::term(f.body, "of", 0.1)),
        ]);
        // A word being typed: its completions in several fields (more alternatives than
        // a driving union takes) nested in a group beside a glossary phrase, seeked by
        // another required word, and the same group as an optional clause.
        let typed = Node::any(
            ["child", "chi", "sale", "traffick", "of", "a"]
                .iter()
                .flat_map(|w| [Node::term(f.body, *w, 1.0), Node::term(f.title, *w, 0.6)])
                .collect(),
        );
        let group = Node::any(vec![
            typed,
            Node::Phrase {
                field: f.body,
                terms: vec!["sale".into(), "child".into()],
                slop: 0,
            }
            .boosted(0.2),
        ]);
        let seeked = Node::Bool(vec![
            (Occur::Must, Node::term(f.body, "traffick", 1.0)),
            (Occur::Must, group.clone()),
        ]);
        let seeked_optional = Node::Bool(vec![
            (Occur::Must, Node::term(f.body, "child", 1.0)),
            (Occur::Should, group.clone().boosted(0.5)),
            (Occur::Should, Node::term(f.body, "sale", 0.1)),
        ]);
        for tree in [union, lone, both, optional, seeked, seeked_optional] {
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

    /// An index of three sections with titles and bodies only.
    fn three_sections() -> (tantivy::Searcher, crate::schema::Fields) {
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
        (index.reader().unwrap().searcher(), f)
    }

    #[test]
    fn without_absent_fields_a_tree_finds_and_scores_the_same_sections() {
        use tantivy::collector::{Count, TopDocs};
        let (searcher, f) = three_sections();
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

    #[test]
    fn without_terms_no_section_has_a_tree_finds_and_scores_the_same_sections() {
        use tantivy::collector::{Count, TopDocs};
        let (searcher, f) = three_sections();
        let word = |w: &str| {
            Node::any(vec![
                Node::term(f.title, w, 3.0),
                Node::term(f.body, w, 1.0),
            ])
        };
        let phrase = |a: &str, b: &str| Node::Phrase {
            field: f.body,
            terms: vec![a.into(), b.into()],
            slop: 1,
        };
        let trees = [
            // An expansion nobody wrote: a synonym and a phrase no section has.
            Node::any(vec![
                word("traffick"),
                word("esclavag"),
                phrase("sale", "xyz"),
            ]),
            Node::Bool(vec![
                (Occur::Must, word("sale")),
                (Occur::Should, phrase("sale", "child")),
                (Occur::Should, phrase("zzz", "child")),
                (Occur::MustNot, Node::basic_term(f.body, "absentword")),
            ]),
            // A required word no section has: nothing matches, before and after.
            Node::Bool(vec![
                (Occur::Must, word("report")),
                (Occur::Must, word("absentword")),
            ]),
        ];
        let top = || TopDocs::with_limit(10).order_by_score();
        let dictionary = super::super::Dictionary::new(&searcher, &[]);
        for tree in &trees {
            let mut pruned = tree.clone();
            pruned.prune(&|leaf| dictionary.matches_nothing(leaf));
            assert_ne!(&pruned, tree, "something was dropped from {tree:?}");
            assert_eq!(
                searcher.search(&*pruned.to_tantivy(), &top()).unwrap(),
                searcher.search(&*tree.to_tantivy(), &top()).unwrap(),
                "{tree:?}"
            );
            assert_eq!(
                searcher.search(&*pruned.to_tantivy(), &Count).unwrap(),
                searcher.search(&*tree.to_tantivy(), &Count).unwrap(),
            );
            let debug = format!("{pruned:?}");
            for gone in ["esclavag", "xyz", "zzz", "absentword"] {
                assert!(!debug.contains(gone), "{debug}");
            }
        }
        assert!(!searcher
            .search(&*trees[1].to_tantivy(), &Count)
            .unwrap()
            .eq(&0));
        let mut required = trees[2].clone();
        required.prune(&|leaf| dictionary.matches_nothing(leaf));
        assert_eq!(required, Node::Empty);
    }
}
