//! Growing corpora of documents (issue 15): `cargo bench --bench documents`.
//!
//! Writes `$TIPDEX_DOC_BENCH_FILES` (default 1,000) generated UN-style report PDFs of
//! about 20 pages into a corpus beside the shipped directory, builds the index with the
//! `tipdex` binary (first build: every PDF extracted), adds one report and builds again
//! (the extraction cache answers for the others; target: under 5 s), and reports pages
//! per second of extraction and passages per second of indexing.

#[path = "../tests/it/harness/reports.rs"]
#[allow(dead_code)]
mod reports;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Paragraphs of a report of about 20 pages.
const PARAGRAPHS: usize = 190;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let files: usize = std::env::var("TIPDEX_DOC_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    // $TIPDEX_DOC_BENCH_KEEP: build in that directory and leave it there (to profile).
    let temp = tempfile::tempdir().expect("a temp dir");
    let kept = std::env::var_os("TIPDEX_DOC_BENCH_KEEP").map(std::path::PathBuf::from);
    let root = kept.as_deref().unwrap_or(temp.path());
    let corpus = root.join("corpus");
    let reports_dir = corpus.join("reports");
    std::fs::create_dir_all(&reports_dir).expect("the corpus");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for entry in std::fs::read_dir(&shipped)
        .expect("the shipped corpus")
        .flatten()
    {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), corpus.join(entry.file_name())).expect("copied");
        }
    }
    let started = Instant::now();
    let mut pages = 0usize;
    for i in 0..files {
        let (pdf, n) = report(i);
        pages += n;
        std::fs::write(
            reports_dir.join(format!("A_HRC_{}_{}-EN.pdf", 40 + i / 100, i % 100)),
            pdf,
        )
        .expect("a report");
    }
    println!(
        "generated {files} reports, {pages} pages, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let (first, first_log) = build(root);
    let passages = passages_of(&first_log);
    let read = read_seconds(&first_log);
    println!(
        "first build: {first:.1} s — extraction {:.0} pages/s ({read:.1} s reading the files), \
         indexing {:.0} passages/s ({passages} passages in {:.1} s)\n  {}",
        pages as f64 / read,
        passages as f64 / (first - read),
        first - read,
        summary(&first_log)
    );
    let (pdf, _) = report(files);
    std::fs::write(reports_dir.join("A_HRC_99_1-EN.pdf"), pdf).expect("one more report");
    let (second, second_log) = build(root);
    let verdict = if second < 5.0 { "met" } else { "NOT met" };
    println!(
        "one file added: {second:.2} s (target < 5 s: {verdict})\n  {}",
        summary(&second_log)
    );
}

/// Report `i` as PDF bytes and its page count.
fn report(i: usize) -> (Vec<u8>, usize) {
    let mut report = reports::Report::non_punishment(PARAGRAPHS);
    report.symbol = Box::leak(format!("A/HRC/{}/{}", 40 + i / 100, i % 100).into_boxed_str());
    let pdf = report.pdf();
    let pages = count_pages(&pdf);
    (pdf, pages)
}

fn count_pages(pdf: &[u8]) -> usize {
    lopdf::Document::load_mem(pdf).map_or(0, |d| d.get_pages().len())
}

/// Builds the index; seconds and what tipdex printed.
fn build(dir: &Path) -> (f64, String) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_tipdex"))
        .args(["index", "--corpus", "corpus", "--index", "index"])
        .current_dir(dir)
        .output()
        .expect("run tipdex index");
    let seconds = started.elapsed().as_secs_f64();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "tipdex index failed: {log}");
    (seconds, log)
}

fn passages_of(log: &str) -> usize {
    log.split(['(', ',', ')'])
        .filter_map(|part| part.trim().strip_suffix(" passage"))
        .filter_map(|n| n.trim().parse().ok())
        .next()
        .unwrap_or(0)
}

/// The seconds `tipdex index` says reading the files took.
fn read_seconds(log: &str) -> f64 {
    log.split("files read in ")
        .nth(1)
        .and_then(|rest| rest.split(" ms").next())
        .and_then(|ms| ms.trim().parse::<f64>().ok())
        .map_or(0.0, |ms| ms / 1000.0)
}

fn summary(log: &str) -> String {
    log.lines()
        .filter(|l| l.starts_with("documents:") || l.starts_with("indexed"))
        .collect::<Vec<_>>()
        .join("\n  ")
}
