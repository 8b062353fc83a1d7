//! Which PDF text extractor tipdex uses, chosen by measurement (issue 15).
//!
//! `cargo bench --bench pdf_extractors` fetches real PDFs from Debian documentation
//! packages (several producers and fonts, ligatures, Cyrillic and Arabic; never
//! committed: cached in `target/pdf-bench/`, or `$TIPDEX_PDF_BENCH_DIR`), writes
//! generated UN-style reports beside them, and runs every candidate on every file, each
//! in a child process with a time limit (a panic or a hang is a failure, not the end of
//! the run):
//!
//! - `pdf-extract` (0.10, pure Rust: what tipdex ships),
//! - `lopdf` (0.38, its own `extract_text`, pure Rust),
//! - `pdftotext` (poppler, a system tool; the reference).
//!
//! Figures per set: files, pages, failures, pages per second, and word-level agreement
//! with `pdftotext` (the share of words in common, as multisets of NFKC-normalized
//! words, over the larger of the two counts). Written to stdout and to
//! `target/pdf-bench/results.json`. Without network, or without `pdftotext`, it says
//! what it skipped.

#[path = "../tests/it/harness/reports.rs"]
#[allow(dead_code)]
mod reports;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use unicode_normalization::UnicodeNormalization;

/// Debian packages the real PDFs come from, with the set each belongs to.
const PACKAGES: [(&str, &str); 7] = [
    ("r-doc-pdf", "latin"),
    ("gnuplot-doc", "latin"),
    ("octave-doc", "latin"),
    ("asymptote-doc", "latin"),
    ("debian-reference-en", "latin"),
    ("texlive-lang-cyrillic", "non-latin"),
    ("texlive-lang-arabic", "non-latin"),
];
/// PDFs taken per package, and the largest taken.
const PER_PACKAGE: usize = 6;
const MAX_PDF_BYTES: u64 = 12 << 20;
/// Generated UN-style reports.
const GENERATED: usize = 12;
/// Time limit of one extraction.
const TIMEOUT: Duration = Duration::from_secs(60);
const CANDIDATES: [&str; 3] = ["pdf-extract", "lopdf", "pdftotext"];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 4 && args[1] == "--extract" {
        extract_child(&args[2], Path::new(&args[3]));
        return;
    }
    let data = std::env::var_os("TIPDEX_PDF_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pdf-bench"));
    std::fs::create_dir_all(&data).expect("the bench directory");
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for (package, set) in PACKAGES {
        match fetch(&data, package) {
            Ok(pdfs) => files.extend(pdfs.into_iter().map(|p| (set.to_string(), p))),
            Err(e) => println!("SKIPPED {package}: {e}"),
        }
    }
    files.extend(
        generated(&data)
            .into_iter()
            .map(|p| ("generated".to_string(), p)),
    );
    let have_reference = Command::new("pdftotext").arg("-v").output().is_ok();
    if !have_reference {
        println!("SKIPPED word agreement: pdftotext (Debian poppler-utils) is not installed");
    }
    let me = std::env::current_exe().expect("the bench binary");
    let mut rows: Vec<Row> = Vec::new();
    for (set, path) in &files {
        let reference = have_reference
            .then(|| run(&me, "pdftotext", path))
            .flatten_ok();
        for candidate in CANDIDATES {
            if candidate == "pdftotext" && !have_reference {
                continue;
            }
            let started = Instant::now();
            let result = run(&me, candidate, path);
            let seconds = started.elapsed().as_secs_f64();
            let (pages, agreement, failure) = match &result {
                Ok(pages) => (
                    pages.len(),
                    reference.as_ref().map(|r| agreement(r, pages)),
                    None,
                ),
                Err(e) => (0, None, Some(e.clone())),
            };
            rows.push(Row {
                set: set.clone(),
                file: path.file_name().unwrap().to_string_lossy().into_owned(),
                candidate,
                pages,
                seconds,
                agreement,
                failure,
            });
        }
    }
    report(&rows, &data);
}

/// One candidate on one file.
struct Row {
    set: String,
    file: String,
    candidate: &'static str,
    pages: usize,
    seconds: f64,
    agreement: Option<(usize, usize)>,
    failure: Option<String>,
}

trait FlattenOk<T> {
    fn flatten_ok(self) -> Option<T>;
}

impl<T> FlattenOk<T> for Option<Result<T, String>> {
    fn flatten_ok(self) -> Option<T> {
        self.and_then(Result::ok)
    }
}

/// The child's side: one candidate on one file, pages as JSON on stdout.
fn extract_child(candidate: &str, path: &Path) {
    let bytes = std::fs::read(path).expect("the PDF");
    let pages: Result<Vec<String>, String> = match candidate {
        "pdf-extract" => tipdex::corpus::pdf::extract_pages(&bytes),
        "lopdf" => lopdf::Document::load_mem(&bytes)
            .map_err(|e| e.to_string())
            .map(|doc| {
                let count = doc.get_pages().len() as u32;
                (1..=count)
                    .map(|n| doc.extract_text(&[n]).unwrap_or_default())
                    .collect()
            }),
        other => Err(format!("unknown candidate {other}")),
    };
    let answer = match pages {
        Ok(pages) => serde_json::json!({ "pages": pages }),
        Err(e) => serde_json::json!({ "error": e }),
    };
    println!("{answer}");
}

/// Runs one candidate in a child process, killed past the time limit.
fn run(me: &Path, candidate: &str, path: &Path) -> Result<Vec<String>, String> {
    let mut command = if candidate == "pdftotext" {
        let mut c = Command::new("pdftotext");
        c.args(["-enc", "UTF-8"]).arg(path).arg("-");
        c
    } else {
        let mut c = Command::new(me);
        c.args(["--extract", candidate]).arg(path);
        c
    };
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err("timeout".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let out = reader.join().unwrap_or_default();
    if candidate == "pdftotext" {
        if !status.success() {
            return Err(format!("pdftotext failed ({status})"));
        }
        let text = String::from_utf8_lossy(&out);
        let mut pages: Vec<String> = text.split('\u{c}').map(str::to_string).collect();
        if pages.last().is_some_and(|p| p.trim().is_empty()) {
            pages.pop();
        }
        return Ok(pages);
    }
    if !status.success() {
        return Err("crashed (panic or signal)".into());
    }
    let answer: serde_json::Value =
        serde_json::from_slice(&out).map_err(|e| format!("bad answer: {e}"))?;
    if let Some(e) = answer["error"].as_str() {
        return Err(format!("error: {}", e.chars().take(80).collect::<String>()));
    }
    Ok(answer["pages"]
        .as_array()
        .map(|p| {
            p.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

/// Words in common (as multisets) and the larger word count.
fn agreement(reference: &[String], candidate: &[String]) -> (usize, usize) {
    let count = |pages: &[String]| {
        let mut words: HashMap<String, usize> = HashMap::new();
        for page in pages {
            // pdftotext joins a word broken by a hyphen at a line end; tipdex repairs
            // those after extraction: compare the words, not the line breaks.
            let text: String = dehyphenate(page).nfkc().collect();
            for word in text.split_whitespace() {
                let word = word.trim_matches(|c: char| !c.is_alphanumeric());
                if !word.is_empty() {
                    *words.entry(word.to_string()).or_default() += 1;
                }
            }
        }
        words
    };
    let (a, b) = (count(reference), count(candidate));
    let common: usize = a
        .iter()
        .map(|(w, n)| (*n).min(b.get(w).copied().unwrap_or(0)))
        .sum();
    let total = a.values().sum::<usize>().max(b.values().sum::<usize>());
    (common, total)
}

/// A page with words broken at line ends ("compel-" / "led") joined.
fn dehyphenate(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    let mut lines = page.lines().peekable();
    while let Some(line) = lines.next() {
        let next_lower = lines
            .peek()
            .and_then(|l| l.trim_start().chars().next())
            .is_some_and(char::is_lowercase);
        let broken = line.ends_with('-')
            && line[..line.len() - 1]
                .chars()
                .next_back()
                .is_some_and(char::is_alphabetic);
        if broken && next_lower {
            out.push_str(&line[..line.len() - 1]);
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The PDFs of a Debian package (downloaded and unpacked once).
fn fetch(data: &Path, package: &str) -> Result<Vec<PathBuf>, String> {
    let dir = data.join("src").join(package);
    if !dir.join(".unpacked").exists() {
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let status = Command::new("apt-get")
            .args(["download", "-qq", package])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("apt-get: {e}"))?;
        if !status.success() {
            return Err("apt-get download failed (no network or unknown package)".into());
        }
        let deb = std::fs::read_dir(&dir)
            .map_err(|e| e.to_string())?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "deb"))
            .ok_or("no .deb downloaded")?;
        let ok = Command::new("dpkg-deb")
            .arg("-x")
            .arg(&deb)
            .arg(dir.join("root"))
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err("dpkg-deb -x failed".into());
        }
        let _ = std::fs::remove_file(&deb);
        std::fs::File::create(dir.join(".unpacked")).map_err(|e| e.to_string())?;
    }
    let mut pdfs = Vec::new();
    collect_pdfs(&dir.join("root"), &mut pdfs);
    pdfs.sort();
    pdfs.truncate(PER_PACKAGE);
    if pdfs.is_empty() {
        return Err("no PDF in the package".into());
    }
    Ok(pdfs)
}

fn collect_pdfs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            collect_pdfs(&path, out);
        } else if meta.is_file()
            && meta.len() <= MAX_PDF_BYTES
            && path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("pdf"))
        {
            out.push(path);
        }
    }
}

/// Generated UN-style reports (English and French), written once.
fn generated(data: &Path) -> Vec<PathBuf> {
    let dir = data.join("generated");
    std::fs::create_dir_all(&dir).expect("the generated set");
    (0..GENERATED)
        .map(|i| {
            let paragraphs = 30 + 10 * i;
            let report = if i % 3 == 2 {
                reports::Report::non_punishment_french(paragraphs)
            } else {
                reports::Report::non_punishment(paragraphs)
            };
            let path = dir.join(format!("report-{i:02}.pdf"));
            if !path.exists() {
                let mut file = std::fs::File::create(&path).expect("a generated report");
                file.write_all(&report.pdf()).expect("written");
            }
            path
        })
        .collect()
}

/// The table per set and candidate, and the results as JSON.
fn report(rows: &[Row], data: &Path) {
    let mut sets: Vec<&str> = rows.iter().map(|r| r.set.as_str()).collect();
    sets.sort();
    sets.dedup();
    println!(
        "\n| set | extractor | files | pages | failures | pages/s | word agreement with pdftotext |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut summary = Vec::new();
    for set in &sets {
        for candidate in CANDIDATES {
            let of: Vec<&Row> = rows
                .iter()
                .filter(|r| r.set == *set && r.candidate == candidate)
                .collect();
            if of.is_empty() {
                continue;
            }
            let pages: usize = of.iter().map(|r| r.pages).sum();
            let seconds: f64 = of
                .iter()
                .filter(|r| r.failure.is_none())
                .map(|r| r.seconds)
                .sum();
            let failures = of.iter().filter(|r| r.failure.is_some()).count();
            let (common, total) = of
                .iter()
                .filter_map(|r| r.agreement)
                .fold((0, 0), |(c, t), (a, b)| (c + a, t + b));
            let agreement = if total > 0 {
                format!("{:.2} %", 100.0 * common as f64 / total as f64)
            } else {
                "–".into()
            };
            println!(
                "| {set} | {candidate} | {} | {pages} | {failures} | {:.0} | {agreement} |",
                of.len(),
                pages as f64 / seconds.max(1e-9)
            );
            summary.push(serde_json::json!({
                "set": set, "extractor": candidate, "files": of.len(), "pages": pages,
                "failures": failures, "pages_per_second": pages as f64 / seconds.max(1e-9),
                "agreement": (total > 0).then(|| common as f64 / total as f64),
            }));
        }
    }
    println!("\nFailures:");
    for r in rows.iter().filter(|r| r.failure.is_some()) {
        println!(
            "  {} {} {}: {}",
            r.set,
            r.candidate,
            r.file,
            r.failure.as_deref().unwrap_or("")
        );
    }
    let detail: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "set": r.set, "file": r.file, "extractor": r.candidate, "pages": r.pages,
                "seconds": r.seconds, "agreement": r.agreement.map(|(c, t)| c as f64 / t.max(1) as f64),
                "failure": r.failure,
            })
        })
        .collect();
    let out = serde_json::json!({ "summary": summary, "files": detail });
    let path = data.join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&out).unwrap()).expect("results written");
    println!("\nresults: {}", path.display());
}
