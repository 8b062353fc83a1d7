//! Mixed load against `tipdex serve` (issues 6 and 19), loopback only and bounded in
//! time: valid searches and suggestions, heavy requests (large pages, explanations,
//! long typo-ridden queries, big multi-searches), malformed requests, slow clients,
//! 200 idle connections, while the index is rebuilt twice. No 5xx but a heavy request
//! told to retry (503 with `Retry-After`), no failed valid request, light requests
//! answered while heavy ones run (never waiting for them), the server answers
//! afterwards and its memory comes back near its baseline.
//!
//! `TIPDEX_LOAD_SECS` sets the length of the load (default 10 s, what `cargo test` and
//! CI run; `TIPDEX_LOAD_SECS=60 cargo test --test load -- --nocapture` for the
//! one-minute run).

use crate::harness::server::*;
use crate::harness::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The server's `--request-timeout`: slow and idle clients are cut off after as long.
const REQUEST_TIMEOUT_SECS: u64 = 3;
/// Idle connections held open throughout.
const IDLE_CONNECTIONS: usize = 200;

fn load_secs() -> u64 {
    std::env::var("TIPDEX_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&s| s > 0)
        .unwrap_or(10)
}

/// Resident memory of a process, in bytes (`VmRSS` in `/proc/PID/status`).
fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS");
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap();
    kb * 1024
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

#[derive(Default)]
struct Tally {
    valid_ok: AtomicU64,
    heavy_ok: AtomicU64,
    heavy_busy: AtomicU64,
    /// Microseconds each light request took while heavy requests ran.
    light_us: Mutex<Vec<u64>>,
    /// Microseconds each answered heavy request took.
    heavy_us: Mutex<Vec<u64>>,
    rejected_4xx: AtomicU64,
    closed_early: AtomicU64,
    slow_ok: AtomicU64,
    slow_cut_off: AtomicU64,
    idle_reopened: AtomicU64,
    /// Failed valid requests and 5xx answers (must stay empty).
    failures: Mutex<Vec<String>>,
}

impl Tally {
    fn fail(&self, what: String) {
        let mut failures = self.failures.lock().unwrap();
        if failures.len() < 50 {
            failures.push(what);
        }
    }
}

/// A valid request: method, path, JSON body.
type Valid = (&'static str, String, Option<serde_json::Value>);

fn valid_requests() -> Vec<Valid> {
    let mut list: Vec<Valid> = [
        "/api/search?q=trafficking",
        "/api/search?q=GRETA&kind=organization",
        "/api/search?q=A%2FHRC%2F49",
        "/api/search?q=non-punishment&kind=report&limit=3",
        "/api/search?q=children&year=2021&facets=true",
        "/api/search?q=%22sale%20of%20children%22%20OR%20genocide",
        "/api/search?q=trafiking",
        "/api/search?q=x&filter=kind%20%3D%20report%20OR%20year%20%3E%3D%202021",
        "/api/search?q=&limit=50",
        "/api/suggest?q=mulla",
        "/api/suggest?q=traf",
        "/api/suggest?q=special%20rap&limit=20",
        "/api/docs/organization-council-of-europe",
        "/api/stats",
        "/health",
        "/",
    ]
    .iter()
    .map(|p| ("GET", p.to_string(), None))
    .collect();
    list.push((
        "POST",
        "/indexes/sections/search".into(),
        Some(json!({"q": "GRETA", "filter": "kind = organization OR (kind = report AND year >= 2021)",
                    "facets": ["kind", "year"], "attributesToHighlight": ["*"]})),
    ));
    list.push((
        "POST",
        "/multi-search".into(),
        Some(
            json!({"queries": [{"indexUid": "sections", "q": "children"},
                                {"indexUid": "sections", "q": "Mullally", "limit": 3}]}),
        ),
    ));
    list
}

/// Heavy requests: each legal, each classed heavy by the server's cost model.
fn heavy_requests() -> Vec<Valid> {
    let typos = [
        "trafickng",
        "chidlren",
        "exploitaton",
        "rapportuer",
        "protecton",
        "migrnats",
        "slavey",
        "marriag",
        "violnce",
        "conflit",
        "prosecuton",
        "preventon",
    ];
    let mut or_chain = String::new();
    for word in typos.iter().cycle() {
        if or_chain.len() + word.len() + 4 > 1000 {
            break;
        }
        if !or_chain.is_empty() {
            or_chain.push_str(" OR ");
        }
        or_chain.push_str(word);
    }
    let long: Vec<&str> = typos.iter().cycle().take(30).copied().collect();
    let queries: Vec<_> = (0..40)
        .map(|i| json!({"indexUid": "sections", "q": format!("{} {}", long.join(" "), typos[i % 12]), "limit": 20}))
        .collect();
    vec![
        (
            "GET",
            format!("/api/search?q={}&limit=1000", enc(&or_chain)),
            None,
        ),
        (
            "GET",
            "/api/search?q=children&explain=true&limit=20".into(),
            None,
        ),
        (
            "POST",
            "/multi-search".into(),
            Some(json!({ "queries": queries })),
        ),
        (
            "POST",
            "/indexes/sections/search".into(),
            Some(
                json!({"q": long.join(" "), "limit": 1000, "attributesToHighlight": ["*"],
                        "attributesToCrop": ["*"], "cropLength": 200}),
            ),
        ),
    ]
}

/// Sends a heavy request: answered (200), or refused with 503 `too_busy` and
/// `Retry-After` while other heavy ones run; anything else fails.
fn send_heavy(addr: SocketAddr, (method, path, body): &Valid, tally: &Tally) {
    let body_bytes = body.as_ref().map(|b| b.to_string().into_bytes());
    let headers: &[(&str, &str)] = &[("Content-Type", "application/json")];
    let began = Instant::now();
    match try_request(addr, method, path, headers, body_bytes.as_deref()) {
        Ok(r) if r.status == 200 => {
            tally.heavy_ok.fetch_add(1, Ordering::Relaxed);
            tally
                .heavy_us
                .lock()
                .unwrap()
                .push(began.elapsed().as_micros() as u64);
        }
        Ok(r) if r.status == 503 && r.header("retry-after").is_some() => {
            tally.heavy_busy.fetch_add(1, Ordering::Relaxed);
        }
        Ok(r) => tally.fail(format!(
            "heavy {method} {path:.60}: {} {:.300}",
            r.status,
            r.text()
        )),
        Err(e) => tally.fail(format!("heavy {method} {path:.60}: {e}")),
    }
}

fn percentile_ms(values: &[u64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0
}

fn send_valid(addr: SocketAddr, (method, path, body): &Valid) -> Result<(), String> {
    let body_bytes = body.as_ref().map(|b| b.to_string().into_bytes());
    let headers: &[(&str, &str)] = if body.is_some() {
        &[("Content-Type", "application/json")]
    } else {
        &[]
    };
    let r = try_request(addr, method, path, headers, body_bytes.as_deref())
        .map_err(|e| format!("{method} {path}: {e}"))?;
    if r.status != 200 {
        return Err(format!("{method} {path}: {} {}", r.status, r.text()));
    }
    if path != "/" {
        serde_json::from_slice::<serde_json::Value>(&r.body)
            .map_err(|e| format!("{method} {path}: not JSON: {e}"))?;
    }
    Ok(())
}

/// A malformed request and the status it must get (0: any 4xx, or the connection closed).
fn malformed(addr: SocketAddr, n: u64, tally: &Tally) {
    let long_q = "a".repeat(1025);
    let huge_q = "trafficking%20".repeat(800);
    let big_header = "x".repeat(20 * 1024);
    let result = match n % 13 {
        0 => try_request(addr, "GET", "/api/search?q=x&limit=abc", &[], None).map(|r| (r, 400)),
        1 => try_request(addr, "GET", &format!("/api/search?q={long_q}"), &[], None)
            .map(|r| (r, 400)),
        2 => try_request(addr, "GET", &format!("/api/search?q={huge_q}"), &[], None)
            .map(|r| (r, 400)),
        3 => try_request(addr, "GET", "/api/search?q=x&offset=100001", &[], None).map(|r| (r, 400)),
        4 => try_request(addr, "GET", "/api/suggest?q=x&limit=99", &[], None).map(|r| (r, 400)),
        5 => try_request(
            addr,
            "POST",
            "/indexes/sections/search",
            &[("Content-Type", "application/json")],
            Some(b"{not json"),
        )
        .map(|r| (r, 400)),
        6 => try_request(
            addr,
            "POST",
            "/indexes/sections/search",
            &[("Content-Type", "application/json")],
            Some(br#"{"q": "x", "filter": "kind = "}"#),
        )
        .map(|r| (r, 400)),
        7 => try_request(
            addr,
            "POST",
            "/multi-search",
            &[("Content-Type", "application/json")],
            Some(&vec![b' '; 70 * 1024]),
        )
        .map(|r| (r, 413)),
        8 => try_request(addr, "GET", "/health", &[("X-Big", &big_header)], None).map(|r| (r, 431)),
        9 => try_request(addr, "GET", "/nothing/here", &[], None).map(|r| (r, 404)),
        10 => try_request(addr, "DELETE", "/api/search?q=x", &[], None).map(|r| (r, 405)),
        11 => try_request(addr, "GET", "/api/docs/..%2F..%2Fetc%2Fpasswd", &[], None)
            .map(|r| (r, 404)),
        _ => garbage(addr, n).map(|r| (r, 0)),
    };
    match result {
        Ok((r, _)) if r.status >= 500 => {
            tally.fail(format!("malformed request {n}: {} {}", r.status, r.text()))
        }
        Ok((r, expected)) if expected != 0 && r.status != expected => tally.fail(format!(
            "malformed request {n}: {} instead of {expected}: {}",
            r.status,
            r.text()
        )),
        Ok(_) => {
            tally.rejected_4xx.fetch_add(1, Ordering::Relaxed);
        }
        // The server may close a connection sending something hopeless before reading it all.
        Err(_) => {
            tally.closed_early.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Random bytes, then the end of a header block; the answer, if any, is parsed.
fn garbage(addr: SocketAddr, n: u64) -> std::io::Result<Response> {
    let mut bytes = Rng::new(n).bytes(200 + (n % 300) as usize);
    bytes.extend_from_slice(b"\r\n\r\n");
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(&bytes)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    parse_response(&raw)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "closed"))
}

/// Trickles a request a byte at a time: fast enough (answered) or too slow (408).
fn slow_client(addr: SocketAddr, too_slow: bool, tally: &Tally) {
    let request =
        b"GET /api/search?q=GRETA HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let pause = if too_slow {
        // The whole request would take longer than the timeout.
        Duration::from_millis(REQUEST_TIMEOUT_SECS * 1000 * 2 / request.len() as u64)
    } else {
        Duration::from_millis(10)
    };
    let Ok(mut s) = TcpStream::connect(addr) else {
        tally.fail("slow client: cannot connect".into());
        return;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(REQUEST_TIMEOUT_SECS + 10)));
    for b in request {
        if s.write_all(&[*b]).is_err() {
            break;
        }
        std::thread::sleep(pause);
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    match (parse_response(&raw), too_slow) {
        (Some(r), false) if r.status == 200 => {
            tally.slow_ok.fetch_add(1, Ordering::Relaxed);
        }
        (Some(r), true) if r.status == 408 => {
            tally.slow_cut_off.fetch_add(1, Ordering::Relaxed);
        }
        (r, _) => tally.fail(format!(
            "slow client (too slow: {too_slow}): {:?}",
            r.map(|r| (r.status, r.text()))
        )),
    }
}

/// Holds `IDLE_CONNECTIONS` open: half silent, half stuck in the middle of a request
/// line; the server closes them after its timeout, and they are opened again.
fn idle_connections(addr: SocketAddr, stop: &AtomicBool, tally: &Tally) {
    let open = |i: usize| -> Option<TcpStream> {
        let mut s = TcpStream::connect(addr).ok()?;
        s.set_nonblocking(true).ok()?;
        if i % 2 == 1 {
            s.write_all(b"GET /api/search?q=tra").ok()?;
        }
        Some(s)
    };
    let mut conns: Vec<Option<TcpStream>> = (0..IDLE_CONNECTIONS).map(open).collect();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(200));
        for (i, slot) in conns.iter_mut().enumerate() {
            let closed = match slot {
                None => true,
                Some(s) => {
                    let mut buf = [0u8; 1024];
                    match s.read(&mut buf) {
                        // Closed, or answered 408 (and closed right after).
                        Ok(n) => n == 0 || buf[..n].starts_with(b"HTTP/1.1 408"),
                        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
                    }
                }
            };
            if closed {
                *slot = open(i);
                tally.idle_reopened.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn hits(addr: SocketAddr, q: &str) -> Option<u64> {
    let r = try_request(addr, "GET", &format!("/api/search?q={}", enc(q)), &[], None).ok()?;
    r.json()["total_hits"].as_u64()
}

#[test]
fn a_minute_of_mixed_load_while_rebuilding_twice() {
    let secs = load_secs();
    let dir = tempfile::tempdir().unwrap();
    copy_shipped_corpus(&dir.path().join("corpus"));
    let o = run_in(
        dir.path(),
        &["index", "--corpus", "corpus", "--index", "index", "-q"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let timeout = REQUEST_TIMEOUT_SECS.to_string();
    let mut server = Server::start(
        dir.path(),
        &dir.path().join("index"),
        &["--request-timeout", &timeout],
    );
    let addr = server.addr;
    let pid = server.pid();

    // Warm up (every route once or more), then take the baseline.
    let valid = Arc::new(valid_requests());
    for round in 0..5 {
        for r in valid.iter() {
            send_valid(addr, r).unwrap_or_else(|e| panic!("warm-up {round}: {e}"));
        }
    }
    std::thread::sleep(Duration::from_secs(1));
    let baseline = rss_bytes(pid);

    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(baseline));
    let mut threads = Vec::new();
    let heavy_running = Arc::new(AtomicU64::new(0));
    for worker in 0..4u64 {
        let (valid, tally, stop) = (valid.clone(), tally.clone(), stop.clone());
        let heavy_running = heavy_running.clone();
        threads.push(std::thread::spawn(move || {
            let mut i = worker as usize;
            while !stop.load(Ordering::Relaxed) {
                let during_heavy = heavy_running.load(Ordering::Relaxed) > 0;
                let began = Instant::now();
                match send_valid(addr, &valid[i % valid.len()]) {
                    Ok(()) => {
                        tally.valid_ok.fetch_add(1, Ordering::Relaxed);
                        if during_heavy {
                            let us = began.elapsed().as_micros() as u64;
                            tally.light_us.lock().unwrap().push(us);
                        }
                    }
                    Err(e) => tally.fail(e),
                }
                i += 3;
            }
        }));
    }
    let heavy = Arc::new(heavy_requests());
    for worker in 0..3usize {
        let (heavy, tally, stop) = (heavy.clone(), tally.clone(), stop.clone());
        let heavy_running = heavy_running.clone();
        threads.push(std::thread::spawn(move || {
            let mut i = worker;
            while !stop.load(Ordering::Relaxed) {
                heavy_running.fetch_add(1, Ordering::Relaxed);
                send_heavy(addr, &heavy[i % heavy.len()], &tally);
                heavy_running.fetch_sub(1, Ordering::Relaxed);
                i += 1;
            }
        }));
    }
    {
        let (tally, stop) = (tally.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                malformed(addr, n, &tally);
                n += 1;
            }
        }));
    }
    for too_slow in [false, true] {
        let (tally, stop) = (tally.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                slow_client(addr, too_slow, &tally);
            }
        }));
    }
    {
        let (tally, stop) = (tally.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            idle_connections(addr, &stop, &tally)
        }));
    }
    {
        let (peak, stop) = (peak.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_bytes(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(100));
            }
        }));
    }

    // Two rebuilds, at a third and two thirds of the time, each adding a section the
    // server must start finding.
    let started = Instant::now();
    let total = Duration::from_secs(secs);
    for rebuild in 1..=2u32 {
        let at = total * rebuild / 3;
        if let Some(wait) = at.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
        let word = format!("quokkarebuild{rebuild}");
        std::fs::write(
            dir.path().join(format!("corpus/rebuild-{rebuild}.md")),
            format!("# The {word} section\n\nAdded while the server is under load.\n"),
        )
        .unwrap();
        let o = run_in(
            dir.path(),
            &["index", "--corpus", "corpus", "--index", "index", "-q"],
        );
        assert!(o.status.success(), "rebuild {rebuild}: {}", stderr(&o));
        assert!(
            wait_until(Duration::from_secs(15), || hits(addr, &word) == Some(1)),
            "rebuild {rebuild} not served"
        );
    }
    if let Some(rest) = total.checked_sub(started.elapsed()) {
        std::thread::sleep(rest);
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let elapsed = started.elapsed();

    let failures = tally.failures.lock().unwrap().clone();
    let count = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let light_us = tally.light_us.lock().unwrap().clone();
    let heavy_us = tally.heavy_us.lock().unwrap().clone();
    eprintln!(
        "heavy requests: {} answered (p50 {:.1} ms), {} told to retry; light requests while \
         heavy ones ran: {} (p50 {:.1} ms, p99 {:.1} ms)",
        count(&tally.heavy_ok),
        percentile_ms(&heavy_us, 0.5),
        count(&tally.heavy_busy),
        light_us.len(),
        percentile_ms(&light_us, 0.5),
        percentile_ms(&light_us, 0.99),
    );
    eprintln!(
        "{:.1} s of load: {} valid requests answered, {} malformed requests rejected (4xx), \
         {} closed early, {} slow clients answered, {} cut off, {} idle connections reopened, \
         {} failures",
        elapsed.as_secs_f64(),
        count(&tally.valid_ok),
        count(&tally.rejected_4xx),
        count(&tally.closed_early),
        count(&tally.slow_ok),
        count(&tally.slow_cut_off),
        count(&tally.idle_reopened),
        failures.len()
    );
    assert!(failures.is_empty(), "failures: {failures:#?}");
    assert!(
        count(&tally.valid_ok) >= 20 * secs,
        "too few valid requests"
    );
    assert!(
        count(&tally.rejected_4xx) >= 10,
        "too few malformed requests"
    );
    assert!(count(&tally.slow_ok) >= 1 && count(&tally.slow_cut_off) >= 1);
    // Heavy requests ran, and light ones kept being answered meanwhile without waiting
    // for them: even the slowest light requests took less than a typical heavy one.
    assert!(
        count(&tally.heavy_ok) >= 3,
        "too few heavy requests answered"
    );
    assert!(
        light_us.len() >= 10 * secs as usize,
        "too few light requests while heavy ones ran"
    );
    assert!(
        percentile_ms(&light_us, 0.99) < percentile_ms(&heavy_us, 0.5),
        "light requests waited for heavy ones: light p99 {:.1} ms, heavy p50 {:.1} ms",
        percentile_ms(&light_us, 0.99),
        percentile_ms(&heavy_us, 0.5)
    );
    let stats = server.get("/api/stats").json();
    assert!(
        stats["scheduler"]["heavy_admitted"].as_u64().unwrap_or(0) >= count(&tally.heavy_ok),
        "{stats}"
    );
    assert!(
        count(&tally.idle_reopened) >= IDLE_CONNECTIONS as u64,
        "the server closed no idle connection"
    );

    // Still answering, nothing panicked.
    assert!(server.is_running());
    assert_eq!(server.get("/health").status, 200);
    assert_eq!(hits(addr, "quokkarebuild1 OR quokkarebuild2"), Some(2));
    let log = server.stderr();
    assert!(
        !log.contains("panicked") && !log.contains("internal error"),
        "{log}"
    );

    // Memory back near the baseline once the connections are gone.
    let tolerance = (32 * 1024 * 1024).max(baseline / 2);
    let mut after = rss_bytes(pid);
    let settle = Instant::now();
    while after > baseline + tolerance && settle.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(500));
        after = rss_bytes(pid);
    }
    eprintln!(
        "VmRSS: baseline {:.1} MiB, peak {:.1} MiB, after {:.1} MiB (tolerance {:.1} MiB)",
        mib(baseline),
        mib(peak.load(Ordering::Relaxed)),
        mib(after),
        mib(tolerance)
    );
    assert!(
        after <= baseline + tolerance,
        "memory did not come back: baseline {baseline}, after {after}"
    );
}
