//! A union of a few scorers that moves only when asked: the shape for a word's field
//! alternatives inside an intersection, where tantivy's buffered union would score a
//! window of 4,096 documents ahead at every seek.

use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::Searcher;
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError, Term, TERMINATED};

/// Documents matching any clause, scored as the sum of the matching clauses' scores (in
/// clause order, as tantivy's union sums them).
#[derive(Debug)]
pub struct SeekingUnion {
    clauses: Vec<Box<dyn Query>>,
}

impl SeekingUnion {
    /// The union of `clauses`.
    pub fn new(clauses: Vec<Box<dyn Query>>) -> SeekingUnion {
        SeekingUnion { clauses }
    }
}

impl Clone for SeekingUnion {
    fn clone(&self) -> Self {
        SeekingUnion {
            clauses: self.clauses.iter().map(|q| q.box_clone()).collect(),
        }
    }
}

impl Query for SeekingUnion {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self
            .clauses
            .iter()
            .map(|q| q.weight(enable_scoring))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(SeekingUnionWeight { weights }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for clause in &self.clauses {
            clause.query_terms(visitor);
        }
    }
}

struct SeekingUnionWeight {
    weights: Vec<Box<dyn Weight>>,
}

impl Weight for SeekingUnionWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorers = Vec::with_capacity(self.weights.len());
        for weight in &self.weights {
            let scorer = weight.scorer(reader, boost)?;
            if scorer.doc() != TERMINATED {
                scorers.push(scorer);
            }
        }
        Ok(union_of(scorers))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "Document #({doc}) does not match"
            )));
        }
        let mut explanation = Explanation::new("Union. sum of ...", scorer.score());
        for weight in &self.weights {
            if let Ok(detail) = weight.explain(reader, doc) {
                explanation.add_detail(detail);
            }
        }
        Ok(explanation)
    }
}

/// How many live documents contain at least one of `terms`: each posting list is read
/// block by block into a bitset of the segment, without the union's scorer (a tenth of
/// a one-word search went to counting through it).
pub(crate) fn count_union_of_terms(searcher: &Searcher, terms: &[Term]) -> tantivy::Result<usize> {
    let mut total = 0;
    for segment in searcher.segment_readers() {
        let docs = union_bits(segment, terms)?;
        total += match segment.alive_bitset() {
            None => docs.iter().map(|w| w.count_ones() as usize).sum(),
            Some(_) => live_docs(segment, &docs).count(),
        };
    }
    Ok(total)
}

/// The documents of `segment` holding at least one of `terms`, as a bitset (bit `d % 64`
/// of word `d / 64` for document `d`), deleted ones included.
pub(crate) fn union_bits(segment: &SegmentReader, terms: &[Term]) -> tantivy::Result<Vec<u64>> {
    let mut docs = vec![0u64; (segment.max_doc() as usize).div_ceil(64)];
    for term in terms {
        let inverted = segment.inverted_index(term.field())?;
        let Some(info) = inverted.get_term_info(term)? else {
            continue;
        };
        let mut postings =
            inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?;
        while !postings.docs().is_empty() {
            for &doc in postings.docs() {
                docs[(doc / 64) as usize] |= 1 << (doc % 64);
            }
            postings.advance();
        }
    }
    Ok(docs)
}

/// The live documents of a [`union_bits`] bitset, in order.
pub(crate) fn live_docs<'a>(
    segment: &'a SegmentReader,
    docs: &'a [u64],
) -> impl Iterator<Item = DocId> + 'a {
    let alive = segment.alive_bitset();
    docs.iter().enumerate().flat_map(move |(i, &word)| {
        let mut rest = word;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let bit = rest.trailing_zeros();
                rest &= rest - 1;
                i as DocId * 64 + bit
            })
        })
        .filter(move |&doc| alive.is_none_or(|a| a.is_alive(doc)))
    })
}

/// The union of `scorers` (already positioned on their first document), advanced on
/// demand; scores are summed in order.
pub(crate) fn union_of(mut scorers: Vec<Box<dyn Scorer>>) -> Box<dyn Scorer> {
    match scorers.len() {
        0 => Box::new(EmptyScorer),
        1 => scorers.pop().expect("one scorer"),
        _ => Box::new(SeekingUnionScorer::new(scorers)),
    }
}

/// The scorer: every clause positioned at or after the current document.
struct SeekingUnionScorer {
    scorers: Vec<Box<dyn Scorer>>,
    doc: DocId,
}

impl SeekingUnionScorer {
    fn new(scorers: Vec<Box<dyn Scorer>>) -> SeekingUnionScorer {
        let mut union = SeekingUnionScorer { scorers, doc: 0 };
        union.doc = union.lowest();
        union
    }

    fn lowest(&self) -> DocId {
        self.scorers
            .iter()
            .map(|s| s.doc())
            .min()
            .unwrap_or(TERMINATED)
    }
}

impl DocSet for SeekingUnionScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        let current = self.doc;
        for scorer in &mut self.scorers {
            if scorer.doc() == current {
                scorer.advance();
            }
        }
        self.doc = self.lowest();
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for scorer in &mut self.scorers {
            if scorer.doc() < target {
                scorer.seek(target);
            }
        }
        self.doc = self.lowest();
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.scorers
            .iter()
            .map(|s| s.size_hint())
            .fold(0u32, u32::saturating_add)
    }

    fn cost(&self) -> u64 {
        self.scorers.iter().map(|s| s.cost()).sum()
    }
}

impl Scorer for SeekingUnionScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        let mut sum = 0.0;
        for scorer in &mut self.scorers {
            if scorer.doc() == doc {
                sum += scorer.score();
            }
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, BoostQuery, Occur, TermQuery};

    #[test]
    fn finds_and_scores_what_tantivys_union_does_inside_an_intersection() {
        let (index, f, mut writer) = crate::schema::test_index();
        for i in 0..3000u32 {
            let mut doc = tantivy::TantivyDocument::default();
            let body = match i % 7 {
                0 => "traffick child",
                1 => "traffick",
                2 => "child labour",
                3 => "child traffick traffick",
                _ => "other words",
            };
            doc.add_text(f.body, body);
            doc.add_text(f.title, if i % 5 == 0 { "child" } else { "report" });
            if i % 11 == 0 {
                doc.add_text(f.role, "traffick");
            }
            writer.add_document(doc).unwrap();
            if i == 1500 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let term = |field, text: &str, boost: f32| -> Box<dyn Query> {
            Box::new(BoostQuery::new(
                Box::new(TermQuery::new(
                    Term::from_field_text(field, text),
                    IndexRecordOption::WithFreqs,
                )),
                boost,
            ))
        };
        let word = |text: &str| {
            vec![
                term(f.body, text, 1.0),
                term(f.title, text, 3.0),
                term(f.role, text, 2.0),
                term(f.org, text, 0.5), // absent everywhere
            ]
        };
        let buffered = |clauses: Vec<Box<dyn Query>>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(
                clauses.into_iter().map(|q| (Occur::Should, q)).collect(),
            ))
        };
        let seeking = |clauses: Vec<Box<dyn Query>>| -> Box<dyn Query> {
            Box::new(SeekingUnion::new(clauses))
        };
        let both = |a: Box<dyn Query>, b: Box<dyn Query>| {
            BooleanQuery::new(vec![(Occur::Must, a), (Occur::Must, b)])
        };
        let theirs = both(buffered(word("traffick")), buffered(word("child")));
        let ours = both(seeking(word("traffick")), seeking(word("child")));
        let top = || TopDocs::with_limit(3000).order_by_score();
        let expected = searcher.search(&theirs, &(top(), Count)).unwrap();
        let got = searcher.search(&ours, &(top(), Count)).unwrap();
        assert!(expected.1 > 100);
        assert_eq!(got, expected);
        let alone = searcher
            .search(&*seeking(word("traffick")), &Count)
            .unwrap();
        let alone_theirs = searcher
            .search(&*buffered(word("traffick")), &Count)
            .unwrap();
        assert_eq!(alone, alone_theirs);
        let (_, first) = got.0[0];
        assert!(ours.explain(&searcher, first).is_ok());
    }

    #[test]
    fn a_union_of_terms_is_counted_as_tantivy_counts_it_deleted_documents_aside() {
        let (index, f, mut writer) = crate::schema::test_index();
        for i in 0..3000u32 {
            let mut doc = tantivy::TantivyDocument::default();
            doc.add_text(
                f.body,
                if i % 3 == 0 {
                    "traffick child"
                } else {
                    "other"
                },
            );
            doc.add_text(f.title, if i % 5 == 0 { "traffick" } else { "report" });
            doc.add_text(f.id, format!("s{i}"));
            writer.add_document(doc).unwrap();
            if i == 1700 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        let terms = [
            Term::from_field_text(f.body, "traffick"),
            Term::from_field_text(f.title, "traffick"),
            Term::from_field_text(f.role, "traffick"),
            Term::from_field_text(f.body, "absent"),
        ];
        let union = |terms: &[Term]| {
            BooleanQuery::new(
                terms
                    .iter()
                    .map(|t| -> (Occur, Box<dyn Query>) {
                        (
                            Occur::Should,
                            Box::new(TermQuery::new(t.clone(), IndexRecordOption::Basic)),
                        )
                    })
                    .collect(),
            )
        };
        let check = |searcher: &Searcher| {
            for n in 0..=terms.len() {
                assert_eq!(
                    count_union_of_terms(searcher, &terms[..n]).unwrap(),
                    searcher.search(&union(&terms[..n]), &Count).unwrap(),
                    "{n} terms"
                );
            }
        };
        check(&index.reader().unwrap().searcher());
        for i in (0..3000).step_by(7) {
            writer.delete_term(Term::from_field_text(f.id, &format!("s{i}")));
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher
            .segment_readers()
            .iter()
            .any(|s| s.alive_bitset().is_some()));
        check(&searcher);
    }
}
