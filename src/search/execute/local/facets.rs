//! A collector counting matches per kind and per year, from fast fields.

use crate::corpus::Kind;
use crate::schema::kind_code;
use crate::search::request::Facets;
use std::collections::BTreeMap;
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, ColumnValues, StrColumn};
use tantivy::{DocId, Score, Searcher, SegmentOrdinal, SegmentReader, Term};

/// Counts matches per kind and year.
pub struct FacetCounts;

/// Per-segment counting state.
pub struct SegmentFacetCounts {
    kind: Option<Arc<dyn ColumnValues<u64>>>,
    year: Option<Column<i64>>,
    org: Option<StrColumn>,
    kinds: [u64; Kind::COUNT],
    years: BTreeMap<i64, u64>,
    orgs: BTreeMap<u64, u64>,
}

/// What one segment counted.
pub struct SegmentFruit {
    kinds: [u64; Kind::COUNT],
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
            kinds: [0; Kind::COUNT],
            years: BTreeMap::new(),
            orgs: BTreeMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<SegmentFruit>) -> tantivy::Result<Facets> {
        let mut kinds = [0u64; Kind::COUNT];
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

/// [`FacetCounts`] of the documents holding at least one of `terms` (a query whose
/// matches are such a union: see `Node::matching_terms`), read from the posting lists
/// into a bitset rather than through a union scorer: the facets of a search box's
/// every keystroke went through all the matches of any of its words.
pub fn facets_of_union(searcher: &Searcher, terms: &[Term]) -> tantivy::Result<Facets> {
    let mut fruits = Vec::new();
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let mut counts = FacetCounts.for_segment(ord as SegmentOrdinal, segment)?;
        let docs = super::union::union_bits(segment, terms)?;
        for doc in super::union::live_docs(segment, &docs) {
            counts.collect(doc, 0.0);
        }
        fruits.push(counts.harvest());
    }
    FacetCounts.merge_fruits(fruits)
}

impl SegmentCollector for SegmentFacetCounts {
    type Fruit = SegmentFruit;

    fn collect(&mut self, doc: DocId, _: Score) {
        let k = self
            .kind
            .as_ref()
            .map_or(3, |c| c.get_val(doc))
            .min(Kind::COUNT as u64 - 1) as usize;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Section;
    use crate::search::tree::Node;

    #[test]
    fn facets_of_a_union_read_from_postings_are_those_of_the_query() {
        let (index, f, mut writer) = crate::schema::test_index();
        for i in 0..600usize {
            let kind = Kind::ALL[i % 4];
            let body = match i % 5 {
                0 => "trafficking of children",
                1 => "trafficking",
                2 => "child labour",
                _ => "other matters",
            };
            let mut section = Section::new(kind, format!("Section {i}"), body);
            section.id = format!("s{i}");
            section.year = (i % 3 != 0).then_some(2000 + (i % 7) as i64);
            section.org =
                (i % 2 == 0).then(|| ["OSCE", "Council of Europe"][i % 4 / 2].to_string());
            writer
                .add_document(crate::schema::to_document(&f, &section, i as u64))
                .unwrap();
            if i == 300 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        for i in (0..600).step_by(11) {
            writer.delete_term(Term::from_field_text(f.id, &format!("s{i}")));
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let word = |w: &str| {
            Node::any(vec![
                Node::term(f.title, w, 3.0),
                Node::term(f.body, w, 1.0),
                Node::Const(Box::new(Node::basic_term(f.person, w)), 3.0),
            ])
        };
        let queries = [
            word("traffick"),
            Node::Bool(vec![(
                tantivy::query::Occur::Must,
                Node::any(vec![word("traffick"), word("child")]),
            )]),
            word("absent"),
        ];
        for node in &queries {
            let terms = node.matching_terms().expect("a union of terms");
            let expected = searcher.search(&*node.to_tantivy(), &FacetCounts).unwrap();
            assert!(node != &queries[0] || !expected.kind.is_empty());
            assert_eq!(facets_of_union(&searcher, &terms).unwrap(), expected);
        }
        let both = Node::Bool(vec![
            (tantivy::query::Occur::Must, word("traffick")),
            (tantivy::query::Occur::Must, word("child")),
        ]);
        assert_eq!(both.matching_terms(), None);
    }
}
