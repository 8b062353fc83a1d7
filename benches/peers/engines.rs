//! The engines compared: building each one's index (in a child process, so that its time
//! and peak memory are its own) and searching it the same way.

use crate::*;

pub(crate) const FTS5_TEXT_SQL: &str =
    "SELECT rowid, title, snippet(docs, 2, '<mark>', '</mark>', '…', 16) \
     FROM docs WHERE docs MATCH ?1 ORDER BY bm25(docs) LIMIT 10";
pub(crate) const FTS5_SYMBOL_SQL: &str = "SELECT m.id, d.title, d.body FROM meta m \
     JOIN docs d ON d.rowid = m.id WHERE m.symbol = ?1 LIMIT 10";

/// Size of a file, or of every file under a directory.
pub(crate) fn disk_size(path: &Path) -> u64 {
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

pub(crate) fn remove(path: &Path) {
    if path.is_dir() {
        let _ = std::fs::remove_dir_all(path);
    } else {
        let _ = std::fs::remove_file(path);
    }
}

/// A `/proc/self/status` figure in kB (Linux).
pub(crate) fn proc_status_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        let rest = l.strip_prefix(key)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

// ---------------------------------------------------------------------------------
// Building

pub(crate) fn build_tipdex(sections: &[Section], out: &Path) {
    tipdex::index::build(sections, out, &Default::default()).expect("tipdex build");
}

/// Builds the FTS5 database; returns the milliseconds `VACUUM` took (not counted).
pub(crate) fn build_fts5(sections: &[Section], out: &Path) -> f64 {
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

pub(crate) struct FloorFields {
    pub(crate) title: Field,
    pub(crate) body: Field,
    pub(crate) symbol: Field,
}

pub(crate) fn floor_schema() -> (Schema, FloorFields) {
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

pub(crate) fn build_floor(sections: &[Section], out: &Path) {
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
pub(crate) fn build(engine: &str, sections: &[Section], out: &Path) -> (f64, Json) {
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
pub(crate) fn child_build(engine: &str, out: &Path) {
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
pub(crate) struct BuildFigures {
    pub(crate) runs_ms: Vec<f64>,
    pub(crate) size_bytes: u64,
    pub(crate) peak_rss_kb: Option<u64>,
    pub(crate) rss_after_load_kb: Option<u64>,
    pub(crate) extra: Json,
}

impl BuildFigures {
    pub(crate) fn median_ms(&self) -> f64 {
        median(&self.runs_ms)
    }

    pub(crate) fn peak_delta_kb(&self) -> Option<u64> {
        Some(self.peak_rss_kb?.saturating_sub(self.rss_after_load_kb?))
    }
}

impl BuildFigures {
    pub(crate) fn new() -> BuildFigures {
        BuildFigures {
            runs_ms: Vec::new(),
            size_bytes: 0,
            peak_rss_kb: None,
            rss_after_load_kb: None,
            extra: json!({}),
        }
    }

    /// Adds one child run's result line.
    pub(crate) fn add(&mut self, r: &Json) {
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
pub(crate) fn build_in_child(engine: &str, out: &Path) -> Json {
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
pub(crate) struct Engines {
    pub(crate) tipdex: tipdex::Engine,
    pub(crate) fts5: Connection,
    pub(crate) floor: Floor,
}

pub(crate) struct Floor {
    pub(crate) reader: IndexReader,
    pub(crate) fields: FloorFields,
    pub(crate) parser: QueryParser,
}

impl Floor {
    pub(crate) fn open(dir: &Path) -> Floor {
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

    pub(crate) fn search(&self, q: &BenchQuery) -> usize {
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

pub(crate) fn open_fts5(path: &Path) -> Connection {
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

pub(crate) fn fts5_search(conn: &Connection, q: &BenchQuery) -> usize {
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
    pub(crate) fn search(&self, engine: &str, q: &BenchQuery) -> usize {
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
