//! The best hits of a search by a key of their own, kept as they are offered, with the
//! score a hit must beat to enter them (for block-max pruning). Among equal keys the
//! earlier section in corpus order comes first, whatever segment holds it, so that two
//! builds of one corpus rank alike.

use super::super::{Rank, SortKey};
use std::cell::OnceCell;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, ColumnValues};
use tantivy::postings::SegmentPostings;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentOrdinal, SegmentReader, Term, TERMINATED};

/// The `want` best ranks offered so far.
pub(crate) struct Page {
    want: usize,
    /// The worst rank on top.
    worst_first: BinaryHeap<Entry>,
}

/// A rank and its document, ordered so that the heap's top is the worst rank.
struct Entry(Rank, DocAddress);

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
        other.0.cmp(&self.0).then_with(|| self.1.cmp(&other.1))
    }
}

impl Page {
    /// An empty page of `want` hits.
    pub(crate) fn new(want: usize) -> Page {
        Page {
            want,
            worst_first: BinaryHeap::with_capacity(want + 1),
        }
    }

    /// Whether a hit with this key may enter (it may tie the worst: then its corpus
    /// position decides), so that the position is read only for such hits.
    pub(crate) fn may_enter(&self, key: f64) -> bool {
        self.want > 0
            && (self.worst_first.len() < self.want
                || self
                    .worst_first
                    .peek()
                    .is_some_and(|worst| key >= worst.0.key))
    }

    /// Offers a hit: kept when the page has room or it ranks above the worst.
    pub(crate) fn offer(&mut self, rank: Rank, address: DocAddress) {
        if self.want == 0 {
            return;
        }
        if self.worst_first.len() < self.want {
            self.worst_first.push(Entry(rank, address));
        } else if self.worst_first.peek().is_some_and(|worst| rank > worst.0) {
            self.worst_first.pop();
            self.worst_first.push(Entry(rank, address));
        }
    }

    /// The score a match must reach to enter a full page when its key is at most its
    /// score times `heaviest` (the largest weight a key multiplies a score by); the
    /// lowest score while the page has room. Rounded down a little: a match a rounding
    /// error away from entering (or tying the worst) is never skipped.
    pub(crate) fn score_threshold(&self, heaviest: f32) -> Score {
        match self.worst_first.peek() {
            Some(worst) if self.worst_first.len() >= self.want && heaviest > 0.0 => {
                let at = (worst.0.key / f64::from(heaviest)) as Score;
                at - at.abs() * 1e-4 - 1e-6
            }
            _ => Score::MIN,
        }
    }

    /// The hits, best first.
    pub(crate) fn into_sorted(self) -> Vec<(Rank, DocAddress)> {
        self.worst_first
            .into_sorted_vec()
            .into_iter()
            .map(|Entry(rank, address)| (rank, address))
            .collect()
    }
}

/// A segment's kind and corpus-order columns, each opened when first read (a search
/// matching little in a segment opens neither).
pub(crate) struct OrderColumns {
    reader: SegmentReader,
    /// Whether keys depend on the kind (kinds weigh differently).
    weighs_kinds: bool,
    kind: OnceCell<Option<Arc<dyn ColumnValues<u64>>>>,
    ord: OnceCell<Option<Arc<dyn ColumnValues<u64>>>>,
}

impl OrderColumns {
    pub(crate) fn of(segment: &SegmentReader, sort: &SortKey) -> OrderColumns {
        OrderColumns {
            reader: segment.clone(),
            weighs_kinds: sort.reads_kind(),
            kind: OnceCell::new(),
            ord: OnceCell::new(),
        }
    }

    fn column<'c>(
        &self,
        cell: &'c OnceCell<Option<Arc<dyn ColumnValues<u64>>>>,
        name: &str,
        missing: u64,
    ) -> Option<&'c Arc<dyn ColumnValues<u64>>> {
        cell.get_or_init(|| {
            self.reader
                .fast_fields()
                .u64(name)
                .ok()
                .map(|c| c.first_or_default_col(missing))
        })
        .as_ref()
    }

    /// The kind code `doc`'s key needs: its own when kinds weigh differently (a
    /// report's when the column is missing), else any.
    pub(crate) fn kind(&self, doc: DocId) -> u64 {
        if !self.weighs_kinds {
            return 0;
        }
        self.column(&self.kind, "kind_code", 3)
            .map_or(3, |c| c.get_val(doc))
    }

    /// The corpus position of `doc`.
    pub(crate) fn ord(&self, doc: DocId) -> u64 {
        self.column(&self.ord, "ord", 0)
            .map_or(0, |c| c.get_val(doc))
    }
}

/// A collector of the `want` best hits by a [`SortKey`], corpus order among equals.
pub(crate) struct TopRanked {
    pub(crate) want: usize,
    pub(crate) sort: SortKey,
}

/// [`TopRanked`] in one segment.
pub(crate) struct SegmentTop {
    page: Page,
    segment: SegmentOrdinal,
    sort: SortKey,
    columns: OrderColumns,
    year: Option<Column<i64>>,
}

impl Collector for TopRanked {
    type Fruit = Vec<(Rank, DocAddress)>;
    type Child = SegmentTop;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentTop> {
        Ok(SegmentTop {
            page: Page::new(self.want),
            segment,
            sort: self.sort,
            columns: OrderColumns::of(reader, &self.sort),
            year: self
                .sort
                .reads_year()
                .then(|| reader.fast_fields().i64("year").ok())
                .flatten(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut page = Page::new(self.want);
        for (rank, address) in fruits.into_iter().flatten() {
            page.offer(rank, address);
        }
        Ok(page.into_sorted())
    }
}

impl SegmentCollector for SegmentTop {
    type Fruit = Vec<(Rank, DocAddress)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let year = self.year.as_ref().and_then(|c| c.first(doc));
        let key = self.sort.key(score, self.columns.kind(doc), year);
        if self.page.may_enter(key) {
            let rank = Rank {
                key,
                ord: self.columns.ord(doc),
            };
            self.page.offer(rank, DocAddress::new(self.segment, doc));
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.page.into_sorted()
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

    /// A key whose corpus position is its document number.
    fn offer(page: &mut Page, key: f64, doc: u32) {
        page.offer(
            Rank {
                key,
                ord: u64::from(doc),
            },
            at(doc),
        );
    }

    fn keys(page: Page) -> Vec<(f64, DocAddress)> {
        page.into_sorted()
            .into_iter()
            .map(|(rank, address)| (rank.key, address))
            .collect()
    }

    #[test]
    fn a_page_keeps_the_highest_keys_in_order() {
        let mut page = Page::new(3);
        for (doc, key) in [(0, 1.0), (1, 5.0), (2, 3.0), (3, 4.0), (4, 0.5), (5, 5.0)] {
            offer(&mut page, key, doc);
        }
        assert_eq!(keys(page), vec![(5.0, at(1)), (5.0, at(5)), (4.0, at(3))]);
    }

    #[test]
    fn among_equal_keys_the_earlier_in_corpus_order_enters_and_comes_first() {
        // Offered in segment order, not corpus order: the ranks decide.
        let mut page = Page::new(2);
        for (ord, doc) in [(7, 0), (3, 1), (5, 2), (1, 3)] {
            assert!(page.may_enter(2.0));
            page.offer(Rank { key: 2.0, ord }, at(doc));
        }
        let kept: Vec<u64> = page.into_sorted().iter().map(|(r, _)| r.ord).collect();
        assert_eq!(kept, [1, 3]);
    }

    #[test]
    fn the_threshold_is_the_lowest_key_over_the_heaviest_weight_once_the_page_is_full() {
        let mut page = Page::new(2);
        assert_eq!(page.score_threshold(2.0), Score::MIN);
        offer(&mut page, 8.0, 0);
        assert_eq!(page.score_threshold(2.0), Score::MIN);
        offer(&mut page, 6.0, 1);
        let threshold = page.score_threshold(2.0);
        assert!(threshold < 3.0 && threshold > 2.99, "{threshold}");
        // A score at the threshold times the heaviest weight does not beat the page.
        assert!(f64::from(threshold) * 2.0 <= 6.0);
        assert_eq!(Page::new(0).score_threshold(1.0), Score::MIN);
    }
}
