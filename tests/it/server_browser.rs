//! The search page in a real headless Chromium (issues 4 and 6), driven by
//! tests/js/page.mjs through npm `playwright-core`: typing, results with badges and
//! highlights, kind filters with counts, keyboard navigation of suggestions, the
//! no-results message, a screenshot at target/tipdex-page.png, and a corpus section
//! holding `<script>` and `<img onerror>` shown as text with no script run.
//!
//! Chromium is Debian's `chromium` (installed with apt-get when missing); the test is
//! skipped, saying so, only where neither Chromium nor Node can be had.

use crate::harness::server::*;
use crate::harness::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Debian's Chromium, installed when missing (and possible).
fn chromium() -> Option<PathBuf> {
    let found = || {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
    };
    if let Some(path) = found() {
        return Some(path);
    }
    if !have("apt-get") {
        return None;
    }
    eprintln!("chromium not found: trying `apt-get install -y chromium`");
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "chromium"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !install() {
        let _ = Command::new("apt-get")
            .args(["update", "-qq"])
            .stdout(Stdio::null())
            .status();
        install();
    }
    found()
}

const HOSTILE: &str = "# Hostile <script>alert(1)</script> quokkaxss heading

Trafficking notes quokkaxss <img src=x onerror=alert(2)> and <script>alert(3)</script> end.
";

#[test]
fn the_search_page_works_in_a_real_browser() {
    let Some(chromium) = chromium() else {
        eprintln!(
            "SKIPPED the_search_page_works_in_a_real_browser: chromium is not installed and `apt-get install chromium` failed"
        );
        return;
    };
    if !have("node") {
        eprintln!("SKIPPED the_search_page_works_in_a_real_browser: `node` is not installed");
        return;
    }
    if !js_packages() {
        eprintln!(
            "SKIPPED the_search_page_works_in_a_real_browser: cannot install tests/js packages (npm ci)"
        );
        return;
    }

    // The shipped corpus plus a section whose heading and body are markup.
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, corpus.join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(corpus.join("hostile.md"), HOSTILE).unwrap();
    let o = build_index(dir.path(), "corpus", "index");
    assert!(o.status.success(), "{}", stderr(&o));

    let server = Server::start(dir.path(), &dir.path().join("index"), &[]);
    let target = Path::new(env!("CARGO_BIN_EXE_tipdex"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf();
    let screenshot = target.join("tipdex-page.png");
    let _ = std::fs::remove_file(&screenshot);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js/page.mjs");
    let out = Command::new("node")
        .arg(&script)
        .arg(server.url())
        .arg(&screenshot)
        .arg(&chromium)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "page.mjs failed:\n{stdout}\n{stderr}\nserver:\n{}",
        server.stderr()
    );
    assert!(
        stdout.contains("ok - markup in documents shows as text and never runs"),
        "{stdout}"
    );
    let png = std::fs::read(&screenshot).expect("screenshot saved");
    assert!(
        png.starts_with(b"\x89PNG"),
        "a PNG at {}",
        screenshot.display()
    );
    println!("screenshot: {}", screenshot.display());
}

/// Issue 15: grouped passages with citations, a citation opening its document at the
/// page, symbols linked to undocs.org (tests/js/documents.mjs).
#[test]
fn documents_on_the_page_in_a_real_browser() {
    let Some(chromium) = chromium() else {
        eprintln!("SKIPPED documents_on_the_page_in_a_real_browser: chromium is not installed");
        return;
    };
    if !have("node") || !js_packages() {
        eprintln!("SKIPPED documents_on_the_page_in_a_real_browser: node or the tests/js packages are missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    copy_shipped_corpus(&corpus);
    let reports = corpus.join("reports");
    std::fs::create_dir(&reports).unwrap();
    let report = crate::harness::reports::Report::non_punishment(20);
    std::fs::write(reports.join("G2105291.pdf"), report.pdf()).unwrap();
    let french = crate::harness::reports::Report::non_punishment_french(20);
    std::fs::write(reports.join("A-HRC-47-34_F.pdf"), french.pdf()).unwrap();
    let o = build_index(dir.path(), "corpus", "index");
    assert!(o.status.success(), "{}", stderr(&o));
    let server = Server::start(dir.path(), &dir.path().join("index"), &[]);
    let stdout = run_browser_script("documents.mjs", &server, &chromium);
    assert!(
        stdout.contains("ok - a citation opens the document at its page"),
        "{stdout}"
    );
}

/// Issue 18: an InstantSearch page through instant-meilisearch, the libraries unchanged
/// (tests/js/instantsearch.mjs: InstantSearch.js 4.118.1, instant-meilisearch 0.31.3,
/// meilisearch 0.57.0): searchBox, hits with Highlight and Snippet, refinementList on
/// kind and year, sortBy newest/oldest/relevance, pagination, stats, clearRefinements,
/// with no console error and no failed request.
#[test]
fn an_instantsearch_page_in_a_real_browser() {
    let Some(chromium) = chromium() else {
        eprintln!("SKIPPED an_instantsearch_page_in_a_real_browser: chromium is not installed");
        return;
    };
    if !have("node") || !js_packages() || !instantsearch_packages() {
        eprintln!("SKIPPED an_instantsearch_page_in_a_real_browser: node or the tests/js packages are missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    copy_shipped_corpus(&dir.path().join("corpus"));
    let o = build_index(dir.path(), "corpus", "index");
    assert!(o.status.success(), "{}", stderr(&o));
    let server = Server::start(dir.path(), &dir.path().join("index"), &[]);
    let stdout = run_browser_script("instantsearch.mjs", &server, &chromium);
    for check in [
        "ticking a kind narrows the hits",
        "sorting newest first orders the hits by year",
        "no console error and no failed request",
    ] {
        assert!(stdout.contains(&format!("ok - {check}")), "{stdout}");
    }
}

/// Runs `tests/js/NAME` with the server's address and Chromium; its output, printed,
/// after asserting it succeeded (the server's log in the failure message).
fn run_browser_script(name: &str, server: &Server, chromium: &Path) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/js")
        .join(name);
    let out = Command::new("node")
        .arg(&script)
        .arg(server.url())
        .arg(chromium)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{name} failed:\n{stdout}\n{}\nserver:\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.stderr()
    );
    stdout
}
