//! A collector counting matches per kind, year and organization, from fast fields or
//! from those fields decoded once per generation into arrays.

use crate::corpus::Kind;
use crate::schema::kind_code;
use crate::search::request::Facets;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, ColumnValues, StrColumn};
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, Searcher, SegmentOrdinal, SegmentReader, Term};

/// Counts matches per kind, year and organization; with the generation's
/// [`DecodedFacets`], from arrays rather than columns.
#[derive(Default)]
pub struct FacetCounts {
    decoded: Option<Arc<FacetTables>>,
}

impl FacetCounts {
    /// Counts reading the decoded arrays of `tables` for the segments it holds.
    pub fn with_tables(tables: Arc<FacetTables>) -> FacetCounts {
        FacetCounts {
            decoded: Some(tables),
        }
    }
}

/// The decoded facet fields of a generation's segments.
pub type FacetTables = HashMap<SegmentId, Arc<DecodedFacets>>;

/// The decoded facet fields of every segment of `searcher`.
pub fn decode_tables(searcher: &Searcher) -> FacetTables {
    searcher
        .segment_readers()
        .iter()
        .map(|segment| (segment.segment_id(), Arc::new(DecodedFacets::of(segment))))
        .collect()
}

/// The facet fields of one segment decoded into one array entry per document: counting
/// a match then reads an array per field, where a column reads its index and its
/// bit-packed values (most of the cost of the facets of a common word).
pub struct DecodedFacets {
    /// Kind code, below [`Kind::COUNT`].
    kinds: Vec<u8>,
    years: Years,
    /// The ordinal of the organization in the segment's column, [`NO_ORG`], or
    /// [`SEVERAL_ORGS`] (then read from the column).
    orgs: Vec<u32>,
}

const NO_YEAR: u16 = u16::MAX;
const NO_ORG: u32 = u32::MAX;
const SEVERAL_ORGS: u32 = u32::MAX - 1;

impl DecodedFacets {
    /// The arrays of `segment`'s facet columns (deleted documents included).
    fn of(segment: &SegmentReader) -> DecodedFacets {
        let columns = Columns::of(segment);
        let max_doc = segment.max_doc();
        let kinds = (0..max_doc).map(|doc| columns.kind_of(doc) as u8).collect();
        let years = Years::of(columns.year.as_ref(), max_doc);
        let orgs = match &columns.org {
            Some(column) if column.num_terms() < SEVERAL_ORGS as usize => (0..max_doc)
                .map(|doc| {
                    let mut ords = column.term_ords(doc);
                    match (ords.next(), ords.next()) {
                        (None, _) => NO_ORG,
                        (Some(ord), None) => ord as u32,
                        (Some(_), Some(_)) => SEVERAL_ORGS,
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        DecodedFacets { kinds, years, orgs }
    }
}

/// A segment's years, decoded.
enum Years {
    /// No document has a year.
    None,
    /// Each document's year minus `first`, or [`NO_YEAR`]; `span` years from `first`.
    Offsets {
        first: i64,
        span: usize,
        offsets: Vec<u16>,
    },
    /// Too wide a range to decode: read from the column.
    FromColumn,
}

impl Years {
    fn of(column: Option<&Column<i64>>, max_doc: DocId) -> Years {
        let Some(column) = column.filter(|c| c.values.num_vals() > 0) else {
            return Years::None;
        };
        let first = column.min_value();
        let span = column.max_value().saturating_sub(first);
        if span >= i64::from(NO_YEAR) {
            return Years::FromColumn;
        }
        Years::Offsets {
            first,
            span: span as usize + 1,
            offsets: (0..max_doc)
                .map(|doc| column.first(doc).map_or(NO_YEAR, |y| (y - first) as u16))
                .collect(),
        }
    }
}

/// A segment's facet columns.
struct Columns {
    kind: Option<Arc<dyn ColumnValues<u64>>>,
    year: Option<Column<i64>>,
    org: Option<StrColumn>,
}

impl Columns {
    fn of(segment: &SegmentReader) -> Columns {
        let fast = segment.fast_fields();
        Columns {
            kind: fast
                .u64("kind_code")
                .ok()
                .map(|c| c.first_or_default_col(3)),
            year: fast.i64("year").ok(),
            org: fast.str("org_facet").ok().flatten(),
        }
    }

    fn kind_of(&self, doc: DocId) -> usize {
        self.kind
            .as_ref()
            .map_or(3, |c| c.get_val(doc))
            .min(Kind::COUNT as u64 - 1) as usize
    }
}

/// Per-segment counting state.
pub struct SegmentFacetCounts {
    columns: Columns,
    decoded: Option<Arc<DecodedFacets>>,
    tally: Tally,
}

/// What a segment's matches counted so far.
struct Tally {
    kinds: [u64; Kind::COUNT],
    years: YearCounts,
    /// Matches per organization, by the ordinal of its name in the segment's column.
    orgs: Vec<u64>,
}

/// Matches per year: a counter per year of the segment's range when it is small (as
/// years are), a map otherwise; every match adds to a counter, so the count must not
/// cost a map lookup.
enum YearCounts {
    Dense { first: i64, counts: Vec<u64> },
    Sparse(BTreeMap<i64, u64>),
}

impl YearCounts {
    /// The widest range of years counted in a vector.
    const DENSE_RANGE: i64 = 4096;

    fn for_column(column: Option<&Column<i64>>) -> YearCounts {
        match column {
            Some(c) if c.max_value().saturating_sub(c.min_value()) < Self::DENSE_RANGE => {
                YearCounts::Dense {
                    first: c.min_value(),
                    counts: vec![0; (c.max_value() - c.min_value() + 1).max(0) as usize],
                }
            }
            _ => YearCounts::Sparse(BTreeMap::new()),
        }
    }

    fn add(&mut self, year: i64) {
        match self {
            YearCounts::Dense { first, counts } => {
                if let Some(n) = counts.get_mut(year.wrapping_sub(*first) as usize) {
                    *n += 1;
                }
            }
            YearCounts::Sparse(map) => *map.entry(year).or_default() += 1,
        }
    }

    fn into_map(self) -> BTreeMap<i64, u64> {
        match self {
            YearCounts::Dense { first, counts } => counts
                .into_iter()
                .enumerate()
                .filter(|(_, n)| *n > 0)
                .map(|(i, n)| (first + i as i64, n))
                .collect(),
            YearCounts::Sparse(map) => map,
        }
    }
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
        let columns = Columns::of(segment);
        let decoded = self
            .decoded
            .as_ref()
            .and_then(|tables| tables.get(&segment.segment_id()))
            .filter(|d| d.kinds.len() == segment.max_doc() as usize)
            .cloned();
        let years = match decoded.as_ref().map(|d| &d.years) {
            Some(Years::Offsets { first, span, .. }) => YearCounts::Dense {
                first: *first,
                counts: vec![0; *span],
            },
            _ => YearCounts::for_column(columns.year.as_ref()),
        };
        let tally = Tally {
            kinds: [0; Kind::COUNT],
            years,
            orgs: vec![0; columns.org.as_ref().map_or(0, |c| c.num_terms())],
        };
        Ok(SegmentFacetCounts {
            columns,
            decoded,
            tally,
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
pub fn facets_of_union(
    searcher: &Searcher,
    counts: &FacetCounts,
    terms: &[Term],
) -> tantivy::Result<Facets> {
    Ok(count_and_facets_of_union(searcher, counts, terms)?.1)
}

/// The number of live documents holding at least one of `terms`, and their
/// [`FacetCounts`], from one reading of the posting lists.
pub fn count_and_facets_of_union(
    searcher: &Searcher,
    counts: &FacetCounts,
    terms: &[Term],
) -> tantivy::Result<(usize, Facets)> {
    let mut fruits = Vec::new();
    let mut total = 0;
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let mut segment_counts = counts.for_segment(ord as SegmentOrdinal, segment)?;
        let docs = super::union::union_bits(segment, terms)?;
        for doc in super::union::live_docs(segment, &docs) {
            segment_counts.collect(doc, 0.0);
            total += 1;
        }
        fruits.push(segment_counts.harvest());
    }
    Ok((total, counts.merge_fruits(fruits)?))
}

impl Tally {
    /// Counts `doc` from the decoded arrays, reading the columns only for a year out of
    /// their range or a document of several organizations.
    fn add_decoded(&mut self, decoded: &DecodedFacets, columns: &Columns, doc: DocId) {
        let at = doc as usize;
        self.kinds[decoded.kinds[at] as usize] += 1;
        match &decoded.years {
            Years::None => {}
            Years::Offsets { offsets, .. } => match (offsets[at], &mut self.years) {
                (NO_YEAR, _) => {}
                (offset, YearCounts::Dense { counts, .. }) => counts[offset as usize] += 1,
                (_, YearCounts::Sparse(_)) => self.add_year_from_column(columns, doc),
            },
            Years::FromColumn => self.add_year_from_column(columns, doc),
        }
        match decoded.orgs.get(at) {
            Some(&NO_ORG) => {}
            Some(&SEVERAL_ORGS) | None => self.add_orgs_from_column(columns, doc),
            Some(&ord) => self.orgs[ord as usize] += 1,
        }
    }

    /// Counts `doc` from the columns.
    fn add_from_columns(&mut self, columns: &Columns, doc: DocId) {
        self.kinds[columns.kind_of(doc)] += 1;
        self.add_year_from_column(columns, doc);
        self.add_orgs_from_column(columns, doc);
    }

    fn add_year_from_column(&mut self, columns: &Columns, doc: DocId) {
        if let Some(year) = columns.year.as_ref().and_then(|c| c.first(doc)) {
            self.years.add(year);
        }
    }

    fn add_orgs_from_column(&mut self, columns: &Columns, doc: DocId) {
        if let Some(org) = &columns.org {
            for ord in org.term_ords(doc) {
                if let Some(n) = self.orgs.get_mut(ord as usize) {
                    *n += 1;
                }
            }
        }
    }
}

impl SegmentCollector for SegmentFacetCounts {
    type Fruit = SegmentFruit;

    fn collect(&mut self, doc: DocId, _: Score) {
        match &self.decoded {
            Some(decoded) => self.tally.add_decoded(decoded, &self.columns, doc),
            None => self.tally.add_from_columns(&self.columns, doc),
        }
    }

    fn harvest(self) -> Self::Fruit {
        let mut orgs = BTreeMap::new();
        if let Some(column) = &self.columns.org {
            let mut name = String::new();
            let counted = self.tally.orgs.iter().enumerate().filter(|(_, n)| **n > 0);
            for (ord, &n) in counted {
                name.clear();
                if column.ord_to_str(ord as u64, &mut name).unwrap_or(false) {
                    orgs.insert(name.clone(), n);
                }
            }
        }
        SegmentFruit {
            kinds: self.tally.kinds,
            years: self.tally.years.into_map(),
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
            let expected = searcher
                .search(&*node.to_tantivy(), &FacetCounts::default())
                .unwrap();
            assert!(node != &queries[0] || !expected.kind.is_empty());
            let plain = FacetCounts::default();
            assert_eq!(
                facets_of_union(&searcher, &plain, &terms).unwrap(),
                expected
            );
            let tables = Arc::new(decode_tables(&searcher));
            let decoded = FacetCounts::with_tables(tables);
            assert_eq!(
                facets_of_union(&searcher, &decoded, &terms).unwrap(),
                expected
            );
            let collected = searcher.search(&*node.to_tantivy(), &decoded).unwrap();
            assert_eq!(collected, expected);
        }
        let both = Node::Bool(vec![
            (tantivy::query::Occur::Must, word("traffick")),
            (tantivy::query::Occur::Must, word("child")),
        ]);
        assert_eq!(both.matching_terms(), None);
    }

    #[test]
    fn decoded_facets_count_as_the_columns_do_when_no_section_has_a_year_or_an_org() {
        let (index, f, mut writer) = crate::schema::test_index();
        for i in 0..200usize {
            let mut section = Section::new(Kind::ALL[i % 3], format!("Section {i}"), "trafficking");
            section.id = format!("s{i}");
            writer
                .add_document(crate::schema::to_document(&f, &section, i as u64))
                .unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let node = Node::term(f.body, "traffick", 1.0);
        let terms = node.matching_terms().expect("a term");
        let plain = searcher
            .search(&*node.to_tantivy(), &FacetCounts::default())
            .unwrap();
        assert_eq!(plain.kind.values().sum::<u64>(), 200);
        assert!(plain.year.is_empty() && plain.org.is_empty());
        let decoded = FacetCounts::with_tables(Arc::new(decode_tables(&searcher)));
        assert_eq!(facets_of_union(&searcher, &decoded, &terms).unwrap(), plain);
        assert_eq!(
            searcher.search(&*node.to_tantivy(), &decoded).unwrap(),
            plain
        );
    }
}
