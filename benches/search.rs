//! Criterion benchmarks on the shipped corpus: building the index, and a mix of
//! search-box queries through the same path as `tipdex query` (parse, search, stored
//! fields, snippets).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::path::Path;
use tipdex::{Engine, SearchRequest};

/// Queries a user of the directory types: words, names, acronyms, symbols, prefixes, typos.
const QUERIES: [(&str, &str); 10] = [
    ("term", "trafficking"),
    ("two-term", "displacement slavery"),
    ("phrase", "\"sale of children\""),
    ("name", "Siobhan Mullally"),
    ("acronym", "UNODC"),
    ("symbol", "A/HRC/49/51"),
    ("symbol-prefix", "A/HRC/49"),
    ("prefix", "mulla"),
    ("typo", "trafiking"),
    ("filtered", "kind:report children"),
];

fn corpus_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

fn indexing(c: &mut Criterion) {
    let sections = tipdex::corpus::load(&corpus_dir()).unwrap().sections;
    let dir = tempfile::tempdir().unwrap();
    c.bench_function("index/shipped-corpus", |b| {
        b.iter(|| {
            tipdex::index::build(&sections, &dir.path().join("idx"), &Default::default()).unwrap()
        })
    });
    c.bench_function("parse/shipped-corpus", |b| {
        b.iter(|| tipdex::corpus::load(&corpus_dir()).unwrap())
    });
}

fn querying(c: &mut Criterion) {
    let sections = tipdex::corpus::load(&corpus_dir()).unwrap().sections;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("idx");
    tipdex::index::build(&sections, &root, &Default::default()).unwrap();
    let engine = Engine::open(&root).unwrap();
    let mut group = c.benchmark_group("query");
    for (class, q) in QUERIES {
        group.bench_with_input(BenchmarkId::new(class, q), q, |b, q| {
            let request = SearchRequest::new(q.to_string());
            b.iter(|| engine.search(&request).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, indexing, querying);
criterion_main!(benches);
