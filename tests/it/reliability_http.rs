//! HTTP limits of `tipdex serve` not covered by `tests/server.rs` (issue 6): query
//! length in characters on every route, filter length and depth, a body trickled
//! slowly, the limits on later requests of a keep-alive connection, too many headers,
//! a client that stops reading its answers, and the size of a multi-search.

use crate::harness::server::*;
use crate::harness::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A server with a 1 s request timeout over the shipped corpus.
fn start() -> (Indexed, Server) {
    let ix = Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &["--request-timeout", "1"]);
    (ix, server)
}

#[test]
fn query_length_is_counted_in_characters_on_every_route() {
    let (_ix, server) = start();
    // 1024 two-byte characters are within the limit; one more is not.
    let at_limit = enc(&"é".repeat(1024));
    let over = enc(&"é".repeat(1025));
    for (route, ok_status) in [("/api/search", 200), ("/api/suggest", 200)] {
        let r = server.get(&format!("{route}?q={at_limit}"));
        assert_eq!(r.status, ok_status, "{route}: {}", r.text());
        let r = server.get(&format!("{route}?q={over}"));
        assert_eq!(r.status, 400, "{route}: {}", r.text());
        assert!(r.text().contains("1024"), "{}", r.text());
    }
    let r = server.get(&format!("/indexes/sections/search?q={over}"));
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["code"], "invalid_search_q");
    let r = server.post_json(
        "/multi-search",
        &json!({"queries": [{"indexUid": "sections", "q": "é".repeat(1025)}]}),
    );
    assert_eq!(r.status, 400, "{}", r.text());
}

#[test]
fn filter_length_and_nesting_are_limited() {
    let (_ix, server) = start();
    let deep_ok = format!("{}kind = report{}", "(".repeat(32), ")".repeat(32));
    let too_deep = format!("{}kind = report{}", "(".repeat(33), ")".repeat(33));
    let not_too_deep = format!("{}kind = report", "NOT ".repeat(40));
    let long = format!("kind = report{}", " OR kind = report".repeat(300));
    assert!(long.chars().count() > 4096);
    let r = server.post_json(
        "/indexes/sections/search",
        &json!({"q": "", "filter": deep_ok}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    for filter in [&too_deep, &not_too_deep, &long] {
        let r = server.post_json(
            "/indexes/sections/search",
            &json!({"q": "", "filter": filter}),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(r.json()["code"], "invalid_search_filter");
        let r = server.get(&format!("/api/search?q=x&filter={}", enc(filter)));
        assert_eq!(r.status, 400, "{}", r.text());
    }
    // The array form: each string is held to the same limits.
    let r = server.post_json(
        "/indexes/sections/search",
        &json!({"q": "", "filter": [[too_deep], "kind = report"]}),
    );
    assert_eq!(r.status, 400, "{}", r.text());
}

#[test]
fn a_body_trickled_slowly_is_cut_off_at_the_request_timeout() {
    let (_ix, server) = start();
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .write_all(
            b"POST /indexes/sections/search HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
              Content-Type: application/json\r\nContent-Length: 200\r\n\r\n",
        )
        .unwrap();
    // A byte every 100 ms: always some progress, never done within the 1 s limit.
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let answer = trickle(&mut stream, br#"{"q": "trafficking", "limit": 5, "padding": "...................................................................................................................................................."}"#, started);
    let r = parse_response(&answer).expect("an answer before the connection closes");
    assert_eq!(r.status, 408, "{}", r.text());
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.get("/health").status, 200);
}

/// Sends `first` and reads one keep-alive answer to it, returning the stream.
fn keep_alive_after_one_request(server: &Server) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    while parse_response(&raw).is_none_or(|r| r.body.is_empty()) {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed after the first request");
        raw.extend_from_slice(&buf[..n]);
    }
    assert_eq!(parse_response(&raw).unwrap().status, 200);
    stream
}

/// Reads until the server closes the connection (or `limit` passes); what it sent.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let started = Instant::now();
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    while started.elapsed() < limit {
        match stream.read(&mut buf) {
            Ok(0) => return (raw, true),
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (raw, true),
            Err(_) => {}
        }
    }
    (raw, false)
}

#[test]
fn later_requests_on_a_keep_alive_connection_are_held_to_the_same_limits() {
    let (_ix, server) = start();

    // Oversized headers on the second request: a 431 or the connection closed.
    let mut stream = keep_alive_after_one_request(&server);
    let big = "x".repeat(40 * 1024);
    let _ = stream.write_all(
        format!("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: {big}\r\n\r\n").as_bytes(),
    );
    let (raw, closed) = read_until_closed(&mut stream, Duration::from_secs(5));
    assert!(closed, "the connection stays open");
    if let Some(r) = parse_response(&raw) {
        assert_eq!(r.status, 431, "{}", r.text());
    }

    // Headers of the second request trickled: closed after the timeout.
    let started = Instant::now();
    let mut stream = keep_alive_after_one_request(&server);
    let mut closed = false;
    for b in b"GET /api/search?q=trafficking HTTP/1.1\r\nHost: localhost\r\nX-Slow: yes" {
        if stream.write_all(&[*b]).is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        if started.elapsed() > Duration::from_secs(4) {
            break;
        }
    }
    if !closed {
        closed = read_until_closed(&mut stream, Duration::from_secs(3)).1;
    }
    assert!(closed, "a trickling keep-alive client is cut off");
    assert!(started.elapsed() < Duration::from_secs(8));

    // An idle keep-alive connection is closed after the timeout.
    let mut stream = keep_alive_after_one_request(&server);
    let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(5));
    assert!(closed, "an idle keep-alive connection is closed");
    assert_eq!(server.get("/health").status, 200);
}

#[test]
fn too_many_headers_are_a_client_error() {
    let (_ix, server) = start();
    let headers: Vec<(String, String)> = (0..200)
        .map(|i| (format!("X-H{i}"), "v".to_string()))
        .collect();
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    match try_request(server.addr, "GET", "/health", &refs, None) {
        Ok(r) => assert!((400..500).contains(&r.status), "{} {}", r.status, r.text()),
        Err(e) => eprintln!("connection closed: {e}"),
    }
    assert_eq!(server.get("/health").status, 200);
}

#[test]
fn a_client_that_stops_reading_its_answers_is_cut_off() {
    let (_ix, server) = start();
    let mut stream = TcpStream::connect(server.addr).unwrap();
    // Many pipelined requests for large answers, never read: far more than the socket
    // buffers hold, so the server's writes stall.
    let one = b"GET /api/search?q=&limit=1000&facets=true HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let requests = 2000;
    let pipelined: Vec<u8> = one.repeat(requests);
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = stream.write_all(&pipelined);
    // Longer than the 1 s limit without reading anything.
    std::thread::sleep(Duration::from_secs(4));
    let (raw, closed) = read_until_closed(&mut stream, Duration::from_secs(20));
    let answered = raw.windows(12).filter(|w| w == b"HTTP/1.1 200").count();
    assert!(closed, "the connection was closed");
    assert!(
        answered < requests,
        "all {answered} answers were delivered: the writes never stalled"
    );
    eprintln!("{answered} of {requests} answers delivered before the server cut off");
    assert_eq!(server.get("/health").status, 200);
}

#[test]
fn a_multi_search_is_bounded_in_queries_and_hits() {
    let (_ix, server) = start();
    // As many queries as fit in a 64 KiB body, each asking for the largest page.
    let queries: Vec<_> = (0..1500)
        .map(|_| json!({"indexUid": "sections", "limit": 1000}))
        .collect();
    let body = json!({ "queries": queries });
    assert!(body.to_string().len() < 64 * 1024);
    let r = server.post_json("/multi-search", &body);
    assert_eq!(r.status, 400, "{}", &r.text()[..r.text().len().min(300)]);
    assert_eq!(r.json()["code"], "invalid_multi_search_queries");
    assert!(r.text().contains("at most 100"), "{}", r.text());
    // Fewer queries, but more hits than one search may ask for, in all.
    let r = server.post_json(
        "/multi-search",
        &json!({"queries": [{"indexUid": "sections", "limit": 1000},
                            {"indexUid": "sections", "hitsPerPage": 1000, "page": 3}]}),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["code"], "invalid_multi_search_queries");
    assert!(r.text().contains("2000 hits"), "{}", r.text());
    // Within the limits it answers.
    let queries: Vec<_> = (0..100)
        .map(|_| json!({"indexUid": "sections", "q": "GRETA", "limit": 2}))
        .collect();
    let r = server.post_json("/multi-search", &json!({ "queries": queries }));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["results"].as_array().unwrap().len(), 100);
}
