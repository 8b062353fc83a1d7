//! The summary: every query timed alone, per class and engine, the ratios the targets are
//! stated in, the machine and the checkout, printed and written as JSON.

use crate::*;

// ---------------------------------------------------------------------------------
// Summary

pub(crate) fn median(values: &[f64]) -> f64 {
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
pub(crate) fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Latency figures of one engine on one class.
pub(crate) struct ClassFigures {
    pub(crate) queries: usize,
    pub(crate) passes: usize,
    pub(crate) p50_us: f64,
    pub(crate) p99_us: f64,
    pub(crate) mean_us: f64,
    pub(crate) median_pass_ms: f64,
    pub(crate) qps: f64,
    pub(crate) zero_hit_queries: usize,
    pub(crate) hits: usize,
}

impl ClassFigures {
    pub(crate) fn to_json(&self) -> Json {
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
pub(crate) fn measure_class(
    engines: &Engines,
    list: &[&BenchQuery],
    budget: f64,
) -> Vec<ClassFigures> {
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

pub(crate) fn machine() -> Json {
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

pub(crate) fn git_state() -> Json {
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

pub(crate) fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        f64::NAN
    } else {
        a / b
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn summary(
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
