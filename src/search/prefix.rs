//! Words of a field starting with a prefix, at a constant score: the union of their
//! posting lists when the dictionary has only a few such words (a symbol and its
//! addenda), tantivy's range query (a bitset of the whole segment) when it has many.

use super::tree::prefix_successor;
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
