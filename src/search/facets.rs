//! A collector counting matches per kind and per year, from fast fields.

use super::Facets;
use crate::corpus::Kind;
use crate::schema::kind_code;
use std::collections::BTreeMap;
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, ColumnValues};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Counts matches per kind and year.
pub struct FacetCounts;

/// Per-segment counting state.
pub struct SegmentFacetCounts {
    kind: Option<Arc<dyn ColumnValues<u64>>>,
    year: Option<Column<i64>>,
    kinds: [u64; 4],
    years: BTreeMap<i64, u64>,
}

impl Collector for FacetCounts {
    type Fruit = Facets;
    type Child = SegmentFacetCounts;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        let fast = segment.fast_fields();
        Ok(SegmentFacetCounts {
            kind: fast
                .u64("kind_code")
                .ok()
                .map(|c| c.first_or_default_col(3)),
            year: fast.i64("year").ok(),
            kinds: [0; 4],
            years: BTreeMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<([u64; 4], BTreeMap<i64, u64>)>) -> tantivy::Result<Facets> {
        let mut kinds = [0u64; 4];
        let mut years: BTreeMap<i64, u64> = BTreeMap::new();
        for (k, y) in fruits {
            for i in 0..4 {
                kinds[i] += k[i];
            }
            for (year, n) in y {
                *years.entry(year).or_default() += n;
            }
        }
        let kind = Kind::ALL
            .iter()
            .filter(|k| kinds[kind_code(**k) as usize] > 0)
            .map(|k| (k.as_str().to_string(), kinds[kind_code(*k) as usize]))
            .collect();
        let year = years.into_iter().map(|(y, n)| (y.to_string(), n)).collect();
        Ok(Facets { kind, year })
    }
}

impl SegmentCollector for SegmentFacetCounts {
    type Fruit = ([u64; 4], BTreeMap<i64, u64>);

    fn collect(&mut self, doc: DocId, _: Score) {
        let k = self.kind.as_ref().map_or(3, |c| c.get_val(doc)).min(3) as usize;
        self.kinds[k] += 1;
        if let Some(year) = self.year.as_ref().and_then(|c| c.first(doc)) {
            *self.years.entry(year).or_default() += 1;
        }
    }

    fn harvest(self) -> Self::Fruit {
        (self.kinds, self.years)
    }
}
