//! Sorting by year (issue 18): `sort` on the Meilisearch routes, `sort=` on the native
//! route and `tipdex query --sort`, never silently ignored.

use crate::harness::server::Server;
use crate::harness::*;
use serde_json::{json, Value};

/// Years of the hits, in order; sections without a year as `None`.
fn years(hits: &Value) -> Vec<Option<i64>> {
    hits.as_array()
        .unwrap()
        .iter()
        .map(|h| h["year"].as_i64())
        .collect()
}

/// Whether the years are in order (`descending` or not), those without a year last.
fn in_order(years: &[Option<i64>], descending: bool) -> bool {
    let known: Vec<i64> = years.iter().flatten().copied().collect();
    let first_none = years
        .iter()
        .position(Option::is_none)
        .unwrap_or(years.len());
    let none_last = years[first_none..].iter().all(Option::is_none);
    let sorted = known.windows(2).all(|w| {
        if descending {
            w[0] >= w[1]
        } else {
            w[0] <= w[1]
        }
    });
    none_last && sorted
}

#[test]
fn every_front_end_sorts_by_year_both_ways() {
    let ix = Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    for (rule, descending) in [("year:desc", true), ("year:asc", false)] {
        let r = server.post_json(
            "/indexes/sections/search",
            &json!({"q": "report", "sort": [rule], "limit": 40}),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let y = years(&r.json()["hits"]);
        assert!(y.iter().flatten().count() >= 5, "{y:?}");
        assert!(in_order(&y, descending), "{rule}: {y:?}");
        let r = server.get(&format!(
            "/indexes/sections/search?q=report&limit=40&sort={rule}"
        ));
        assert!(
            in_order(&years(&r.json()["hits"]), descending),
            "GET {rule}"
        );
        let r = server.get(&format!("/api/search?q=report&limit=40&sort={rule}"));
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(
            in_order(&years(&r.json()["hits"]), descending),
            "native {rule}"
        );
        let v = ix.query_json(&["--sort", rule, "--limit", "40", "report"]);
        assert!(in_order(&years(&v["hits"]), descending), "CLI {rule}");
    }
    // Without a sort the order is relevance, and it differs from the year order.
    let relevance = years(&ix.query_json(&["--limit", "40", "report"])["hits"]);
    assert!(!in_order(&relevance, true), "{relevance:?}");
}

#[test]
fn a_sort_tipdex_cannot_honour_is_an_error() {
    let ix = Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    for sort in [
        json!(["title:asc"]),
        json!(["year:sideways"]),
        json!(["year:desc", "title:asc"]),
    ] {
        let r = server.post_json("/indexes/sections/search", &json!({"q": "x", "sort": sort}));
        assert_eq!(r.status, 400, "{sort}");
        assert_eq!(r.json()["code"], "invalid_search_sort", "{sort}");
    }
    let r = server.get("/api/search?q=x&sort=title:asc");
    assert_eq!(r.status, 400);
    let o = run_in(
        ix.dir.path(),
        &[
            "query",
            "--index",
            ix.index().to_str().unwrap(),
            "--sort",
            "org:desc",
            "x",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not sortable"), "{}", stderr(&o));
}

/// Equal scores rank in corpus order, whatever segment holds each section: an index
/// written by two threads (sections spread over segments as the threads take them)
/// ranks ties exactly as the corpus lists them, for a term (pruned union), a phrase
/// and every year order.
#[test]
fn equal_scores_rank_in_corpus_order_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let sections: Vec<tipdex::Section> = (0..6000)
        .map(|i| {
            let mut s = tipdex::Section::new(
                tipdex::Kind::Overview,
                "Supply chains",
                "forced labour in supply chains",
            );
            s.id = format!("s{i:05}");
            s.year = Some(2020);
            s
        })
        .collect();
    let root = dir.path().join("index");
    let options = tipdex::index::WriterOptions {
        threads: 2,
        memory_bytes: 2 * 20_000_000,
    };
    tipdex::index::build_with(&sections, &root, &Default::default(), options).unwrap();
    let generation = tipdex::index::current_generation(&root).unwrap();
    let segments = tantivy::Index::open_in_dir(root.join(generation))
        .unwrap()
        .searchable_segment_ids()
        .unwrap()
        .len();
    eprintln!("{segments} segment(s)");
    let engine = tipdex::Engine::open(&root).unwrap();
    for (query, sort) in [
        ("labour", None),
        ("\"forced labour\"", None),
        ("supply chains", Some("year:desc")),
        ("supply chains", Some("year:asc")),
    ] {
        let mut request = tipdex::SearchRequest::new(query);
        request.limit = 12;
        request.sort = sort.map(|s| tipdex::search::Sort::parse(s).unwrap());
        let r = engine.search(&request).unwrap();
        let ids: Vec<&str> = r.hits.iter().map(|h| h.section.id.as_str()).collect();
        let first: Vec<String> = (0..12).map(|i| format!("s{i:05}")).collect();
        assert_eq!(ids, first, "{query} {sort:?}");
    }
}
