//! Searching an index: the request every front end builds, the engine that answers it,
//! and the response they all print.

pub mod budget;
mod docids;
mod domain;
mod facets;
pub mod filter;
pub mod highlight;
mod prefix;
pub mod query;
pub mod ranking;
pub mod remote;
pub mod suggest;
pub mod tree;
mod union;

use crate::backend::Backend;
use crate::corpus::{Kind, Section};
use crate::error::{Error, Result};
use crate::index::{self, BuildInfo};
use crate::schema::Fields;
use budget::{Bounded, Budget, Cost};
use facets::FacetCounts;
use highlight::{Highlighter, Marks};
use ranking::{Order, Plan, Ranker};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::document::{
    DeserializeError, DocumentDeserialize, DocumentDeserializer, ValueDeserialize,
    ValueDeserializer,
};
use tantivy::schema::{Field, FieldType, IndexRecordOption};
use tantivy::{DocAddress, Index, IndexReader, ReloadPolicy, Searcher, SegmentReader, Term};

/// Memory for decompressed document-store blocks, shared out among the segments: a
/// server answering many searches (a search box refetches the same hits at every
/// keystroke) fetches the same popular sections again and again.
const DOC_STORE_CACHE_BYTES: usize = 32 << 20;

/// Results per page when none is asked for.
pub const DEFAULT_LIMIT: usize = 10;
/// Largest page.
pub const MAX_LIMIT: usize = 1000;
/// Deepest offset.
pub const MAX_OFFSET: usize = 100_000;
/// Largest page with score explanations (an explanation costs milliseconds per hit).
pub const MAX_EXPLAIN_LIMIT: usize = 20;

/// One search, as the CLI flags and the HTTP parameters describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// What the user typed.
    pub query: String,
    /// Results per page (0: count only).
    pub limit: usize,
    /// Results to skip.
    pub offset: usize,
    /// Only sections meeting this condition over kind, year and organization (the
    /// flags, parameters and filter expressions of every front end build it).
    #[serde(default)]
    pub filter: Option<filter::Filter>,
    /// Add score breakdowns and how the query was understood.
    pub explain: bool,
    /// Add counts per kind and year over all matches, before the kind/year filters.
    pub facets: bool,
}

impl SearchRequest {
    /// A request for `query` with default settings.
    pub fn new(query: impl Into<String>) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            limit: DEFAULT_LIMIT,
            offset: 0,
            filter: None,
            explain: false,
            facets: false,
        }
    }

    /// This request, also requiring `filter` (ANDed with any filter it has).
    pub fn and_filter(mut self, filter: filter::Filter) -> SearchRequest {
        self.filter = filter::Filter::and_optional(self.filter.take(), filter);
        self
    }

    /// Checks the limits; the query text itself is never invalid.
    pub fn validate(&self) -> Result<()> {
        if let Some(filter) = &self.filter {
            filter.validate()?;
        }
        if self.limit > MAX_LIMIT {
            return Err(Error::InvalidRequest {
                parameter: "limit".into(),
                message: format!("{} is more than the maximum of {MAX_LIMIT}", self.limit),
            });
        }
        if self.offset > MAX_OFFSET {
            return Err(Error::InvalidRequest {
                parameter: "offset".into(),
                message: format!("{} is more than the maximum of {MAX_OFFSET}", self.offset),
            });
        }
        if self.explain && self.limit > MAX_EXPLAIN_LIMIT {
            return Err(Error::InvalidRequest {
                parameter: "explain".into(),
                message: format!(
                    "explanations are given for at most {MAX_EXPLAIN_LIMIT} hits at a time; \
                     ask for a smaller limit (asked: {})",
                    self.limit
                ),
            });
        }
        Ok(())
    }

    /// How heavy this search is, from its shape: the words to expand and match, the
    /// hits to fetch and highlight, explanations and facets.
    pub fn cost(&self) -> Cost {
        let words = self.query.split_whitespace().take(1000).count() as u32;
        let hits = (self.offset.saturating_add(self.limit) / 10) as u32;
        let explain = if self.explain {
            20 * self.limit.max(1) as u32
        } else {
            0
        };
        let facets = if self.facets { 10 } else { 0 };
        Cost(10 + 5 * words.min(64) + hits + explain + facets)
    }
}

/// One result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hit {
    /// 1-based rank in the whole result list.
    pub rank: usize,
    /// Ranking score (higher is better).
    pub score: f32,
    /// The section as stored.
    #[serde(flatten)]
    pub section: Section,
    /// The best part of the body, HTML-escaped, matches in `<mark>`.
    pub snippet: String,
    /// Score breakdown (with `explain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<serde_json::Value>,
}

/// Counts of matches per value.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Facets {
    /// Matches per kind.
    pub kind: BTreeMap<String, u64>,
    /// Matches per year.
    pub year: BTreeMap<String, u64>,
    /// Matches per organization.
    pub org: BTreeMap<String, u64>,
}

/// How the query was understood (with `explain`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct QueryExplanation {
    /// The groups of the query, as parsed.
    pub terms: Vec<String>,
    /// Notes: optional words, ignored parts, intents.
    pub notes: Vec<String>,
    /// Whether the results are ordered by relevance or by year.
    pub order: String,
    /// Whether some results match only some of the words.
    pub partial_matches: bool,
}

/// The answer to a [`SearchRequest`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchResponse {
    /// The query text.
    pub query: String,
    /// Number of matching sections.
    pub total_hits: usize,
    /// Time spent searching, in milliseconds.
    pub took_ms: f64,
    /// Results skipped.
    pub offset: usize,
    /// Page size.
    pub limit: usize,
    /// The page of results.
    pub hits: Vec<Hit>,
    /// Counts per kind and year (with `facets`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
    /// How the query was understood (with `explain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<QueryExplanation>,
}

/// Statistics about the open index.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// Sections per kind.
    pub sections: BTreeMap<String, usize>,
    /// All sections.
    pub total: usize,
    /// Index size on disk, in bytes.
    pub index_bytes: u64,
    /// Build facts.
    pub build: BuildInfo,
    /// Generation in use.
    pub generation: String,
}

/// An open index, ready to answer searches; cheap to share between threads.
pub struct Engine {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    ranker: Ranker,
    info: BuildInfo,
    generation: String,
    size_bytes: u64,
    root: PathBuf,
    /// The Quickwit index that runs this generation's searches, if any.
    remote: Option<remote::Remote>,
    /// Text fields no document of this generation has a term in (left out of local queries).
    absent: Vec<Field>,
}

/// Where a hit comes from.
enum Found {
    /// A document of the local index.
    Local(DocAddress),
    /// A section returned by the remote backend (with its corpus position).
    Remote(Box<Section>, u64),
}

impl Found {
    /// A key that is the same for the same section within one search.
    fn key(&self) -> (u64, u64) {
        match self {
            Found::Local(a) => (u64::from(a.segment_ord), u64::from(a.doc_id)),
            Found::Remote(_, ord) => (u64::MAX, *ord),
        }
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("root", &self.root)
            .field("generation", &self.generation)
            .finish()
    }
}

impl Engine {
    /// Opens the current generation of the index at `root`, searched where it was
    /// built for (see [`BuildInfo::backend`]).
    pub fn open(root: &Path) -> Result<Engine> {
        Engine::open_with(root, None)
    }

    /// Opens the current generation of the index at `root`, searched on `backend`
    /// (`None`: where the generation was built for).
    pub fn open_with(root: &Path, backend: Option<&Backend>) -> Result<Engine> {
        Engine::open_inner(root, backend, None)
    }

    /// [`Engine::open_with`] for a process that answers only `query`: loads just the
    /// part of the glossary that query can use. Other queries would miss expansions.
    pub fn open_for_query(root: &Path, backend: Option<&Backend>, query: &str) -> Result<Engine> {
        Engine::open_inner(root, backend, Some(query))
    }

    fn open_inner(root: &Path, backend: Option<&Backend>, query: Option<&str>) -> Result<Engine> {
        let opened = index::open_for(root, query)?;
        let recorded: Option<Backend> = match &opened.info.backend {
            Some(text) => Some(text.parse()?),
            None => None,
        };
        let remote = match backend.or(recorded.as_ref()) {
            Some(Backend::Quickwit(target)) => Some(remote::Remote::connect(
                target,
                &opened.generation,
                opened.index.schema(),
            )?),
            _ => None,
        };
        let reader = opened
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .doc_store_cache_num_blocks(doc_store_cache_blocks(&opened.index))
            .try_into()
            .map_err(|e: tantivy::TantivyError| Error::IndexUnusable {
                path: root.to_path_buf(),
                message: e.to_string(),
            })?;
        let absent = absent_fields(&reader.searcher());
        let engine = Engine {
            ranker: Ranker::new(opened.fields, std::sync::Arc::new(opened.glossary)),
            index: opened.index,
            reader,
            fields: opened.fields,
            info: opened.info,
            generation: opened.generation,
            size_bytes: opened.size_bytes,
            root: root.to_path_buf(),
            remote,
            absent,
        };
        // A generation read into memory is verified on open: its bytes are already
        // there. Larger ones are verified by servers when they load them.
        if engine.size_bytes <= index::in_memory_bound() {
            engine.verify()?;
        }
        Ok(engine)
    }

    /// Verifies every file's checksum (slow on big indexes; done by servers at load).
    pub fn verify(&self) -> Result<()> {
        let damaged = self
            .index
            .validate_checksum()
            .map_err(|e| Error::IndexUnusable {
                path: self.root.clone(),
                message: e.to_string(),
            })?;
        if damaged.is_empty() {
            return Ok(());
        }
        let mut names: Vec<String> = damaged.iter().map(|p| p.display().to_string()).collect();
        names.sort();
        Err(Error::IndexUnusable {
            path: self.root.clone(),
            message: format!("damaged files: {}", names.join(", ")),
        })
    }

    /// The generation this engine reads.
    pub fn generation(&self) -> &str {
        &self.generation
    }

    /// Build facts of the open index.
    pub fn info(&self) -> &BuildInfo {
        &self.info
    }

    /// Counts and sizes; the build facts without where the corpus and the backend are
    /// (an answer served to anyone names no path or address of this machine).
    pub fn stats(&self) -> Stats {
        let mut build = self.info.clone();
        build.corpus = build.corpus.as_deref().map(|path| {
            Path::new(path).file_name().map_or_else(
                || "corpus".to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        });
        build.backend = build
            .backend
            .as_deref()
            .map(|b| b.split('=').next().unwrap_or(b).to_string());
        Stats {
            sections: self.info.sections.clone(),
            total: self.info.total,
            index_bytes: self.size_bytes,
            build,
            generation: self.generation.clone(),
        }
    }

    /// Runs a search.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse> {
        self.search_within(request, &Budget::unlimited())
    }

    /// Runs a search within `budget`: it stops with [`Error::OutOfTime`],
    /// [`Error::Cancelled`] or [`Error::AnswerTooLarge`] once the budget is spent.
    pub fn search_within(
        &self,
        request: &SearchRequest,
        budget: &Budget,
    ) -> Result<SearchResponse> {
        request.validate()?;
        // A damaged index can make tantivy panic deep in a read; that is reported as a
        // damaged index, never as a crash of the program or server.
        let run = std::panic::AssertUnwindSafe(|| self.search_unguarded(request, budget));
        std::panic::catch_unwind(run).unwrap_or_else(|_| {
            Err(Error::IndexUnusable {
                path: self.root.clone(),
                message: "reading it failed unexpectedly (a file may be damaged)".into(),
            })
        })
    }

    /// Parses and plans a request: the one place a request becomes queries.
    fn plan(&self, request: &SearchRequest, searcher: &Searcher) -> (query::ParsedQuery, Plan) {
        let parsed = query::parse(&request.query);
        let plan = self.ranker.plan(&parsed, request.filter.as_ref(), searcher);
        (parsed, plan)
    }

    fn search_unguarded(&self, request: &SearchRequest, budget: &Budget) -> Result<SearchResponse> {
        let started = Instant::now();
        let searcher = self.reader.searcher();
        let (parsed, plan) = self.plan(request, &searcher);
        budget.check()?;
        let local = match self.remote {
            Some(_) => None,
            None => Some(LocalQueries::compile(&plan, &searcher, &self.absent)),
        };
        let want = request.offset + request.limit;
        let (mut ranked, mut total) =
            self.pass(&searcher, local.as_ref(), &plan, false, want, budget)?;
        let conjunctive_count = total;
        let mut partial = false;
        if plan.disjunctive.is_some() && needs_partial_matches(total, want) {
            budget.check()?;
            let (more, all) =
                self.pass(&searcher, local.as_ref(), &plan, true, want + total, budget)?;
            let seen: HashSet<(u64, u64)> = ranked.iter().map(|(_, f, _)| f.key()).collect();
            let extra: Vec<_> = more
                .into_iter()
                .filter(|(_, f, _)| !seen.contains(&f.key()))
                .map(|(s, f, _)| (s, f, true))
                .collect();
            partial = all > conjunctive_count;
            ranked.extend(extra);
            total = all;
        }
        let highlighter = Highlighter::new(plan.matchers.clone());
        // The queries explanations run, compiled once for all hits (complete, partial).
        let explainable = match &local {
            Some(local) if request.explain => Some((
                local.explainable(&plan.conjunctive),
                plan.disjunctive
                    .as_ref()
                    .map(|node| local.explainable(node)),
            )),
            _ => None,
        };
        let mut hits = Vec::new();
        for (i, (score, found, from_partial)) in ranked
            .into_iter()
            .enumerate()
            .skip(request.offset)
            .take(request.limit)
        {
            budget.check()?;
            let (section, address) = match found {
                Found::Local(address) => (self.section_at(&searcher, address)?, Some(address)),
                Found::Remote(section, _) => (*section, None),
            };
            let snippet = highlighter.highlight(&section.body, &Marks::default());
            budget.spend_answer_bytes(section_bytes(&section) + snippet.len())?;
            let explanation = match (&explainable, address) {
                (Some((complete, partial)), Some(address)) => {
                    let query = match (partial, from_partial) {
                        (Some(partial), true) => partial,
                        _ => complete,
                    };
                    explain_safely(&**query, &searcher, address)
                }
                _ => None,
            };
            hits.push(Hit {
                rank: i + 1,
                score,
                section,
                snippet,
                explanation,
            });
        }
        let facets = match (&local, &self.remote) {
            _ if !request.facets => None,
            (Some(local), _) => {
                budget.check()?;
                Some(local.unfiltered_facets(&plan, &searcher, budget)?)
            }
            (None, Some(remote)) => Some(remote.facets(&plan.unfiltered, &plan)?),
            (None, None) => None,
        };
        let explain = request.explain.then(|| QueryExplanation {
            terms: parsed
                .groups
                .iter()
                .map(|g| {
                    let alts: Vec<String> = g
                        .clauses
                        .iter()
                        .map(|c| {
                            let mut s = if c.phrase {
                                format!("\"{}\"", c.text)
                            } else {
                                c.text.clone()
                            };
                            if let Some(scope) = c.scope {
                                s = format!("{scope:?}:{s}").to_lowercase();
                            }
                            if c.prefix {
                                s.push('*');
                            }
                            s
                        })
                        .collect();
                    format!("{}{}", if g.negated { "-" } else { "" }, alts.join(" OR "))
                })
                .collect(),
            notes: plan
                .notes
                .iter()
                .chain(local.iter().flat_map(|l| &l.notes))
                .cloned()
                .chain(
                    self.remote
                        .iter()
                        .map(|r| format!("executed by Quickwit (index `{}`)", r.index_id())),
                )
                .chain(parsed.ignored.iter().map(|i| format!("ignored {i}")))
                .collect(),
            order: match plan.order {
                Order::Relevance => "relevance".into(),
                Order::Newest => "newest first".into(),
            },
            partial_matches: partial,
        });
        Ok(SearchResponse {
            query: request.query.clone(),
            total_hits: total,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            offset: request.offset,
            limit: request.limit,
            hits,
            facets,
            explain,
        })
    }

    /// One pass of a search (all words, or any word when `disjunctive`) on this
    /// engine's backend: the best `want` hits and the match count.
    #[allow(clippy::type_complexity)]
    fn pass(
        &self,
        searcher: &Searcher,
        local: Option<&LocalQueries>,
        plan: &Plan,
        disjunctive: bool,
        want: usize,
        budget: &Budget,
    ) -> Result<(Vec<(f32, Found, bool)>, usize)> {
        if let Some(remote) = &self.remote {
            let node = match (&plan.disjunctive, disjunctive) {
                (Some(node), true) => node,
                _ => &plan.conjunctive,
            };
            let uniform = self.uniform_weights(&plan.kind_weights);
            let (hits, total) = remote.collect(node, plan, want, uniform)?;
            let hits = hits
                .into_iter()
                .map(|(score, section, ord)| (score, Found::Remote(Box::new(section), ord), false))
                .collect();
            return Ok((hits, total));
        }
        let local = local.expect("local queries are compiled without a remote backend");
        let (query, prunable) = match (&local.disjunctive, disjunctive) {
            (Some(q), true) => (&**q, local.disjunctive_terms.as_deref()),
            _ => (&*local.conjunctive, local.conjunctive_terms.as_deref()),
        };
        let (hits, total) = self
            .collect(searcher, query, prunable, plan, want, budget)
            .map_err(|e| match e {
                Error::Engine(e) => budget.explain_failure(e),
                other => other,
            })?;
        let hits = hits
            .into_iter()
            .map(|(score, address, partial)| (score, Found::Local(address), partial))
            .collect();
        Ok((hits, total))
    }

    /// The top `want` documents for `query` with tweaked scores, and the match count;
    /// `prunable`: the terms of `query` when it is a plain union of them.
    #[allow(clippy::type_complexity)]
    fn collect(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        prunable: Option<&[Term]>,
        plan: &Plan,
        want: usize,
        budget: &Budget,
    ) -> Result<(Vec<(f32, DocAddress, bool)>, usize)> {
        if want == 0 {
            return Ok((
                Vec::new(),
                searcher.search(query, &Bounded::new(Count, budget))?,
            ));
        }
        if plan.order == Order::Relevance && self.uniform_weights(&plan.kind_weights) {
            // Every section present weighs the same: plain BM25 order, no per-document tweak.
            let top = TopDocs::with_limit(want).order_by_score();
            let (docs, count) = if let Some(terms) = prunable {
                // Asked for the best hits alone, tantivy skips the blocks of a union of
                // terms that cannot enter them (block-max WAND); the count then reads the
                // posting lists without scoring.
                let docs = searcher.search(query, &Bounded::new(top, budget))?;
                budget.check()?;
                (docs, union::count_union_of_terms(searcher, terms)?)
            } else {
                searcher.search(query, &Bounded::new((top, Count), budget))?
            };
            let docs = docs.into_iter().map(|(s, a)| (s, a, false)).collect();
            return Ok((docs, count));
        }
        let weights = plan.kind_weights;
        let order = plan.order;
        let top = TopDocs::with_limit(want).tweak_score(move |segment: &SegmentReader| {
            let fast = segment.fast_fields();
            let kind = fast
                .u64("kind_code")
                .ok()
                .map(|c| c.first_or_default_col(3));
            let ord = fast.u64("ord").ok().map(|c| c.first_or_default_col(0));
            let year = fast.i64("year").ok();
            move |doc, score: f32| {
                let k = kind.as_ref().map_or(3, |c| c.get_val(doc)).min(3) as usize;
                let o = ord.as_ref().map_or(0, |c| c.get_val(doc));
                let tweaked = f64::from(score * weights[k]);
                let by_year = match order {
                    Order::Relevance => 0.0,
                    Order::Newest => {
                        year.as_ref().and_then(|c| c.first(doc)).unwrap_or(0) as f64 * 1e4
                    }
                };
                by_year + tweaked - o as f64 * 1e-9
            }
        });
        let (docs, count) = searcher.search(query, &Bounded::new((top, Count), budget))?;
        let docs = docs
            .into_iter()
            .map(|(key, address)| (score_of(key, order) as f32, address, false))
            .collect();
        Ok((docs, count))
    }

    /// Whether every kind present in the index has the same weight in this plan.
    fn uniform_weights(&self, weights: &[f32; 4]) -> bool {
        let present: Vec<f32> = Kind::ALL
            .iter()
            .filter(|k| self.info.sections.get(k.as_str()).copied().unwrap_or(0) > 0)
            .map(|k| weights[crate::schema::kind_code(*k) as usize])
            .collect();
        present.windows(2).all(|w| w[0] == w[1])
    }

    fn section_at(&self, searcher: &Searcher, address: DocAddress) -> Result<Section> {
        let damaged = |message: String| Error::IndexUnusable {
            path: self.root.clone(),
            message,
        };
        let StoredText(stored) = searcher.doc(address)?;
        let stored = stored.ok_or_else(|| damaged("a document has no stored section".into()))?;
        crate::stored::decode(stored)
            .map_err(|e| damaged(format!("a stored section is damaged: {e}")))
    }

    /// A highlighter marking what `query` matches, for highlighting other fields than the body.
    pub fn highlighter(&self, query: &str) -> Highlighter {
        let parsed = query::parse(query);
        let searcher = self.reader.searcher();
        let plan = self.ranker.plan(&parsed, None, &searcher);
        Highlighter::new(plan.matchers)
    }

    /// Counts per kind, year and org over exactly the sections `request` matches, all
    /// its filters applied (the `facetDistribution` of the Meilisearch-compatible API;
    /// [`SearchResponse::facets`] counts before the kind and year filters instead).
    pub fn facet_distribution(&self, request: &SearchRequest) -> Result<Facets> {
        self.facet_distribution_within(request, &Budget::unlimited())
    }

    /// [`Engine::facet_distribution`] within `budget`.
    pub fn facet_distribution_within(
        &self,
        request: &SearchRequest,
        budget: &Budget,
    ) -> Result<Facets> {
        request.validate()?;
        budget.check()?;
        let searcher = self.reader.searcher();
        let (_, plan) = self.plan(request, &searcher);
        let want = request.offset + request.limit;
        if let Some(remote) = &self.remote {
            let (_, count) = remote.collect(&plan.conjunctive, &plan, 0, true)?;
            return match &plan.disjunctive {
                Some(disjunctive) if needs_partial_matches(count, want) => {
                    remote.facets(disjunctive, &plan)
                }
                _ => remote.facets(&plan.conjunctive, &plan),
            };
        }
        let local = LocalQueries::compile(&plan, &searcher, &self.absent);
        let failed = |e| budget.explain_failure(e);
        let (count, facets) = searcher
            .search(
                &*local.conjunctive,
                &Bounded::new((Count, FacetCounts), budget),
            )
            .map_err(failed)?;
        // Partial matches are counted exactly when `search` adds them.
        match &local.disjunctive {
            Some(disjunctive) if needs_partial_matches(count, want) => Ok(searcher
                .search(&**disjunctive, &Bounded::new(FacetCounts, budget))
                .map_err(failed)?),
            _ => Ok(facets),
        }
    }

    /// Every section of the index, in corpus order.
    pub fn all_sections(&self) -> Result<Vec<Section>> {
        let searcher = self.reader.searcher();
        let mut all: Vec<(u64, Section)> = Vec::new();
        for (segment_ord, segment) in searcher.segment_readers().iter().enumerate() {
            let ords = segment.fast_fields().u64("ord")?;
            for doc_id in 0..segment.max_doc() {
                if segment.is_deleted(doc_id) {
                    continue;
                }
                let address = DocAddress::new(segment_ord as u32, doc_id);
                let ord = ords.first(doc_id).unwrap_or(u64::MAX);
                all.push((ord, self.section_at(&searcher, address)?));
            }
        }
        all.sort_by_key(|(ord, _)| *ord);
        Ok(all.into_iter().map(|(_, section)| section).collect())
    }

    /// The whole section with this id.
    pub fn get(&self, id: &str) -> Result<Section> {
        if let Some(remote) = &self.remote {
            return remote
                .get(id)?
                .ok_or_else(|| Error::NotFound(id.to_string()));
        }
        let searcher = self.reader.searcher();
        let term = Term::from_field_text(self.fields.id, id);
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        match top.first() {
            Some((_, address)) => self.section_at(&searcher, *address),
            None => Err(Error::NotFound(id.to_string())),
        }
    }
}

/// Decompressed document-store blocks to keep per segment of `index` so that all of them
/// together fit in [`DOC_STORE_CACHE_BYTES`].
fn doc_store_cache_blocks(index: &tantivy::Index) -> usize {
    let segments = index
        .searchable_segment_ids()
        .map_or(1, |ids| ids.len().max(1));
    let block = index.settings().docstore_blocksize.max(1);
    (DOC_STORE_CACHE_BYTES / (block * segments)).clamp(16, 4096)
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

/// A plan's query trees compiled for the local index, its exclusions evaluated once.
struct LocalQueries {
    conjunctive: Box<dyn Query>,
    disjunctive: Option<Box<dyn Query>>,
    /// The terms of the conjunctive query when it is a plain union of them: tantivy can
    /// then skip the blocks that cannot reach the best hits, and count matches by term.
    conjunctive_terms: Option<Vec<Term>>,
    /// The same for the disjunctive query.
    disjunctive_terms: Option<Vec<Term>>,
    /// Fields left out of the queries (no document has a term in them).
    absent: Vec<Field>,
    /// Exclusions that could not be applied.
    notes: Vec<String>,
    /// The documents every query leaves out (exclusions evaluated once).
    exclusions: Vec<docids::DocIdsQuery>,
}

impl LocalQueries {
    /// The plan's queries for tantivy, without what they ask of `absent` fields.
    fn compile(plan: &Plan, searcher: &Searcher, absent: &[Field]) -> LocalQueries {
        let mut notes = Vec::new();
        let mut sets: Vec<docids::DocIdsQuery> = Vec::new();
        for excluded in &plan.excluded {
            let excluded = excluded.without_fields(absent);
            match docids::DocIdsQuery::matching(searcher, &*excluded.to_tantivy()) {
                Ok(set) => sets.push(set),
                Err(e) => notes.push(format!("could not apply an exclusion: {e}")),
            }
        }
        let conjunctive = plan.conjunctive.without_fields(absent);
        let disjunctive = plan.disjunctive.as_ref().map(|d| d.without_fields(absent));
        let compile = |node: &tree::Node| excluding(node.to_tantivy(), &sets);
        LocalQueries {
            conjunctive: compile(&conjunctive),
            disjunctive: disjunctive.as_ref().map(compile),
            conjunctive_terms: conjunctive.union_terms().filter(|_| sets.is_empty()),
            disjunctive_terms: disjunctive
                .as_ref()
                .and_then(tree::Node::union_terms)
                .filter(|_| sets.is_empty()),
            absent: absent.to_vec(),
            notes,
            exclusions: sets,
        }
    }

    /// Counts per kind, year and organization over what the plan's unfiltered query
    /// matches (compiled only when asked: most searches want no facets). When its matches
    /// are exactly those of some terms, they are counted from their posting lists.
    fn unfiltered_facets(
        &self,
        plan: &Plan,
        searcher: &Searcher,
        budget: &Budget,
    ) -> Result<Facets> {
        let unfiltered = plan.unfiltered.without_fields(&self.absent);
        let terms = unfiltered
            .matching_terms()
            .filter(|_| self.exclusions.is_empty());
        Ok(match terms {
            Some(terms) => facets::facets_of_union(searcher, &terms)?,
            None => searcher
                .search(
                    &*excluding(unfiltered.to_tantivy(), &self.exclusions),
                    &Bounded::new(FacetCounts, budget),
                )
                .map_err(|e| budget.explain_failure(e))?,
        })
    }

    /// `node` compiled for tantivy's explanations, with this plan's exclusions.
    fn explainable(&self, node: &tree::Node) -> Box<dyn Query> {
        excluding(
            node.without_fields(&self.absent).to_tantivy_explainable(),
            &self.exclusions,
        )
    }
}

/// `query` without the documents of `sets`.
fn excluding(query: Box<dyn Query>, sets: &[docids::DocIdsQuery]) -> Box<dyn Query> {
    if sets.is_empty() {
        return query;
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, query)];
    for set in sets {
        clauses.push((Occur::MustNot, Box::new(set.clone())));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// About how many bytes `section` takes in an answer.
fn section_bytes(section: &Section) -> usize {
    let names: usize = [&section.role, &section.person, &section.org, &section.venue]
        .iter()
        .filter_map(|v| v.as_ref().map(String::len))
        .sum();
    let lists: usize = section
        .symbols
        .iter()
        .chain(&section.acronyms)
        .chain(&section.path)
        .map(String::len)
        .sum();
    section.body.len() + section.title.len() + section.id.len() + names + lists + 200
}

/// Sections with only some of the words follow those with all of them when the latter
/// do not fill the page.
fn needs_partial_matches(complete_matches: usize, wanted: usize) -> bool {
    complete_matches < wanted || complete_matches == 0
}

/// Recovers the displayed score from the sort key.
fn score_of(key: f64, order: Order) -> f64 {
    match order {
        Order::Relevance => key,
        Order::Newest => key.rem_euclid(1e4),
    }
}
