//! Running a plan on the local tantivy index: trees compiled to tantivy queries
//! ([`compile`]), exclusions evaluated once ([`docids`]), collection with the sort key,
//! counts and facets read from posting lists where a query allows it ([`union`],
//! [`facets`]), and stored sections read back.

mod compile;
pub(crate) mod docids;
pub(crate) mod facets;
pub(crate) mod prefix;
mod top;
pub(crate) mod union;

use super::{kinds_present, uniform_weights, Executor, Found, Pass, Prepared, SortKey};
use crate::corpus::Section;
use crate::error::{Error, Result};
use crate::index::BuildInfo;
use crate::schema::Fields;
use crate::search::budget::{Bounded, Budget};
use crate::search::plan::{Order, Plan};
use crate::search::request::Facets;
use crate::search::tree::Node;
use docids::DocIdsQuery;
use facets::FacetCounts;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::document::{
    DeserializeError, DocumentDeserialize, DocumentDeserializer, ValueDeserialize,
    ValueDeserializer,
};
use tantivy::schema::{Field, FieldType, IndexRecordOption};
use tantivy::{DocAddress, DocSet, InvertedIndexReader, Searcher, Term};

/// The local index as an executor.
pub(crate) struct LocalExecutor {
    fields: Fields,
    /// Text fields no document of this generation has a term in (left out of queries).
    absent: Vec<Field>,
    /// Kinds the generation has sections of, by kind code.
    present: [bool; crate::corpus::Kind::COUNT],
    /// The index directory, for error messages.
    root: PathBuf,
    /// The facet fields decoded into arrays, on the first search that counts facets
    /// (the generation's segments never change under an engine).
    facet_tables: std::sync::OnceLock<Arc<facets::FacetTables>>,
}

impl LocalExecutor {
    /// The executor for a generation opened at `root`.
    pub(crate) fn new(root: &Path, fields: Fields, info: &BuildInfo, searcher: &Searcher) -> Self {
        LocalExecutor {
            fields,
            absent: absent_fields(searcher),
            present: kinds_present(info),
            root: root.to_path_buf(),
            facet_tables: std::sync::OnceLock::new(),
        }
    }

    /// The facet counter of `searcher`'s generation, its fields decoded once.
    fn facet_counts(&self, searcher: &Searcher) -> FacetCounts {
        let tables = self
            .facet_tables
            .get_or_init(|| Arc::new(facets::decode_tables(searcher)));
        FacetCounts::with_tables(Arc::clone(tables))
    }

    /// The stored section of a document.
    pub(crate) fn section_at(&self, searcher: &Searcher, address: DocAddress) -> Result<Section> {
        section_at(&self.root, searcher, address)
    }
}

impl Executor for LocalExecutor {
    /// Leaves of absent fields, terms no segment has and phrases with such a term.
    fn unmatchable<'a>(&'a self, searcher: &'a Searcher) -> Box<dyn Fn(&Node) -> bool + 'a> {
        let dictionary = Dictionary::new(searcher, &self.absent);
        Box::new(move |leaf| dictionary.matches_nothing(leaf))
    }

    fn prepare<'a>(&'a self, plan: &'a Plan, searcher: &'a Searcher) -> Box<dyn Prepared + 'a> {
        Box::new(LocalSearch::compile(self, plan, searcher))
    }

    fn get(&self, searcher: &Searcher, id: &str) -> Result<Option<Section>> {
        let term = Term::from_field_text(self.fields.id, id);
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        match top.first() {
            Some((_, address)) => Ok(Some(self.section_at(searcher, *address)?)),
            None => Ok(None),
        }
    }

    fn describe(&self) -> Option<String> {
        None
    }
}

/// A union of terms whose best hits can be found with block-max pruning: the union's
/// query, its terms, and a constant bonus for the matches holding a term.
struct Prunable<'q> {
    union: &'q dyn Query,
    terms: &'q [Term],
    bonus: Option<(&'q Term, f32)>,
}

/// A union of terms compiled alone, its terms, and the term whose matches gain a
/// constant `score` beside it.
struct UnionWithBonus {
    union: Box<dyn Query>,
    terms: Vec<Term>,
    term: Term,
    score: f32,
}

/// The queries explanations run: for hits with every word, and for partial matches.
type Explainable = (Box<dyn Query>, Option<Box<dyn Query>>);

/// A plan's query trees compiled for the local index, its exclusions evaluated once.
struct LocalSearch<'a> {
    executor: &'a LocalExecutor,
    plan: &'a Plan,
    searcher: &'a Searcher,
    conjunctive: Box<dyn Query>,
    disjunctive: Option<Box<dyn Query>>,
    /// The terms of the conjunctive query when it is a plain union of them: tantivy can
    /// then skip the blocks that cannot reach the best hits, and count matches by term.
    conjunctive_terms: Option<Vec<Term>>,
    /// The same for the disjunctive query.
    disjunctive_terms: Option<Vec<Term>>,
    /// When the conjunctive query is a union of terms beside a constant bonus for a
    /// term: the union compiled alone, its terms, the bonus term and its score.
    conjunctive_with_bonus: Option<UnionWithBonus>,
    /// Exclusions that could not be applied.
    notes: Vec<String>,
    /// The documents every query leaves out (exclusions evaluated once).
    exclusions: Vec<DocIdsQuery>,
    /// The queries explanations run, compiled once for all hits.
    explainable: std::cell::OnceCell<Explainable>,
    /// The facets, when the pass of every word counted them (its matches are those of
    /// the unfiltered query).
    facets: std::cell::OnceCell<Facets>,
}

impl<'a> LocalSearch<'a> {
    /// The plan's queries for tantivy (planned without what the index cannot match).
    fn compile(executor: &'a LocalExecutor, plan: &'a Plan, searcher: &'a Searcher) -> Self {
        let mut notes = Vec::new();
        let mut sets: Vec<DocIdsQuery> = Vec::new();
        for excluded in &plan.excluded {
            match DocIdsQuery::matching(searcher, &*excluded.to_tantivy()) {
                Ok(set) => sets.push(set),
                Err(e) => notes.push(format!("could not apply an exclusion: {e}")),
            }
        }
        let conjunctive = &plan.conjunctive;
        let disjunctive = plan.disjunctive.as_ref();
        let compile = |node: &Node| excluding(node.to_tantivy(), &sets);
        LocalSearch {
            executor,
            plan,
            searcher,
            conjunctive: compile(conjunctive),
            disjunctive: disjunctive.map(compile),
            conjunctive_terms: conjunctive.union_terms().filter(|_| sets.is_empty()),
            disjunctive_terms: disjunctive
                .and_then(Node::union_terms)
                .filter(|_| sets.is_empty()),
            conjunctive_with_bonus: conjunctive
                .union_with_bonus()
                .filter(|_| sets.is_empty())
                .and_then(|(union, term, score)| {
                    Some(UnionWithBonus {
                        union: union.to_tantivy(),
                        terms: union.union_terms()?,
                        term,
                        score,
                    })
                }),
            notes,
            exclusions: sets,
            explainable: std::cell::OnceCell::new(),
            facets: std::cell::OnceCell::new(),
        }
    }

    /// The query of a pass, and how it can be pruned when it is a union of terms
    /// (maybe beside a constant bonus).
    fn query_of(&self, pass: Pass) -> (&dyn Query, Option<Prunable<'_>>) {
        fn plain<'q>(query: &'q dyn Query, terms: &'q Option<Vec<Term>>) -> Option<Prunable<'q>> {
            terms.as_deref().map(|terms| Prunable {
                union: query,
                terms,
                bonus: None,
            })
        }
        match (&self.disjunctive, pass) {
            (Some(q), Pass::Partial) => (&**q, plain(&**q, &self.disjunctive_terms)),
            _ => {
                let with_bonus = self
                    .conjunctive_with_bonus
                    .as_ref()
                    .map(|bonused| Prunable {
                        union: &*bonused.union,
                        terms: &bonused.terms,
                        bonus: Some((&bonused.term, bonused.score)),
                    });
                let prunable = plain(&*self.conjunctive, &self.conjunctive_terms).or(with_bonus);
                (&*self.conjunctive, prunable)
            }
        }
    }

    /// The top `want` documents for `query` in the plan's order, and the match count;
    /// `prunable`: the terms of `query` when it is a plain union of them; with
    /// `facets`, the facets of its matches counted in the same pass, kept for
    /// [`Prepared::unfiltered_facets`].
    fn collect(
        &self,
        query: &dyn Query,
        prunable: Option<Prunable<'_>>,
        want: usize,
        facets: Option<FacetCounts>,
        budget: &Budget,
    ) -> Result<(Vec<(f32, DocAddress)>, usize)> {
        let searcher = self.searcher;
        let keep = |counted: Option<Facets>| {
            if let Some(counted) = counted {
                let _ = self.facets.set(counted);
            }
        };
        if want == 0 {
            let (count, counted) =
                searcher.search(query, &Bounded::new((Count, facets), budget))?;
            keep(counted);
            return Ok((Vec::new(), count));
        }
        let plan = self.plan;
        let uniform = uniform_weights(plan, &self.executor.present);
        // Every section present weighing the same: plain BM25 order, the score shown.
        let plain = uniform && plan.order == Order::Relevance;
        let sort_for = |plain: bool| {
            if plain {
                SortKey::unweighted(plan)
            } else {
                SortKey::of(plan)
            }
        };
        if let (Order::Relevance, Some(prunable)) = (plan.order, prunable) {
            // A union of terms: asked for the best hits alone, tantivy skips the blocks
            // that cannot enter them (block-max WAND); the count then reads the posting
            // lists without scoring (and the facets from the same bitsets).
            let terms = prunable.terms;
            let sort = sort_for(plain && prunable.bonus.is_none());
            let docs = self.top_by_weighted_score(&prunable, sort, want, budget)?;
            budget.check()?;
            let count = match facets {
                Some(counts) => {
                    let (count, counted) =
                        facets::count_and_facets_of_union(searcher, &counts, terms)?;
                    keep(Some(counted));
                    count
                }
                None => union::count_union_of_terms(searcher, terms)?,
            };
            return Ok((docs, count));
        }
        let sort = sort_for(plain);
        let top = top::TopRanked { want, sort };
        let (docs, count, counted) =
            searcher.search(query, &Bounded::new((top, Count, facets), budget))?;
        keep(counted);
        let docs = docs
            .into_iter()
            .map(|(rank, address)| (sort.score(rank.key) as f32, address))
            .collect();
        Ok((docs, count))
    }

    /// The top `want` matches of a union of terms in relevance order when kinds weigh
    /// differently (the [`SortKey`] of the plan) or a bonus is added, with tantivy's
    /// block-max pruning: a match can enter the page only if its score plus the bonus,
    /// times the heaviest kind's weight, beats the page's last key, so that is the
    /// score threshold handed back. The same hits in the same order as scoring every
    /// match, without scoring most of them.
    fn top_by_weighted_score(
        &self,
        prunable: &Prunable<'_>,
        sort: SortKey,
        want: usize,
        budget: &Budget,
    ) -> Result<Vec<(f32, DocAddress)>> {
        let heaviest = sort.heaviest(&self.executor.present);
        let largest_bonus = prunable.bonus.map_or(0.0, |(_, score)| score.max(0.0));
        let weight =
            prunable
                .union
                .weight(tantivy::query::EnableScoring::enabled_from_searcher(
                    self.searcher,
                ))?;
        let mut page = top::Page::new(want);
        for (segment_ord, segment) in self.searcher.segment_readers().iter().enumerate() {
            budget.check()?;
            let columns = top::OrderColumns::of(segment, &sort);
            let mut bonus = match prunable.bonus {
                Some((term, score)) => Some((top::Members::of(segment, term)?, score)),
                None => None,
            };
            let alive = segment.alive_bitset();
            let segment_ord = segment_ord as u32;
            let threshold = |page: &top::Page| page.score_threshold(heaviest) - largest_bonus;
            let start = threshold(&page);
            weight.for_each_pruning(start, segment, &mut |doc, score| {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    let extra = match &mut bonus {
                        Some((members, extra)) => members.contains(doc).then_some(*extra),
                        None => None,
                    };
                    let score = extra.map_or(score, |extra| score + extra);
                    let key = sort.key(score, columns.kind(doc), None);
                    if page.may_enter(key) {
                        let rank = super::Rank {
                            key,
                            ord: columns.ord(doc),
                        };
                        page.offer(rank, DocAddress::new(segment_ord, doc));
                    }
                }
                threshold(&page)
            })?;
        }
        Ok(page
            .into_sorted()
            .into_iter()
            .map(|(rank, address)| (sort.score(rank.key) as f32, address))
            .collect())
    }

    /// The facet counter for a pass that can count the facets as it searches: the pass
    /// of every word, when the request counts facets, the plan's unfiltered query
    /// matches what it matches, and they are not counted yet.
    fn facets_in_pass(&self, pass: Pass) -> Option<FacetCounts> {
        let plan = self.plan;
        (pass == Pass::Complete
            && plan.count_facets
            && plan.unfiltered_is_conjunctive
            && self.facets.get().is_none())
        .then(|| self.executor.facet_counts(self.searcher))
    }

    /// `node` compiled for tantivy's explanations, with this plan's exclusions.
    fn explainable(&self, node: &Node) -> Box<dyn Query> {
        excluding(node.to_tantivy_explainable(), &self.exclusions)
    }
}

impl Prepared for LocalSearch<'_> {
    fn pass(&self, pass: Pass, want: usize, budget: &Budget) -> Result<(Vec<(f32, Found)>, usize)> {
        let (query, prunable) = self.query_of(pass);
        let facets = self.facets_in_pass(pass);
        let (hits, total) = self
            .collect(query, prunable, want, facets, budget)
            .map_err(|e| match e {
                Error::Engine(e) => budget.explain_failure(e),
                other => other,
            })?;
        let hits = hits
            .into_iter()
            .map(|(score, address)| (score, Found::Local(address)))
            .collect();
        Ok((hits, total))
    }

    fn section(&self, found: Found) -> Result<Section> {
        match found {
            Found::Local(address) => self.executor.section_at(self.searcher, address),
            Found::Remote(section, _) => Ok(*section),
        }
    }

    fn explain(&self, found: &Found, pass: Pass) -> Option<serde_json::Value> {
        let Found::Local(address) = found else {
            return None;
        };
        let (complete, partial) = self.explainable.get_or_init(|| {
            (
                self.explainable(&self.plan.conjunctive),
                self.plan.disjunctive.as_ref().map(|d| self.explainable(d)),
            )
        });
        let query = match (partial, pass) {
            (Some(partial), Pass::Partial) => partial,
            _ => complete,
        };
        explain_safely(&**query, self.searcher, *address)
    }

    fn matching(&self, node: &Node, hits: &[Found], budget: &Budget) -> Result<Option<Vec<bool>>> {
        budget.check()?;
        let query = node.to_tantivy();
        let weight = query.weight(tantivy::query::EnableScoring::disabled_from_searcher(
            self.searcher,
        ))?;
        // One scorer per segment, advanced through the segment's hits in document order.
        let mut order: Vec<(u32, u32, usize)> = hits
            .iter()
            .enumerate()
            .filter_map(|(i, found)| match found {
                Found::Local(a) => Some((a.segment_ord, a.doc_id, i)),
                Found::Remote(..) => None,
            })
            .collect();
        order.sort_unstable();
        let mut out = vec![false; hits.len()];
        for segment_hits in order.chunk_by(|a, b| a.0 == b.0) {
            let reader = self.searcher.segment_reader(segment_hits[0].0);
            let mut scorer = weight.scorer(reader, 1.0)?;
            for &(_, doc, i) in segment_hits {
                let at = if scorer.doc() >= doc {
                    scorer.doc()
                } else {
                    scorer.seek(doc)
                };
                out[i] = at == doc;
            }
        }
        Ok(Some(out))
    }

    fn count(&self, node: &Node, budget: &Budget) -> Result<usize> {
        budget.check()?;
        let query = node.to_tantivy();
        Ok(self.searcher.search(&*query, &Count)?)
    }

    fn unfiltered_facets(&self, budget: &Budget) -> Result<Facets> {
        if let Some(counted) = self.facets.get() {
            return Ok(counted.clone());
        }
        let unfiltered = &self.plan.unfiltered;
        let counts = self.executor.facet_counts(self.searcher);
        // When the query's matches are exactly those of some terms, they are counted
        // from their posting lists.
        let terms = unfiltered
            .matching_terms()
            .filter(|_| self.exclusions.is_empty());
        Ok(match terms {
            Some(terms) => facets::facets_of_union(self.searcher, &counts, &terms)?,
            None => self
                .searcher
                .search(
                    &*excluding(unfiltered.to_tantivy(), &self.exclusions),
                    &Bounded::new(counts, budget),
                )
                .map_err(|e| budget.explain_failure(e))?,
        })
    }

    fn result_facets(&self, want: usize, budget: &Budget) -> Result<Facets> {
        let failed = |e| budget.explain_failure(e);
        let counts = || self.executor.facet_counts(self.searcher);
        let (count, facets) = self
            .searcher
            .search(&*self.conjunctive, &Bounded::new((Count, counts()), budget))
            .map_err(failed)?;
        // Partial matches are counted exactly when the search adds them.
        match &self.disjunctive {
            Some(disjunctive) if super::needs_partial_matches(count, want) => Ok(self
                .searcher
                .search(&**disjunctive, &Bounded::new(counts(), budget))
                .map_err(failed)?),
            _ => Ok(facets),
        }
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }
}

/// The generation's term dictionaries, asked whether a leaf can match anything; each
/// field's readers opened once and each term looked up once per search.
pub(super) struct Dictionary<'a> {
    searcher: &'a Searcher,
    absent: &'a [Field],
    readers: RefCell<HashMap<Field, Vec<Arc<InvertedIndexReader>>>>,
    known: RefCell<HashMap<Field, HashMap<String, bool>>>,
}

impl<'a> Dictionary<'a> {
    /// The dictionaries of `searcher`'s segments; `absent`: fields without any term.
    pub(super) fn new(searcher: &'a Searcher, absent: &'a [Field]) -> Self {
        Dictionary {
            searcher,
            absent,
            readers: RefCell::default(),
            known: RefCell::default(),
        }
    }

    /// Whether no document can match `leaf`: a leaf of an absent field, a term no
    /// segment has, a phrase with such a term.
    pub(super) fn matches_nothing(&self, leaf: &Node) -> bool {
        match leaf {
            _ if leaf.field().is_some_and(|f| self.absent.contains(&f)) => true,
            Node::Term { field, text, .. } => !self.has(*field, text),
            Node::Phrase { field, terms, .. } => terms.iter().any(|t| !self.has(*field, t)),
            _ => false,
        }
    }

    /// Whether some segment has `text` in `field` (or the dictionary could not be read:
    /// then the leaf is kept, and the search reports the failure).
    fn has(&self, field: Field, text: &str) -> bool {
        if let Some(&known) = self.known.borrow().get(&field).and_then(|k| k.get(text)) {
            return known;
        }
        let mut readers = self.readers.borrow_mut();
        let readers = readers.entry(field).or_insert_with(|| {
            self.searcher
                .segment_readers()
                .iter()
                .filter_map(|segment| segment.inverted_index(field).ok())
                .collect()
        });
        let has = readers.len() < self.searcher.segment_readers().len()
            || readers
                .iter()
                .any(|r| !matches!(r.terms().get(text.as_bytes()), Ok(None)));
        self.known
            .borrow_mut()
            .entry(field)
            .or_default()
            .insert(text.to_string(), has);
        has
    }
}

/// The stored section of the document at `address`.
pub(crate) fn section_at(root: &Path, searcher: &Searcher, address: DocAddress) -> Result<Section> {
    let damaged = |message: String| Error::IndexUnusable {
        path: root.to_path_buf(),
        message,
    };
    let StoredText(stored) = searcher.doc(address)?;
    let stored = stored.ok_or_else(|| damaged("a document has no stored section".into()))?;
    crate::stored::decode(stored).map_err(|e| damaged(format!("a stored section is damaged: {e}")))
}

/// The text fields that no segment has a term in (a corpus without organizations or
/// people, say): searching them can only find nothing, at the cost of opening an empty
/// dictionary each time.
fn absent_fields(searcher: &Searcher) -> Vec<Field> {
    let schema = searcher.schema();
    schema
        .fields()
        .filter(|(_, entry)| entry.is_indexed() && matches!(entry.field_type(), FieldType::Str(_)))
        .map(|(field, _)| field)
        .filter(|field| {
            searcher.segment_readers().iter().all(|segment| {
                segment
                    .inverted_index(*field)
                    .is_ok_and(|inverted| inverted.terms().num_terms() == 0)
            })
        })
        .collect()
}

/// The stored text of a document (tipdex stores one field, the section): read straight
/// into a string, without building a `TantivyDocument` first.
struct StoredText(Option<String>);

impl DocumentDeserialize for StoredText {
    fn deserialize<'de, D: DocumentDeserializer<'de>>(
        mut fields: D,
    ) -> std::result::Result<Self, DeserializeError> {
        let mut text = None;
        while let Some((_, StoredString(value))) = fields.next_field()? {
            text.get_or_insert(value);
        }
        Ok(StoredText(text))
    }
}

/// A stored string value.
struct StoredString(String);

impl ValueDeserialize for StoredString {
    fn deserialize<'de, D: ValueDeserializer<'de>>(
        value: D,
    ) -> std::result::Result<Self, DeserializeError> {
        value.deserialize_string().map(StoredString)
    }
}

/// tantivy's explain of a phrase inside a larger query trips a debug assertion when the
/// phrase itself does not match the document (release builds return "no match"); an
/// explanation is a diagnostic, so a failure there must never fail the search.
fn explain_safely(
    query: &dyn Query,
    searcher: &Searcher,
    address: DocAddress,
) -> Option<serde_json::Value> {
    let run = std::panic::AssertUnwindSafe(|| query.explain(searcher, address));
    match std::panic::catch_unwind(run) {
        Ok(Ok(e)) => serde_json::to_value(&e).ok(),
        _ => None,
    }
}

/// `query` without the documents of `sets`.
fn excluding(query: Box<dyn Query>, sets: &[DocIdsQuery]) -> Box<dyn Query> {
    if sets.is_empty() {
        return query;
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, query)];
    for set in sets {
        clauses.push((Occur::MustNot, Box::new(set.clone())));
    }
    Box::new(BooleanQuery::new(clauses))
}
