//! Hardening (issue 19): an index directory tipdex owns, a corpus it can trust, flags
//! that never panic. Each test runs the real binary in a temporary directory and
//! reproduces one finding of the adversarial pass.

use crate::harness::*;
use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A small JSON Lines corpus: `n` sections, one of them holding `word`.
fn write_jsonl(path: &Path, n: usize, word: &str) {
    let mut text = String::new();
    for i in 0..n {
        let extra = if i == n / 2 { word } else { "" };
        text.push_str(&format!(
            "{{\"title\": \"Section {i}\", \"body\": \"trafficking in persons report {i} {extra}\"}}\n"
        ));
    }
    fs::write(path, text).unwrap();
}

/// Runs tipdex with `args` in `dir`; `None` (the process killed) when it is still
/// running after `timeout`.
fn run_within(dir: &Path, args: &[&str], timeout: Duration) -> Option<Output> {
    let mut child = tipdex(dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(child.wait_with_output().unwrap())
}

/// `dir/corpus/a.jsonl` of five sections (one holding `word`), indexed at `dir/ix`.
fn small_index(dir: &Path, word: &str) {
    fs::create_dir(dir.join("corpus")).unwrap();
    write_jsonl(&dir.join("corpus/a.jsonl"), 5, word);
    assert!(build_index(dir, "corpus", "ix").status.success());
}

fn hits(dir: &Path, index: &str, query: &str) -> usize {
    let o = run_in(dir, &["query", "--json", "--index", index, query]);
    assert!(o.status.success(), "query {query}: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["total_hits"].as_u64().unwrap() as usize
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn issue19_index_refuses_a_directory_it_did_not_create_and_leaves_it_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    fs::create_dir_all(home.join("gen-notes")).unwrap();
    fs::write(home.join("gen-notes/plan.txt"), "my notes").unwrap();
    fs::write(home.join("CURRENT"), "my current project").unwrap();
    fs::write(home.join("todo.txt"), "buy milk").unwrap();
    let before = names(&home);
    let corpus = corpus_dir();
    let o = build_index(&home, corpus.to_str().unwrap(), ".");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("tipdex did not create it") && err.lines().count() == 1,
        "{err}"
    );
    assert_eq!(names(&home), before);
    assert_eq!(
        fs::read_to_string(home.join("CURRENT")).unwrap(),
        "my current project"
    );
    assert_eq!(
        fs::read_to_string(home.join("gen-notes/plan.txt")).unwrap(),
        "my notes"
    );
}

#[test]
fn issue19_rebuilds_remove_only_what_tipdex_recorded_and_keep_the_previous_generation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_index(d, "");
    // Entries someone else put into the index directory afterwards, named like tipdex's.
    let idx = d.join("ix");
    fs::create_dir(idx.join("gen-notes")).unwrap();
    fs::write(idx.join("gen-notes/keep.txt"), "mine").unwrap();
    fs::create_dir(idx.join("gen-000000000000000000000001-1")).unwrap();
    fs::create_dir(idx.join("gen-000000000000000000000002-1.tmp")).unwrap();
    let mut currents = Vec::new();
    for _ in 0..3 {
        let o = build_index(d, "corpus", "ix");
        assert!(o.status.success(), "{}", stderr(&o));
        currents.push(fs::read_to_string(idx.join("CURRENT")).unwrap());
    }
    let on_disk = names(&idx);
    for stranger in [
        "gen-notes",
        "gen-000000000000000000000001-1",
        "gen-000000000000000000000002-1.tmp",
    ] {
        assert!(on_disk.contains(&stranger.to_string()), "{on_disk:?}");
    }
    assert!(idx.join("gen-notes/keep.txt").is_file());
    // The generation readers may still have open is tipdex's previous one.
    assert!(on_disk.contains(&currents[1]), "{on_disk:?} {currents:?}");
    assert!(on_disk.contains(&currents[2]), "{on_disk:?} {currents:?}");
    assert!(!on_disk.contains(&currents[0]), "{on_disk:?} {currents:?}");
}

#[test]
fn issue19_an_index_of_an_earlier_tipdex_is_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_index(d, "quokka");
    // What an earlier tipdex left: no marker, a killed build's leftovers.
    fs::remove_file(d.join("ix/tipdex-index.json")).unwrap();
    fs::create_dir(d.join("ix/gen-000000000000000000000003-9.tmp")).unwrap();
    let o = build_index(d, "corpus", "ix");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(d.join("ix/tipdex-index.json").is_file());
    assert!(!d.join("ix/gen-000000000000000000000003-9.tmp").exists());
    assert_eq!(hits(d, "ix", "quokka"), 1);
}

#[cfg(unix)]
#[test]
fn issue19_links_planted_in_the_index_directory_are_never_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_index(d, "quokka");
    let victim = d.join("victim.txt");
    fs::write(&victim, "precious").unwrap();
    let idx = d.join("ix");
    // The lock redirected: refused, nothing written.
    fs::remove_file(idx.join(".lock")).unwrap();
    std::os::unix::fs::symlink(&victim, idx.join(".lock")).unwrap();
    let o = build_index(d, "corpus", "ix");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(hits(d, "ix", "quokka"), 1, "the index still answers");
    fs::remove_file(idx.join(".lock")).unwrap();
    // Temporary names planted as links: replaced, never written through.
    for name in ["CURRENT.tmp", "tipdex-index.json.tmp"] {
        std::os::unix::fs::symlink(&victim, idx.join(name)).unwrap();
    }
    let o = build_index(d, "corpus", "ix");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(hits(d, "ix", "quokka"), 1);
}

/// A copy of the shipped corpus in `dir/corpus`, plus a JSON Lines file of `n` sections.
fn default_corpus(dir: &Path, n: usize, word: &str) {
    let corpus = dir.join("corpus");
    copy_shipped_corpus(&corpus);
    write_jsonl(&corpus.join("extra.jsonl"), n, word);
}

fn query_default(dir: &Path, query: &str) -> std::process::Child {
    tipdex(dir, &["query", "--json", query])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn total_hits(o: &Output) -> u64 {
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(o)));
    v["total_hits"].as_u64().unwrap()
}

#[test]
fn issue19_a_file_changed_during_a_build_is_indexed_by_the_next_query() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("corpus")).unwrap();
    // `a.jsonl` is read first; parsing `z.jsonl` then takes a while.
    write_jsonl(&d.join("corpus/a.jsonl"), 5, "");
    write_jsonl(&d.join("corpus/z.jsonl"), 20_000, "");
    let child = query_default(d, "trafficking");
    // Once the build has read `a.jsonl`, and while it parses the rest, `a.jsonl` changes.
    std::thread::sleep(Duration::from_millis(150));
    write_jsonl(&d.join("corpus/a.jsonl"), 5, "wombatword");
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(d, &["query", "--json", "wombatword"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        total_hits(&o),
        1,
        "the changed file is indexed: {}",
        stderr(&o)
    );
}

#[test]
fn issue19_queries_during_a_rebuild_of_the_default_index_wait_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    default_corpus(d, 2000, "");
    let o = run_in(d, &["query", "--json", "trafficking"]);
    assert!(o.status.success(), "{}", stderr(&o));
    write_jsonl(&d.join("corpus/extra.jsonl"), 2000, "numbatword");
    let children: Vec<_> = (0..4).map(|_| query_default(d, "numbatword")).collect();
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(total_hits(&o), 1, "{}", stderr(&o));
    }
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[cfg(unix)]
#[test]
fn issue19_fifos_devices_and_links_out_of_the_corpus_are_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("corpus")).unwrap();
    write_jsonl(&d.join("corpus/a.jsonl"), 5, "quokka");
    mkfifo(&d.join("corpus/pipe.txt"));
    std::os::unix::fs::symlink("/dev/zero", d.join("corpus/zero.jsonl")).unwrap();
    let outside = d.join("outside.md");
    fs::write(&outside, "# Secret\nroot:x:0:0 secretword\n").unwrap();
    std::os::unix::fs::symlink(&outside, d.join("corpus/secret.md")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", d.join("corpus/passwd.txt")).unwrap();
    let o = run_within(
        d,
        &["index", "--corpus", "corpus", "--index", "ix"],
        Duration::from_secs(60),
    )
    .expect("tipdex index hangs on special files");
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("pipe.txt: skipped: a FIFO"), "{err}");
    assert!(
        err.contains("zero.jsonl: skipped: a symbolic link leading outside"),
        "{err}"
    );
    assert!(
        err.contains("secret.md: skipped: a symbolic link leading outside"),
        "{err}"
    );
    assert!(err.contains("passwd.txt: skipped"), "{err}");
    assert_eq!(hits(d, "ix", "quokka"), 1);
    assert_eq!(hits(d, "ix", "secretword"), 0);
    // Following links on purpose reads the outside file, still never the devices.
    let o = run_in(
        d,
        &[
            "index",
            "--corpus",
            "corpus",
            "--index",
            "ix",
            "--follow-links",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("zero.jsonl: skipped: a device"),
        "{}",
        stderr(&o)
    );
    assert_eq!(hits(d, "ix", "secretword"), 1);
}

#[test]
fn issue19_numeric_flags_out_of_range_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_index(d, "");
    fs::write(d.join("q.txt"), "term\ttrafficking\n").unwrap();
    let cases: &[&[&str]] = &[
        &[
            "serve",
            "--index",
            "ix",
            "--addr",
            "127.0.0.1:0",
            "--request-timeout",
            "1e300",
        ],
        &[
            "serve",
            "--index",
            "ix",
            "--addr",
            "127.0.0.1:0",
            "--request-timeout",
            "inf",
        ],
        &[
            "serve",
            "--index",
            "ix",
            "--addr",
            "127.0.0.1:0",
            "--request-timeout",
            "NaN",
        ],
        &[
            "serve",
            "--index",
            "ix",
            "--addr",
            "127.0.0.1:0",
            "--request-timeout",
            "-1",
        ],
        &[
            "serve",
            "--index",
            "ix",
            "--addr",
            "127.0.0.1:0",
            "--request-timeout",
            "0",
        ],
        &[
            "serve",
            "--index",
            "ix",
            "--addr",
            "127.0.0.1:0",
            "--search-timeout",
            "1e300",
        ],
        &[
            "serve",
            "--index",
            "ix",
            "--addr",
            "127.0.0.1:0",
            "--allow-origin",
            "example.org",
        ],
        &[
            "query",
            "--index",
            "ix",
            "--limit",
            "99999999999999999999999",
            "x",
        ],
        &["query", "--index", "ix", "--offset", "-3", "x"],
        &[
            "query",
            "--index",
            "ix",
            "--year",
            "99999999999999999999",
            "x",
        ],
        &["query", "--index", "ix", "--explain", "--limit", "500", "x"],
        &[
            "bench",
            "--index",
            "ix",
            "--queries",
            "q.txt",
            "--runs",
            "99999999999999999999",
        ],
    ];
    for args in cases {
        let o = run_within(d, args, Duration::from_secs(20))
            .unwrap_or_else(|| panic!("{args:?} was accepted (still running)"));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            !err.contains("panicked") && !err.contains("internal error"),
            "{args:?}: {err}"
        );
    }
}
