//! The official Meilisearch Python client (PyPI `meilisearch` 0.43.0, unchanged) against
//! `tipdex serve` (issue 18): tests/py/client.py searches with filters, facets and sort,
//! runs a multi-search, reads settings, stats and a document, and sees a write refused
//! and an unknown index. The client is installed with pip into the test's target
//! directory; skipped, with a message, only where Python or PyPI cannot be had.

use crate::harness::server::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The client version the test installs and names.
const CLIENT: &str = "meilisearch==0.43.0";

/// A directory holding the client, installed there if missing.
fn client_packages() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("py-meilisearch-0.43.0");
    let importable = |dir: &Path| {
        Command::new("python3")
            .args(["-c", "import meilisearch"])
            .env("PYTHONPATH", dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if importable(&dir) {
        return Some(dir);
    }
    let installed = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--target",
        ])
        .arg(&dir)
        .arg(CLIENT)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    (installed && importable(&dir)).then_some(dir)
}

#[test]
fn the_meilisearch_python_client_works_unchanged() {
    if !have("python3") {
        eprintln!(
            "SKIPPED the_meilisearch_python_client_works_unchanged: python3 is not installed"
        );
        return;
    }
    let Some(packages) = client_packages() else {
        eprintln!(
            "SKIPPED the_meilisearch_python_client_works_unchanged: cannot pip install {CLIENT}"
        );
        return;
    };
    let ix = crate::harness::Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/client.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(server.url())
        .env("PYTHONPATH", &packages)
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "client.py failed:\n{stdout}\n{}\nserver:\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.stderr()
    );
    assert!(
        stdout.contains("meilisearch (Python client) 0.43.0"),
        "{stdout}"
    );
    assert!(!stdout.contains("not ok"), "{stdout}");
}
