//! HTTP load benchmark of `tipdex serve` on loopback: a mix of search-box requests at 1,
//! 8 and 64 concurrent keep-alive clients, a few seconds each, reporting requests/s,
//! p50/p99 latency and failed requests; each level runs twice, alone and beside
//! `TIPDEX_BENCH_HEAVY` (default 4) clients sending heavy requests (1000-hit pages,
//! explanations, long typo-ridden queries, big multi-searches), to show what those cost
//! the light ones.
//!
//! ```sh
//! cargo bench --bench http_load
//! TIPDEX_BENCH_CORPUS=big.jsonl TIPDEX_BENCH_SECONDS=10 TIPDEX_BENCH_CLIENTS=1,8,64,128 \
//!     cargo bench --bench http_load
//! ```
//!
//! The corpus is the shipped `corpus/` unless `TIPDEX_BENCH_CORPUS` names a JSONL file
//! (or a corpus directory). The index is built and served by the real binary
//! (`tipdex index`, `tipdex serve --addr 127.0.0.1:0`), clients are threads of this
//! process speaking HTTP/1.1 over `TcpStream`: clients and server share the machine.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The request mix: what a search box, its suggestions and a Meilisearch front end send.
const MIX: [(&str, &str, Option<&str>); 12] = [
    ("GET", "/api/search?q=trafficking", None),
    ("GET", "/api/search?q=displacement+slavery", None),
    ("GET", "/api/search?q=%22sale+of+children%22", None),
    ("GET", "/api/search?q=Siobhan+Mullally", None),
    ("GET", "/api/search?q=UNODC", None),
    ("GET", "/api/search?q=A%2FHRC%2F49%2F51", None),
    ("GET", "/api/search?q=trafiking&kind=report", None),
    (
        "GET",
        "/api/search?q=children&kind=report&year=2021&facets=false",
        None,
    ),
    ("GET", "/api/suggest?q=mulla", None),
    ("GET", "/api/suggest?q=traf", None),
    (
        "POST",
        "/indexes/sections/search",
        Some(r#"{"q":"GRETA","facets":["kind","year"],"attributesToHighlight":["*"]}"#),
    ),
    (
        "POST",
        "/multi-search",
        Some(
            r#"{"queries":[{"indexUid":"sections","q":"slavery","filter":"kind = report AND year >= 2020"}]}"#,
        ),
    ),
];

/// Heavy requests: legal, and classed heavy by the server's cost model.
fn heavy_mix() -> Vec<(&'static str, String, Option<String>)> {
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
    let mut or_chain = Vec::new();
    let mut length = 0;
    for word in typos.iter().cycle() {
        if length + word.len() + 4 > 1000 {
            break;
        }
        length += word.len() + 4;
        or_chain.push(*word);
    }
    let long: Vec<&str> = typos.iter().cycle().take(30).copied().collect();
    let queries: Vec<String> = (0..40)
        .map(|i| {
            format!(
                r#"{{"indexUid":"sections","q":"{} {}","limit":20}}"#,
                long.join(" "),
                typos[i % typos.len()]
            )
        })
        .collect();
    vec![
        (
            "GET",
            format!("/api/search?q={}&limit=1000", or_chain.join("+OR+")),
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
            Some(format!(r#"{{"queries":[{}]}}"#, queries.join(","))),
        ),
        (
            "POST",
            "/indexes/sections/search".into(),
            Some(format!(
                r#"{{"q":"{}","limit":1000,"attributesToHighlight":["*"],"attributesToCrop":["*"],"cropLength":200}}"#,
                long.join(" ")
            )),
        ),
    ]
}

fn main() {
    // `cargo bench` passes `--bench`; a name filter that excludes us means "not this one".
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("http_load: bench");
        return;
    }
    if let Some(filter) = args.iter().find(|a| !a.starts_with('-')) {
        if !"http_load".contains(filter.as_str()) {
            return;
        }
    }
    let seconds: f64 = env_or("TIPDEX_BENCH_SECONDS", 3.0);
    let heavy_clients: usize = env_or("TIPDEX_BENCH_HEAVY", 4);
    let levels: Vec<usize> = std::env::var("TIPDEX_BENCH_CLIENTS")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| vec![1, 8, 64]);

    let work = tempfile::tempdir().expect("temp dir");
    let corpus = corpus(work.path());
    let index = work.path().join("index");
    let built = Command::new(env!("CARGO_BIN_EXE_tipdex"))
        .args(["index", "--corpus"])
        .arg(&corpus)
        .arg("--index")
        .arg(&index)
        .output()
        .expect("run tipdex index");
    assert!(
        built.status.success(),
        "tipdex index failed: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let summary = String::from_utf8_lossy(&built.stderr);
    let summary = summary
        .lines()
        .find(|l| l.starts_with("indexed"))
        .unwrap_or("");

    let mut server = Server::start(&index);
    println!("http_load: {summary}");
    println!(
        "http_load: tipdex serve at {} ({} request kinds, keep-alive, {seconds} s per level)",
        server.addr,
        MIX.len()
    );
    // Warm up caches and the page cache.
    run(server.addr, 1, 0, Duration::from_millis(500));
    println!(
        "{:>8} {:>6} {:>10} {:>10} {:>9} {:>9} {:>7} {:>14}",
        "clients", "heavy", "requests", "req/s", "p50 ms", "p99 ms", "failed", "heavy ok/retry"
    );
    for clients in levels {
        for heavy in [0, heavy_clients] {
            let r = run(
                server.addr,
                clients,
                heavy,
                Duration::from_secs_f64(seconds),
            );
            println!(
                "{:>8} {:>6} {:>10} {:>10.0} {:>9.2} {:>9.2} {:>7} {:>14}",
                clients,
                heavy,
                r.latencies.len(),
                r.latencies.len() as f64 / r.elapsed.as_secs_f64(),
                percentile(&r.latencies, 0.50),
                percentile(&r.latencies, 0.99),
                r.failed,
                format!("{}/{}", r.heavy_ok, r.heavy_retry)
            );
            if heavy_clients == 0 {
                break;
            }
        }
    }
    server.stop();
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The corpus directory: the shipped one, or `TIPDEX_BENCH_CORPUS` (a JSONL file is
/// copied into a directory of its own).
fn corpus(work: &Path) -> PathBuf {
    match std::env::var_os("TIPDEX_BENCH_CORPUS").map(PathBuf::from) {
        Some(path) if path.is_file() => {
            let dir = work.join("corpus");
            std::fs::create_dir_all(&dir).unwrap();
            let name = path.file_name().unwrap();
            std::fs::copy(&path, dir.join(name)).expect("copy TIPDEX_BENCH_CORPUS");
            dir
        }
        Some(path) => path,
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
    }
}

struct Server {
    addr: SocketAddr,
    child: Child,
}

impl Server {
    fn start(index: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tipdex"))
            .args(["serve", "--addr", "127.0.0.1:0", "--index"])
            .arg(index)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tipdex serve");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(addr) = line.strip_prefix("listening on http://") {
                        break addr.trim().parse().expect("address");
                    }
                }
                _ => {
                    let _ = child.kill();
                    panic!("tipdex serve exited before listening");
                }
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { addr, child }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Outcome {
    /// Of the light requests.
    latencies: Vec<u32>,
    /// Light requests that failed.
    failed: usize,
    elapsed: Duration,
    /// Heavy requests answered, and told to retry (503 with Retry-After).
    heavy_ok: usize,
    heavy_retry: usize,
}

/// `clients` threads of light requests and `heavy` threads of heavy ones, each on its
/// own keep-alive connection, for `duration`.
fn run(addr: SocketAddr, clients: usize, heavy: usize, duration: Duration) -> Outcome {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|n| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || client(addr, n, &stop))
        })
        .collect();
    let heavy_threads: Vec<_> = (0..heavy)
        .map(|n| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || heavy_client(addr, n, &stop))
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    let mut failed = 0;
    for t in threads {
        let (l, f) = t.join().expect("client thread");
        latencies.extend(l);
        failed += f;
    }
    let elapsed = started.elapsed();
    let (mut heavy_ok, mut heavy_retry) = (0, 0);
    for t in heavy_threads {
        let (ok, retry) = t.join().expect("heavy client thread");
        heavy_ok += ok;
        heavy_retry += retry;
    }
    latencies.sort_unstable();
    Outcome {
        latencies,
        failed,
        elapsed,
        heavy_ok,
        heavy_retry,
    }
}

/// Heavy requests answered and told to retry.
fn heavy_client(addr: SocketAddr, n: usize, stop: &AtomicBool) -> (usize, usize) {
    let mix = heavy_mix();
    let (mut ok, mut retry) = (0, 0);
    let mut conn: Option<Connection> = None;
    let mut i = n;
    while !stop.load(Ordering::Relaxed) {
        let (method, path, body) = &mix[i % mix.len()];
        i += 1;
        let mut c = match conn.take().map_or_else(|| Connection::open(addr), Ok) {
            Ok(c) => c,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        match c.send(method, path, body.as_deref()) {
            Ok(200) => {
                ok += 1;
                conn = Some(c);
            }
            Ok(_) => {
                retry += 1;
                conn = Some(c);
            }
            Err(_) => {}
        }
    }
    (ok, retry)
}

/// Latencies in microseconds of the successful requests, and the number that failed.
fn client(addr: SocketAddr, n: usize, stop: &AtomicBool) -> (Vec<u32>, usize) {
    let mut latencies = Vec::with_capacity(4096);
    let mut failed = 0;
    let mut conn: Option<Connection> = None;
    let mut i = n;
    while !stop.load(Ordering::Relaxed) {
        let (method, path, body) = MIX[i % MIX.len()];
        i += 1;
        let began = Instant::now();
        let c = match conn.take() {
            Some(c) => c,
            None => match Connection::open(addr) {
                Ok(c) => c,
                Err(_) => {
                    failed += 1;
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            },
        };
        let mut c = c;
        match c.send(method, path, body) {
            Ok(200) => {
                latencies.push(began.elapsed().as_micros().min(u32::MAX as u128) as u32);
                conn = Some(c);
            }
            Ok(_) => {
                failed += 1;
                conn = Some(c);
            }
            Err(_) => failed += 1,
        }
    }
    (latencies, failed)
}

struct Connection {
    stream: BufReader<TcpStream>,
}

impl Connection {
    fn open(addr: SocketAddr) -> std::io::Result<Connection> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Connection {
            stream: BufReader::new(stream),
        })
    }

    /// Sends one request and reads the whole response; returns the status.
    fn send(&mut self, method: &str, path: &str, body: Option<&str>) -> std::io::Result<u16> {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        if let Some(body) = body {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ));
        } else {
            request.push_str("\r\n");
        }
        self.stream.get_mut().write_all(request.as_bytes())?;
        let mut line = String::new();
        self.stream.read_line(&mut line)?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut length = 0usize;
        loop {
            line.clear();
            if self.stream.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; length];
        self.stream.read_exact(&mut body)?;
        Ok(status)
    }
}

/// The `q` quantile of sorted microsecond latencies, in milliseconds.
fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    f64::from(sorted[i]) / 1000.0
}
