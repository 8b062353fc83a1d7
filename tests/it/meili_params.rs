//! Meilisearch's search parameters over HTTP (issue 18): the `CONTAINS` and `STARTS WITH`
//! filter operators, checked against the sections `tipdex sections` prints; every
//! parameter Meilisearch knows either honoured or refused with Meilisearch's own code;
//! a parameter it does not know refused, as Meilisearch refuses it.

use crate::harness::server::{enc, Server};
use crate::harness::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The ids of the sections whose field satisfies `keep` (the oracle: the corpus as parsed).
fn sections_where(dir: &std::path::Path, keep: impl Fn(&Value) -> bool) -> BTreeSet<String> {
    let corpus = corpus_dir();
    let o = run_in(dir, &["sections", "--corpus", corpus.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|s| keep(s))
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

fn ids_for_filter(server: &Server, filter: &str) -> BTreeSet<String> {
    let r = server.post_json(
        "/indexes/sections/search",
        &json!({ "q": "", "filter": filter, "limit": 1000, "attributesToRetrieve": ["id"] }),
    );
    assert_eq!(r.status, 200, "{filter}: {}", r.text());
    r.json()["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

fn org_lower(s: &Value) -> String {
    s["org"].as_str().unwrap_or_default().to_lowercase()
}

#[test]
fn contains_and_starts_with_select_what_the_corpus_says() {
    let ix = Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    let dir = ix.dir.path();

    let europe = sections_where(dir, |s| org_lower(s).contains("europe"));
    assert!(europe.len() >= 5, "{europe:?}");
    assert_eq!(ids_for_filter(&server, r#"org CONTAINS "Europe""#), europe);
    assert_eq!(ids_for_filter(&server, r#""org" CONTAINS europe"#), europe);

    let united = sections_where(dir, |s| org_lower(s).starts_with("united nations"));
    assert!(united.len() > 10, "{united:?}");
    assert_eq!(
        ids_for_filter(&server, r#"org STARTS WITH "united nations""#),
        united
    );
    // Negation keeps the sections without an organization, as Meilisearch's NOT does.
    let not_europe = sections_where(dir, |s| !org_lower(s).contains("europe"));
    assert_eq!(
        ids_for_filter(&server, r#"org NOT CONTAINS "europe""#),
        not_europe
    );
    // Inside a larger expression, with quoted attributes and the array form.
    let r = server.post_json(
        "/indexes/sections/search",
        &json!({ "q": "trafficking", "limit": 100,
                 "filter": [["\"org\" STARTS WITH \"council\"", "org CONTAINS europol"], "kind = organization"] }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let orgs: BTreeSet<String> = r.json()["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["org"].as_str().unwrap().to_string())
        .collect();
    assert!(!orgs.is_empty());
    assert!(
        orgs.iter()
            .all(|o| o == "Council of Europe" || o == "Europol"),
        "{orgs:?}"
    );

    // Kinds are a closed list: the kinds whose name matches.
    let reports = sections_where(dir, |s| s["kind"] == "report");
    assert_eq!(ids_for_filter(&server, "kind CONTAINS port"), reports);
    let organizations = sections_where(dir, |s| s["kind"] == "organization");
    assert_eq!(
        ids_for_filter(&server, "kind STARTS WITH ORG"),
        organizations
    );
    assert!(ids_for_filter(&server, "kind CONTAINS zzz").is_empty());
    // Characters that mean something in a regular expression are only characters.
    assert!(ids_for_filter(&server, r#"org CONTAINS ".*""#).is_empty());

    // A year is a number: the operators are refused, naming the alternative.
    let r = server.post_json(
        "/indexes/sections/search",
        &json!({ "q": "", "filter": "year CONTAINS 20" }),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["code"], "invalid_search_filter");
    assert!(
        r.json()["message"].as_str().unwrap().contains("TO"),
        "{}",
        r.text()
    );
    // The native API takes the same expressions.
    let native = server.get(&format!(
        "/api/search?q=&limit=100&filter={}",
        enc("org CONTAINS europe")
    ));
    assert_eq!(native.status, 200, "{}", native.text());
    assert_eq!(
        native.json()["total_hits"].as_u64().unwrap() as usize,
        europe.len()
    );
}

#[test]
fn parameters_are_honoured_or_refused_never_ignored() {
    let ix = Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    let search = |body: Value| server.post_json("/indexes/sections/search", &body);
    let refused = |body: Value, code: &str| {
        let r = search(body.clone());
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert_eq!(r.json()["code"], code, "{body}: {}", r.text());
        assert_eq!(r.json()["type"], "invalid_request", "{}", r.text());
        assert!(r.json()["link"].is_string());
    };
    // Unknown to Meilisearch too: a typo is an error, not a default.
    refused(json!({ "q": "GRETA", "limt": 3 }), "bad_request");
    let get = server.get("/indexes/sections/search?q=GRETA&limt=3");
    assert_eq!(get.status, 400, "{}", get.text());
    assert_eq!(get.json()["code"], "bad_request");
    assert!(get.json()["message"].as_str().unwrap().contains("limt"));
    // Known to Meilisearch, and not something tipdex can do.
    refused(
        json!({ "q": "GRETA", "matchingStrategy": "all" }),
        "invalid_search_matching_strategy",
    );
    refused(
        json!({ "q": "GRETA", "matchingStrategy": "most" }),
        "invalid_search_matching_strategy",
    );
    refused(
        json!({ "q": "GRETA", "distinct": "org" }),
        "invalid_search_distinct",
    );
    refused(
        json!({ "q": "GRETA", "rankingScoreThreshold": 0.5 }),
        "invalid_search_ranking_score_threshold",
    );
    refused(
        json!({ "q": "GRETA", "attributesToSearchOn": ["title"] }),
        "invalid_search_attributes_to_search_on",
    );
    refused(
        json!({ "q": "GRETA", "hybrid": { "embedder": "default" } }),
        "invalid_search_hybrid_query",
    );
    refused(
        json!({ "q": "GRETA", "vector": [0.1, 0.2] }),
        "invalid_search_vector",
    );
    refused(
        json!({ "q": "GRETA", "showRankingScoreDetails": true }),
        "invalid_search_show_ranking_score_details",
    );
    let multi = server.post_json(
        "/multi-search",
        &json!({ "queries": [{ "indexUid": "sections", "q": "GRETA", "distinct": "org" }] }),
    );
    assert_eq!(multi.status, 400);
    assert_eq!(multi.json()["code"], "invalid_search_distinct");
    // Accepted, with the documented meaning: the answer is the default one.
    let plain = search(json!({ "q": "GRETA" })).json();
    for accepted in [
        json!({ "q": "GRETA", "matchingStrategy": "last" }),
        json!({ "q": "GRETA", "matchingStrategy": "frequency" }),
        json!({ "q": "GRETA", "attributesToSearchOn": ["*"] }),
        json!({ "q": "GRETA", "locales": ["eng", "fra"] }),
        json!({ "q": "GRETA", "retrieveVectors": false, "showRankingScoreDetails": false }),
    ] {
        let r = search(accepted.clone());
        assert_eq!(r.status, 200, "{accepted}: {}", r.text());
        assert_eq!(r.json()["hits"], plain["hits"], "{accepted}");
    }
    let get = server.get("/indexes/sections/search?q=GRETA&matchingStrategy=last&locales=eng");
    assert_eq!(get.status, 200, "{}", get.text());
}
