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

use criterion::{BatchSize, Criterion, SamplingMode, Throughput};
use rusqlite::{Connection, OpenFlags};
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, HashSet};
use std::hint::black_box;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tantivy::collector::TopDocs;
use tantivy::query::{Query, QueryParser, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, Value, STORED, STRING, TEXT};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};
use tipdex::{Kind, SearchRequest, Section};

const ENGINES: [&str; 3] = ["tipdex", "fts5", "tantivy_floor"];
const CLASSES: [Class; 4] = [Class::Term, Class::And, Class::Phrase, Class::Symbol];
const LIMIT: usize = 10;
/// Sections generated for the built-in corpus, besides the shipped ones.
const GENERATED: usize = 2_000;
/// Above this many sections, criterion's in-process index groups are skipped by default.
const CRITERION_INDEX_MAX: usize = 20_000;
/// Environment variable naming the engine a child process builds.
const CHILD_BUILD: &str = "TIPDEX_PEERS_CHILD_BUILD";
/// Environment variable naming where the child builds.
const CHILD_OUT: &str = "TIPDEX_PEERS_CHILD_OUT";
/// Prefix of the child's one result line on stdout.
const CHILD_MARK: &str = "PEERS_BUILD ";

const FTS5_TEXT_SQL: &str = "SELECT rowid, title, snippet(docs, 2, '<mark>', '</mark>', '…', 16) \
     FROM docs WHERE docs MATCH ?1 ORDER BY bm25(docs) LIMIT 10";
const FTS5_SYMBOL_SQL: &str = "SELECT m.id, d.title, d.body FROM meta m \
     JOIN docs d ON d.rowid = m.id WHERE m.symbol = ?1 LIMIT 10";

/// Query classes of `queries.txt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Term,
    And,
    Phrase,
    Symbol,
}

impl Class {
    fn parse(s: &str) -> Option<Class> {
        match s {
            "term" => Some(Class::Term),
            "and" => Some(Class::And),
            "phrase" => Some(Class::Phrase),
            "symbol" => Some(Class::Symbol),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Class::Term => "term",
            Class::And => "and",
            Class::Phrase => "phrase",
            Class::Symbol => "symbol",
        }
    }
}

/// One query of the set, written once per engine.
struct BenchQuery {
    class: Class,
    /// The words (a phrase without its quotes) or the symbol.
    text: String,
    /// What a user types into tipdex's search box.
    tipdex: SearchRequest,
    /// FTS5 `MATCH` expression (text classes).
    fts5: String,
    /// tantivy `QueryParser` input (text classes).
    floor: String,
}

impl BenchQuery {
    fn new(class: Class, raw: &str) -> BenchQuery {
        let text = raw.trim().trim_matches('"').trim().to_string();
        let words: Vec<String> = text
            .split_whitespace()
            .map(|w| w.replace('"', ""))
            .filter(|w| !w.is_empty())
            .collect();
        let quoted = |w: &str| format!("\"{w}\"");
        let (tipdex, fts5, floor) = match class {
            Class::Term | Class::And => (
                words.join(" "),
                words
                    .iter()
                    .map(|w| quoted(w))
                    .collect::<Vec<_>>()
                    .join(" "),
                words
                    .iter()
                    .map(|w| quoted(w))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Class::Phrase => (
                quoted(&words.join(" ")),
                quoted(&words.join(" ")),
                quoted(&words.join(" ")),
            ),
            Class::Symbol => (text.clone(), String::new(), String::new()),
        };
        BenchQuery {
            class,
            text,
            tipdex: SearchRequest::new(tipdex),
            fts5,
            floor,
        }
    }
}

/// Queries used when no query file is found (they match the built-in corpus).
const FALLBACK_QUERIES: &str = "term\ttrafficking
term\trapporteur
term\tchildren
term\tvictims
term\tcouncil
term\tlabour
and\ttrafficking children
and\tspecial rapporteur
and\tvictims protection
and\thuman rights
phrase\thuman trafficking
phrase\tspecial rapporteur
phrase\tsecurity council
phrase\tunited nations
symbol\tA/HRC/47/34
symbol\tA/HRC/49/51
symbol\tA/76/263
symbol\tA/75/166
";

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn env_flag(name: &str, default: bool) -> bool {
    match std::env::var(name) {
        Ok(v) => !matches!(v.trim(), "0" | "false" | "no" | ""),
        Err(_) => default,
    }
}

fn env_number(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// The query set and where it came from.
fn load_queries() -> (Vec<BenchQuery>, String) {
    let path = std::env::var_os("TIPDEX_BENCH_QUERIES")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("../shared/bench/queries.txt"));
    let (text, origin) = match std::fs::read_to_string(&path) {
        Ok(t) => (t, path.display().to_string()),
        Err(e) => {
            if std::env::var_os("TIPDEX_BENCH_QUERIES").is_some() {
                panic!("cannot read TIPDEX_BENCH_QUERIES {}: {e}", path.display());
            }
            (FALLBACK_QUERIES.to_string(), "built-in".to_string())
        }
    };
    let mut queries = Vec::new();
    let mut ignored = 0;
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        match line
            .split_once('\t')
            .and_then(|(c, q)| Some((Class::parse(c.trim())?, q)))
        {
            Some((class, q)) if !q.trim().is_empty() => queries.push(BenchQuery::new(class, q)),
            _ => ignored += 1,
        }
    }
    if ignored > 0 {
        eprintln!("peers: ignored {ignored} query lines of an unknown class");
    }
    assert!(!queries.is_empty(), "no queries in {origin}");
    (queries, origin)
}

/// The corpus: its name (for the JSON file), where it came from, and its sections.
struct Corpus {
    name: String,
    origin: String,
    sections: Vec<Section>,
}

fn load_corpus() -> Corpus {
    match std::env::var_os("TIPDEX_BENCH_CORPUS") {
        Some(path) => {
            let path = PathBuf::from(path);
            let name = path
                .file_stem()
                .map_or("corpus".into(), |s| s.to_string_lossy().into_owned());
            Corpus {
                name,
                origin: path.display().to_string(),
                sections: read_jsonl(&path),
            }
        }
        None => Corpus {
            name: "builtin".into(),
            origin: format!("corpus/ + {GENERATED} generated sections"),
            sections: builtin_corpus(),
        },
    }
}

/// Reads a JSONL corpus line by line (the whole text is never held in memory, so a
/// child's peak memory is the sections plus what its engine uses).
fn read_jsonl(path: &Path) -> Vec<Section> {
    let file = std::fs::File::open(path)
        .unwrap_or_else(|e| panic!("cannot open corpus {}: {e}", path.display()));
    let rel = path
        .file_name()
        .map_or("corpus.jsonl".into(), |n| n.to_string_lossy().into_owned());
    let rel = if rel.ends_with(".jsonl") {
        rel
    } else {
        format!("{rel}.jsonl")
    };
    let mut sections = Vec::new();
    let mut seen = HashSet::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1));
        if line.trim().is_empty() {
            continue;
        }
        let (parsed, _) = tipdex::corpus::parse_file(&rel, &line)
            .expect("a .jsonl name")
            .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1));
        for mut s in parsed {
            s.source.lines = [i + 1, i + 1];
            if s.id.is_empty() || !seen.insert(s.id.clone()) {
                s.id = format!("line-{}", i + 1);
            }
            sections.push(s);
        }
    }
    assert!(!sections.is_empty(), "{} has no sections", path.display());
    sections
}

/// The tests' seeded generator: the built-in corpus never changes.
#[path = "../tests/it/harness/rng.rs"]
mod rng;
use rng::Rng;

/// The shipped corpus plus [`GENERATED`] sections written from its words, the query
/// set's words and phrases, and its symbols, so that most queries have hits.
fn builtin_corpus() -> Vec<Section> {
    let mut sections = tipdex::corpus::load(&manifest_dir().join("corpus"))
        .map(|c| c.sections)
        .unwrap_or_default();
    let (queries, _) = load_queries();
    let mut vocab: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for s in &sections {
        for w in s.title.split_whitespace().chain(s.body.split_whitespace()) {
            let w: String = w
                .chars()
                .filter(|c| c.is_alphabetic())
                .collect::<String>()
                .to_lowercase();
            if w.len() >= 2 && seen.insert(w.clone()) {
                vocab.push(w);
            }
        }
    }
    let mut query_words = Vec::new();
    for q in queries
        .iter()
        .filter(|q| matches!(q.class, Class::Term | Class::And))
    {
        query_words.extend(q.text.split_whitespace().map(str::to_string));
    }
    let phrases: Vec<&str> = queries
        .iter()
        .filter(|q| q.class == Class::Phrase)
        .map(|q| q.text.as_str())
        .collect();
    let symbols: Vec<&str> = queries
        .iter()
        .filter(|q| q.class == Class::Symbol)
        .map(|q| q.text.as_str())
        .collect();
    if vocab.is_empty() {
        vocab = ["report", "council", "rights", "trafficking", "children"]
            .map(String::from)
            .to_vec();
    }
    if query_words.is_empty() {
        query_words = vocab.clone();
    }
    let roles = [
        "Special Rapporteur on trafficking in persons, especially women and children",
        "Secretary-General",
        "Human Rights Committee",
        "Working Group on Contemporary Forms of Slavery",
        "Group of Experts on Action against Trafficking in Human Beings",
    ];
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    let word = |rng: &mut Rng| -> String {
        if rng.index(3) == 0 {
            query_words[rng.index(query_words.len())].clone()
        } else {
            vocab[rng.skewed(vocab.len())].clone()
        }
    };
    for i in 0..GENERATED {
        let title_len = 3 + rng.index(4);
        let title: Vec<String> = (0..title_len).map(|_| word(&mut rng)).collect();
        let mut body = String::new();
        let body_len = 60 + rng.index(200);
        for j in 0..body_len {
            if j > 0 {
                body.push(if j % 17 == 0 { '.' } else { ' ' });
                if j % 17 == 0 {
                    body.push(' ');
                }
            }
            if !phrases.is_empty() && rng.index(40) == 0 {
                body.push_str(phrases[rng.index(phrases.len())]);
            } else {
                body.push_str(&word(&mut rng));
            }
        }
        body.push('.');
        let symbol = if !symbols.is_empty() && i % 4 == 0 {
            symbols[(i / 4) % symbols.len()].to_string()
        } else {
            format!("A/HRC/{}/{}", 30 + i % 30, 1 + i % 97)
        };
        let mut s = Section::new(Kind::Report, title.join(" "), body);
        s.id = format!("bench-{i:05}");
        s.role = Some(roles[i % roles.len()].to_string());
        s.symbols = vec![symbol];
        s.source.file = "generated.jsonl".into();
        s.source.lines = [i + 1, i + 1];
        sections.push(s);
    }
    sections
}

/// Size of a file, or of every file under a directory.
fn disk_size(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| disk_size(&e.path()))
                .sum()
        })
        .unwrap_or(0)
}

fn remove(path: &Path) {
    if path.is_dir() {
        let _ = std::fs::remove_dir_all(path);
    } else {
        let _ = std::fs::remove_file(path);
    }
}

/// A `/proc/self/status` figure in kB (Linux).
fn proc_status_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        let rest = l.strip_prefix(key)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

// ---------------------------------------------------------------------------------
// Building

fn build_tipdex(sections: &[Section], out: &Path) {
    tipdex::index::build(sections, out, &Default::default()).expect("tipdex build");
}

/// Builds the FTS5 database; returns the milliseconds `VACUUM` took (not counted).
fn build_fts5(sections: &[Section], out: &Path) -> f64 {
    let mut conn = Connection::open(out).expect("open sqlite");
    // The fastest bulk load SQLite offers: no rollback journal, no fsync, 64 MB page cache.
    conn.execute_batch(
        "PRAGMA journal_mode = OFF;
         PRAGMA synchronous = OFF;
         PRAGMA cache_size = -65536;
         CREATE VIRTUAL TABLE docs USING fts5(title, role, body, tokenize = 'porter unicode61');
         CREATE TABLE meta(id INTEGER PRIMARY KEY, symbol TEXT);",
    )
    .expect("create fts5 tables");
    let tx = conn.transaction().expect("begin");
    {
        let mut docs = tx
            .prepare("INSERT INTO docs(rowid, title, role, body) VALUES (?1, ?2, ?3, ?4)")
            .expect("prepare insert");
        let mut meta = tx
            .prepare("INSERT INTO meta(id, symbol) VALUES (?1, ?2)")
            .expect("prepare meta");
        for (i, s) in sections.iter().enumerate() {
            let rowid = i as i64 + 1;
            docs.execute(rusqlite::params![rowid, s.title, s.role.as_deref(), s.body])
                .expect("insert doc");
            meta.execute(rusqlite::params![rowid, s.symbols.first()])
                .expect("insert meta");
        }
    }
    tx.execute_batch("CREATE INDEX meta_symbol ON meta(symbol);")
        .expect("symbol index");
    tx.commit().expect("commit");
    conn.execute_batch("INSERT INTO docs(docs) VALUES('optimize');")
        .expect("optimize");
    let started = Instant::now();
    conn.execute_batch("VACUUM;").expect("vacuum");
    started.elapsed().as_secs_f64() * 1e3
}

struct FloorFields {
    title: Field,
    body: Field,
    symbol: Field,
}

fn floor_schema() -> (Schema, FloorFields) {
    let mut b = Schema::builder();
    let title = b.add_text_field("title", TEXT | STORED);
    let body = b.add_text_field("body", TEXT);
    let symbol = b.add_text_field("symbol", STRING);
    (
        b.build(),
        FloorFields {
            title,
            body,
            symbol,
        },
    )
}

fn build_floor(sections: &[Section], out: &Path) {
    std::fs::create_dir_all(out).expect("floor dir");
    let (schema, f) = floor_schema();
    let index = Index::create_in_dir(out, schema).expect("floor index");
    // The same writer settings as tipdex's build.
    let options = tipdex::index::WriterOptions::for_sections(sections.len());
    let mut writer = index
        .writer_with_num_threads::<TantivyDocument>(options.threads, options.memory_bytes)
        .expect("floor writer");
    for s in sections {
        let mut doc = TantivyDocument::default();
        doc.add_text(f.title, &s.title);
        doc.add_text(f.body, &s.body);
        for symbol in s.symbols.iter().take(1) {
            doc.add_text(f.symbol, symbol);
        }
        writer.add_document(doc).expect("floor add");
    }
    writer.commit().expect("floor commit");
    writer.wait_merging_threads().expect("floor merge");
}

/// Builds `engine` into `out` (removed first); returns (build ms, extra facts).
fn build(engine: &str, sections: &[Section], out: &Path) -> (f64, Json) {
    remove(out);
    let started = Instant::now();
    let extra = match engine {
        "tipdex" => {
            build_tipdex(sections, out);
            json!({})
        }
        "fts5" => {
            let vacuum_ms = build_fts5(sections, out);
            let ms = started.elapsed().as_secs_f64() * 1e3 - vacuum_ms;
            return (ms, json!({ "vacuum_ms": vacuum_ms }));
        }
        "tantivy_floor" => {
            build_floor(sections, out);
            json!({})
        }
        other => panic!("unknown engine {other}"),
    };
    (started.elapsed().as_secs_f64() * 1e3, extra)
}

/// The child process: load the corpus, build one engine, print one result line.
fn child_build(engine: &str, out: &Path) {
    let corpus = load_corpus();
    let rss_loaded = proc_status_kb("VmRSS");
    let (ms, extra) = build(engine, &corpus.sections, out);
    let result = json!({
        "engine": engine,
        "build_ms": ms,
        "size_bytes": disk_size(out),
        "rss_after_load_kb": rss_loaded,
        "peak_rss_kb": proc_status_kb("VmHWM"),
        "extra": extra,
    });
    println!("{CHILD_MARK}{result}");
}

/// Build figures of one engine, over its child runs.
struct BuildFigures {
    runs_ms: Vec<f64>,
    size_bytes: u64,
    peak_rss_kb: Option<u64>,
    rss_after_load_kb: Option<u64>,
    extra: Json,
}

impl BuildFigures {
    fn median_ms(&self) -> f64 {
        median(&self.runs_ms)
    }

    fn peak_delta_kb(&self) -> Option<u64> {
        Some(self.peak_rss_kb?.saturating_sub(self.rss_after_load_kb?))
    }
}

impl BuildFigures {
    fn new() -> BuildFigures {
        BuildFigures {
            runs_ms: Vec::new(),
            size_bytes: 0,
            peak_rss_kb: None,
            rss_after_load_kb: None,
            extra: json!({}),
        }
    }

    /// Adds one child run's result line.
    fn add(&mut self, r: &Json) {
        self.runs_ms
            .push(r["build_ms"].as_f64().unwrap_or(f64::NAN));
        self.size_bytes = r["size_bytes"].as_u64().unwrap_or(0);
        let peak = r["peak_rss_kb"].as_u64();
        if peak > self.peak_rss_kb {
            self.peak_rss_kb = peak;
            self.rss_after_load_kb = r["rss_after_load_kb"].as_u64();
        }
        self.extra = r["extra"].clone();
    }
}

/// Builds `engine` into `out` in a fresh child process; returns its result line.
fn build_in_child(engine: &str, out: &Path) -> Json {
    let exe = std::env::current_exe().expect("current exe");
    let output = Command::new(&exe)
        .env(CHILD_BUILD, engine)
        .env(CHILD_OUT, out)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("spawn build child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(CHILD_MARK))
        .unwrap_or_else(|| panic!("build child for {engine} failed: {}", output.status));
    serde_json::from_str(line).expect("child json")
}

// ---------------------------------------------------------------------------------
// Searching

/// The three engines, opened on their last build.
struct Engines {
    tipdex: tipdex::Engine,
    fts5: Connection,
    floor: Floor,
}

struct Floor {
    reader: IndexReader,
    fields: FloorFields,
    parser: QueryParser,
}

impl Floor {
    fn open(dir: &Path) -> Floor {
        let index = Index::open_in_dir(dir).expect("open floor");
        let (_, fields) = floor_schema();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .expect("floor reader");
        let mut parser = QueryParser::for_index(&index, vec![fields.title, fields.body]);
        parser.set_conjunction_by_default();
        Floor {
            reader,
            fields,
            parser,
        }
    }

    fn search(&self, q: &BenchQuery) -> usize {
        let searcher = self.reader.searcher();
        let query: Box<dyn Query> = match q.class {
            Class::Symbol => Box::new(TermQuery::new(
                Term::from_field_text(self.fields.symbol, &q.text),
                IndexRecordOption::Basic,
            )),
            _ => self.parser.parse_query(&q.floor).expect("floor query"),
        };
        let top = searcher
            .search(&*query, &TopDocs::with_limit(LIMIT).order_by_score())
            .expect("floor search");
        for (_, address) in &top {
            let doc: TantivyDocument = searcher.doc(*address).expect("floor doc");
            black_box(
                doc.get_first(self.fields.title)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
            );
        }
        top.len()
    }
}

fn open_fts5(path: &Path) -> Connection {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .expect("open fts5");
    // Its best read configuration: memory-mapped file (as tantivy) and a 64 MB cache.
    conn.execute_batch("PRAGMA mmap_size = 4294967296; PRAGMA cache_size = -65536;")
        .expect("fts5 pragmas");
    conn
}

fn fts5_search(conn: &Connection, q: &BenchQuery) -> usize {
    let (sql, param) = match q.class {
        Class::Symbol => (FTS5_SYMBOL_SQL, &q.text),
        _ => (FTS5_TEXT_SQL, &q.fts5),
    };
    let mut statement = conn.prepare_cached(sql).expect("prepare fts5 query");
    let mut rows = statement.query([param]).expect("fts5 query");
    let mut n = 0;
    while let Some(row) = rows.next().expect("fts5 row") {
        let id: i64 = row.get(0).expect("rowid");
        let title: String = row.get(1).expect("title");
        let text: Option<String> = row.get(2).expect("snippet or body");
        black_box((id, title, text));
        n += 1;
    }
    n
}

impl Engines {
    fn search(&self, engine: &str, q: &BenchQuery) -> usize {
        match engine {
            "tipdex" => self
                .tipdex
                .search(&q.tipdex)
                .expect("tipdex search")
                .hits
                .len(),
            "fts5" => fts5_search(&self.fts5, q),
            "tantivy_floor" => self.floor.search(q),
            other => panic!("unknown engine {other}"),
        }
    }
}

// ---------------------------------------------------------------------------------
// Criterion groups

fn criterion_index(c: &mut Criterion, sections: &[Section], scratch: &Path) {
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

fn criterion_queries(c: &mut Criterion, engines: &Engines, queries: &[BenchQuery], large: bool) {
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

// ---------------------------------------------------------------------------------
// Summary

fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Latency figures of one engine on one class.
struct ClassFigures {
    queries: usize,
    passes: usize,
    p50_us: f64,
    p99_us: f64,
    mean_us: f64,
    median_pass_ms: f64,
    qps: f64,
    zero_hit_queries: usize,
    hits: usize,
}

impl ClassFigures {
    fn to_json(&self) -> Json {
        json!({
            "queries": self.queries,
            "passes": self.passes,
            "p50_us": self.p50_us,
            "p99_us": self.p99_us,
            "mean_us": self.mean_us,
            "median_pass_ms": self.median_pass_ms,
            "qps": self.qps,
            "zero_hit_queries": self.zero_hit_queries,
            "hits_total": self.hits,
        })
    }
}

/// Times every engine on one class's queries. Engines take turns pass by pass, so that
/// load from elsewhere on the machine falls on all of them alike; each engine gets at
/// least 3 passes and passes go on until each has spent `budget` seconds (at most 50).
fn measure_class(engines: &Engines, list: &[&BenchQuery], budget: f64) -> Vec<ClassFigures> {
    struct Acc {
        samples: Vec<f64>,
        passes: Vec<f64>,
        spent: f64,
        zero: usize,
        hits: usize,
    }
    let done = |a: &Acc| a.passes.len() >= 3 && (a.spent >= budget || a.passes.len() >= 50);
    let mut acc: Vec<Acc> = ENGINES
        .iter()
        .map(|engine| {
            let counts: Vec<usize> = list.iter().map(|q| engines.search(engine, q)).collect();
            Acc {
                samples: Vec::new(),
                passes: Vec::new(),
                spent: 0.0,
                zero: counts.iter().filter(|&&n| n == 0).count(),
                hits: counts.iter().sum(),
            }
        })
        .collect();
    while !acc.iter().all(done) {
        for (engine, a) in ENGINES.iter().zip(acc.iter_mut()) {
            if done(a) {
                continue;
            }
            let mut pass = 0.0;
            for q in list {
                let t = Instant::now();
                black_box(engines.search(engine, q));
                let us = t.elapsed().as_secs_f64() * 1e6;
                a.samples.push(us);
                pass += us;
            }
            a.passes.push(pass / 1e3);
            a.spent += pass / 1e6;
        }
    }
    acc.into_iter()
        .map(|mut a| {
            a.samples.sort_by(|x, y| x.total_cmp(y));
            let median_pass_ms = median(&a.passes);
            ClassFigures {
                queries: list.len(),
                passes: a.passes.len(),
                p50_us: percentile(&a.samples, 0.50),
                p99_us: percentile(&a.samples, 0.99),
                mean_us: a.samples.iter().sum::<f64>() / a.samples.len() as f64,
                median_pass_ms,
                qps: list.len() as f64 / (median_pass_ms / 1e3),
                zero_hit_queries: a.zero,
                hits: a.hits,
            }
        })
        .collect()
}

fn machine() -> Json {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kb: Option<u64> = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok());
    json!({
        "cpus": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "cpu_model": model,
        "mem_total_kb": mem_kb,
    })
}

fn git_state() -> Json {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(manifest_dir())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let dirty = git(&[
        "status",
        "--porcelain",
        "--",
        "src",
        "Cargo.toml",
        "Cargo.lock",
    ])
    .map(|s| !s.is_empty());
    json!({ "commit": git(&["rev-parse", "--short", "HEAD"]), "src_dirty": dirty })
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        f64::NAN
    } else {
        a / b
    }
}

#[allow(clippy::too_many_arguments)]
fn summary(
    corpus: &Corpus,
    corpus_bytes: u64,
    queries_origin: &str,
    queries: &[BenchQuery],
    builds: &BTreeMap<&str, BuildFigures>,
    engines: &Engines,
    budget: f64,
) {
    let mut figures: BTreeMap<(&str, Class), ClassFigures> = BTreeMap::new();
    for class in CLASSES {
        let list: Vec<&BenchQuery> = queries.iter().filter(|q| q.class == class).collect();
        if list.is_empty() {
            continue;
        }
        for (engine, f) in ENGINES
            .into_iter()
            .zip(measure_class(engines, &list, budget))
        {
            figures.insert((engine, class), f);
        }
    }

    let mb = |b: u64| b as f64 / 1e6;
    println!();
    println!(
        "== peers summary: corpus {} ({} sections, {:.1} MB), queries {}",
        corpus.name,
        corpus.sections.len(),
        mb(corpus_bytes),
        queries_origin
    );
    println!(
        "{:<8} {:<14} {:>7} {:>10} {:>10} {:>10} {:>10} {:>9}",
        "class", "engine", "queries", "p50 µs", "p99 µs", "mean µs", "q/s", "zero-hit"
    );
    for class in CLASSES {
        for engine in ENGINES {
            if let Some(f) = figures.get(&(engine, class)) {
                println!(
                    "{:<8} {:<14} {:>7} {:>10.0} {:>10.0} {:>10.0} {:>10.0} {:>9}",
                    class.name(),
                    engine,
                    f.queries,
                    f.p50_us,
                    f.p99_us,
                    f.mean_us,
                    f.qps,
                    f.zero_hit_queries
                );
            }
        }
    }

    let mut ratios = serde_json::Map::new();
    println!();
    println!(
        "{:<8} {:>16} {:>20} {:>20} {:>20}",
        "class", "tipdex/fts5 q/s", "tipdex/floor p50", "tipdex/floor mean", "tipdex p99 ms"
    );
    for class in CLASSES {
        let (Some(t), Some(s), Some(f)) = (
            figures.get(&("tipdex", class)),
            figures.get(&("fts5", class)),
            figures.get(&("tantivy_floor", class)),
        ) else {
            continue;
        };
        let r = json!({
            "qps_tipdex_over_fts5": ratio(t.qps, s.qps),
            "p50_tipdex_over_fts5": ratio(t.p50_us, s.p50_us),
            "p50_tipdex_over_floor": ratio(t.p50_us, f.p50_us),
            "mean_tipdex_over_floor": ratio(t.mean_us, f.mean_us),
            "qps_tipdex_over_floor": ratio(t.qps, f.qps),
        });
        println!(
            "{:<8} {:>16.2} {:>20.2} {:>20.2} {:>20.2}",
            class.name(),
            ratio(t.qps, s.qps),
            ratio(t.p50_us, f.p50_us),
            ratio(t.mean_us, f.mean_us),
            t.p99_us / 1e3
        );
        ratios.insert(class.name().to_string(), r);
    }

    println!();
    println!(
        "{:<14} {:>12} {:>12} {:>14} {:>16}",
        "index", "build ms", "size MB", "peak RSS MB", "peak-load MB"
    );
    for engine in ENGINES {
        if let Some(b) = builds.get(engine) {
            println!(
                "{:<14} {:>12.0} {:>12.1} {:>14.1} {:>16.1}",
                engine,
                b.median_ms(),
                mb(b.size_bytes),
                b.peak_rss_kb.map_or(f64::NAN, |k| k as f64 / 1e3),
                b.peak_delta_kb().map_or(f64::NAN, |k| k as f64 / 1e3),
            );
        }
    }
    let index_ratio = |engine: &str, other: &str| {
        let (Some(a), Some(b)) = (builds.get(engine), builds.get(other)) else {
            return json!(null);
        };
        let opt = |x: Option<u64>, y: Option<u64>| match (x, y) {
            (Some(x), Some(y)) => json!(ratio(x as f64, y as f64)),
            _ => json!(null),
        };
        json!({
            "build_time": ratio(a.median_ms(), b.median_ms()),
            "size": ratio(a.size_bytes as f64, b.size_bytes as f64),
            "peak_rss": opt(a.peak_rss_kb, b.peak_rss_kb),
            "peak_rss_over_load": opt(a.peak_delta_kb(), b.peak_delta_kb()),
        })
    };
    let over_fts5 = index_ratio("tipdex", "fts5");
    let over_floor = index_ratio("tipdex", "tantivy_floor");
    println!(
        "tipdex/fts5: build time {:.2}, size {:.2}, peak RSS {:.2} (over load {:.2})",
        over_fts5["build_time"].as_f64().unwrap_or(f64::NAN),
        over_fts5["size"].as_f64().unwrap_or(f64::NAN),
        over_fts5["peak_rss"].as_f64().unwrap_or(f64::NAN),
        over_fts5["peak_rss_over_load"].as_f64().unwrap_or(f64::NAN),
    );
    println!(
        "tipdex/floor: build time {:.2}, size {:.2}",
        over_floor["build_time"].as_f64().unwrap_or(f64::NAN),
        over_floor["size"].as_f64().unwrap_or(f64::NAN),
    );
    for engine in ENGINES {
        let zero: usize = CLASSES
            .iter()
            .filter_map(|c| figures.get(&(engine, *c)))
            .map(|f| f.zero_hit_queries)
            .sum();
        let total: usize = CLASSES
            .iter()
            .filter_map(|c| figures.get(&(engine, *c)))
            .map(|f| f.queries)
            .sum();
        println!("{engine}: {zero} of {total} queries have no hit");
        if total > 0 && zero * 2 > total {
            eprintln!("peers: WARNING: {engine} finds nothing for most queries; check the corpus and the queries");
        }
    }

    let mut engines_json = serde_json::Map::new();
    for engine in ENGINES {
        let mut classes = serde_json::Map::new();
        for class in CLASSES {
            if let Some(f) = figures.get(&(engine, class)) {
                classes.insert(class.name().to_string(), f.to_json());
            }
        }
        let build = builds.get(engine).map(|b| {
            json!({
                "runs_ms": b.runs_ms,
                "median_ms": b.median_ms(),
                "size_bytes": b.size_bytes,
                "peak_rss_kb": b.peak_rss_kb,
                "rss_after_load_kb": b.rss_after_load_kb,
                "peak_rss_over_load_kb": b.peak_delta_kb(),
                "extra": b.extra,
            })
        });
        engines_json.insert(
            engine.to_string(),
            json!({ "build": build, "query": classes }),
        );
    }
    let mut class_counts = serde_json::Map::new();
    for class in CLASSES {
        let n = queries.iter().filter(|q| q.class == class).count();
        class_counts.insert(class.name().to_string(), json!(n));
    }
    let report = json!({
        "corpus": {
            "name": corpus.name,
            "origin": corpus.origin,
            "sections": corpus.sections.len(),
            "text_bytes": corpus_bytes,
        },
        "queries": { "origin": queries_origin, "classes": class_counts },
        "machine": machine(),
        "git": git_state(),
        "sqlite_version": rusqlite::version(),
        "settings": {
            "limit": LIMIT,
            "summary_budget_s": budget,
            "fts5_build": "journal_mode=OFF, synchronous=OFF, cache_size=64MB; one transaction; optimize; VACUUM not timed",
            "fts5_read": "read-only, mmap_size=4GB, cache_size=64MB, prepared statements cached",
            "tantivy_writer": "tipdex's WriterOptions::for_sections for both tipdex and the floor",
        },
        "engines": engines_json,
        "ratios": {
            "query": ratios,
            "index_tipdex_over_fts5": over_fts5,
            "index_tipdex_over_floor": over_floor,
        },
    });
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("target"));
    let _ = std::fs::create_dir_all(&target);
    let path = target.join(format!("peers-{}.json", corpus.name));
    std::fs::write(&path, serde_json::to_string_pretty(&report).expect("json"))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    println!("wrote {}", path.display());
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
