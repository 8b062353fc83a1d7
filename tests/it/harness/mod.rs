//! Shared helpers for integration tests: run the real binary in a temp directory.
#![allow(dead_code)]

pub mod corpora;
pub mod relevance;
pub mod reports;
pub mod rng;
pub mod server;

pub use corpora::write_generated_corpus;
pub use rng::Rng;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The tipdex binary built by cargo for this test run (`$TIPDEX_TEST_BIN` runs the
/// tests against another build, e.g. to see a regression test fail before its fix).
pub fn bin() -> PathBuf {
    std::env::var_os("TIPDEX_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_tipdex")))
}

/// The shipped corpus directory.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// `tipdex` with `args` in `dir`, as a command to run or spawn.
pub fn tipdex(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(bin());
    command
        .args(args)
        .current_dir(dir)
        .env_remove("TIPDEX_INDEX")
        .env_remove("TIPDEX_CORPUS")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    command
}

/// Runs tipdex with `args` in `dir`, with no inherited TIPDEX_* settings.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env_remove("TIPDEX_INDEX")
        .env_remove("TIPDEX_CORPUS")
        .env("NO_COLOR", "1")
        .output()
        .expect("run tipdex")
}

/// Stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `tipdex index --corpus CORPUS --index INDEX` in `dir` (paths relative to it).
pub fn build_index(dir: &Path, corpus: impl AsRef<std::ffi::OsStr>, index: &str) -> Output {
    Command::new(bin())
        .arg("index")
        .arg("--corpus")
        .arg(corpus.as_ref())
        .args(["--index", index])
        .current_dir(dir)
        .env_remove("TIPDEX_INDEX")
        .env_remove("TIPDEX_CORPUS")
        .env("NO_COLOR", "1")
        .output()
        .expect("run tipdex index")
}

/// Copies the files of the shipped corpus (the directory text and the glossary) into
/// `to`, created if missing.
pub fn copy_shipped_corpus(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// A temp dir with a built index of the shipped corpus at `index/`.
pub struct Indexed {
    pub dir: tempfile::TempDir,
}

impl Indexed {
    /// Builds the index of the shipped corpus in a fresh temp dir.
    pub fn new() -> Indexed {
        let dir = tempfile::tempdir().unwrap();
        let o = build_index(dir.path(), corpus_dir(), "index");
        assert!(o.status.success(), "index failed: {}", stderr(&o));
        Indexed { dir }
    }

    /// The index path.
    pub fn index(&self) -> PathBuf {
        self.dir.path().join("index")
    }

    /// Runs `tipdex query --json --index INDEX <args>` and parses the JSON.
    pub fn query_json(&self, args: &[&str]) -> serde_json::Value {
        let index = self.index();
        let mut all = vec!["query", "--json", "--index", index.to_str().unwrap()];
        all.extend_from_slice(args);
        let o = run_in(self.dir.path(), &all);
        assert!(o.status.success(), "query {args:?} failed: {}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("bad JSON for {args:?}: {e}"))
    }
}
