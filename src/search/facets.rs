//! A collector counting matches per kind and per year, from fast fields.

use super::Facets;
use crate::corpus::Kind;
use crate::schema::kind_code;
use std::collections::BTreeMap;
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, ColumnValues, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Counts matches per kind and year.
pub struct FacetCounts;

/// Per-segment counting state.
pub struct SegmentFacetCounts {
    kind: Option<Arc<dyn ColumnValues<u64>>>,
    year: Option<Column<i64>>,
    org: Option<StrColumn>,
    kinds: [u64; 4],
    years: BTreeMap<i64, u64>,
    orgs: BTreeMap<u64, u64>,
}

/// What one segment counted.
pub struct SegmentFruit {
    kinds: [u64; 4],
    years: BTreeMap<i64, u64>,
    orgs: BTreeMap<String, u64>,
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
            org: fast.str("org_facet").ok().flatten(),
            kinds: [0; 4],
            years: BTreeMap::new(),
            orgs: BTreeMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<SegmentFruit>) -> tantivy::Result<Facets> {
        let mut kinds = [0u64; 4];
        let mut years: BTreeMap<i64, u64> = BTreeMap::new();
        let mut org: BTreeMap<String, u64> = BTreeMap::new();
        for fruit in fruits {
            for (total, n) in kinds.iter_mut().zip(fruit.kinds) {
                *total += n;
            }
            for (year, n) in fruit.years {
                *years.entry(year).or_default() += n;
            }
            for (name, n) in fruit.orgs {
                *org.entry(name).or_default() += n;
            }
        }
        let kind = Kind::ALL
            .iter()
            .filter(|k| kinds[kind_code(**k) as usize] > 0)
            .map(|k| (k.as_str().to_string(), kinds[kind_code(*k) as usize]))
            .collect();
        let year = years.into_iter().map(|(y, n)| (y.to_string(), n)).collect();
        Ok(Facets { kind, year, org })
    }
}

impl SegmentCollector for SegmentFacetCounts {
    type Fruit = SegmentFruit;

    fn collect(&mut self, doc: DocId, _: Score) {
        let k = self.kind.as_ref().map_or(3, |c| c.get_val(doc)).min(3) as usize;
        self.kinds[k] += 1;
        if let Some(year) = self.year.as_ref().and_then(|c| c.first(doc)) {
            *self.years.entry(year).or_default() += 1;
        }
        if let Some(org) = &self.org {
            for ord in org.term_ords(doc) {
                *self.orgs.entry(ord).or_default() += 1;
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        let mut orgs = BTreeMap::new();
        if let Some(column) = &self.org {
            let mut name = String::new();
            for (ord, n) in self.orgs {
                name.clear();
                if column.ord_to_str(ord, &mut name).unwrap_or(false) {
                    orgs.insert(name.clone(), n);
                }
            }
        }
        SegmentFruit {
            kinds: self.kinds,
            years: self.years,
            orgs,
        }
    }
}
