//! Words of a field starting with a prefix, at a constant score: the union of their
//! posting lists when the dictionary has only a few such words (a symbol and its
//! addenda), tantivy's range query (a bitset of the whole segment) when it has many.

use super::union::union_of;
use std::ops::Bound;
use tantivy::query::{
    ConstScorer, EnableScoring, Explanation, InvertedIndexRangeQuery, Query, Scorer, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, Score, SegmentReader, Term};

/// Most dictionary words a prefix is answered with as a union of their postings.
const MAX_UNION_WORDS: usize = 8;

/// The words of `field` starting with `prefix`, each match scoring 1 (times the boost).
#[derive(Debug, Clone)]
pub struct PrefixQuery {
    field: Field,
    prefix: String,
}

impl PrefixQuery {
    /// The words of `field` starting with `prefix`.
    pub fn new(field: Field, prefix: &str) -> PrefixQuery {
        PrefixQuery {
            field,
            prefix: prefix.to_string(),
        }
    }

    /// The same matches as tantivy's range query over the dictionary.
    fn as_range(&self) -> InvertedIndexRangeQuery {
        InvertedIndexRangeQuery::new(
            Bound::Included(Term::from_field_text(self.field, &self.prefix)),
            match prefix_successor(self.prefix.as_bytes()) {
                Some(end) => Bound::Excluded(Term::from_field_bytes(self.field, &end)),
                None => Bound::Unbounded,
            },
        )
    }
}

impl Query for PrefixQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(PrefixWeight {
            field: self.field,
            prefix: self.prefix.clone().into_bytes(),
            end: prefix_successor(self.prefix.as_bytes()),
            range: self.as_range().weight(enable_scoring)?,
        }))
    }
}

struct PrefixWeight {
    field: Field,
    prefix: Vec<u8>,
    /// The first key after every key starting with the prefix, if any.
    end: Option<Vec<u8>>,
    /// tantivy's range weight, for prefixes with many words and for explanations.
    range: Box<dyn Weight>,
}

impl Weight for PrefixWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let inverted = reader.inverted_index(self.field)?;
        let mut range = inverted.terms().range().ge(&self.prefix);
        if let Some(end) = &self.end {
            range = range.lt(end);
        }
        let mut words = range.into_stream()?;
        let mut infos = Vec::new();
        while words.advance() {
            if infos.len() == MAX_UNION_WORDS {
                return self.range.scorer(reader, boost);
            }
            infos.push(words.value().clone());
        }
        let mut postings: Vec<Box<dyn Scorer>> = Vec::with_capacity(infos.len());
        for info in &infos {
            let docs = inverted.read_postings_from_terminfo(info, IndexRecordOption::Basic)?;
            postings.push(Box::new(ConstScorer::new(docs, boost)));
        }
        Ok(Box::new(ConstScorer::new(union_of(postings), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.range.explain(reader, doc)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::tree::Node;
    use tantivy::query::BoostQuery;

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
}
