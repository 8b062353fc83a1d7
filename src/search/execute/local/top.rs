//! The best hits of a search by a key of their own, kept as they are offered, with the
//! score a hit must beat to enter them (for block-max pruning).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use tantivy::postings::SegmentPostings;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentReader, Term, TERMINATED};

/// The `want` highest keys offered so far.
pub(crate) struct Page {
    want: usize,
    /// The lowest key on top.
    lowest_first: BinaryHeap<Entry>,
}

/// A key and its document, ordered so that the heap's top is the lowest key (the
/// later document first among equal keys, as it is the one to drop).
struct Entry(f64, DocAddress);

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .0
            .total_cmp(&self.0)
            .then_with(|| self.1.cmp(&other.1))
    }
}

impl Page {
    /// An empty page of `want` hits.
    pub(crate) fn new(want: usize) -> Page {
        Page {
            want,
            lowest_first: BinaryHeap::with_capacity(want + 1),
        }
    }

    /// Offers a hit: kept when the page has room or its key beats the lowest.
    pub(crate) fn offer(&mut self, key: f64, address: DocAddress) {
        if self.want == 0 {
            return;
        }
        if self.lowest_first.len() < self.want {
            self.lowest_first.push(Entry(key, address));
        } else if self
            .lowest_first
            .peek()
            .is_some_and(|lowest| key > lowest.0)
        {
            self.lowest_first.pop();
            self.lowest_first.push(Entry(key, address));
        }
    }

    /// The score a match must exceed to enter a full page when its key is at most its
    /// score times `heaviest` (the largest weight a key multiplies a score by); the
    /// lowest score while the page has room. Rounded down a little: a match a rounding
    /// error away from entering is never skipped.
    pub(crate) fn score_threshold(&self, heaviest: f32) -> Score {
        match self.lowest_first.peek() {
            Some(lowest) if self.lowest_first.len() >= self.want && heaviest > 0.0 => {
                let at = (lowest.0 / f64::from(heaviest)) as Score;
                at - at.abs() * 1e-4 - 1e-6
            }
            _ => Score::MIN,
        }
    }

    /// The hits, highest key first (the earlier document first among equal keys).
    pub(crate) fn into_sorted(self) -> Vec<(f64, DocAddress)> {
        self.lowest_first
            .into_sorted_vec()
            .into_iter()
            .map(|Entry(key, address)| (key, address))
            .collect()
    }
}

/// The documents of a segment holding a term, asked in increasing order.
pub(crate) struct Members {
    postings: Option<SegmentPostings>,
}

impl Members {
    /// The documents of `segment` holding `term`.
    pub(crate) fn of(segment: &SegmentReader, term: &Term) -> tantivy::Result<Members> {
        let postings = segment
            .inverted_index(term.field())?
            .read_postings(term, IndexRecordOption::Basic)?;
        Ok(Members { postings })
    }

    /// Whether `doc` holds the term; `doc` must not be below one asked before.
    pub(crate) fn contains(&mut self, doc: DocId) -> bool {
        match &mut self.postings {
            Some(postings) if postings.doc() == doc => true,
            Some(postings) if postings.doc() < doc => postings.seek(doc) == doc,
            Some(postings) => {
                debug_assert!(postings.doc() == TERMINATED || postings.doc() > doc);
                false
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(doc: u32) -> DocAddress {
        DocAddress::new(0, doc)
    }

    #[test]
    fn a_page_keeps_the_highest_keys_in_order() {
        let mut page = Page::new(3);
        for (doc, key) in [(0, 1.0), (1, 5.0), (2, 3.0), (3, 4.0), (4, 0.5), (5, 5.0)] {
            page.offer(key, at(doc));
        }
        assert_eq!(
            page.into_sorted(),
            vec![(5.0, at(1)), (5.0, at(5)), (4.0, at(3))]
        );
    }

    #[test]
    fn the_threshold_is_the_lowest_key_over_the_heaviest_weight_once_the_page_is_full() {
        let mut page = Page::new(2);
        assert_eq!(page.score_threshold(2.0), Score::MIN);
        page.offer(8.0, at(0));
        assert_eq!(page.score_threshold(2.0), Score::MIN);
        page.offer(6.0, at(1));
        let threshold = page.score_threshold(2.0);
        assert!(threshold < 3.0 && threshold > 2.99, "{threshold}");
        // A score at the threshold times the heaviest weight does not beat the page.
        assert!(f64::from(threshold) * 2.0 <= 6.0);
        assert_eq!(Page::new(0).score_threshold(1.0), Score::MIN);
    }
}
