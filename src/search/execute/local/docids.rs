//! A query matching a fixed set of documents, computed beforehand.
//!
//! Excluded words and phrases are evaluated once into such a set and then excluded:
//! tantivy's phrase scorer mis-seeks when it runs inside an exclusion (a debug assertion
//! in tantivy 0.27), and a precomputed set is as fast to exclude as any scorer.

use std::collections::HashMap;
use std::sync::Arc;
use tantivy::collector::DocSetCollector;
use tantivy::index::SegmentId;
use tantivy::query::{
    BitSetDocSet, ConstScorer, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::{BitSet, DocId, Score, Searcher, SegmentReader, TantivyError};

/// The documents one query matched, per segment, sorted.
#[derive(Debug, Clone)]
pub struct DocIdsQuery {
    per_segment: Arc<HashMap<SegmentId, Vec<DocId>>>,
}

impl DocIdsQuery {
    /// Runs `query` and keeps the documents it matched.
    pub fn matching(searcher: &Searcher, query: &dyn Query) -> tantivy::Result<DocIdsQuery> {
        let found = searcher.search(query, &DocSetCollector)?;
        let mut per_segment: HashMap<SegmentId, Vec<DocId>> = HashMap::new();
        for address in found {
            let segment = searcher.segment_reader(address.segment_ord).segment_id();
            per_segment.entry(segment).or_default().push(address.doc_id);
        }
        for docs in per_segment.values_mut() {
            docs.sort_unstable();
        }
        Ok(DocIdsQuery {
            per_segment: Arc::new(per_segment),
        })
    }
}

impl Query for DocIdsQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for DocIdsQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut set = BitSet::with_max_value(reader.max_doc());
        for &doc in self
            .per_segment
            .get(&reader.segment_id())
            .into_iter()
            .flatten()
        {
            set.insert(doc);
        }
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(set), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let matched = self
            .per_segment
            .get(&reader.segment_id())
            .is_some_and(|docs| docs.binary_search(&doc).is_ok());
        if matched {
            Ok(Explanation::new("precomputed document set", 1.0))
        } else {
            Err(TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )))
        }
    }
}
