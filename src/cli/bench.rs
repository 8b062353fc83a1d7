//! `tipdex bench`: run a query set in-process through the same path as `query` and
//! report per-class latency percentiles and queries per second.

use super::IndexLocation;
use anyhow::{bail, Context};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;
use tipdex::{Engine, SearchRequest};

/// Flags of `tipdex bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub location: IndexLocation,
    /// Query file: one `class<TAB>query` per line (a line without a tab is class `query`).
    #[arg(long, value_name = "FILE")]
    pub queries: PathBuf,
    /// Timed passes over the query set (after one warm-up pass).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Results per query.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Count facets with every query (kinds, years, organizations), as the search page asks.
    #[arg(long)]
    pub facets: bool,
    /// Search as while typing (the last word completed), as the search page and the
    /// Meilisearch routes do.
    #[arg(long)]
    pub typing: bool,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The figures as a table on stdout, the slowest queries on stderr.
fn print_table(figures: &BTreeMap<String, ClassFigures>, slowest: &[(String, String, u64)]) {
    eprintln!("slowest queries (worst run):");
    for (class, q, us) in slowest {
        eprintln!("  {us:>8} µs  {class:<8} {q}");
    }
    println!(
        "{:<10} {:>8} {:>10} {:>10} {:>10} {:>10}",
        "class", "queries", "p50 µs", "p99 µs", "mean µs", "q/s"
    );
    for (class, f) in figures {
        println!(
            "{:<10} {:>8} {:>10} {:>10} {:>10} {:>10.0}",
            class, f.queries, f.p50_us, f.p99_us, f.mean_us, f.qps
        );
    }
}

/// Latency figures of one query class.
#[derive(Debug, Serialize)]
struct ClassFigures {
    queries: usize,
    runs: usize,
    p50_us: u64,
    p99_us: u64,
    mean_us: u64,
    qps: f64,
}

impl ClassFigures {
    /// The figures of `runs` passes' samples, in microseconds.
    fn of(mut samples: Vec<u64>, runs: usize) -> ClassFigures {
        samples.sort_unstable();
        let total: u64 = samples.iter().sum();
        let pick = |q: f64| {
            samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1]
        };
        ClassFigures {
            queries: samples.len() / runs,
            runs,
            p50_us: pick(0.50),
            p99_us: pick(0.99),
            mean_us: total / samples.len() as u64,
            qps: samples.len() as f64 / (total.max(1) as f64 / 1e6),
        }
    }
}

/// A query of class `phrase` is searched as a phrase (quoted), as a user would write it.
fn as_class(class: &str, query: &str) -> String {
    if class == "phrase" && !query.trim_start().starts_with('"') {
        format!("\"{}\"", query.trim())
    } else {
        query.to_string()
    }
}

/// Runs the benchmark and prints it.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let text = std::fs::read_to_string(&args.queries)
        .with_context(|| format!("cannot read queries {}", args.queries.display()))?;
    let queries: Vec<(String, String)> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('\t') {
            Some((class, q)) => (class.trim().to_string(), as_class(class.trim(), q)),
            None => ("query".to_string(), l.to_string()),
        })
        .collect();
    if queries.is_empty() {
        bail!("{} has no queries", args.queries.display());
    }
    let engine = Engine::open_with(&args.location.ensure()?, args.location.backend()?.as_ref())?;
    let requests: Vec<(String, SearchRequest)> = queries
        .into_iter()
        .map(|(class, q)| {
            let mut r = SearchRequest::new(q);
            r.limit = args.limit;
            r.facets = args.facets;
            r.typing = args.typing;
            (class, r)
        })
        .collect();
    for (_, r) in &requests {
        engine.search(r)?;
    }
    let mut samples: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut per_query: Vec<(u64, usize)> = vec![(0, 0); requests.len()];
    for _ in 0..args.runs {
        for (i, (class, r)) in requests.iter().enumerate() {
            let started = Instant::now();
            engine.search(r)?;
            let us = started.elapsed().as_micros() as u64;
            samples.entry(class.clone()).or_default().push(us);
            samples.entry("all".to_string()).or_default().push(us);
            per_query[i] = (per_query[i].0.max(us), i);
        }
    }
    per_query.sort_unstable_by(|a, b| b.cmp(a));
    let slowest: Vec<(String, String, u64)> = per_query
        .iter()
        .take(5)
        .map(|&(us, i)| (requests[i].0.clone(), requests[i].1.query.clone(), us))
        .collect();
    let figures: BTreeMap<String, ClassFigures> = samples
        .into_iter()
        .map(|(class, s)| (class, ClassFigures::of(s, args.runs)))
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        print_table(&figures, &slowest);
    }
    Ok(())
}
