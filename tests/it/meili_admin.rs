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
        assert!(v["message"].as_str().unwrap().contains("read-only"), "{v}");
    }
    // Nothing was written: the index answers as before.
    let r = server.get("/indexes/sections/search?q=UNODC");
    assert!(r.json()["estimatedTotalHits"].as_u64().unwrap() >= 1);
}
