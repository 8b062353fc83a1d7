//! Crashes and concurrent writers (issue 6): `tipdex index` killed at random moments,
//! two builds of one index at once, a full disk, a file-size limit and a read-only
//! index directory during a build, and damaged indexes. Each runs the real binary in a
//! temporary directory; the previous index must stay complete and answer as before.

use crate::harness::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------
// Helpers

fn index_args<'a>(corpus: &'a str, index: &'a str) -> [&'a str; 6] {
    ["index", "--corpus", corpus, "--index", index, "--quiet"]
}

/// What an index answers: total hits and the ids of the first page, for a few queries.
#[derive(Debug, Clone, PartialEq)]
struct Answers(Vec<(u64, Vec<String>)>);

const PROBES: [&str; 3] = ["zebracorn", "trafficking children", "w42"];

fn answers(dir: &Path, index: &str) -> Result<Answers, String> {
    let mut all = Vec::new();
    for q in PROBES {
        let o = tipdex(dir, &["query", "--json", "--index", index, q])
            .output()
            .unwrap();
        if !o.status.success() {
            return Err(format!("query {q:?}: {:?}: {}", o.status, stderr(&o)));
        }
        let v: Value = serde_json::from_slice(&o.stdout)
            .map_err(|e| format!("query {q:?}: not JSON ({e}): {}", stdout(&o)))?;
        let ids = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect();
        all.push((v["total_hits"].as_u64().unwrap(), ids));
    }
    Ok(Answers(all))
}

/// Names in the index directory, sorted.
fn entries(index: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(index)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// After a successful build: the current generation and at most one previous, nothing
/// left over from interrupted builds.
fn assert_tidy(index: &Path) {
    let names = entries(index);
    let generations: Vec<&String> = names.iter().filter(|n| n.starts_with("gen-")).collect();
    assert!(
        generations.len() <= 2 && generations.iter().all(|n| !n.ends_with(".tmp")),
        "leftovers in {}: {names:?}",
        index.display()
    );
}

/// Waits for a child at most `timeout`; kills it (and fails) if it is still running.
fn wait_with_timeout(mut child: Child, timeout: Duration, what: &str) -> Output {
    let deadline = Instant::now() + timeout;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!("{what} still running after {timeout:?}: {}", stderr(&o));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A failed command's report: exit code 2, one line on stderr, no panic.
fn assert_clear_failure(o: &Output, what: &str, needles: &[&str]) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{what}: {:?}: {err}", o.status);
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{what}: not one line: {err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("internal error"),
        "{what}: {err}"
    );
    assert!(
        needles.iter().any(|n| err.contains(n)),
        "{what}: expected one of {needles:?} in: {err}"
    );
    err
}

/// A temporary directory with the generated corpus variants and a complete index.
struct Fixture {
    dir: tempfile::TempDir,
    /// Answers of the index of the corpus without and with the marker section.
    plain: Answers,
    marked: Answers,
    /// How long a complete build took.
    build_time: Duration,
}

const SECTIONS: usize = 3000;

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        write_generated_corpus(&dir.path().join("corpus"), SECTIONS, true);
        let o = tipdex(dir.path(), &index_args("corpus", "index"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let marked = answers(dir.path(), "index").unwrap();
        write_generated_corpus(&dir.path().join("corpus"), SECTIONS, false);
        let started = Instant::now();
        let o = tipdex(dir.path(), &index_args("corpus", "index"))
            .output()
            .unwrap();
        let build_time = started.elapsed();
        assert!(o.status.success(), "{}", stderr(&o));
        let plain = answers(dir.path(), "index").unwrap();
        assert_ne!(plain, marked);
        assert_eq!(marked.0[0].0, 1, "the marker section is found");
        Fixture {
            dir,
            plain,
            marked,
            build_time,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn index(&self) -> PathBuf {
        self.dir.path().join("index")
    }

    fn set_corpus(&self, marker: bool) -> &Answers {
        write_generated_corpus(&self.path().join("corpus"), SECTIONS, marker);
        if marker {
            &self.marked
        } else {
            &self.plain
        }
    }

    fn answers_for(&self, marker: bool) -> &Answers {
        if marker {
            &self.marked
        } else {
            &self.plain
        }
    }
}

// ---------------------------------------------------------------------------------
// SIGKILL at random moments

#[test]
fn killing_index_at_random_moments_never_loses_the_previous_index() {
    let fx = Fixture::new();
    let mut rng = Rng::from_env_or_clock("TIPDEX_RELIABILITY_SEED", "kill");
    let build_ms = fx.build_time.as_millis().max(50) as u64;
    eprintln!("a complete build takes {build_ms} ms");
    let budget = Duration::from_secs(75);
    let started = Instant::now();
    // The index in use answers as the plain corpus.
    let mut in_use = false;
    let (mut killed, mut completed, mut iterations) = (0, 0, 0);
    while iterations < 40 && (iterations < 25 || started.elapsed() < budget) {
        if started.elapsed() > budget * 2 {
            break;
        }
        iterations += 1;
        let attempt = rng.below(2) == 0;
        fx.set_corpus(attempt);
        let mut child = tipdex(fx.path(), &index_args("corpus", "index"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // One run in six completes; the others are killed anywhere from the start to
        // just past the usual end of a build (loading, writing, switching, cleaning).
        let finish = rng.below(6) == 0;
        let status: ExitStatus = if finish {
            child.wait().unwrap()
        } else {
            let delay = rng.below(build_ms * 11 / 10 + 1);
            std::thread::sleep(Duration::from_millis(delay));
            let _ = child.kill(); // SIGKILL
            child.wait().unwrap()
        };
        let mut err = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            use std::io::Read;
            let _ = pipe.read_to_string(&mut err);
        }
        let now = answers(fx.path(), "index").unwrap_or_else(|e| {
            panic!("iteration {iterations}: the index is unusable after a kill: {e}")
        });
        if status.success() {
            completed += 1;
            assert_eq!(
                &now,
                fx.answers_for(attempt),
                "iteration {iterations}: a complete build is in use"
            );
            assert_eq!(err, "", "iteration {iterations}");
        } else {
            assert!(
                status.code().is_none(),
                "iteration {iterations}: failed without being killed: {status:?}: {err}"
            );
            killed += 1;
            // Killed: either the previous index, or the new one if the switch happened.
            assert!(
                &now == fx.answers_for(in_use) || &now == fx.answers_for(attempt),
                "iteration {iterations}: the index answers neither as before nor as the new corpus"
            );
        }
        in_use = now == fx.marked;
    }
    eprintln!(
        "{iterations} builds: {killed} killed, {completed} completed, in {:?}",
        started.elapsed()
    );
    // The loop is bounded in time: a loaded machine runs fewer builds, but still many.
    assert!(iterations >= 12, "only {iterations} iterations");
    assert!(killed >= 8, "only {killed} builds were killed");

    // The next build succeeds, cleans up after the killed ones and is used.
    let o = tipdex(fx.path(), &index_args("corpus", "index"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let last = fx.path().join("corpus/sections.jsonl");
    let marker = std::fs::read_to_string(last).unwrap().contains("zebracorn");
    assert_eq!(
        &answers(fx.path(), "index").unwrap(),
        fx.answers_for(marker)
    );
    assert_tidy(&fx.index());
}

// ---------------------------------------------------------------------------------
// Two builders at once

#[test]
fn two_builds_at_once_never_corrupt_the_index() {
    let fx = Fixture::new();
    let mut rng = Rng::from_env_or_clock("TIPDEX_RELIABILITY_SEED", "concurrent");
    let mut refused = 0;
    for round in 0..6 {
        let marker = round % 2 == 0;
        let expected = fx.set_corpus(marker).clone();
        let spawn = || {
            tipdex(fx.path(), &index_args("corpus", "index"))
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let first = spawn();
        std::thread::sleep(Duration::from_millis(rng.below(60)));
        let second = spawn();
        let outputs = [
            wait_with_timeout(first, Duration::from_secs(120), "index"),
            wait_with_timeout(second, Duration::from_secs(120), "index"),
        ];
        let mut succeeded = 0;
        for o in &outputs {
            if o.status.success() {
                succeeded += 1;
            } else {
                assert_clear_failure(o, "the second builder", &["being built by another process"]);
                refused += 1;
            }
        }
        assert!(succeeded >= 1, "round {round}: neither build succeeded");
        assert_eq!(
            answers(fx.path(), "index").unwrap(),
            expected,
            "round {round}"
        );
        assert_tidy(&fx.index());
    }
    eprintln!("{refused} of 12 builds were refused while the other ran");
    assert!(refused >= 1, "the builds never overlapped");
}

// ---------------------------------------------------------------------------------
// Full disk, file-size limit, read-only directory

/// Whether this process may mount file systems (root in a machine that allows it).
fn can_mount() -> bool {
    let probe = tempfile::tempdir().unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(probe.path())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        let _ = Command::new("umount").arg(probe.path()).status();
    }
    ok
}

/// A tmpfs of `size` mounted at `path`, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(path: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(path).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success(), "mount tmpfs at {}", path.display());
        Tmpfs(path.to_path_buf())
    }

    fn remount(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success(), "remount {options}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Answers of an index of the shipped corpus.
fn shipped_answers(dir: &Path, index: &str) -> Vec<Value> {
    ["GRETA", "Siobhan Mullally", "A/HRC/47/34", "children"]
        .iter()
        .map(|q| {
            let o = tipdex(dir, &["query", "--json", "--index", index, q])
                .output()
                .unwrap();
            assert!(o.status.success(), "query {q}: {}", stderr(&o));
            let mut v: Value = serde_json::from_slice(&o.stdout).unwrap();
            v.as_object_mut().unwrap().remove("took_ms");
            v
        })
        .collect()
}

/// Sets up `dir` with `small/` (the shipped corpus) and `big/` (a generated corpus
/// whose index is several MB).
fn two_corpora(dir: &Path) {
    copy_shipped_corpus(&dir.join("small"));
    write_generated_corpus(&dir.join("big"), SECTIONS, false);
}

#[test]
fn a_full_disk_during_a_build_is_a_clear_error_and_keeps_the_previous_index() {
    if !can_mount() {
        eprintln!("SKIPPED: cannot mount a tmpfs here (not root?): full disk not simulated");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    two_corpora(dir.path());
    // A 2 MiB file system: the shipped corpus's index fits, the generated one does not.
    let _disk = Tmpfs::mount(&dir.path().join("disk"), "2m");
    let o = tipdex(dir.path(), &index_args("small", "disk/index"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let before = shipped_answers(dir.path(), "disk/index");

    let o = tipdex(dir.path(), &index_args("big", "disk/index"))
        .output()
        .unwrap();
    assert_clear_failure(&o, "build on a full disk", &["No space left on device"]);
    assert_eq!(shipped_answers(dir.path(), "disk/index"), before);
    // The failed build removed what it had written: the next one has room again.
    assert_tidy(&dir.path().join("disk/index"));
    let o = tipdex(dir.path(), &index_args("small", "disk/index"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(shipped_answers(dir.path(), "disk/index"), before);
}

#[test]
fn issue19_a_full_disk_during_a_multi_threaded_build_names_the_cause() {
    if !can_mount() {
        eprintln!("SKIPPED: cannot mount a tmpfs here (not root?): full disk not simulated");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Over 20,000 sections: built by several indexing threads where there are cores.
    write_generated_corpus(&dir.path().join("big"), 25_000, false);
    let _disk = Tmpfs::mount(&dir.path().join("disk"), "2m");
    let o = tipdex(dir.path(), &index_args("big", "disk/index"))
        .output()
        .unwrap();
    let err = assert_clear_failure(&o, "build on a full disk", &["No space left on device"]);
    assert_eq!(
        err.matches("No space left on device").count(),
        1,
        "the cause once: {err}"
    );
}

#[test]
fn a_file_size_limit_during_a_build_is_a_clear_error_and_keeps_the_previous_index() {
    if !crate::harness::server::have("bash") {
        eprintln!("SKIPPED: no bash to set `ulimit -f`");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    two_corpora(dir.path());
    let o = tipdex(dir.path(), &index_args("small", "index"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let before = shipped_answers(dir.path(), "index");

    // `ulimit -f 256`: no file over 256 KiB. Writing past it raises SIGXFSZ, which
    // tipdex ignores so that the write fails with EFBIG and is reported.
    let o = Command::new("bash")
        .arg("-c")
        .arg(r#"ulimit -f 256 && exec "$0" "$@""#)
        .arg(bin())
        .args(index_args("big", "index"))
        .current_dir(dir.path())
        .env_remove("TIPDEX_INDEX")
        .env_remove("TIPDEX_CORPUS")
        .output()
        .unwrap();
    assert_clear_failure(&o, "build over the file-size limit", &["File too large"]);
    assert_eq!(shipped_answers(dir.path(), "index"), before);
    assert_tidy(&dir.path().join("index"));
}

#[test]
fn a_read_only_index_directory_is_a_clear_error_and_still_answers() {
    let dir = tempfile::tempdir().unwrap();
    two_corpora(dir.path());
    let mut tested = 0;

    // A read-only file system (EROFS).
    if can_mount() {
        let disk = Tmpfs::mount(&dir.path().join("ro"), "16m");
        let o = tipdex(dir.path(), &index_args("small", "ro/index"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let before = shipped_answers(dir.path(), "ro/index");
        disk.remount("ro");
        let o = tipdex(dir.path(), &index_args("big", "ro/index"))
            .output()
            .unwrap();
        assert_clear_failure(
            &o,
            "build on a read-only file system",
            &["Read-only file system"],
        );
        assert_eq!(shipped_answers(dir.path(), "ro/index"), before);
        disk.remount("rw");
        assert_tidy(&dir.path().join("ro/index"));
        tested += 1;
    } else {
        eprintln!("SKIPPED: cannot mount a tmpfs here: read-only file system not simulated");
    }

    // A directory the user may read but not write (EACCES). Root bypasses permissions,
    // so the build runs as `nobody`.
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| stdout(&o).trim() == "0");
    if is_root && crate::harness::server::have("setpriv") {
        let o = tipdex(dir.path(), &index_args("small", "index"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let before = shipped_answers(dir.path(), "index");
        // Let `nobody` into the temporary directory (read and search only).
        let mut perms = std::fs::metadata(dir.path()).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(dir.path(), perms).unwrap();
        let as_nobody = |args: &[&str]| {
            Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(bin())
                .args(args)
                .current_dir(dir.path())
                .env_remove("TIPDEX_INDEX")
                .env_remove("TIPDEX_CORPUS")
                .output()
                .unwrap()
        };
        let o = as_nobody(&index_args("big", "index"));
        assert_clear_failure(&o, "build in a read-only directory", &["Permission denied"]);
        assert_eq!(shipped_answers(dir.path(), "index"), before);
        // Searching needs no write access.
        let o = as_nobody(&["query", "--json", "--index", "index", "GRETA"]);
        assert!(o.status.success(), "query as nobody: {}", stderr(&o));
        tested += 1;
    } else {
        eprintln!("SKIPPED: not root or no setpriv: read-only directory not simulated");
    }
    eprintln!("{tested} read-only setups tested");
}

// ---------------------------------------------------------------------------------
// Damaged indexes

/// Copies a directory tree.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The current generation directory of an index.
fn generation_dir(index: &Path) -> PathBuf {
    let current = std::fs::read_to_string(index.join("CURRENT")).unwrap();
    index.join(current.trim())
}

/// The largest file of the generation with this extension.
/// Every segment file truncated in place under a running server (with memory-mapped
/// files, reading past the new end would raise SIGBUS and end the process): the server
/// lives on and answers exactly as before, as it reads the generation it loaded.
#[test]
fn segment_files_truncated_under_a_running_server_do_not_end_it() {
    let ix = Indexed::new();
    let mut server = crate::harness::server::Server::start(ix.dir.path(), &ix.index(), &[]);
    let queries = [
        "/api/search?limit=50&q=children",
        "/api/search?limit=50&q=GRETA",
        "/api/search?limit=50&q=A%2FHRC%2F47%2F34",
        "/api/search?limit=50&q=%22sale%20of%20children%22",
        "/api/suggest?q=traf",
    ];
    let before: Vec<String> = queries
        .iter()
        .map(|q| {
            let r = server.get(q);
            assert_eq!(r.status, 200, "{q}");
            without_timing(r.json()).to_string()
        })
        .collect();
    for ext in ["store", "idx", "term", "pos", "fieldnorm", "fast"] {
        truncate(&segment_file(&ix.index(), ext));
    }
    for (q, expected) in queries.iter().zip(&before) {
        let r = server.get(q);
        assert_eq!(r.status, 200, "{q} after truncation");
        assert_eq!(&without_timing(r.json()).to_string(), expected, "{q}");
    }
    assert!(server.is_running());
    assert_eq!(server.get("/health").status, 200);
}

/// A generation is never written once complete, and tipdex makes it read-only: past
/// the in-memory bound a server maps its files, and a file truncated in place would end
/// the server (SIGBUS), so no user or tool but root can truncate them by accident.
#[cfg(unix)]
#[test]
fn issue19_complete_generations_are_read_only() {
    use std::os::unix::fs::PermissionsExt;
    let ix = Indexed::new();
    let generation = generation_dir(&ix.index());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode();
    assert_eq!(mode(&generation) & 0o222, 0, "the directory is read-only");
    for entry in std::fs::read_dir(&generation).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path) & 0o222, 0, "{} is read-only", path.display());
        assert_eq!(
            mode(&path) & 0o444,
            0o444,
            "{} is readable by all",
            path.display()
        );
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| stdout(&o).trim() == "0");
    if is_root && crate::harness::server::have("setpriv") {
        let mut perms = std::fs::metadata(ix.dir.path()).unwrap().permissions();
        perms.set_mode(0o755);
        std::fs::set_permissions(ix.dir.path(), perms).unwrap();
        let store = segment_file(&ix.index(), "store");
        let len = std::fs::metadata(&store).unwrap().len();
        let o = Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--",
                "truncate",
                "-s",
                "0",
            ])
            .arg(&store)
            .output()
            .unwrap();
        assert!(!o.status.success(), "nobody truncated a generation file");
        assert_eq!(std::fs::metadata(&store).unwrap().len(), len);
    } else {
        eprintln!("SKIPPED part: not root or no setpriv: truncation by another user not tried");
    }
    // Read-only generations are still replaced and removed by later builds.
    let corpus = corpus_dir();
    for _ in 0..3 {
        let o = build_index(ix.dir.path(), corpus.to_str().unwrap(), "index");
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert!(!generation.exists(), "the first generation was removed");
}

/// A search answer without the fields that vary from one request to the next.
fn without_timing(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(o) = v.as_object_mut() {
        o.retain(|k, _| !k.contains("took") && !k.contains("time") && !k.contains("Time"));
    }
    v
}

fn segment_file(index: &Path, ext: &str) -> PathBuf {
    std::fs::read_dir(generation_dir(index))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap_or_else(|| panic!("no .{ext} file"))
}

fn truncate(path: &Path) {
    let len = std::fs::metadata(path).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.set_len(len / 2).unwrap();
}

fn flip_bytes(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let mid = bytes.len() / 2;
    let end = (mid + 16).min(bytes.len());
    for b in &mut bytes[mid..end] {
        *b ^= 0x5a;
    }
    std::fs::write(path, bytes).unwrap();
}

type Damage = (&'static str, fn(&Path));

const DAMAGES: &[Damage] = &[
    ("truncated .store", |ix| {
        truncate(&segment_file(ix, "store"))
    }),
    ("truncated .term", |ix| truncate(&segment_file(ix, "term"))),
    ("truncated .idx", |ix| truncate(&segment_file(ix, "idx"))),
    ("deleted .store", |ix| {
        std::fs::remove_file(segment_file(ix, "store")).unwrap()
    }),
    ("deleted .pos", |ix| {
        std::fs::remove_file(segment_file(ix, "pos")).unwrap()
    }),
    ("deleted .fast", |ix| {
        std::fs::remove_file(segment_file(ix, "fast")).unwrap()
    }),
    ("bytes flipped in .idx", |ix| {
        flip_bytes(&segment_file(ix, "idx"))
    }),
    ("bytes flipped in .store", |ix| {
        flip_bytes(&segment_file(ix, "store"))
    }),
    ("bytes flipped in .term", |ix| {
        flip_bytes(&segment_file(ix, "term"))
    }),
    ("bytes flipped in .fieldnorm", |ix| {
        flip_bytes(&segment_file(ix, "fieldnorm"))
    }),
    ("truncated meta.json", |ix| {
        truncate(&generation_dir(ix).join("meta.json"))
    }),
    ("deleted meta.json", |ix| {
        std::fs::remove_file(generation_dir(ix).join("meta.json")).unwrap()
    }),
    ("garbage tipdex.json", |ix| {
        std::fs::write(generation_dir(ix).join("tipdex.json"), "{\"total\": ").unwrap()
    }),
    ("empty CURRENT", |ix| {
        std::fs::write(ix.join("CURRENT"), "").unwrap()
    }),
    ("CURRENT naming a path outside", |ix| {
        std::fs::write(ix.join("CURRENT"), "gen-../../etc").unwrap()
    }),
    ("deleted generation", |ix| {
        std::fs::remove_dir_all(generation_dir(ix)).unwrap()
    }),
];

#[test]
fn a_damaged_index_is_reported_by_query_and_serve_and_rebuilt_by_index() {
    let ix = Indexed::new();
    let pristine = ix.index();
    let corpus = corpus_dir();
    let corpus = corpus.to_str().unwrap();
    let reference = shipped_answers(ix.dir.path(), "index");
    for (i, (what, damage)) in DAMAGES.iter().enumerate() {
        let name = format!("damaged-{i}");
        let index = ix.dir.path().join(&name);
        copy_dir(&pristine, &index);
        damage(&index);

        let o = tipdex(ix.dir.path(), &["query", "--index", &name, "children"])
            .output()
            .unwrap();
        let err = assert_clear_failure(
            &o,
            &format!("query on {what}"),
            &["cannot be used", "no index"],
        );
        assert!(
            err.contains("tipdex index"),
            "{what}: says how to fix it: {err}"
        );

        let child = tipdex(
            ix.dir.path(),
            &["serve", "--index", &name, "--addr", "127.0.0.1:0"],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let o = wait_with_timeout(child, Duration::from_secs(60), "serve on a damaged index");
        assert_clear_failure(
            &o,
            &format!("serve on {what}"),
            &["cannot be used", "no index"],
        );

        let o = tipdex(ix.dir.path(), &index_args(corpus, &name))
            .output()
            .unwrap();
        assert!(o.status.success(), "{what}: rebuild: {}", stderr(&o));
        assert_eq!(
            shipped_answers(ix.dir.path(), &name),
            reference,
            "{what}: rebuilt"
        );
    }
}

/// Bytes of the index files changed in place under a running server: searches answer
/// JSON, an error at worst, and the server lives on. (A generation this small is read
/// into memory when loaded, so the server keeps answering from what it loaded.)
#[test]
fn an_index_damaged_under_a_running_server_gives_json_errors_not_a_crash() {
    let ix = Indexed::new();
    let mut server = crate::harness::server::Server::start(ix.dir.path(), &ix.index(), &[]);
    assert_eq!(server.get("/api/search?q=children").status, 200);
    for ext in ["store", "idx", "term", "pos", "fieldnorm", "fast"] {
        let path = segment_file(&ix.index(), ext);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        use std::io::{Read, Seek, SeekFrom, Write};
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        let mid = bytes.len() / 2;
        let end = (mid + 64).min(bytes.len());
        for b in &mut bytes[mid..end] {
            *b ^= 0x5a;
        }
        file.seek(SeekFrom::Start(0)).unwrap();
        file.write_all(&bytes).unwrap();
    }
    let mut errors = 0;
    for q in [
        "children",
        "GRETA",
        "A%2FHRC%2F47%2F34",
        "trafficking",
        "special%20rapporteur",
        "",
        "%22sale%20of%20children%22",
        "traf",
    ] {
        for route in ["/api/search?limit=50&q=", "/api/suggest?q="] {
            let r = server.get(&format!("{route}{q}"));
            let v = r.json();
            if r.status != 200 {
                assert!(r.status >= 500, "{route}{q}: {} {v}", r.status);
                assert!(v["error"]["message"].is_string(), "{v}");
                errors += 1;
            }
        }
    }
    eprintln!("{errors} of 16 requests answered with a JSON error");
    assert!(server.is_running());
    assert_eq!(server.get("/health").status, 200);
}
