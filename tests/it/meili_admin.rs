//! The Meilisearch routes around search (issue 18): read-only settings and stats, and
//! write routes refused as a search-only key is, in Meilisearch's error shape.

use crate::harness::server::{request, Server};
use crate::harness::*;

#[test]
fn settings_and_stats_say_what_is_filterable_sortable_and_how_many() {
    let ix = Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    let settings = server.get("/indexes/sections/settings");
    assert_eq!(settings.status, 200, "{}", settings.text());
    let s = settings.json();
    assert_eq!(s["sortableAttributes"], serde_json::json!(["year"]));
    let filterable = s["filterableAttributes"].as_array().unwrap();
    for name in ["kind", "year", "org", "language", "document"] {
        assert!(filterable.iter().any(|f| f == name), "{name}");
    }
    let one = server.get("/indexes/sections/settings/filterable-attributes");
    assert_eq!(one.json(), s["filterableAttributes"]);
    assert_eq!(
        server
            .get("/indexes/sections/settings/ranking-rules")
            .json(),
        s["rankingRules"]
    );
    let missing = server.get("/indexes/sections/settings/no-such-setting");
    assert_eq!(missing.status, 404);
    assert!(missing.json()["code"].is_string() && missing.json()["link"].is_string());
    let stats = server.get("/indexes/sections/stats").json();
    assert_eq!(stats["isIndexing"], false);
    let n = stats["numberOfDocuments"].as_u64().unwrap();
    let native = server.get("/api/stats").json();
    assert_eq!(n, native["total"].as_u64().unwrap());
    let all = server.get("/stats").json();
    assert_eq!(all["indexes"]["sections"]["numberOfDocuments"], n);
    assert_eq!(
        server.get("/indexes/other/settings").json()["code"],
        "index_not_found"
    );
}

#[test]
fn write_routes_are_refused_in_meilisearchs_shape() {
    let ix = Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    let body = r#"[{"id": "x", "title": "t", "body": "b"}]"#;
    for (method, path) in [
        ("POST", "/indexes/sections/documents"),
        ("PUT", "/indexes/sections/documents"),
        ("DELETE", "/indexes/sections/documents"),
        ("DELETE", "/indexes/sections/documents/org-unodc"),
        ("POST", "/indexes/sections/documents/delete-batch"),
        ("PATCH", "/indexes/sections/settings"),
        ("PUT", "/indexes/sections/settings/filterable-attributes"),
        ("DELETE", "/indexes/sections"),
        ("POST", "/indexes"),
        ("POST", "/swap-indexes"),
        ("DELETE", "/tasks"),
        ("POST", "/tasks/cancel"),
    ] {
        let r = request(
            server.addr,
            method,
            path,
            &[("content-type", "application/json")],
            Some(body.as_bytes()),
        );
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text());
        let v = r.json();
        assert_eq!(v["code"], "invalid_api_key", "{method} {path}");
        assert_eq!(v["type"], "auth", "{method} {path}");
        assert!(v["message"].as_str().unwrap().contains("read-only"), "{v}");
    }
    // Nothing was written: the index answers as before.
    let r = server.get("/indexes/sections/search?q=UNODC");
    assert!(r.json()["estimatedTotalHits"].as_u64().unwrap() >= 1);
}

#[test]
fn documents_are_listed_by_page_with_fields_and_filters() {
    let ix = Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    let total = server.get("/indexes/sections/stats").json()["numberOfDocuments"]
        .as_u64()
        .unwrap();
    let first = server.get("/indexes/sections/documents");
    assert_eq!(first.status, 200, "{}", first.text());
    let v = first.json();
    assert_eq!(v["total"], total);
    assert_eq!(
        (v["offset"].as_u64(), v["limit"].as_u64()),
        (Some(0), Some(20))
    );
    assert_eq!(v["results"].as_array().unwrap().len(), 20);
    // Pages, walked to the end, hold every section once.
    let mut seen = std::collections::BTreeSet::new();
    for offset in (0..total).step_by(7) {
        let page = server
            .get(&format!(
                "/indexes/sections/documents?offset={offset}&limit=7&fields=id,kind"
            ))
            .json();
        for doc in page["results"].as_array().unwrap() {
            let fields: Vec<&String> = doc.as_object().unwrap().keys().collect();
            assert_eq!(fields, ["id", "kind"], "{doc}");
            assert!(
                seen.insert(doc["id"].as_str().unwrap().to_string()),
                "{doc} twice"
            );
        }
    }
    assert_eq!(seen.len() as u64, total);
    // The same through POST /documents/fetch, filtered.
    let reports = server.post_json(
        "/indexes/sections/documents/fetch",
        &serde_json::json!({ "filter": "kind = report", "limit": 100, "fields": ["id", "kind"] }),
    );
    assert_eq!(reports.status, 200, "{}", reports.text());
    let r = reports.json();
    let results = r["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results.iter().all(|d| d["kind"] == "report"));
    assert_eq!(r["total"].as_u64().unwrap() as usize, results.len());
    // Mistakes are named.
    let bad = server.get("/indexes/sections/documents?filter=kind%20%3D%3D%20x");
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["code"], "invalid_document_filter");
    let bad = server.get("/indexes/sections/documents?limt=3");
    assert_eq!(bad.json()["code"], "bad_request");
    let bad = server.post_json(
        "/indexes/sections/documents/fetch",
        &serde_json::json!({ "limt": 3 }),
    );
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert_eq!(
        server.get("/indexes/other/documents").json()["code"],
        "index_not_found"
    );
}

#[test]
fn keys_tasks_and_facet_search_answer_as_meilisearch_without_a_master_key() {
    let ix = Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    for (method, path) in [
        ("GET", "/keys"),
        ("POST", "/keys"),
        ("GET", "/keys/abc"),
        ("DELETE", "/keys/abc"),
    ] {
        let r = request(
            server.addr,
            method,
            path,
            &[("content-type", "application/json")],
            Some(b"{}"),
        );
        assert_eq!(r.status, 401, "{method} {path}");
        assert_eq!(r.json()["code"], "missing_master_key");
        assert_eq!(r.json()["type"], "auth");
    }
    // Without a master key any Authorization header is accepted, as Meilisearch does.
    let r = request(
        server.addr,
        "GET",
        "/indexes/sections/search?q=GRETA",
        &[("authorization", "Bearer whatever")],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let tasks = server.get("/tasks").json();
    assert_eq!(tasks["results"], serde_json::json!([]));
    assert_eq!(tasks["total"], 0);
    let one = server.get("/tasks/3");
    assert_eq!(one.status, 404);
    assert_eq!(one.json()["code"], "task_not_found");
    assert_eq!(server.get("/batches/3").json()["code"], "batch_not_found");
    let facet = server.post_json(
        "/indexes/sections/facet-search",
        &serde_json::json!({ "facetName": "kind", "facetQuery": "rep" }),
    );
    assert_eq!(facet.status, 400);
    assert_eq!(facet.json()["code"], "facet_search_disabled");
    assert_eq!(
        server.get("/indexes/sections/settings").json()["facetSearch"],
        false
    );
}
