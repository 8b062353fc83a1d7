//! The HTTP request parsers with the cost model on: the first byte picks the route, the
//! rest is what a client sends it. `GET /api/search?…` (`native::search_request`),
//! `GET /indexes/sections/search?…` (`meili::query_from_url`), a `POST
//! /indexes/sections/search` body and a `/multi-search` body (`meili::multi_search_queries`);
//! each request that parses gets its cost estimated and runs within the budget the
//! server gives it (a deadline and an answer-size ceiling). A failure must be the
//! client's (4xx) or the budget's (503 with Retry-After, 400 answer_too_large); a
//! panic, another 5xx, or an answer over the ceiling is a crash.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;
use tipdex::index::Provenance;
use tipdex::search::budget::Budget;
use tipdex::server::error::ApiError;
use tipdex::server::{meili, native, Limits};
use tipdex::Engine;

/// The answer ceiling of the fuzzed requests (small, so the ceiling is exercised).
const MAX_ANSWER_BYTES: usize = 1 << 20;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<(tempfile::TempDir, Engine)> = OnceLock::new();
    &ENGINE
        .get_or_init(|| {
            let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
            let loaded = tipdex::corpus::load(&corpus).expect("the shipped corpus loads");
            let provenance = Provenance {
                glossary: loaded.glossary.clone(),
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

fn budget() -> Budget {
    Budget::unlimited()
        .with_time(Duration::from_secs(5))
        .with_max_answer_bytes(MAX_ANSWER_BYTES)
}

/// A failure the client or the budget caused, never the server.
fn check(route: &str, text: &str, e: &ApiError) {
    let budget_spent = e.status.as_u16() == 503 && e.retry_after.is_some();
    assert!(
        e.status.is_client_error() || budget_spent,
        "{route} {text:?}: {} {} {}",
        e.status,
        e.code,
        e.message
    );
}

fn meili_search(route: &str, text: &str, query: &meili::MeiliQuery, budget: &Budget) {
    let limits = Limits::default();
    let _ = meili::cost(query);
    match meili::search(engine(), query, &limits, budget) {
        Ok(answer) => {
            let bytes = tipdex::server::error::to_safe_json(&answer).expect("serializes");
            assert!(bytes.len() < 4 * MAX_ANSWER_BYTES, "{route} {text:?}: {} bytes", bytes.len());
        }
        Err(e) => check(route, text, &e),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&route, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let limits = Limits::default();
    match route % 4 {
        0 => match native::search_request(text, &limits) {
            Ok(request) => {
                let _ = request.cost();
                match engine().search_within(&request, &budget()) {
                    Ok(response) => assert!(response.hits.len() <= request.limit),
                    Err(e) => check("/api/search", text, &ApiError::from(e)),
                }
            }
            Err(e) => check("/api/search", text, &e),
        },
        1 => match meili::query_from_url(text) {
            Ok(query) => meili_search("GET /indexes/sections/search", text, &query, &budget()),
            Err(e) => check("GET /indexes/sections/search", text, &e),
        },
        2 => {
            let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
                return;
            };
            if let Ok(query) = serde_json::from_value::<meili::MeiliQuery>(value) {
                meili_search("POST /indexes/sections/search", text, &query, &budget());
            }
        }
        _ => {
            let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
                return;
            };
            match meili::multi_search_queries(value) {
                Ok(queries) => {
                    // One budget for the whole multi-search, as the server gives it.
                    let budget = budget();
                    for query in &queries {
                        meili_search("/multi-search", text, query, &budget);
                    }
                }
                Err(e) => check("/multi-search", text, &e),
            }
        }
    }
});
