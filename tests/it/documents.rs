//! Documents in the corpus (issue 15): PDF and HTML reports become a document and its
//! passages, linked to the directory, with citations.

use crate::harness::reports::{scanned_pdf, Report};
use crate::harness::*;
use serde_json::Value;
use std::path::Path;

/// A corpus: the shipped directory plus `reports/` holding the English report as a PDF
/// named by its job number, its French version named by symbol, and an HTML page.
fn corpus_with_reports(dir: &Path) -> (Report, Report) {
    let corpus = dir.join("corpus");
    copy_shipped_corpus(&corpus);
    let reports = corpus.join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    let en = Report::non_punishment(20);
    let fr = Report::non_punishment_french(20);
    std::fs::write(reports.join("G2105291.pdf"), en.pdf()).unwrap();
    std::fs::write(reports.join("A-HRC-47-34_F.pdf"), fr.pdf()).unwrap();
    (en, fr)
}

fn sections_of(dir: &Path) -> Vec<Value> {
    let o = run_in(dir, &["sections", "--corpus", "corpus"]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn of_kind<'a>(sections: &'a [Value], kind: &str) -> Vec<&'a Value> {
    sections.iter().filter(|s| s["kind"] == kind).collect()
}

#[test]
fn every_numbered_paragraph_is_one_whole_passage_with_its_page() {
    let dir = tempfile::tempdir().unwrap();
    let (en, _) = corpus_with_reports(dir.path());
    let sections = sections_of(dir.path());
    let passages: Vec<&Value> = of_kind(&sections, "passage")
        .into_iter()
        .filter(|p| p["source"]["file"] == "reports/G2105291.pdf")
        .collect();
    assert_eq!(passages.len(), 20, "one passage per numbered paragraph");
    let mut last_page = 2;
    for (i, p) in passages.iter().enumerate() {
        let body = p["body"].as_str().unwrap();
        assert!(body.starts_with(&en.expected_passage(i + 1)), "{i}: {body}");
        assert_eq!(p["paragraph"], (i + 1).to_string());
        let page = p["page"].as_u64().unwrap();
        assert!(page >= last_page, "pages in order: {p}");
        assert_eq!(p["source"]["page"], page);
        last_page = page;
    }
    assert!(last_page >= 4, "the paragraphs cross pages");
}

#[test]
fn headers_footers_page_numbers_and_contents_are_not_passage_text() {
    let dir = tempfile::tempdir().unwrap();
    corpus_with_reports(dir.path());
    let sections = sections_of(dir.path());
    for p in of_kind(&sections, "passage") {
        let body = p["body"].as_str().unwrap();
        for furniture in ["GE.21-05291", "........", "Contents", "A/HRC/47/34", "Page"] {
            assert!(!body.contains(furniture), "{furniture:?} in {body}");
        }
        let page_number = body.split_whitespace().find(|w| {
            w.split_once('/')
                .is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok())
        });
        assert_eq!(page_number, None, "a page number in {body}");
    }
}

#[test]
fn footnotes_belong_to_the_paragraph_that_cites_them() {
    let dir = tempfile::tempdir().unwrap();
    let (en, _) = corpus_with_reports(dir.path());
    let sections = sections_of(dir.path());
    let passages: Vec<&Value> = of_kind(&sections, "passage")
        .into_iter()
        .filter(|p| p["source"]["file"] == "reports/G2105291.pdf")
        .collect();
    for (i, p) in passages.iter().enumerate() {
        let body = p["body"].as_str().unwrap();
        match &en.paragraphs[i].footnote {
            Some(note) => {
                let n = en.footnote_number(i + 1);
                assert!(body.ends_with(&format!("[{n}] {note}")), "{i}: {body}");
            }
            None => assert!(!body.contains('['), "{i}: {body}"),
        }
    }
}

#[test]
fn the_cover_wins_over_the_file_name_and_versions_link_to_the_report() {
    let dir = tempfile::tempdir().unwrap();
    corpus_with_reports(dir.path());
    let sections = sections_of(dir.path());
    let documents = of_kind(&sections, "document");
    let en = documents
        .iter()
        .find(|d| d["source"]["file"] == "reports/G2105291.pdf")
        .unwrap();
    assert_eq!(en["symbols"][0], "A/HRC/47/34", "the cover's symbol: {en}");
    assert_eq!(
        en["title"],
        "Implementation of the non-punishment principle"
    );
    assert_eq!(en["language"], "en");
    assert_eq!(en["year"], 2021);
    let fr = documents
        .iter()
        .find(|d| d["source"]["file"] == "reports/A-HRC-47-34_F.pdf")
        .unwrap();
    assert_eq!(fr["language"], "fr");
    assert_eq!(fr["title"], "Application du principe de non-sanction");
    let report = of_kind(&sections, "report")
        .into_iter()
        .find(|r| r["symbols"][0] == "A/HRC/47/34")
        .unwrap();
    let versions: Vec<(&str, &str)> = report["documents"]
        .as_array()
        .expect("the report lists its documents")
        .iter()
        .map(|d| (d["language"].as_str().unwrap(), d["file"].as_str().unwrap()))
        .collect();
    assert_eq!(
        versions,
        [
            ("fr", "reports/A-HRC-47-34_F.pdf"),
            ("en", "reports/G2105291.pdf")
        ]
    );
    // The passages carry the report's mandate holder and organization.
    let passage = of_kind(&sections, "passage")
        .into_iter()
        .find(|p| p["document"] == en["id"])
        .unwrap();
    assert_eq!(passage["person"], report["person"]);
    assert_eq!(passage["org"], report["org"]);
    assert_eq!(passage["citation"], "A/HRC/47/34, para. 1");
}

#[test]
fn citations_typed_as_queries_find_the_paragraph_first() {
    let dir = tempfile::tempdir().unwrap();
    corpus_with_reports(dir.path());
    let o = build_index(dir.path(), "corpus", "index");
    assert!(o.status.success(), "{}", stderr(&o));
    for (query, citation) in [
        ("A/HRC/47/34 para. 12", "A/HRC/47/34, para. 12"),
        ("A/HRC/47/34, paragraph 12", "A/HRC/47/34, para. 12"),
        ("A/HRC/47/34 §12", "A/HRC/47/34, para. 12"),
        ("A/HRC/47/34 par. 7", "A/HRC/47/34, par. 7"),
    ] {
        let o = run_in(dir.path(), &["query", "--json", "--index", "index", query]);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        let first = &v["hits"][0];
        assert_eq!(first["citation"], citation, "{query}: {first}");
        assert_eq!(first["kind"], "passage");
        let language = if citation.contains("par. ") {
            "fr"
        } else {
            "en"
        };
        assert_eq!(
            first["url"],
            format!("https://undocs.org/{language}/A/HRC/47/34"),
            "{query}"
        );
        assert!(first["source_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("#page={}", first["page"])));
    }
}

#[test]
fn the_cli_groups_passages_under_their_document() {
    let dir = tempfile::tempdir().unwrap();
    corpus_with_reports(dir.path());
    let o = build_index(dir.path(), "corpus", "index");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(dir.path(), &["query", "--index", "index", "cannabis farms"]);
    let text = stdout(&o);
    assert!(text.contains("more passage(s) in this document"), "{text}");
    assert!(text.contains("¶ A/HRC/47/34, para."), "{text}");
    let o = run_in(
        dir.path(),
        &[
            "query",
            "--index",
            "index",
            "--kind",
            "passage",
            "--limit",
            "30",
            "cannabis farms",
        ],
    );
    let listed = stdout(&o);
    assert!(!listed.contains("more passage(s)"), "{listed}");
    assert!(listed.matches("[passage]").count() > 5, "{listed}");
}

#[test]
fn scans_damaged_and_mislabeled_files_are_warnings_and_the_rest_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    corpus_with_reports(dir.path());
    let reports = dir.path().join("corpus/reports");
    std::fs::write(reports.join("scan.pdf"), scanned_pdf(3)).unwrap();
    let good = Report::non_punishment(5).pdf();
    std::fs::write(reports.join("damaged.pdf"), &good[..good.len() / 3]).unwrap();
    std::fs::write(reports.join("notes.pdf"), "plain text, not a PDF").unwrap();
    let mut encrypted = good.clone();
    encrypted.extend_from_slice(b"\ntrailer << /Encrypt 9 0 R >>\n");
    std::fs::write(reports.join("locked.pdf"), encrypted).unwrap();
    std::fs::write(reports.join("report.docx.bak"), "x").unwrap();
    let o = build_index(dir.path(), "corpus", "index");
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("reports/scan.pdf: has no text layer") && err.contains("ocrmypdf"),
        "{err}"
    );
    assert!(err.contains("reports/damaged.pdf: skipped"), "{err}");
    assert!(
        err.contains("reports/notes.pdf: skipped: is not a PDF file"),
        "{err}"
    );
    assert!(
        err.contains("reports/locked.pdf: skipped: is encrypted"),
        "{err}"
    );
    assert!(
        err.contains("reports/report.docx.bak: skipped: unknown file extension"),
        "{err}"
    );
    let o = run_in(
        dir.path(),
        &[
            "query", "--json", "--index", "index", "--kind", "document", "scan",
        ],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["source"]["file"] == "reports/scan.pdf"),
        "the scan is indexed as a document: {v}"
    );
    let o = run_in(
        dir.path(),
        &[
            "query", "--json", "--index", "index", "--kind", "passage", "victims",
        ],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["total_hits"].as_u64().unwrap() >= 40,
        "the good reports are indexed: {v}"
    );
}

#[test]
fn an_html_page_becomes_passages_without_its_navigation() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    let report = Report::non_punishment(8);
    std::fs::write(corpus.join("A_HRC_47_34-EN.html"), report.html()).unwrap();
    let sections = sections_of(dir.path());
    let passages = of_kind(&sections, "passage");
    assert_eq!(passages.len(), 8, "{sections:?}");
    for (i, p) in passages.iter().enumerate() {
        let body = p["body"].as_str().unwrap();
        assert_eq!(body, format!("{}. {}", i + 1, report.paragraphs[i].text));
        for chrome in ["Home", "navigation", "Copyright", "menu", "header"] {
            assert!(!body.contains(chrome), "{chrome} in {body}");
        }
        assert_eq!(p["symbols"][0], "A/HRC/47/34", "from the file name");
        assert_eq!(p["citation"], format!("A/HRC/47/34, para. {}", i + 1));
    }
}

/// Writes sample reports to /tmp/reports (`cargo test --test it write_sample -- --ignored`).
#[test]
#[ignore]
fn write_sample_reports() {
    let out = Path::new("/tmp/reports");
    std::fs::create_dir_all(out).unwrap();
    std::fs::write(out.join("en.pdf"), Report::non_punishment(20).pdf()).unwrap();
    std::fs::write(out.join("fr.pdf"), Report::non_punishment_french(20).pdf()).unwrap();
    std::fs::write(out.join("en.html"), Report::non_punishment(20).html()).unwrap();
}

#[test]
fn the_server_serves_each_document_and_nothing_else() {
    use crate::harness::server::{enc, Server};
    let dir = tempfile::tempdir().unwrap();
    corpus_with_reports(dir.path());
    std::fs::write(dir.path().join("secret.txt"), "not for the web").unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("secret.txt"),
        dir.path().join("corpus/reports/link.pdf"),
    )
    .unwrap();
    let o = build_index(dir.path(), "corpus", "index");
    assert!(o.status.success(), "{}", stderr(&o));
    let server = Server::start(dir.path(), &dir.path().join("index"), &[]);
    let r = server.get(&format!("/api/search?q={}", enc("A/HRC/47/34 para. 12")));
    let first = &r.json()["hits"][0];
    let source = first["source_url"].as_str().unwrap().to_string();
    let (path, page) = source.split_once("#page=").unwrap();
    assert_eq!(page, first["page"].to_string());
    let served = server.get(path);
    assert_eq!(served.status, 200);
    assert_eq!(served.header("content-type"), Some("application/pdf"));
    let on_disk = std::fs::read(
        dir.path().join(
            first["source"]["file"]
                .as_str()
                .map(|f| format!("corpus/{f}"))
                .unwrap(),
        ),
    )
    .unwrap();
    assert_eq!(served.body, on_disk, "the document's own bytes");
    for bad in [
        "/documents/..%2Fsecret.txt",
        "/documents/%2Fetc%2Fpasswd",
        "/documents/report-a-hrc-47-34",
        "/documents/document-reports-link",
        "/documents/nonexistent",
        "/documents/..",
    ] {
        let r = server.get(bad);
        assert_eq!(r.status, 404, "{bad}");
        assert!(
            r.json()["error"]["message"].is_string(),
            "{bad}: a JSON error"
        );
        assert!(!r.text().contains("not for the web"), "{bad}");
    }
}

#[test]
fn documents_and_passages_round_trip_through_tipdex_sections() {
    let dir = tempfile::tempdir().unwrap();
    corpus_with_reports(dir.path());
    let o = run_in(dir.path(), &["sections", "--corpus", "corpus"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let first = stdout(&o);
    let again = dir.path().join("again");
    std::fs::create_dir(&again).unwrap();
    std::fs::write(again.join("sections.jsonl"), &first).unwrap();
    let o = run_in(dir.path(), &["sections", "--corpus", "again"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let second = stdout(&o);
    assert!(first.contains("\"kind\":\"passage\""));
    assert_eq!(first.lines().count(), second.lines().count());
    for (a, b) in first.lines().zip(second.lines()) {
        assert_eq!(a, b);
    }
}

#[test]
fn a_french_query_prefers_the_french_version() {
    let dir = tempfile::tempdir().unwrap();
    corpus_with_reports(dir.path());
    let o = build_index(dir.path(), "corpus", "index");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(
        dir.path(),
        &[
            "query",
            "--json",
            "--index",
            "index",
            "--kind",
            "passage",
            "victimes de la traite sanctionnées",
        ],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["hits"][0]["language"], "fr", "{v}");
    let o = run_in(
        dir.path(),
        &[
            "query",
            "--json",
            "--index",
            "index",
            "--kind",
            "passage",
            "victims of trafficking punished",
        ],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["hits"][0]["language"], "en", "{v}");
}

/// The passages of `tipdex sections` under one extractor (`TIPDEX_PDF_EXTRACTOR`).
fn passages_with(dir: &Path, extractor: &str) -> Vec<(String, String, u64)> {
    let o = tipdex(dir, &["sections", "--corpus", "corpus"])
        .env("TIPDEX_PDF_EXTRACTOR", extractor)
        .output()
        .unwrap();
    assert!(o.status.success(), "{extractor}: {}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|s| s["kind"] == "passage")
        .map(|p| {
            (
                p["citation"].as_str().unwrap().to_string(),
                p["body"].as_str().unwrap().to_string(),
                p["page"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn both_extractors_give_the_same_passages() {
    let dir = tempfile::tempdir().unwrap();
    corpus_with_reports(dir.path());
    let rust = passages_with(dir.path(), "pdf-extract");
    assert_eq!(rust.len(), 40, "20 paragraphs in each of two versions");
    if !server::have("pdftotext") {
        eprintln!("SKIPPED the pdftotext half: pdftotext (Debian poppler-utils) is not installed");
        return;
    }
    let poppler = passages_with(dir.path(), "pdftotext");
    assert_eq!(rust, poppler);
}

#[test]
fn a_bad_extractor_setting_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    corpus_with_reports(dir.path());
    let o = tipdex(
        dir.path(),
        &["index", "--corpus", "corpus", "--index", "index"],
    )
    .env("TIPDEX_PDF_EXTRACTOR", "acrobat")
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("TIPDEX_PDF_EXTRACTOR=`acrobat`"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("index").exists(), "nothing built");
}

/// A `pdftotext` on the `PATH` that answers `-v` and then does what `script` says with
/// each file: stands in for an extractor a hostile PDF makes hang or crash.
fn fake_pdftotext(dir: &Path, script: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let path = bin.join("pdftotext");
    std::fs::write(
        &path,
        format!("#!/bin/sh\nif [ \"$1\" = -v ]; then echo 'pdftotext version 0.fake' >&2; exit 0; fi\n{script}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

#[test]
fn an_extractor_that_hangs_or_crashes_costs_only_its_file() {
    let dir = tempfile::tempdir().unwrap();
    corpus_with_reports(dir.path());
    let path = std::env::var("PATH").unwrap_or_default();
    for (script, expected) in [
        (
            "sleep 600",
            "took longer than 1 s to extract and was skipped",
        ),
        (
            "echo 'Syntax Error: broken xref' >&2; kill -SEGV $$",
            "is damaged or unreadable as PDF",
        ),
    ] {
        let bin = fake_pdftotext(dir.path(), script);
        let started = std::time::Instant::now();
        let o = tipdex(
            dir.path(),
            &["index", "--corpus", "corpus", "--index", "index"],
        )
        .env("PATH", format!("{}:{path}", bin.display()))
        .env("TIPDEX_PDF_EXTRACTOR", "pdftotext")
        .env("TIPDEX_EXTRACT_TIMEOUT_SECS", "1")
        .output()
        .unwrap();
        let err = stderr(&o);
        assert!(o.status.success(), "{err}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "the hung extractor was stopped"
        );
        for file in ["reports/G2105291.pdf", "reports/A-HRC-47-34_F.pdf"] {
            assert!(
                err.contains(&format!("{file}: skipped: {expected}")),
                "{script}: {err}"
            );
        }
        let o = run_in(
            dir.path(),
            &["query", "--json", "--index", "index", "Mullally"],
        );
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(
            v["total_hits"].as_u64().unwrap() >= 1,
            "the directory is indexed: {v}"
        );
    }
}

#[test]
fn passages_filter_by_language_and_document_with_quoted_attributes() {
    use crate::harness::server::Server;
    let dir = tempfile::tempdir().unwrap();
    corpus_with_reports(dir.path());
    let o = build_index(dir.path(), "corpus", "index");
    assert!(o.status.success(), "{}", stderr(&o));
    let server = Server::start(dir.path(), &dir.path().join("index"), &[]);
    // As instant-meilisearch writes filters: attribute names in quotes.
    let r = server.post_json(
        "/indexes/sections/search",
        &serde_json::json!({"q": "victimes", "filter": "\"kind\"=\"passage\" AND \"language\"=\"fr\"", "limit": 50}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let hits = v["hits"].as_array().unwrap();
    assert!(hits.len() >= 10, "{v}");
    assert!(hits
        .iter()
        .all(|h| h["kind"] == "passage" && h["language"] == "fr"));
    assert!(hits[0]["url"]
        .as_str()
        .unwrap()
        .starts_with("https://undocs.org/fr/"));
    let document = hits[0]["document"].as_str().unwrap().to_string();
    let r = server.post_json(
        "/indexes/sections/search",
        &serde_json::json!({"q": "", "filter": format!("document = \"{document}\""), "limit": 100}),
    );
    let v = r.json();
    assert_eq!(
        v["hits"].as_array().unwrap().len(),
        20,
        "every passage of the document: {v}"
    );
    let r = server.post_json(
        "/indexes/sections/search",
        &serde_json::json!({"q": "x", "filter": "\"colour\" = \"red\""}),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["code"], "invalid_search_filter");
}
