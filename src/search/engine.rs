//! The engine: an open generation and the stages of a search, in order — the query
//! understood and expanded into a plan ([`super::plan`]), the plan run by an executor
//! ([`super::execute`]: the local index or Quickwit), the hits presented (snippets,
//! explanations, facets).

use super::budget::Budget;
use super::execute::local::{section_at, LocalExecutor};
use super::execute::remote::RemoteExecutor;
use super::execute::{needs_partial_matches, Executor, Found, Pass, Prepared};
use super::expand::Expander;
use super::plan::{Order, Plan, Planner};
use super::present::{Highlighter, Snippet, SNIPPET_CHARS};
use super::query::{self, ParsedQuery};
use super::request::{Hit, QueryExplanation, SearchRequest, SearchResponse, Stats};
use super::understand::neighbours::SearchedInstead;
use super::understand::{Understander, Understanding};
use crate::backend::Backend;
use crate::corpus::Section;
use crate::error::{Error, Result};
use crate::index::{self, BuildInfo};
use crate::schema::Fields;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tantivy::{DocAddress, Index, IndexReader, ReloadPolicy, Searcher};

/// Memory for decompressed document-store blocks, shared out among the segments: a
/// server answering many searches (a search box refetches the same hits at every
/// keystroke) fetches the same popular sections again and again.
const DOC_STORE_CACHE_BYTES: usize = 32 << 20;

/// An open index, ready to answer searches; cheap to share between threads.
pub struct Engine {
    index: Index,
    reader: IndexReader,
    understander: Understander,
    planner: Planner,
    info: BuildInfo,
    generation: String,
    size_bytes: u64,
    root: PathBuf,
    /// Where searches run: the local index or a Quickwit cluster.
    executor: Box<dyn Executor>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("root", &self.root)
            .field("generation", &self.generation)
            .finish()
    }
}

/// The hits of a search before presentation: score, where found, which pass found it.
type Ranked = Vec<(f32, Found, Pass)>;

/// A request as planned: the query as typed, as understood, what understanding found,
/// and the plan.
struct Planned {
    typed: ParsedQuery,
    understood: ParsedQuery,
    understanding: Understanding,
    plan: Plan,
    /// The neighbouring concepts `typed` holds in place of words no section mentions.
    instead: Vec<SearchedInstead>,
}

/// What a search found, before it is presented.
struct Retrieved {
    ranked: Ranked,
    total: usize,
    /// Whether partial matches were added.
    partial: bool,
    /// Words of the query no section mentions.
    unmatched: Vec<String>,
    /// Neighbouring concepts searched in place of unmatched words.
    instead: Vec<SearchedInstead>,
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
        let executor = executor_for(root, &opened, backend, &reader)?;
        let glossary = std::sync::Arc::new(opened.glossary);
        let engine = Engine {
            understander: Understander::new(std::sync::Arc::clone(&glossary)),
            planner: Planner::new(opened.fields, glossary),
            index: opened.index,
            reader,
            info: opened.info,
            generation: opened.generation,
            size_bytes: opened.size_bytes,
            root: root.to_path_buf(),
            executor,
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
        self.guarded(|| self.search_unguarded(request, budget))
    }

    /// Runs `work`; a panic inside tantivy (a damaged index can make it panic deep in
    /// a read) is reported as a damaged index, never as a crash of the program or server.
    fn guarded<T>(&self, work: impl FnOnce() -> Result<T>) -> Result<T> {
        let run = std::panic::AssertUnwindSafe(work);
        std::panic::catch_unwind(run).unwrap_or_else(|_| {
            Err(Error::IndexUnusable {
                path: self.root.clone(),
                message: "reading it failed unexpectedly (a file may be damaged)".into(),
            })
        })
    }

    /// Parses and plans a request, the one place a request becomes queries: the query as
    /// typed, and its plan (understood with the glossary, its words expanded against the
    /// generation's dictionary, planned into trees).
    fn plan(&self, request: &SearchRequest, searcher: &Searcher) -> Planned {
        let mut typed = query::parse(&request.query);
        typed.typing = request.typing;
        let (understood, understanding) = self.understander.understand(&typed);
        let plan = self.plan_understood(&understood, &understanding, request, searcher);
        Planned {
            typed,
            understood,
            understanding,
            plan,
            instead: Vec::new(),
        }
    }

    /// The plan of an understood query.
    fn plan_understood(
        &self,
        understood: &ParsedQuery,
        understanding: &Understanding,
        request: &SearchRequest,
        searcher: &Searcher,
    ) -> Plan {
        let expander = Expander::new(searcher, self.planner.fields(), request.typing);
        let unmatchable = self.executor.unmatchable(searcher);
        let mut plan = self.planner.plan(
            understood,
            understanding,
            request.filter.as_ref(),
            request.sort,
            &expander,
            &*unmatchable,
        );
        plan.count_facets = request.facets;
        plan
    }

    /// When no section matches every word and some words match nothing at all: the
    /// sections that match every other word, ranked as a search without those words
    /// ("Singhateh 2022 thematic report" as "Singhateh 2022 report"), all marked partial
    /// — they do not answer the whole query, and `unmatched` says which words found
    /// nothing. `None` when that leaves no word.
    fn without_unmatched_words(
        &self,
        planned: &Planned,
        request: &SearchRequest,
        searcher: &Searcher,
        unmatched: &[String],
        want: usize,
        budget: &Budget,
    ) -> Result<Option<(Ranked, usize)>> {
        let mut understood = planned.understood.clone();
        let understanding = &planned.understanding;
        let before = understood.groups.len();
        understood.groups.retain(|g| {
            let text = g
                .clauses
                .iter()
                .find(|c| !c.expansion)
                .or(g.clauses.first());
            !text.is_some_and(|c| unmatched.contains(&c.text))
        });
        let left = understood.groups.iter().filter(|g| !g.negated).count();
        if understood.groups.len() == before || left == 0 {
            return Ok(None);
        }
        let plan = self.plan_understood(&understood, understanding, request, searcher);
        if plan.required_words.is_empty() {
            return Ok(None);
        }
        let run = self.executor.prepare(&plan, searcher);
        let (mut ranked, total, _, _) = ranked_hits(&*run, &plan, want, budget)?;
        for hit in &mut ranked {
            hit.2 = Pass::Partial;
        }
        Ok(Some((ranked, total)))
    }

    fn search_unguarded(&self, request: &SearchRequest, budget: &Budget) -> Result<SearchResponse> {
        let started = Instant::now();
        let searcher = self.reader.searcher();
        let planned = self.plan(request, &searcher);
        budget.check()?;
        let run = self.executor.prepare(&planned.plan, &searcher);
        let found = self.found(&planned, &*run, request, &searcher, budget)?;
        if let Some(neighbour) = self.neighbour_of(&planned, &found, request, &searcher) {
            let run = self.executor.prepare(&neighbour.plan, &searcher);
            let near = self.found(&neighbour, &*run, request, &searcher, budget)?;
            if let Some(answer) = neighbour_answer(&found, near, &neighbour.instead) {
                return self.respond(&neighbour, &*run, answer, request, started, budget);
            }
        }
        self.respond(&planned, &*run, found, request, started, budget)
    }

    /// The ranked hits of a planned search: the sections matching every word, else, when
    /// some words match nothing, the sections matching the rest of them (and which words
    /// found nothing).
    fn found(
        &self,
        planned: &Planned,
        run: &dyn Prepared,
        request: &SearchRequest,
        searcher: &Searcher,
        budget: &Budget,
    ) -> Result<Retrieved> {
        let plan = &planned.plan;
        let want = request.offset + request.limit;
        let (mut ranked, mut total, partial, complete) = ranked_hits(run, plan, want, budget)?;
        let unmatched = if complete == 0 {
            unmatched_words(run, plan, budget)?
        } else {
            Vec::new()
        };
        if !unmatched.is_empty() {
            if let Some((rest, matched)) =
                self.without_unmatched_words(planned, request, searcher, &unmatched, want, budget)?
            {
                ranked = rest;
                total = matched;
            }
        }
        Ok(Retrieved {
            ranked,
            total,
            partial,
            unmatched,
            instead: Vec::new(),
        })
    }

    /// The query planned with the neighbouring concepts the glossary knows for the words
    /// no section mentions in its place; `None` when it knows none.
    fn neighbour_of(
        &self,
        planned: &Planned,
        found: &Retrieved,
        request: &SearchRequest,
        searcher: &Searcher,
    ) -> Option<Planned> {
        if found.unmatched.is_empty() {
            return None;
        }
        let (typed, instead) = self
            .understander
            .searched_instead(&planned.typed, &found.unmatched)?;
        let (understood, mut understanding) = self.understander.understand(&typed);
        for told in &instead {
            understanding.notes.push(searched_instead_note(told));
        }
        let plan = self.plan_understood(&understood, &understanding, request, searcher);
        Some(Planned {
            typed,
            understood,
            understanding,
            plan,
            instead,
        })
    }

    /// Answers `request` with what `run` found for `planned`.
    fn respond(
        &self,
        planned: &Planned,
        run: &dyn Prepared,
        found: Retrieved,
        request: &SearchRequest,
        started: Instant,
        budget: &Budget,
    ) -> Result<SearchResponse> {
        let plan = &planned.plan;
        let want = request.offset + request.limit;
        let Retrieved {
            mut ranked,
            total,
            partial,
            unmatched,
            instead,
        } = found;
        let matched = partial_by_words_matched(run, plan, &mut ranked, want, budget)?;
        if plan.bodies_first {
            bodies_before_their_publications(run, &mut ranked, want, budget)?;
        }
        let highlighter = std::sync::Arc::new(Highlighter::new(plan.matchers.clone()));
        if plan.publications_first {
            publications_before_their_holder(run, &highlighter, &mut ranked, want, budget)?;
        }
        let words = plan.required_words.len();
        let hits = self.present(
            run,
            &highlighter,
            ranked,
            (&matched, words),
            request,
            budget,
        )?;
        let facets = if request.facets {
            budget.check()?;
            Some(run.unfiltered_facets(budget)?)
        } else {
            None
        };
        let result_facets = if request.result_facets {
            budget.check()?;
            Some(run.result_facets(want, budget)?)
        } else {
            None
        };
        let explain = request
            .explain
            .then(|| self.explanation(&planned.typed, plan, run, partial));
        Ok(SearchResponse {
            query: request.query.clone(),
            total_hits: total,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            offset: request.offset,
            limit: request.limit,
            hits,
            unmatched,
            searched_instead: instead,
            facets,
            explain,
            result_facets,
            highlighter,
        })
    }

    /// The page of hits `request` asks for: sections fetched, snippets highlighted,
    /// explanations when asked, within `budget`.
    fn present(
        &self,
        run: &dyn Prepared,
        highlighter: &Highlighter,
        ranked: Ranked,
        (matched, words): (&HashMap<(u64, u64), usize>, usize),
        request: &SearchRequest,
        budget: &Budget,
    ) -> Result<Vec<Hit>> {
        let mut hits = Vec::new();
        for (i, (score, found, pass)) in ranked
            .into_iter()
            .enumerate()
            .skip(request.offset)
            .take(request.limit)
        {
            budget.check()?;
            let explanation = if request.explain {
                run.explain(&found, pass)
            } else {
                None
            };
            let key = match matched.get(&found.key()) {
                Some(&m) if pass == Pass::Partial => partial_key(score, m, words),
                _ => ranking_key(score, pass),
            };
            let section = run.section(found)?;
            let snippet = if request.snippets {
                Snippet::of(highlighter, &section.body, SNIPPET_CHARS)
            } else {
                Snippet::none()
            };
            budget.spend_answer_bytes(section_bytes(&section) + snippet.len())?;
            hits.push(Hit {
                rank: i + 1,
                score: key,
                relevance: score,
                partial: pass == Pass::Partial,
                url: crate::search::present::links::resolver_url(&section),
                source_url: crate::search::present::links::source_url(&section),
                section,
                snippet,
                explanation,
            });
        }
        Ok(hits)
    }

    /// How the query was understood, for `explain`.
    fn explanation(
        &self,
        parsed: &ParsedQuery,
        plan: &Plan,
        run: &dyn Prepared,
        partial: bool,
    ) -> QueryExplanation {
        QueryExplanation {
            terms: parsed.groups.iter().map(query::describe_group).collect(),
            notes: plan
                .notes
                .iter()
                .cloned()
                .chain(run.notes())
                .chain(self.executor.describe())
                .chain(parsed.ignored.iter().map(|i| format!("ignored {i}")))
                .collect(),
            order: match plan.order {
                Order::Relevance => "relevance".into(),
                Order::Newest => "newest first".into(),
                Order::Oldest => "oldest first".into(),
            },
            partial_matches: partial,
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
                all.push((ord, section_at(&self.root, &searcher, address)?));
            }
        }
        all.sort_by_key(|(ord, _)| *ord);
        Ok(all.into_iter().map(|(_, section)| section).collect())
    }

    /// The whole section with this id.
    pub fn get(&self, id: &str) -> Result<Section> {
        let searcher = self.reader.searcher();
        self.executor
            .get(&searcher, id)?
            .ok_or_else(|| Error::NotFound(id.to_string()))
    }

    /// The searcher of the open generation (its dictionary drives expansions).
    pub(crate) fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// The schema's field handles.
    pub(crate) fn fields(&self) -> &Fields {
        self.planner.fields()
    }
}

/// The executor for an opened generation: the backend chosen, else the one it records.
fn executor_for(
    root: &Path,
    opened: &index::Opened,
    backend: Option<&Backend>,
    reader: &IndexReader,
) -> Result<Box<dyn Executor>> {
    let recorded: Option<Backend> = match &opened.info.backend {
        Some(text) => Some(text.parse()?),
        None => None,
    };
    Ok(match backend.or(recorded.as_ref()) {
        Some(Backend::Quickwit(target)) => Box::new(RemoteExecutor::connect(
            target,
            &opened.generation,
            opened.index.schema(),
            &opened.info,
        )?),
        _ => Box::new(LocalExecutor::new(
            root,
            opened.fields,
            &opened.info,
            &reader.searcher(),
        )),
    })
}

/// The hits of both passes in order (every word; then, when those do not fill the page,
/// any word), the total, and whether some hits match only some words.
/// Engine scores at which a hit is halfway up its band of [`ranking_key`].
const KEY_HALF_SCORE: f32 = 10.0;

/// An engine score in [0, 1), in the same order.
fn squashed(score: f32) -> f32 {
    let score = score.max(0.0);
    score / (score + KEY_HALF_SCORE)
}

/// The score shown: the ranking key, in [0, 1). Sections that match every required word
/// come first and score in [0.5, 1), those that match only some in [0, 0.5); within
/// each band the engine's score, squashed, orders them. So the score falls down the
/// list as the ranks do (in relevance order), and reads like Meilisearch's
/// `_rankingScore`.
pub(crate) fn ranking_key(score: f32, pass: Pass) -> f32 {
    let within = squashed(score);
    match pass {
        Pass::Complete => 0.5 + 0.5 * within,
        Pass::Partial => 0.5 * within,
    }
}

/// The ranking key of a partial match of `matched` of the query's `words` required
/// words: in [0, 0.5), more words first, then the engine's score.
fn partial_key(score: f32, matched: usize, words: usize) -> f32 {
    let within = squashed(score);
    let words = words.max(matched + 1) as f32;
    0.5 * (matched as f32 + within) / words
}

/// Partial matches (within the first `want` hits) ordered by how many of the required
/// words each matches, then by score, as Meilisearch's words rule orders them: a section
/// matching four of five words before one matching a single word strongly. Returns the
/// count per hit; empty when there is nothing to order or the backend cannot tell.
fn partial_by_words_matched(
    run: &dyn Prepared,
    plan: &Plan,
    ranked: &mut Ranked,
    want: usize,
    budget: &Budget,
) -> Result<HashMap<(u64, u64), usize>> {
    let mut counts = HashMap::new();
    let first = ranked
        .iter()
        .position(|(_, _, pass)| *pass == Pass::Partial);
    let by_relevance = plan.order == Order::Relevance;
    let Some(first) = first.filter(|_| by_relevance && plan.required_words.len() > 1) else {
        return Ok(counts);
    };
    let end = ranked.len().min(want.max(first + 1));
    let found: Vec<Found> = ranked[first..end]
        .iter()
        .map(|(_, f, _)| f.clone())
        .collect();
    let mut matched = vec![0usize; found.len()];
    for (_, node) in &plan.required_words {
        let Some(each) = run.matching(node, &found, budget)? else {
            return Ok(counts);
        };
        for (m, hit) in matched.iter_mut().zip(each) {
            *m += usize::from(hit);
        }
    }
    let mut tail: Vec<((f32, Found, Pass), usize)> =
        ranked.drain(first..end).zip(matched).collect();
    tail.sort_by(|a, b| b.1.cmp(&a.1).then(b.0 .0.total_cmp(&a.0 .0)));
    for (hit, m) in tail.into_iter().rev() {
        counts.insert(hit.1.key(), m);
        ranked.insert(first, hit);
    }
    Ok(counts)
}

/// Hits looked at when moving organizations before their publications.
const BODIES_WINDOW: usize = 50;

/// For a question asking for a body: an organization found below one of its own
/// publications moves up to just before it, with its score (the publication matched
/// the question's words on the organization's behalf).
fn bodies_before_their_publications(
    run: &dyn Prepared,
    ranked: &mut Ranked,
    want: usize,
    budget: &Budget,
) -> Result<()> {
    let window = ranked.len().min(want.max(BODIES_WINDOW));
    let mut sections = Vec::with_capacity(window);
    for (_, found, _) in ranked.iter().take(window) {
        budget.check()?;
        let section = run.section(found.clone())?;
        sections.push((section.kind, section.org));
    }
    let mut i = 0;
    while i < sections.len() {
        let (kind, org) = &sections[i];
        let publication = *kind != crate::corpus::Kind::Organization;
        let body = org.as_ref().filter(|_| publication).and_then(|org| {
            (i + 1..sections.len()).find(|&j| {
                sections[j].0 == crate::corpus::Kind::Organization
                    && sections[j].1.as_ref() == Some(org)
            })
        });
        if let Some(j) = body {
            let score = ranked[i].0;
            let mut moved = ranked.remove(j);
            moved.0 = score;
            ranked.insert(i, moved);
            let entry = sections.remove(j);
            sections.insert(i, entry);
        }
        i += 1;
    }
    Ok(())
}

/// How close a report's score must come to its mandate's for the report to go first.
const NEAR_ITS_HOLDER: f32 = 0.6;

/// A mandate's section lists its holder's reports, so a query on one report's topic
/// ("impact of COVID-19 on child sexual exploitation") matches the mandate as well as the
/// report, and often a little better. When a report of the mandate ranked below it scores
/// nearly as well (same pass, at least [`NEAR_ITS_HOLDER`] of its score) and its title
/// or its own symbol holds a word of the query that the mandate's title and post do not
/// ("A/HRC/49/58 children armed conflict"), the query names the report: it moves just before the mandate, with the mandate's score. A query whose
/// words all name the post ("vente et exploitation sexuelle d'enfants rapporteuse")
/// keeps the mandate first.
fn publications_before_their_holder(
    run: &dyn Prepared,
    highlighter: &Highlighter,
    ranked: &mut Ranked,
    want: usize,
    budget: &Budget,
) -> Result<()> {
    use crate::corpus::Kind;
    // The page asked for: its sections are fetched next to be shown (the store's cache
    // then answers), and a report further down is not worth the reads.
    let window = ranked.len().min(want);
    let mut sections = Vec::with_capacity(window);
    for (_, found, _) in ranked.iter().take(window) {
        budget.check()?;
        sections.push(run.section(found.clone())?);
    }
    let matched_in = |texts: &[&str]| -> HashSet<usize> {
        texts
            .iter()
            .flat_map(|t| highlighter.spans(t))
            .map(|span| span.matcher)
            .collect()
    };
    let mut i = 0;
    while i < sections.len() {
        let holder = &sections[i];
        if holder.kind != Kind::Mandate || holder.role.is_none() {
            i += 1;
            continue;
        }
        let post = matched_in(&[&holder.title, holder.role.as_deref().unwrap_or_default()]);
        let named = (i + 1..sections.len()).find(|&j| {
            let report = &sections[j];
            report.kind == Kind::Report
                && report.role == holder.role
                && report.person == holder.person
                && ranked[j].2 == ranked[i].2
                && ranked[j].0 >= NEAR_ITS_HOLDER * ranked[i].0
                && matched_in(&[&report.title, &report.symbols.join(" ")])
                    .iter()
                    .any(|m| !post.contains(m))
        });
        if let Some(j) = named {
            let score = ranked[i].0;
            let mut moved = ranked.remove(j);
            moved.0 = score;
            ranked.insert(i, moved);
            let entry = sections.remove(j);
            sections.insert(i, entry);
            i += 1;
        }
        i += 1;
    }
    Ok(())
}

/// What the query with neighbouring concepts in place of its unmatched words
/// (`neighbour`) found, when it found something and every word it left unmatched was
/// already unmatched in the query asked: all partial, for the hits answer a concept next
/// to the one asked for. `None` otherwise (the query's own partial matches then stand).
fn neighbour_answer(
    asked: &Retrieved,
    mut neighbour: Retrieved,
    instead: &[SearchedInstead],
) -> Option<Retrieved> {
    let already_unmatched = neighbour
        .unmatched
        .iter()
        .all(|w| asked.unmatched.contains(w));
    if neighbour.ranked.is_empty() || !already_unmatched {
        return None;
    }
    for hit in &mut neighbour.ranked {
        hit.2 = Pass::Partial;
    }
    neighbour.partial = true;
    neighbour.unmatched = asked.unmatched.clone();
    neighbour.instead = instead.to_vec();
    Some(neighbour)
}

/// What `--explain` says of a neighbouring concept searched instead.
fn searched_instead_note(told: &SearchedInstead) -> String {
    let why = if told.note.is_empty() {
        String::new()
    } else {
        format!(" ({})", told.note)
    };
    format!(
        "neighbour: no section mentions `{}`: searched `{}` instead{why}",
        told.words, told.instead
    )
}

/// The required words no section matches (asked when no section matches them all: the
/// results then match only some of the query, and the user is told which part found
/// nothing).
fn unmatched_words(run: &dyn Prepared, plan: &Plan, budget: &Budget) -> Result<Vec<String>> {
    let mut unmatched = Vec::new();
    for (text, node) in &plan.required_words {
        if run.count(node, budget)? == 0 {
            unmatched.push(text.clone());
        }
    }
    Ok(unmatched)
}

/// The ranked hits (complete matches, then partial ones when too few), the number of
/// sections matched, whether partial matches were added, and how many sections match
/// every required word.
fn ranked_hits(
    run: &dyn Prepared,
    plan: &Plan,
    want: usize,
    budget: &Budget,
) -> Result<(Ranked, usize, bool, usize)> {
    let (complete, total) = run.pass(Pass::Complete, want, budget)?;
    let mut ranked: Ranked = complete
        .into_iter()
        .map(|(score, found)| (score, found, Pass::Complete))
        .collect();
    if plan.disjunctive.is_none() || !needs_partial_matches(total, want) {
        return Ok((ranked, total, false, total));
    }
    budget.check()?;
    let (more, all) = run.pass(Pass::Partial, want + total, budget)?;
    let seen: HashSet<(u64, u64)> = ranked.iter().map(|(_, f, _)| f.key()).collect();
    ranked.extend(
        more.into_iter()
            .filter(|(_, f)| !seen.contains(&f.key()))
            .map(|(score, found)| (score, found, Pass::Partial)),
    );
    Ok((ranked, all, all > total, total))
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
