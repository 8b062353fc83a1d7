//! Arbitrary text through every path a query takes from a search box to the index.
//!
//! The input is used, in turn, as: the query text (`tipdex::search::query::parse`,
//! `Engine::search` with facets and explanations, `Engine::suggest`); a Meilisearch
//! filter expression (`tipdex::search::filter::parse`, which must round-trip through
//! `to_expression`, then a search with it); the query string of `GET /api/search`
//! (`tipdex::server::native::search_request`, then the search); and, when it is JSON,
//! a Meilisearch search body and filter (`tipdex::server::meili::search`).
//!
//! Query text is never an error: a search that fails, or a Meilisearch search answered
//! with a 5xx, is a crash. The index is the shipped corpus, built once per process in a
//! temporary directory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::OnceLock;
use tipdex::index::Provenance;
use tipdex::search::SearchRequest;
use tipdex::search::filter;
use tipdex::server::{meili, native, Limits};
use tipdex::Engine;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<(tempfile::TempDir, Engine)> = OnceLock::new();
    &ENGINE
        .get_or_init(|| {
            let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
            let loaded = tipdex::corpus::load(&corpus).expect("the shipped corpus loads");
            let provenance = Provenance {
                glossary: Some(
                    tipdex::glossary::Glossary::text_for_corpus(&corpus).expect("glossary"),
                ),
                ..Provenance::default()
            };
            let dir = tempfile::tempdir().expect("temp dir");
            let root = dir.path().join("index");
            tipdex::index::build(&loaded.sections, &root, &provenance).expect("index builds");
            let engine = Engine::open(&root).expect("index opens");
            (dir, engine)
        })
        .1
}

fn search(request: &SearchRequest) {
    let response = engine()
        .search(request)
        .unwrap_or_else(|e| panic!("search {request:?} failed: {e}"));
    assert!(response.hits.len() <= request.limit);
    for (i, hit) in response.hits.iter().enumerate() {
        assert_eq!(hit.rank, request.offset + i + 1);
    }
    tipdex::server::error::to_safe_json(&response).expect("the answer serializes");
}

/// libFuzzer aborts on every panic, even one the code catches. tipdex catches tantivy's
/// panics on purpose: `explain_safely` (src/search/mod.rs) runs tantivy's `explain`,
/// whose scorers trip `debug_assert!`s (absent from release builds) when part of the
/// query does not match the document (`target >= self.doc()` in the phrase scorer,
/// `doc <= target` in `DocSet::seek` under a disjunction), and `Engine::search` turns a
/// panic inside tantivy into an error. So a panic raised in tantivy's code is let
/// through to whoever catches it: swallowed by `explain_safely`, or an error from
/// `Engine::search`, which `search` below treats as a crash; one that nothing catches
/// still aborts (libfuzzer-sys aborts when a panic leaves the target). Every other
/// panic aborts at once.
fn let_tantivy_panics_through() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_tantivy = info
            .location()
            .is_some_and(|l| l.file().contains("/tantivy-0.27"));
        if !in_tantivy {
            abort(info);
        }
    }));
}

fuzz_target!(init: let_tantivy_panics_through(), |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let engine = engine();
    let limits = Limits::default();

    // The query language and the search itself.
    let _ = tipdex::search::query::parse(text);
    let mut request = SearchRequest::new(text);
    request.explain = true;
    request.facets = true;
    search(&request);
    engine
        .suggest(text, 8)
        .unwrap_or_else(|e| panic!("suggest {text:?} failed: {e}"));

    // The Meilisearch filter language.
    if let Ok(Some(parsed)) = filter::parse(text) {
        let expression = filter::to_expression(&parsed);
        assert_eq!(
            filter::parse(&expression),
            Ok(Some(parsed.clone())),
            "{text:?} printed as {expression:?} does not parse back"
        );
        if parsed.validate().is_ok() {
            let mut request = SearchRequest::new("trafficking");
            request.filter = Some(parsed);
            request.facets = true;
            search(&request);
        }
    }

    // `GET /api/search?<text>`.
    if let Ok(request) = native::search_request(text, &limits) {
        search(&request);
    }

    // A Meilisearch search body, and the array form of filters.
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        let _ = filter::parse_value(&value);
        if let Ok(query) = serde_json::from_value::<meili::MeiliQuery>(value) {
            if let Err(e) = meili::search(engine, &query, &limits, &Default::default()) {
                assert!(
                    e.status.is_client_error(),
                    "{text:?}: {} {}",
                    e.status,
                    e.message
                );
            }
        }
    }
});
