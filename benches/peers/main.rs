//! Peer comparison (issue 5): tipdex, SQLite FTS5 and a raw-tantivy floor on the same
//! corpus and the same queries, side by side in one run.
//!
//! ```sh
//! cargo bench --bench peers                                             # built-in corpus
//! TIPDEX_BENCH_CORPUS=/path/to/100k.jsonl cargo bench --bench peers     # a JSONL corpus
//! ```
//!
//! - **tipdex**: [`tipdex::index::build`], then [`tipdex::Engine::search`] with a
//!   default [`SearchRequest`]: the search-box path (query language, ranking, top 10,
//!   stored sections, highlighted snippets).
//! - **fts5**: rusqlite with its bundled SQLite. `fts5(title, role, body,
//!   tokenize='porter unicode61')` plus a plain `meta(id, symbol)` table with a B-tree
//!   index on `symbol`; every document inserted in one transaction, then FTS5's
//!   `optimize`. Text queries: `MATCH` ordered by `bm25` with `snippet()`, `LIMIT 10`;
//!   symbols: the column index, joined back to fetch title and body.
//! - **tantivy_floor**: plain tantivy: title and body `TEXT` (default tokenizer), symbol
//!   `STRING`, title stored; `QueryParser` over title and body with conjunction by
//!   default (a `TermQuery` for symbols); `TopDocs::with_limit(10).order_by_score()`;
//!   the stored title of each hit is fetched; no snippets.
//!
//! Each engine's index is built in a child process (this executable, run again with
//! `TIPDEX_PEERS_CHILD_BUILD`), so that its build time and peak memory are its own; the
//! last build of each engine is the one queried.
//!
//! Criterion groups: `index/<engine>` (in-process builds; only for corpora up to 20,000
//! sections unless `TIPDEX_BENCH_CRITERION_INDEX=1`) and `query/<class>/<engine>`, where
//! one iteration runs the whole query list of the class (throughput = queries/s).
//! After them a summary pass times every query individually (warm-up pass, then whole
//! passes over the class list), prints per-class p50/p99/QPS per engine, the ratios of
//! issue 5 and zero-hit counts, and writes the same figures to
//! `target/peers-<corpus>.json`.
//!
//! Environment:
//! - `TIPDEX_BENCH_CORPUS`: JSONL corpus (`{"id","title","role","symbol","body"}` lines);
//!   default: the shipped `corpus/` plus 2,000 generated sections (`builtin`).
//! - `TIPDEX_BENCH_QUERIES`: `class<TAB>query` lines; default
//!   `../shared/bench/queries.txt` beside the checkout, else a built-in list.
//! - `TIPDEX_BENCH_BUILD_RUNS` (default 3): builds per engine (child processes).
//! - `TIPDEX_BENCH_SUMMARY_SECS` (default 2): time budget of the summary per engine and
//!   class (at least 3, at most 50 passes).
//! - `TIPDEX_BENCH_CRITERION=0`: skip the criterion groups; `TIPDEX_BENCH_SUMMARY=0`:
//!   skip the summary.

mod corpus;
mod engines;
mod report;

pub(crate) use corpus::*;
use criterion::{BatchSize, Criterion, SamplingMode, Throughput};
pub(crate) use engines::*;
pub(crate) use report::*;
use rusqlite::{Connection, OpenFlags};
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, HashSet};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tantivy::collector::TopDocs;
use tantivy::query::{Query, QueryParser, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, Value, STORED, STRING, TEXT};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};
use tipdex::{Kind, SearchRequest, Section};

pub(crate) const ENGINES: [&str; 3] = ["tipdex", "fts5", "tantivy_floor"];
pub(crate) const CLASSES: [Class; 4] = [Class::Term, Class::And, Class::Phrase, Class::Symbol];
pub(crate) const LIMIT: usize = 10;
/// Sections generated for the built-in corpus, besides the shipped ones.
pub(crate) const GENERATED: usize = 2_000;
/// Above this many sections, criterion's in-process index groups are skipped by default.
pub(crate) const CRITERION_INDEX_MAX: usize = 20_000;
/// Environment variable naming the engine a child process builds.
pub(crate) const CHILD_BUILD: &str = "TIPDEX_PEERS_CHILD_BUILD";
/// Environment variable naming where the child builds.
pub(crate) const CHILD_OUT: &str = "TIPDEX_PEERS_CHILD_OUT";
/// Prefix of the child's one result line on stdout.
pub(crate) const CHILD_MARK: &str = "PEERS_BUILD ";

// ---------------------------------------------------------------------------------
// Criterion groups

pub(crate) fn criterion_index(c: &mut Criterion, sections: &[Section], scratch: &Path) {
    let force = env_flag("TIPDEX_BENCH_CRITERION_INDEX", false);
    if sections.len() > CRITERION_INDEX_MAX && !force {
        eprintln!(
            "peers: criterion index/* skipped for {} sections (> {CRITERION_INDEX_MAX}; \
             set TIPDEX_BENCH_CRITERION_INDEX=1); build times come from the summary's child runs",
            sections.len()
        );
        return;
    }
    let mut group = c.benchmark_group("index");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(sections.len() as u64));
    for engine in ENGINES {
        let out = scratch.join(format!("criterion-{engine}"));
        group.bench_function(engine, |b| {
            b.iter_batched(
                || remove(&out),
                |()| build(engine, sections, &out),
                BatchSize::PerIteration,
            )
        });
        remove(&out);
    }
    group.finish();
}

pub(crate) fn criterion_queries(
    c: &mut Criterion,
    engines: &Engines,
    queries: &[BenchQuery],
    large: bool,
) {
    for class in CLASSES {
        let list: Vec<&BenchQuery> = queries.iter().filter(|q| q.class == class).collect();
        if list.is_empty() {
            continue;
        }
        let mut group = c.benchmark_group(format!("query/{}", class.name()));
        group
            .sample_size(if large { 10 } else { 20 })
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(if large { 4 } else { 3 }))
            .throughput(Throughput::Elements(list.len() as u64));
        for engine in ENGINES {
            group.bench_function(engine, |b| {
                b.iter(|| {
                    for q in &list {
                        black_box(engines.search(engine, q));
                    }
                })
            });
        }
        group.finish();
    }
}

fn main() {
    if let Some(engine) = std::env::var_os(CHILD_BUILD) {
        let out = std::env::var_os(CHILD_OUT).expect("TIPDEX_PEERS_CHILD_OUT");
        child_build(&engine.to_string_lossy(), Path::new(&out));
        return;
    }
    let corpus = load_corpus();
    let (queries, queries_origin) = load_queries();
    let corpus_bytes: u64 = corpus
        .sections
        .iter()
        .map(|s| (s.title.len() + s.body.len() + s.role.as_ref().map_or(0, |r| r.len())) as u64)
        .sum();
    let large = corpus.sections.len() > CRITERION_INDEX_MAX;
    eprintln!(
        "peers: corpus {} ({}, {} sections), {} queries from {queries_origin}",
        corpus.name,
        corpus.origin,
        corpus.sections.len(),
        queries.len()
    );
    let scratch = tempfile::Builder::new()
        .prefix("tipdex-peers-")
        .tempdir()
        .expect("scratch dir");
    let runs = env_number("TIPDEX_BENCH_BUILD_RUNS", 3.0).max(1.0) as usize;
    let mut builds = BTreeMap::new();
    let out_of = |engine: &str| match engine {
        "fts5" => scratch.path().join("fts5.db"),
        other => scratch.path().join(other),
    };
    // Engines take turns run by run, so that load from elsewhere falls on all alike.
    for run in 1..=runs {
        for engine in ENGINES {
            let r = build_in_child(engine, &out_of(engine));
            eprintln!(
                "peers: build {engine} run {run}/{runs}: {:.0} ms",
                r["build_ms"].as_f64().unwrap_or(f64::NAN)
            );
            builds
                .entry(engine)
                .or_insert_with(BuildFigures::new)
                .add(&r);
        }
    }
    let engines = Engines {
        tipdex: tipdex::Engine::open(&out_of("tipdex")).expect("open tipdex"),
        fts5: open_fts5(&out_of("fts5")),
        floor: Floor::open(&out_of("tantivy_floor")),
    };

    if env_flag("TIPDEX_BENCH_CRITERION", true) {
        let mut c = Criterion::default().configure_from_args();
        criterion_queries(&mut c, &engines, &queries, large);
        criterion_index(&mut c, &corpus.sections, scratch.path());
        c.final_summary();
    }
    if env_flag("TIPDEX_BENCH_SUMMARY", true) {
        let budget = env_number("TIPDEX_BENCH_SUMMARY_SECS", 2.0);
        summary(
            &corpus,
            corpus_bytes,
            &queries_origin,
            &queries,
            &builds,
            &engines,
            budget,
        );
    }
}
