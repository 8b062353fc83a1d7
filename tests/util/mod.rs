//! Shared helpers for integration tests: run the real binary in a temp directory.
#![allow(dead_code)]

pub mod relevance;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// A temp dir with a built index of the shipped corpus at `index/`.
pub struct Indexed {
    pub dir: tempfile::TempDir,
}

impl Indexed {
    /// Builds the index of the shipped corpus in a fresh temp dir.
    pub fn new() -> Indexed {
        let dir = tempfile::tempdir().unwrap();
        let corpus = corpus_dir();
        let o = run_in(
            dir.path(),
            &[
                "index",
                "--corpus",
                corpus.to_str().unwrap(),
                "--index",
                "index",
            ],
        );
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
