//! The Quickwit backend against a real Quickwit, one node and a two-node cluster on
//! loopback. `QUICKWIT_BIN` names the `quickwit` binary (version 0.9); without it every
//! test here says SKIPPED and passes.

use crate::harness::{corpus_dir, run_in, stderr};
use serde_json::Value;
use std::net::{TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn quickwit_bin(test: &str) -> Option<PathBuf> {
    match std::env::var_os("QUICKWIT_BIN").filter(|v| !v.is_empty()) {
        Some(bin) => Some(PathBuf::from(bin)),
        None => {
            eprintln!("SKIPPED {test}: set QUICKWIT_BIN to a Quickwit 0.9 binary to run it");
            None
        }
    }
}

/// Two consecutive free TCP ports (REST, gRPC) whose first is also free for UDP (gossip).
fn free_ports() -> u16 {
    for _ in 0..200 {
        let Ok(probe) = TcpListener::bind("127.0.0.1:0") else {
            continue;
        };
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        if port >= 65000 {
            continue;
        }
        let free = TcpListener::bind(("127.0.0.1", port)).is_ok()
            && TcpListener::bind(("127.0.0.1", port + 1)).is_ok()
            && UdpSocket::bind(("127.0.0.1", port)).is_ok();
        if free {
            return port;
        }
    }
    panic!("no free ports");
}

/// A shared storage and metastore directory for the nodes of one cluster.
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

/// One running Quickwit node.
struct QwNode {
    child: Option<Child>,
    port: u16,
    config: PathBuf,
    bin: PathBuf,
    log: PathBuf,
}

impl Cluster {
    fn new(bin: PathBuf) -> Cluster {
        Cluster {
            dir: tempfile::tempdir().unwrap(),
            bin,
        }
    }

    /// Starts a node; `seed` is the REST (and gossip) port of a node to join.
    fn node(&self, name: &str, services: Option<&[&str]>, seed: Option<u16>) -> QwNode {
        let port = free_ports();
        let shared = self.dir.path().join("shared");
        let data = self.dir.path().join(format!("data-{name}"));
        std::fs::create_dir_all(&shared).unwrap();
        std::fs::create_dir_all(&data).unwrap();
        let mut config = format!(
            "version: 0.8\n\
             cluster_id: tipdex-test\n\
             node_id: {name}\n\
             listen_address: 127.0.0.1\n\
             rest:\n  listen_port: {port}\n\
             grpc_listen_port: {grpc}\n\
             gossip_listen_port: {port}\n\
             data_dir: {data}\n\
             metastore_uri: file://{shared}/indexes\n\
             default_index_root_uri: file://{shared}/indexes\n",
            grpc = port + 1,
            data = data.display(),
            shared = shared.display(),
        );
        if let Some(services) = services {
            config.push_str(&format!("enabled_services: [{}]\n", services.join(", ")));
        }
        if let Some(seed) = seed {
            config.push_str(&format!("peer_seeds: [\"127.0.0.1:{seed}\"]\n"));
        }
        let path = self.dir.path().join(format!("{name}.yaml"));
        std::fs::write(&path, config).unwrap();
        let mut node = QwNode {
            child: None,
            port,
            config: path,
            bin: self.bin.clone(),
            log: self.dir.path().join(format!("{name}.log")),
        };
        node.start();
        node
    }
}

impl QwNode {
    fn start(&mut self) {
        let log = std::fs::File::create(&self.log).unwrap();
        let child = Command::new(&self.bin)
            .args(["run", "--config"])
            .arg(&self.config)
            .env("QW_DISABLE_TELEMETRY", "1")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start quickwit");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                panic!("quickwit node exited ({status}):\n{}", self.log_tail());
            }
            if self.get("/health/readyz").is_some_and(|r| r.status == 200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("quickwit node not ready:\n{}", self.log_tail());
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn get(&self, path: &str) -> Option<crate::harness::server::Response> {
        let addr = ([127, 0, 0, 1], self.port).into();
        crate::harness::server::try_request(addr, "GET", path, &[], None).ok()
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for QwNode {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A temp directory holding tipdex's index of the shipped corpus.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Workspace {
        Workspace {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn index(&self) -> String {
        self.dir.path().join("index").display().to_string()
    }

    /// `tipdex index` of the shipped corpus, with `extra` flags.
    fn index_with(&self, extra: &[&str]) -> std::process::Output {
        let corpus = corpus_dir();
        let index = self.index();
        let mut args = vec![
            "index",
            "--corpus",
            corpus.to_str().unwrap(),
            "--index",
            &index,
        ];
        args.extend_from_slice(extra);
        run_in(self.dir.path(), &args)
    }

    fn build(&self, backend: &str) -> std::process::Output {
        self.index_with(&["--backend", backend])
    }

    /// `tipdex export quickwit --out OUT` with `extra` flags.
    fn export(&self, out: &std::path::Path, extra: &[&str]) -> std::process::Output {
        let index = self.index();
        let mut args = vec![
            "export",
            "quickwit",
            "--index",
            &index,
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        run_in(self.dir.path(), &args)
    }

    /// `tipdex query --json` with `backend` (`None`: the one the index records).
    fn query(&self, backend: Option<&str>, args: &[&str]) -> Result<Value, String> {
        let index = self.index();
        let mut all = vec!["query", "--json", "--index", index.as_str()];
        if let Some(b) = backend {
            all.extend(["--backend", b]);
        }
        all.extend_from_slice(args);
        let o = run_in(self.dir.path(), &all);
        if !o.status.success() {
            return Err(stderr(&o));
        }
        serde_json::from_slice(&o.stdout).map_err(|e| e.to_string())
    }
}

fn backend_of(node: &QwNode) -> String {
    format!("quickwit={}/sections", node.url())
}

fn ids(response: &Value, k: usize) -> Vec<String> {
    response["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .take(k)
        .map(|h| h["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// K of an expectation (`in<=3 …` → 3).
fn depth(expectation: &str) -> usize {
    expectation
        .split_whitespace()
        .next()
        .and_then(|w| w.split("<=").nth(1))
        .and_then(|k| k.parse().ok())
        .unwrap_or(10)
}

/// Every relevance case passes on `backend`, and gives the same top hits there as on
/// the local index (as many as the case looks at).
fn assert_same_answers(ws: &Workspace, backend: &str) {
    let mut failures = Vec::new();
    let mut total = 0;
    for file in ["queries.tsv", "domain.tsv"] {
        let remote = |args: &[&str]| ws.query(Some(backend), args).unwrap();
        let (failed, n) = crate::harness::relevance::failures(file, &remote);
        failures.extend(failed);
        total += n;
        for case in crate::harness::relevance::load_cases(file) {
            let mut args: Vec<&str> = case.flags.iter().map(String::as_str).collect();
            args.extend(["--limit", "20", "--", case.query.as_str()]);
            let k = depth(&case.expectation);
            let local = ws.query(Some("local"), &args).unwrap();
            let remote = ws.query(Some(backend), &args).unwrap();
            if ids(&local, k) != ids(&remote, k) {
                failures.push(format!(
                    "{:?}: top {k} differ\n local:    {:?}\n quickwit: {:?}",
                    case.query,
                    ids(&local, k),
                    ids(&remote, k)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} problem(s) over {total} cases on {backend}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn one_node_gives_the_local_answers() {
    let Some(bin) = quickwit_bin("one_node_gives_the_local_answers") else {
        return;
    };
    let cluster = Cluster::new(bin);
    let node = cluster.node("n1", None, None);
    let ws = Workspace::new();
    let backend = backend_of(&node);
    let o = ws.build(&backend);
    assert!(
        o.status.success(),
        "index: {}\n{}",
        stderr(&o),
        node.log_tail()
    );
    assert!(
        stderr(&o).contains("published to Quickwit"),
        "{}",
        stderr(&o)
    );
    assert_same_answers(&ws, &backend);
    // The index records its backend: no flag needed.
    let recorded = ws.query(None, &["--", "GRETA"]).unwrap();
    assert_eq!(
        ids(&recorded, 3),
        ids(&ws.query(Some(&backend), &["--", "GRETA"]).unwrap(), 3)
    );
    let explained = ws.query(None, &["--explain", "--", "GRETA"]).unwrap();
    assert!(
        explained.to_string().contains("executed by Quickwit"),
        "{explained}"
    );
}

#[test]
fn serve_and_its_apis_work_unchanged_on_quickwit() {
    let Some(bin) = quickwit_bin("serve_and_its_apis_work_unchanged_on_quickwit") else {
        return;
    };
    let cluster = Cluster::new(bin);
    let node = cluster.node("n1", None, None);
    let ws = Workspace::new();
    let o = ws.build(&backend_of(&node));
    assert!(o.status.success(), "index: {}", stderr(&o));
    let index = PathBuf::from(ws.index());
    let local_server =
        crate::harness::server::Server::start(ws.dir.path(), &index, &["--backend", "local"]);
    let remote_backend = backend_of(&node);
    let remote_server = crate::harness::server::Server::start(
        ws.dir.path(),
        &index,
        &["--backend", &remote_backend],
    );
    for path in [
        "/api/search?q=sale%20of%20children&limit=5",
        "/api/search?q=A%2FHRC%2F47%2F34",
        "/api/search?q=traffiking%20victims&facets=true",
        "/api/search?q=rapporteur&kind=report&limit=5",
        "/api/docs/org-greta",
    ] {
        let local = local_server.get(path);
        let remote = remote_server.get(path);
        assert_eq!(local.status, remote.status, "{path}");
        assert_eq!(
            without_timing(local.json()),
            without_timing(remote.json()),
            "{path}"
        );
    }
    let body = serde_json::json!({"q": "greta", "limit": 3, "attributesToHighlight": ["*"]});
    let local = local_server.post_json("/indexes/sections/search", &body);
    let remote = remote_server.post_json("/indexes/sections/search", &body);
    assert_eq!(local.status, 200);
    assert_eq!(
        without_timing(local.json())["hits"],
        without_timing(remote.json())["hits"]
    );
}

#[test]
fn reindexing_while_searching_never_shows_a_half_loaded_index() {
    let Some(bin) = quickwit_bin("reindexing_while_searching_never_shows_a_half_loaded_index")
    else {
        return;
    };
    let cluster = Cluster::new(bin);
    let node = cluster.node("n1", None, None);
    let ws = Arc::new(Workspace::new());
    let backend = backend_of(&node);
    assert!(ws.build(&backend).status.success());
    let expected = ws
        .query(None, &["--limit", "50", "--", "trafficking"])
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let searcher = {
        let (ws, stop, expected) = (Arc::clone(&ws), Arc::clone(&stop), expected.clone());
        std::thread::spawn(move || {
            let mut answered = 0;
            while !stop.load(Ordering::Relaxed) {
                let got = ws
                    .query(None, &["--limit", "50", "--", "trafficking"])
                    .expect("a search during a rebuild");
                assert_eq!(got["total_hits"], expected["total_hits"]);
                assert_eq!(ids(&got, 50), ids(&expected, 50));
                answered += 1;
            }
            answered
        })
    };
    let o = ws.build(&backend);
    assert!(o.status.success(), "rebuild: {}", stderr(&o));
    // Without --backend, a rebuild publishes where the current generation went.
    let o = ws.index_with(&[]);
    assert!(o.status.success(), "rebuild: {}", stderr(&o));
    assert!(
        stderr(&o).contains("published to Quickwit"),
        "{}",
        stderr(&o)
    );
    stop.store(true, Ordering::Relaxed);
    let answered = searcher.join().expect("searches stayed consistent");
    assert!(answered > 0);
    // Only the current generation's index and the one before it remain.
    let indexes = node.get("/api/v1/indexes").unwrap().json();
    let ours: Vec<&str> = indexes
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["index_config"]["index_id"].as_str())
        .filter(|id| id.starts_with("sections-gen-"))
        .collect();
    assert_eq!(ours.len(), 2, "{ours:?}");
}

#[test]
fn a_stopped_node_is_a_clear_error_and_a_restarted_one_answers_again() {
    let Some(bin) =
        quickwit_bin("a_stopped_node_is_a_clear_error_and_a_restarted_one_answers_again")
    else {
        return;
    };
    let cluster = Cluster::new(bin);
    let mut node = cluster.node("n1", None, None);
    let ws = Workspace::new();
    assert!(ws.build(&backend_of(&node)).status.success());
    let before = ws.query(None, &["--", "Europol"]).unwrap();
    node.stop();
    let err = ws.query(None, &["--", "Europol"]).unwrap_err();
    assert!(err.contains("Quickwit at http://127.0.0.1:"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    node.start();
    // A restarted node says it is ready a moment before its searcher takes requests.
    let deadline = Instant::now() + Duration::from_secs(60);
    let after = loop {
        match ws.query(None, &["--", "Europol"]) {
            Ok(after) => break after,
            Err(e) if Instant::now() < deadline => {
                assert!(e.contains("Quickwit at"), "{e}");
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(e) => panic!("no answer after the restart: {e}"),
        }
    };
    assert_eq!(ids(&before, 10), ids(&after, 10));
}

#[test]
fn a_searcher_node_joining_the_cluster_gives_the_same_answers() {
    let Some(bin) = quickwit_bin("a_searcher_node_joining_the_cluster_gives_the_same_answers")
    else {
        return;
    };
    let cluster = Cluster::new(bin);
    let indexer = cluster.node(
        "indexer",
        Some(&[
            "metastore",
            "control_plane",
            "indexer",
            "janitor",
            "searcher",
        ]),
        None,
    );
    let searcher = cluster.node("searcher", Some(&["searcher"]), Some(indexer.port));
    let ws = Workspace::new();
    let o = ws.build(&backend_of(&indexer));
    assert!(o.status.success(), "index: {}", stderr(&o));
    assert_same_answers(&ws, &backend_of(&searcher));
}

/// A response without what varies between two runs of the same search.
fn without_timing(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.retain(|k, _| {
                    !matches!(
                        k.as_str(),
                        "took_ms" | "processingTimeMs" | "explain" | "score" | "_rankingScore"
                    )
                });
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

#[test]
fn export_writes_a_quickwit_config_and_analyzed_documents() {
    let ws = Workspace::new();
    let out = ws.dir.path().join("export");
    let o = ws.index_with(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = ws.export(&out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let config = std::fs::read_to_string(out.join("index-config.yaml")).unwrap();
    assert!(config.contains("index_id: \"sections-gen-"), "{config}");
    assert!(config.contains("tokenizer: \"whitespace\""), "{config}");
    let docs = std::fs::read_to_string(out.join("documents.ndjson")).unwrap();
    let docs: Vec<Value> = docs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 53);
    let greta = docs
        .iter()
        .find(|d| d["acronyms"].to_string().contains("greta"))
        .expect("GRETA's section");
    // Analyzed by tipdex: lowercased, folded, stemmed.
    let body = greta["body"][0].as_str().unwrap();
    assert_eq!(body, body.to_lowercase());
    assert!(body.contains("traffick"), "{body}");
    let section: Value = serde_json::from_str(greta["doc"][0].as_str().unwrap()).unwrap();
    assert!(section["body"].as_str().unwrap().contains("GRETA"));

    let bad = ws.export(&out, &["--name", "9 bad"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("index name"), "{}", stderr(&bad));
}

#[test]
fn an_unreachable_or_malformed_backend_is_a_one_line_error() {
    let ws = Workspace::new();
    let built = ws.index_with(&[]);
    assert!(built.status.success());
    let before = ws.query(None, &["--", "GRETA"]).unwrap();
    // Nothing listens on the port of a listener just closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = format!("quickwit=http://127.0.0.1:{port}/sections");
    for (backend, expected) in [
        ("elastic=http://x/y", "unknown backend"),
        (
            "quickwit=127.0.0.1:7280/sections",
            "must start with http://",
        ),
        ("quickwit=http://127.0.0.1:7280", "name the index"),
        (unreachable.as_str(), "Quickwit at http://127.0.0.1"),
    ] {
        let err = ws.query(Some(backend), &["--", "GRETA"]).unwrap_err();
        assert!(err.contains(expected), "{backend}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{backend}: {err}");
        let o = ws.build(backend);
        assert_eq!(o.status.code(), Some(2), "{backend}");
        assert!(stderr(&o).contains(expected), "{backend}: {}", stderr(&o));
    }
    // The failed builds left the index as it was.
    let after = ws.query(None, &["--", "GRETA"]).unwrap();
    assert_eq!(without_took(after), without_took(before));
}

fn without_took(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("took_ms");
    v
}

#[test]
fn an_export_loaded_into_quickwit_by_hand_is_searched_like_the_local_index() {
    let Some(bin) =
        quickwit_bin("an_export_loaded_into_quickwit_by_hand_is_searched_like_the_local_index")
    else {
        return;
    };
    let cluster = Cluster::new(bin);
    let node = cluster.node("n1", None, None);
    let ws = Workspace::new();
    let o = ws.index_with(&[]);
    assert!(o.status.success());
    let out = ws.dir.path().join("export");
    let o = ws.export(&out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    // What `quickwit index create` and `quickwit index ingest` do, over REST.
    let target: tipdex::quickwit::Target = format!("{}/sections", node.url()).parse().unwrap();
    let client = tipdex::quickwit::Client::new(target, Duration::from_secs(60));
    let config = std::fs::read_to_string(out.join("index-config.yaml")).unwrap();
    client.create_index(&config).unwrap();
    let index_id = config
        .lines()
        .find_map(|l| l.strip_prefix("index_id: "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    let docs = std::fs::read_to_string(out.join("documents.ndjson")).unwrap();
    let docs = docs.lines().map(|l| Ok(serde_json::from_str(l).unwrap()));
    client.ingest(&index_id, docs).unwrap();
    client
        .wait_for_count(&index_id, 53, Duration::from_secs(60))
        .unwrap();
    assert_same_answers(&ws, &backend_of(&node));
}
