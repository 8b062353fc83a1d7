//! Hardening of `tipdex serve` (issue 19): bounded work per request, cancellation when
//! a client leaves, bounded Meilisearch highlight options, JSON errors on every route
//! and for malformed HTTP, duplicate parameters, stats without absolute paths, the
//! origins allowed to read answers and the hosts answered.

use crate::harness::server::*;
use crate::harness::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A temp dir with an index of `n` generated sections at `index/`.
fn generated_index(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_generated_corpus(&dir.path().join("corpus"), n, false);
    let o = build_index(dir.path(), "corpus", "index");
    assert!(o.status.success(), "{}", stderr(&o));
    dir
}

/// A field of `/proc/PID/status`, in kB.
fn status_kb(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// CPU time the process has used, in clock ticks (user + system).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Misspellings of the generated corpus's words, one letter left out (each within
/// typo distance of a word of the index), in a varied order.
fn misspellings() -> Vec<String> {
    let words = [
        "trafficking",
        "exploitation",
        "rapporteur",
        "protection",
        "prosecution",
        "prevention",
        "children",
        "migrants",
        "violence",
        "conflict",
        "marriage",
    ];
    let mut out = Vec::new();
    for offset in 1..8 {
        for word in words {
            let chars: Vec<char> = word.chars().collect();
            let at = (offset * 3) % chars.len();
            let typo: String = chars
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != at)
                .map(|(_, c)| c)
                .collect();
            out.push(typo);
        }
    }
    out
}

/// Misspelled words joined by OR, at most 1024 characters.
fn or_of_misspellings() -> String {
    let mut q = String::new();
    for word in misspellings().iter().cycle() {
        if q.len() + word.len() + 4 > 1024 {
            break;
        }
        if !q.is_empty() {
            q.push_str(" OR ");
        }
        q.push_str(word);
    }
    q
}

#[test]
fn issue19_a_heavy_request_is_bounded_in_work_and_memory() {
    let dir = generated_index(20_000);
    // What is checked is memory and the expansion ceiling, not time: a generous search
    // timeout keeps the last request from timing out beside other tests in a debug build.
    let server = Server::start(
        dir.path(),
        &dir.path().join("index"),
        &["--search-timeout", "60"],
    );
    let q = enc(&or_of_misspellings());
    // Explanations only for small pages.
    let r = server.get(&format!("/api/search?q={q}&limit=1000&explain=true"));
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("at most 20 hits"), "{}", r.text());
    // Eight of the largest legal requests at once: answered, the memory bounded.
    let baseline = status_kb(server.pid(), "VmRSS");
    let answers: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| server.get(&format!("/api/search?q={q}&limit=1000")).status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for status in &answers {
        assert!(*status == 200 || *status == 503, "{answers:?}");
    }
    assert!(answers.contains(&200), "{answers:?}");
    let peak = status_kb(server.pid(), "VmHWM");
    assert!(
        peak < baseline + 300 * 1024,
        "peak memory {peak} kB from a baseline of {baseline} kB"
    );
    let r = server.get(&format!("/api/search?q={q}&limit=10&explain=true"));
    assert_eq!(r.status, 200, "{}", r.text());
    let notes = r.json()["explain"]["notes"].to_string();
    assert!(notes.contains("stopped after 64 index words"), "{notes}");
}

#[test]
fn issue19_a_search_stops_when_its_client_leaves() {
    let dir = generated_index(20_000);
    let server = Server::start(
        dir.path(),
        &dir.path().join("index"),
        &["--search-timeout", "60"],
    );
    // A multi-search of 100 long queries of misspellings: seconds of work in a debug build.
    let typos = misspellings();
    let queries: Vec<_> = (0..60)
        .map(|i| {
            let q: Vec<&str> = (0..30)
                .map(|k| typos[(i + k * 7) % typos.len()].as_str())
                .collect();
            json!({"indexUid": "sections", "q": q.join(" "), "limit": 10})
        })
        .collect();
    let body = serde_json::to_vec(&json!({ "queries": queries })).unwrap();
    // How long the whole multi-search takes when its client waits.
    let started = Instant::now();
    let r = request(
        server.addr,
        "POST",
        "/multi-search",
        &[("Content-Type", "application/json")],
        Some(&body),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let whole = started.elapsed();
    // Now the client leaves a tenth of the way in.
    let before = cpu_ticks(server.pid());
    let mut stream = TcpStream::connect(server.addr).unwrap();
    let head = format!(
        "POST /multi-search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body).unwrap();
    std::thread::sleep(whole / 10);
    drop(stream);
    std::thread::sleep(whole + Duration::from_millis(500));
    let ticks = cpu_ticks(server.pid()) - before;
    let hz = 100.0; // USER_HZ on Linux
    let used = ticks as f64 / hz;
    eprintln!(
        "whole multi-search {:.2} s; CPU after the client left at a tenth: {used:.2} s",
        whole.as_secs_f64()
    );
    assert!(
        used < whole.as_secs_f64() * 0.6,
        "the server kept working after the client left: {used:.2} s of CPU, the whole search takes {:.2} s",
        whole.as_secs_f64()
    );
}

#[test]
fn issue19_meilisearch_highlight_tags_are_bounded() {
    let ix = Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    let long = "x".repeat(257);
    for name in ["highlightPreTag", "highlightPostTag", "cropMarker"] {
        let r = server.post_json(
            "/indexes/sections/search",
            &json!({"q": "trafficking", "attributesToHighlight": ["*"], name: long}),
        );
        assert_eq!(r.status, 400, "{name}: {}", r.text());
        let v = r.json();
        assert!(
            v["code"].as_str().unwrap().starts_with("invalid_search_"),
            "{v}"
        );
        assert!(v["message"].as_str().unwrap().contains("256"), "{v}");
    }
    // The longest tags allowed, on every match of every field of every hit, from many
    // clients at once: the answers and the server's memory stay bounded.
    let tag = "y".repeat(256);
    let body = json!({
        "q": "trafficking persons children", "limit": 1000,
        "attributesToHighlight": ["*"], "attributesToCrop": ["*"], "cropLength": 1000,
        "highlightPreTag": tag, "highlightPostTag": tag, "cropMarker": tag,
    });
    let baseline = status_kb(server.pid(), "VmRSS");
    std::thread::scope(|s| {
        for _ in 0..16 {
            s.spawn(|| {
                let r = server.post_json("/indexes/sections/search", &body);
                assert!(matches!(r.status, 200 | 400 | 503), "{}", r.status);
                assert!(r.body.len() < 64 << 20);
            });
        }
    });
    let peak = status_kb(server.pid(), "VmHWM");
    assert!(
        peak < baseline + 300 * 1024,
        "peak {peak} kB, baseline {baseline} kB"
    );
}

/// Sends raw bytes on a new connection and reads the answer until the server closes.
fn raw(server: &Server, bytes: &[u8]) -> Response {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    parse_response(&answer).unwrap_or_else(|| {
        panic!(
            "no response to {:?}: {:?}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&answer)
        )
    })
}

fn assert_json_error(r: &Response, status: u16, meili: bool, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.text());
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "{what}: {:?}",
        r.headers
    );
    let v = r.json();
    if meili {
        assert!(
            v["message"].is_string() && v["code"].is_string() && v["type"].is_string(),
            "{what}: {v}"
        );
    } else {
        assert!(
            v["error"]["code"].is_string() && v["error"]["message"].is_string(),
            "{what}: {v}"
        );
    }
}

#[test]
fn issue19_every_error_is_json_in_the_shape_of_its_route() {
    let ix = Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    // Invalid UTF-8 in a path segment.
    assert_json_error(&server.get("/api/docs/%ff"), 400, false, "/api/docs/%ff");
    assert_json_error(
        &server.get("/indexes/%ff/search"),
        400,
        true,
        "/indexes/%ff/search",
    );
    assert_json_error(
        &server.get("/indexes/sections/documents/%ff"),
        400,
        true,
        "/indexes/sections/documents/%ff",
    );
    // Unknown routes and methods: Meilisearch's shape on its paths.
    assert_json_error(
        &server.get("/indexes/sections/nothing"),
        404,
        true,
        "unknown meili route",
    );
    assert_json_error(
        &server.get("/api/nothing"),
        404,
        false,
        "unknown native route",
    );
    let r = request(server.addr, "DELETE", "/api/search", &[], None);
    assert_json_error(&r, 405, false, "DELETE /api/search");
    // Malformed HTTP on the first request of a connection.
    for bad in [
        &b"GET /a b c HTTP/1.1\r\nHost: localhost\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        b"GET / HTTP/7.0\r\n\r\n",
        b"POST /multi-search HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    ] {
        assert_json_error(
            &raw(&server, bad),
            400,
            false,
            &String::from_utf8_lossy(bad),
        );
    }
    let mut many = b"GET /health HTTP/1.1\r\n".to_vec();
    for i in 0..120 {
        many.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    assert_json_error(&raw(&server, &many), 431, false, "120 headers");
    // ... and on a later request of a keep-alive connection (hyper parses those).
    let mut keep = b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec();
    keep.extend_from_slice(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n");
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(&keep).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let second = text
        .match_indices("HTTP/1.1 ")
        .nth(1)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("{text}"));
    let r = parse_response(&answer[second..]).unwrap();
    assert_json_error(&r, 400, false, "malformed second request");
}

#[test]
fn issue19_duplicate_parameters_are_errors_on_every_route() {
    let ix = Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    let r = server.get("/api/search?q=slavery&q=children");
    assert_json_error(&r, 400, false, "native");
    let r = server.get("/indexes/sections/search?q=slavery&q=children");
    assert_json_error(&r, 400, true, "meili");
    assert_eq!(r.json()["code"], "invalid_search_q");
    let r = server.get("/indexes/sections/search?q=slavery&limit=1&limit=2");
    assert_eq!(r.json()["code"], "invalid_search_limit", "{}", r.text());
}

#[test]
fn issue19_stats_show_no_absolute_paths() {
    let ix = Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    let r = server.get("/api/stats");
    assert_eq!(r.status, 200);
    let text = r.text();
    for absolute in [
        ix.dir.path().display().to_string(),
        corpus_dir().display().to_string(),
        "\"/".to_string(),
    ] {
        assert!(!text.contains(&absolute), "{absolute} in {text}");
    }
    assert_eq!(r.json()["build"]["corpus"], "corpus");
}

#[test]
fn issue19_only_allowed_origins_read_answers_and_only_loopback_names_are_answered() {
    let ix = Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    let get_from = |origin: &str| {
        request(
            server.addr,
            "GET",
            "/api/search?q=GRETA",
            &[("Origin", origin)],
            None,
        )
    };
    let r = get_from("http://localhost:5173");
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    let r = get_from("https://evil.example");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
    // A page on another name pointed at 127.0.0.1 (DNS rebinding) is not answered.
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .write_all(b"GET /api/search?q=GRETA HTTP/1.1\r\nHost: evil.example:7878\r\nConnection: close\r\n\r\n")
        .unwrap();
    let r = read_response(&mut stream).unwrap();
    assert_json_error(&r, 403, false, "Host: evil.example");
    drop(server);
    // A name given with --allow-host (a reverse proxy's) is answered.
    let server = Server::start(
        ix.dir.path(),
        &ix.index(),
        &["--allow-host", "search.ngo.example"],
    );
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .write_all(
            b"GET /health HTTP/1.1\r\nHost: search.ngo.example:443\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    assert_eq!(read_response(&mut stream).unwrap().status, 200);
    drop(server);
    let server = Server::start(
        ix.dir.path(),
        &ix.index(),
        &[
            "--allow-origin",
            "https://ngo.example",
            "--allow-origin",
            "https://other.example",
        ],
    );
    let r = request(
        server.addr,
        "GET",
        "/api/search?q=GRETA",
        &[("Origin", "https://ngo.example")],
        None,
    );
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://ngo.example")
    );
    assert_eq!(r.header("vary"), Some("Origin"));
    let r = request(
        server.addr,
        "GET",
        "/api/search?q=GRETA",
        &[("Origin", "https://evil.example")],
        None,
    );
    assert_eq!(r.header("access-control-allow-origin"), None);
    drop(server);
    let server = Server::start(ix.dir.path(), &ix.index(), &["--allow-origin", "*"]);
    let r = request(
        server.addr,
        "GET",
        "/api/search?q=GRETA",
        &[("Origin", "https://evil.example")],
        None,
    );
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
}
