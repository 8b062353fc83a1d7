//! `tipdex serve` over real HTTP (issues 4 and 6): the native API, its errors and
//! limits, CORS, the page's headers, and the Meilisearch-compatible routes as raw JSON
//! (the real Meilisearch client runs in `server_meili_js.rs`).

use crate::harness::server::*;
use crate::harness::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn start() -> (Indexed, Server) {
    let ix = Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &["--request-timeout", "1"]);
    (ix, server)
}

fn without_took(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("took_ms");
    v
}

fn error_code(r: &Response) -> String {
    r.json()["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn search_answers_the_same_json_as_query() {
    let (ix, server) = start();
    let cases: [(&str, &[&str]); 6] = [
        ("q=GRETA", &["GRETA"]),
        ("q=non-punishment", &["non-punishment"]),
        (
            "q=trafiking&limit=3&offset=2",
            &["trafiking", "--limit", "3", "--offset", "2"],
        ),
        (
            "q=children&kind=report&year=2021",
            &["children", "--kind", "report", "--year", "2021"],
        ),
        ("q=A%2FHRC%2F49", &["A/HRC/49"]),
        (
            "q=%22sale+of+children%22+OR+genocide",
            &["\"sale of children\" OR genocide"],
        ),
    ];
    for (params, args) in cases {
        let r = server.get(&format!("/api/search?{params}&facets=false"));
        assert_eq!(r.status, 200, "{params}: {}", r.text());
        assert_eq!(
            r.header("content-type"),
            Some("application/json"),
            "{params}"
        );
        let http = without_took(r.json());
        let cli = without_took(ix.query_json(args));
        assert_eq!(http, cli, "{params}");
        assert!(!http["hits"].as_array().unwrap().is_empty(), "{params}");
    }
    // By default the page gets counts per kind, year and org as well.
    let v = server.get("/api/search?q=trafficking").json();
    assert!(v["facets"]["kind"]["report"].as_u64().unwrap() > 0, "{v}");
    assert!(v["facets"]["year"].as_object().is_some(), "{v}");
}

#[test]
fn filters_offsets_suggestions_documents_stats_and_health() {
    let (_ix, server) = start();
    let v = server
        .get("/api/search?q=trafficking&kind=report&year=2021&limit=50")
        .json();
    let hits = v["hits"].as_array().unwrap();
    assert!(!hits.is_empty(), "{v}");
    assert!(
        hits.iter()
            .all(|h| h["kind"] == "report" && h["year"] == 2021),
        "{v}"
    );

    // kind repeats and takes comma-separated lists.
    for params in [
        "kind=report&kind=mandate",
        "kind=report,mandate",
        "kind=report%2C+mandate",
    ] {
        let v = server
            .get(&format!("/api/search?q=trafficking&limit=100&{params}"))
            .json();
        let kinds: Vec<&str> = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["kind"].as_str().unwrap())
            .collect();
        assert!(
            kinds.contains(&"report") && kinds.contains(&"mandate"),
            "{params}: {kinds:?}"
        );
        assert!(
            kinds.iter().all(|k| *k == "report" || *k == "mandate"),
            "{params}"
        );
    }

    // A Meilisearch filter expression works on the native API too.
    let v = server
        .get(&format!(
            "/api/search?q=trafficking&limit=100&filter={}",
            enc("kind = report AND year >= 2021")
        ))
        .json();
    let hits = v["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    assert!(hits
        .iter()
        .all(|h| h["kind"] == "report" && h["year"].as_i64().unwrap() >= 2021));

    // Offsets page through the same ranking.
    let two = server.get("/api/search?q=trafficking&limit=2").json();
    let second = server
        .get("/api/search?q=trafficking&limit=1&offset=1")
        .json();
    assert_eq!(two["hits"][1]["id"], second["hits"][0]["id"]);
    assert_eq!(second["offset"], 1);
    assert_eq!(second["hits"][0]["rank"], 2);

    let v = server.get("/api/suggest?q=traf").json();
    assert_eq!(v["query"], "traf");
    let texts: Vec<&str> = v["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert!(texts.contains(&"trafficking"), "{texts:?}");
    assert!(texts.len() <= 8, "{texts:?}");
    let v = server.get("/api/suggest?q=traf&limit=2").json();
    assert_eq!(v["suggestions"].as_array().unwrap().len(), 2);

    let id = two["hits"][0]["id"].as_str().unwrap().to_string();
    let doc = server.get(&format!("/api/docs/{}", enc(&id)));
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    assert_eq!(doc["id"], id.as_str());
    assert_eq!(doc["body"], two["hits"][0]["body"]);

    let missing = server.get("/api/docs/no-such-section");
    assert_eq!(missing.status, 404);
    assert_eq!(error_code(&missing), "document_not_found");
    // Ids are looked up in the index: paths never reach a file.
    for path in [
        "/api/docs/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/docs/%2Fetc%2Fpasswd",
        "/api/docs/../../Cargo.toml",
        "/Cargo.toml",
        "/src/server/page.html",
        "/index/CURRENT",
    ] {
        let r = server.get(path);
        assert_eq!(r.status, 404, "{path}: {}", r.text());
        assert!(!r.text().contains("root:"), "{path}");
        assert!(!r.text().contains("[package]"), "{path}");
        r.json();
    }

    let stats = server.get("/api/stats").json();
    assert_eq!(stats["total"], 53, "{stats}");
    assert_eq!(stats["sections"]["organization"], 18);
    assert!(stats["index_bytes"].as_u64().unwrap() > 0);
    assert!(stats["build"]["built_at"].as_u64().unwrap() > 0);
    assert!(stats["generation"].as_str().unwrap().starts_with("gen-"));

    let health = server.get("/health");
    assert_eq!(health.status, 200);
    assert_eq!(health.json(), json!({"status": "available"}));
}

#[test]
fn bad_parameters_are_400_with_a_json_error() {
    let (_ix, server) = start();
    let long = "a".repeat(1025);
    let cases = [
        "/api/search?q=x&limit=abc",
        "/api/search?q=x&limit=1001",
        "/api/search?q=x&limit=-1",
        "/api/search?q=x&offset=100001",
        "/api/search?q=x&offset=1.5",
        "/api/search?q=x&kind=bogus",
        "/api/search?q=x&year=twenty",
        "/api/search?q=x&facets=maybe",
        "/api/search?q=x&q=y",
        "/api/search?q=x&kinds=report",
        "/api/search?q=x&filter=kind%20%3D",
        "/api/search?q=x&filter=title%20%3D%20x",
        "/api/search?q=x&filter=kind%20%3D%20nonsense",
        "/api/suggest?q=x&limit=21",
        "/api/suggest?q=x&limit=x",
    ];
    for path in cases {
        let r = server.get(path);
        assert_eq!(r.status, 400, "{path}: {}", r.text());
        let v = r.json();
        assert!(
            v["error"]["message"].as_str().unwrap().len() > 5,
            "{path}: {v}"
        );
        assert!(v["error"]["code"].is_string(), "{path}: {v}");
    }
    let r = server.get(&format!("/api/search?q={long}"));
    assert_eq!(r.status, 400);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("1024"));
    // Exactly at the limit is fine.
    assert_eq!(
        server.get(&format!("/api/search?q={}", &long[1..])).status,
        200
    );
    // Any query text is a valid search, however odd.
    for q in [
        "",
        "%22",
        "-",
        "OR",
        "((",
        "a%3A",
        "%F0%9F%92%A5",
        "kind%3A",
        "*",
        "%00",
    ] {
        let r = server.get(&format!("/api/search?q={q}"));
        assert_eq!(r.status, 200, "{q}: {}", r.text());
    }
}

#[test]
fn unknown_routes_methods_and_oversized_requests() {
    let (_ix, server) = start();
    let r = server.get("/api/nothing");
    assert_eq!(r.status, 404);
    assert_eq!(error_code(&r), "not_found");

    let r = request(server.addr, "DELETE", "/api/search?q=x", &[], None);
    assert_eq!(r.status, 405, "{}", r.text());
    assert_eq!(error_code(&r), "method_not_allowed");
    assert!(r.header("allow").unwrap().contains("GET"));
    let r = request(server.addr, "POST", "/api/stats", &[], Some(b"{}"));
    assert_eq!(r.status, 405);

    // A body over 64 KiB, declared or streamed.
    let big = vec![b' '; 70 * 1024];
    let r = request(
        server.addr,
        "POST",
        "/indexes/sections/search",
        &[("Content-Type", "application/json")],
        Some(&big),
    );
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.json()["code"], "payload_too_large");
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .write_all(
            b"POST /multi-search HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
              Transfer-Encoding: chunked\r\n\r\n",
        )
        .unwrap();
    let chunk = vec![b' '; 16 * 1024];
    for _ in 0..5 {
        let _ = stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes());
        let _ = stream.write_all(&chunk);
        let _ = stream.write_all(b"\r\n");
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let r = read_response(&mut stream).unwrap();
    assert_eq!(r.status, 413, "{}", r.text());

    // Headers over 16 KiB.
    let huge = "x".repeat(20 * 1024);
    let r = request(server.addr, "GET", "/health", &[("X-Big", &huge)], None);
    assert_eq!(r.status, 431, "{}", r.text());
    assert_eq!(error_code(&r), "headers_too_large");
    let url = format!("/api/search?q={}", "a".repeat(20 * 1024));
    let r = request(server.addr, "GET", &url, &[], None);
    assert_eq!(r.status, 431);

    assert_eq!(server.get("/health").status, 200);
}

#[test]
fn a_client_too_slow_to_send_its_request_gets_408() {
    let (_ix, mut server) = start();
    // Headers trickled a byte at a time (the server was started with a 1 s limit).
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let request =
        b"GET /api/search?q=trafficking HTTP/1.1\r\nHost: localhost\r\nX-Slow: yes\r\n\r\n";
    let answer = trickle(&mut stream, &request[..request.len() - 4], started);
    let r = parse_response(&answer).expect("an answer before the connection closes");
    assert_eq!(r.status, 408, "{}", r.text());
    assert_eq!(error_code(&r), "request_timeout");
    assert!(started.elapsed() < Duration::from_secs(5));

    // A body that never finishes arriving.
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .write_all(
            b"POST /indexes/sections/search HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"q\":",
        )
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let r = read_response(&mut stream).unwrap();
    assert_eq!(r.status, 408, "{}", r.text());

    // An idle connection is closed, not kept forever.
    let mut idle = TcpStream::connect(server.addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 16];
    assert!(
        matches!(idle.read(&mut buf), Ok(0)),
        "idle connection closed"
    );

    // Garbage and half requests take nothing down.
    for junk in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"[..],
        b"GET / HTTP/1.1\r\n",
        b"NOT HTTP AT ALL\r\n\r\n",
        b"GET /health HTTP/9.9\r\n\r\n",
        b"\r\n\r\n",
    ] {
        let mut s = TcpStream::connect(server.addr).unwrap();
        let _ = s.write_all(junk);
        drop(s);
    }
    assert_eq!(server.get("/health").status, 200);
    assert!(server.is_running());
    assert!(!server.stderr().contains("panicked"), "{}", server.stderr());
}

#[test]
fn cors_preflight_and_security_headers() {
    let (_ix, server) = start();
    let r = request(
        server.addr,
        "GET",
        "/api/search?q=GRETA",
        &[("Origin", "http://localhost:5173")],
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));

    let r = request(
        server.addr,
        "OPTIONS",
        "/indexes/sections/search",
        &[
            ("Origin", "http://localhost:5173"),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "content-type, x-meilisearch-client",
            ),
        ],
        None,
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert!(r
        .header("access-control-allow-methods")
        .unwrap()
        .contains("POST"));
    assert!(r
        .header("access-control-allow-headers")
        .unwrap()
        .contains("x-meilisearch-client"));
    // Errors carry CORS headers too, so a browser can read them.
    let r = request(
        server.addr,
        "GET",
        "/api/search?limit=x",
        &[("Origin", "http://localhost:5173")],
        None,
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );

    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert!(page.text().contains("id=\"q\""));
}

#[test]
fn markup_in_a_query_is_never_reflected_unescaped() {
    let (_ix, server) = start();
    let attack = "<script>alert(1)</script> <img src=x onerror=alert(2)> trafficking";
    for path in [
        format!("/api/search?q={}", enc(attack)),
        format!("/api/suggest?q={}", enc(attack)),
        format!("/api/search?q=x&kind={}", enc(attack)),
        format!("/api/search?q=x&{}=1", enc(attack)),
        format!("/api/docs/{}", enc(attack)),
        format!("/indexes/{}/search?q=x", enc(attack)),
        format!(
            "/indexes/sections/search?q={}&attributesToHighlight=*",
            enc(attack)
        ),
        format!("/{}", enc(attack)),
    ] {
        let r = server.get(&path);
        let text = r.text();
        assert!(!text.contains('<') && !text.contains('>'), "{path}: {text}");
        // The JSON still says what was asked.
        r.json();
    }
    let v = server.get(&format!("/api/search?q={}", enc(attack))).json();
    assert_eq!(v["query"], attack);
}

#[test]
fn meilisearch_routes_answer_like_meilisearch() {
    let (_ix, server) = start();
    let r = server.post_json(
        "/indexes/sections/search",
        &json!({
            "q": "GRETA",
            "filter": "kind = organization",
            "facets": ["kind", "year"],
            "attributesToHighlight": ["*"],
            "showMatchesPosition": true,
        }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    for key in [
        "hits",
        "query",
        "processingTimeMs",
        "limit",
        "offset",
        "estimatedTotalHits",
        "facetDistribution",
    ] {
        assert!(v.get(key).is_some(), "{key}: {v}");
    }
    assert_eq!(v["limit"], 20);
    assert_eq!(v["offset"], 0);
    let hit = &v["hits"][0];
    assert_eq!(hit["id"], "organization-council-of-europe");
    assert!(hit["_formatted"]["body"]
        .as_str()
        .unwrap()
        .contains("<em>GRETA</em>"));
    assert!(
        hit["_matchesPosition"]["body"].as_array().is_some(),
        "{hit}"
    );
    let pos = &hit["_matchesPosition"]["body"][0];
    let body = hit["body"].as_str().unwrap();
    let (start, len) = (
        pos["start"].as_u64().unwrap() as usize,
        pos["length"].as_u64().unwrap() as usize,
    );
    assert!(body[start..start + len].len() == len);
    assert_eq!(
        v["facetDistribution"]["kind"],
        json!({"organization": v["estimatedTotalHits"]})
    );

    // The array form of filter, facets counted after filtering, custom tags and cropping.
    let v = server
        .post_json(
            "/indexes/sections/search",
            &json!({
                "q": "trafficking",
                "filter": [["kind = report", "kind = mandate"], "year >= 2020"],
                "facets": ["kind"],
                "limit": 50,
                "attributesToHighlight": ["title"],
                "highlightPreTag": "[",
                "highlightPostTag": "]",
                "attributesToCrop": ["body:5"],
            }),
        )
        .json();
    let hits = v["hits"].as_array().unwrap();
    assert!(!hits.is_empty(), "{v}");
    for h in hits {
        assert!(h["kind"] == "report" || h["kind"] == "mandate", "{h}");
        assert!(h["year"].as_i64().unwrap() >= 2020);
        let body = h["_formatted"]["body"].as_str().unwrap();
        assert!(body.split_whitespace().count() <= 7, "{body}");
        assert!(
            !body.contains('['),
            "body is cropped, not highlighted: {body}"
        );
    }
    assert!(hits
        .iter()
        .any(|h| h["_formatted"]["title"].as_str().unwrap().contains("[")));
    let counted: u64 = v["facetDistribution"]["kind"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(counted, v["estimatedTotalHits"].as_u64().unwrap());

    // Page-based answers.
    let v = server
        .post_json(
            "/indexes/sections/search",
            &json!({"q": "trafficking", "hitsPerPage": 3, "page": 2}),
        )
        .json();
    assert_eq!(v["hitsPerPage"], 3);
    assert_eq!(v["page"], 2);
    assert!(v["totalHits"].as_u64().unwrap() > 3);
    assert_eq!(
        v["totalPages"],
        v["totalHits"].as_u64().unwrap().div_ceil(3)
    );
    assert_eq!(v["hits"].as_array().unwrap().len(), 3);

    // GET search, multi-search, index info, version, documents.
    let v = server
        .get("/indexes/sections/search?q=GRETA&limit=1&facets=kind")
        .json();
    assert_eq!(v["hits"][0]["id"], "organization-council-of-europe");
    assert_eq!(v["limit"], 1);
    let v = server
        .post_json(
            "/multi-search",
            &json!({"queries": [
                {"indexUid": "sections", "q": "GRETA", "limit": 1},
                {"indexUid": "sections", "q": "UNODC", "filter": "kind = organization"},
            ]}),
        )
        .json();
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["indexUid"], "sections");
    assert_eq!(results[0]["hits"].as_array().unwrap().len(), 1);
    assert_eq!(results[1]["query"], "UNODC");
    assert_eq!(server.get("/indexes/sections").json()["primaryKey"], "id");
    assert!(server.get("/version").json()["pkgVersion"].is_string());
    let r = server.get("/indexes/sections/documents/organization-council-of-europe");
    assert_eq!(r.json()["title"], "Council of Europe");

    // Errors in Meilisearch's shape.
    let r = server.post_json("/indexes/movies/search", &json!({"q": "x"}));
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({
            "message": "Index `movies` not found.",
            "code": "index_not_found",
            "type": "invalid_request",
            "link": "https://docs.meilisearch.com/errors#index_not_found",
        })
    );
    for (body, code) in [
        (
            json!({"q": "x", "filter": "kind = "}),
            "invalid_search_filter",
        ),
        (
            json!({"q": "x", "filter": "kind = spaceship"}),
            "invalid_search_filter",
        ),
        (
            json!({"q": "x", "filter": "genre = drama"}),
            "invalid_search_filter",
        ),
        (json!({"q": "x", "filter": 42}), "invalid_search_filter"),
        (
            json!({"q": "x", "facets": ["title"]}),
            "invalid_search_facets",
        ),
        (json!({"q": "x", "limit": "ten"}), "bad_request"),
        (json!({"q": "x", "offset": -1}), "bad_request"),
        (json!({"q": "x".repeat(1025)}), "invalid_search_q"),
    ] {
        let r = server.post_json("/indexes/sections/search", &body);
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        let v = r.json();
        assert_eq!(v["code"], code, "{body}: {v}");
        assert_eq!(v["type"], "invalid_request");
    }
    let r = request(
        server.addr,
        "POST",
        "/indexes/sections/search",
        &[("Content-Type", "application/json")],
        Some(b"{not json"),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["code"], "bad_request");
    let r = server.post_json(
        "/multi-search",
        &json!({"queries": [{"indexUid": "sections", "q": "x"}, {"indexUid": "books", "q": "x"}]}),
    );
    assert_eq!(r.status, 404);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains(".queries[1]"));
}

#[test]
fn serve_refuses_a_missing_or_damaged_index_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &["serve", "--index", "nowhere", "--addr", "127.0.0.1:0"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no index"), "{}", stderr(&o));

    let ix = Indexed::new();
    let generation = std::fs::read_to_string(ix.index().join("CURRENT")).unwrap();
    let gen_dir = ix.index().join(generation.trim());
    // Damage every segment file: the checksums no longer match.
    for entry in std::fs::read_dir(&gen_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "store" || e == "idx") {
            let mut bytes = std::fs::read(&path).unwrap();
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0xff;
            std::fs::write(&path, bytes).unwrap();
        }
    }
    let index = ix.index();
    let o = run_in(
        ix.dir.path(),
        &[
            "serve",
            "--index",
            index.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot be used"), "{}", stderr(&o));

    let o = run_in(dir.path(), &["serve", "--index", "x", "--addr", "nonsense"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--addr"), "{}", stderr(&o));
}

#[test]
fn serve_builds_the_default_index_like_query() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, corpus.join(path.file_name().unwrap())).unwrap();
    }
    let mut command = std::process::Command::new(bin());
    command
        .args(["serve", "--addr", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("TIPDEX_INDEX")
        .env_remove("TIPDEX_CORPUS")
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut err = child.stderr.take().unwrap();
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut buf = [0u8; 1024];
    let started = |s: &str| {
        s.split_once("listening on http://")
            .is_some_and(|(_, rest)| rest.contains('\n'))
    };
    while !started(&seen) && Instant::now() < deadline {
        match err.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen.contains("building the index"), "{seen}");
    assert!(seen.contains("listening on http://127.0.0.1:"), "{seen}");
    assert!(dir.path().join("index/CURRENT").exists());
}
