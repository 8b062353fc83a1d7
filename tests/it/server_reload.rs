//! The live index (issue 4): `tipdex index` re-run while `tipdex serve` answers a
//! steady load is picked up without a restart and without one failed request; a new
//! generation that cannot be opened leaves the old one serving.

use crate::harness::server::*;
use crate::harness::*;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn copy_corpus(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

fn index(dir: &Path) {
    let o = build_index(dir, "corpus", "index");
    assert!(o.status.success(), "index failed: {}", stderr(&o));
}

fn hits(server: &Server, q: &str) -> u64 {
    let r = server.get(&format!("/api/search?q={}", enc(q)));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["total_hits"].as_u64().unwrap()
}

#[test]
fn rebuilding_under_load_fails_no_request_and_serves_the_new_corpus() {
    let dir = tempfile::tempdir().unwrap();
    copy_corpus(&dir.path().join("corpus"));
    index(dir.path());
    let server = Server::start(dir.path(), &dir.path().join("index"), &[]);
    let first_generation = server.get("/api/stats").json()["generation"].clone();
    assert_eq!(hits(&server, "zanzibarquokka"), 0);

    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let addr = server.addr;
    let clients: Vec<_> = (0..4)
        .map(|n| {
            let (stop, ok, failures) = (stop.clone(), ok.clone(), failures.clone());
            std::thread::spawn(move || {
                let paths = [
                    "/api/search?q=trafficking",
                    "/api/search?q=GRETA&kind=organization",
                    "/api/search?q=A%2FHRC%2F49",
                    "/api/suggest?q=mulla",
                    "/api/docs/organization-council-of-europe",
                    "/api/search?q=zanzibarquokka",
                ];
                let mut i = n;
                while !stop.load(Ordering::Relaxed) {
                    let path = paths[i % paths.len()];
                    i += 1;
                    match try_request(addr, "GET", path, &[], None) {
                        Ok(r)
                            if r.status == 200
                                && serde_json::from_slice::<serde_json::Value>(&r.body).is_ok() =>
                        {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) => failures.lock().unwrap().push(format!(
                            "{path}: {} {}",
                            r.status,
                            r.text()
                        )),
                        Err(e) => failures.lock().unwrap().push(format!("{path}: {e}")),
                    }
                }
            })
        })
        .collect();

    std::thread::sleep(Duration::from_millis(500));
    // A rebuild of the same corpus: a new generation, swapped in.
    index(dir.path());
    assert!(
        wait_until(Duration::from_secs(20), || {
            server.get("/api/stats").json()["generation"] != first_generation
        }),
        "the first rebuild was not picked up: {}",
        server.stderr()
    );
    std::thread::sleep(Duration::from_millis(300));
    // A rebuild with a new file: its section becomes searchable.
    std::fs::write(
        dir.path().join("corpus/added.md"),
        "# Zanzibar quokka registry\n\nThe zanzibarquokka registry lists trafficking cases.\n",
    )
    .unwrap();
    index(dir.path());
    assert!(
        wait_until(Duration::from_secs(20), || hits(&server, "zanzibarquokka")
            == 1),
        "the second rebuild was not picked up: {}",
        server.stderr()
    );
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }

    let failures = failures.lock().unwrap();
    let ok = ok.load(Ordering::Relaxed);
    assert!(
        failures.is_empty(),
        "{} failed requests: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert!(ok > 40, "only {ok} requests ran");
    let stats = server.get("/api/stats").json();
    assert_eq!(stats["total"], 54, "{stats}");
    let log = server.stderr();
    assert_eq!(
        log.matches("now serving index generation").count(),
        2,
        "{log}"
    );
    eprintln!("{ok} requests during two rebuilds, none failed");
}

#[test]
fn a_generation_that_cannot_be_opened_leaves_the_old_one_serving() {
    let dir = tempfile::tempdir().unwrap();
    copy_corpus(&dir.path().join("corpus"));
    index(dir.path());
    let server = Server::start(dir.path(), &dir.path().join("index"), &[]);
    let before = server.get("/api/stats").json()["generation"].clone();

    // A generation directory whose build facts are garbage, made current by hand.
    let root = dir.path().join("index");
    let bad = "gen-999999999999999999999999-1";
    std::fs::create_dir(root.join(bad)).unwrap();
    std::fs::write(root.join(bad).join("tipdex.json"), "{ not json").unwrap();
    let current = root.join("CURRENT");
    std::fs::write(root.join("CURRENT.tmp"), bad).unwrap();
    std::fs::rename(root.join("CURRENT.tmp"), &current).unwrap();

    assert!(
        wait_until(Duration::from_secs(10), || server
            .stderr()
            .contains("cannot load the new index")),
        "{}",
        server.stderr()
    );
    assert_eq!(server.get("/api/stats").json()["generation"], before);
    assert!(hits(&server, "GRETA") > 0);
    assert_eq!(
        server.stderr().matches("cannot load the new index").count(),
        1,
        "logged once, not on every poll"
    );

    // The next good build is picked up.
    index(dir.path());
    assert!(wait_until(Duration::from_secs(20), || {
        let g = server.get("/api/stats").json()["generation"].clone();
        g != before && g != bad
    }));
    assert!(hits(&server, "GRETA") > 0);
}
