//! `tipdex index` and `tipdex query` as a user runs them (issue 3).

use crate::harness::*;
use serde_json::Value;

#[test]
fn index_reports_sections_per_kind_and_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus_dir();
    let o = build_index(dir.path(), corpus.to_str().unwrap(), "idx");
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("organization"), "{err}");
    assert!(err.contains("18 organization"), "{err}");
    assert!(
        err.contains("warning: international-and-regional-organizations.txt:12"),
        "{err}"
    );
    assert!(err.contains(" ms"), "{err}");
}

#[test]
fn json_output_has_the_documented_shape() {
    let ix = Indexed::new();
    let v = ix.query_json(&["non-punishment"]);
    for key in [
        "query",
        "total_hits",
        "took_ms",
        "offset",
        "limit",
        "hits",
        "unmatched",
        "searched_instead",
    ] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
    assert_eq!(
        v.as_object().unwrap().len(),
        8,
        "exactly the documented keys: {v}"
    );
    let hit = &v["hits"][0];
    for key in [
        "rank", "score", "id", "kind", "title", "role", "symbols", "person", "org", "acronyms",
        "year", "path", "body", "snippet", "source",
    ] {
        assert!(hit.get(key).is_some(), "hit field {key} missing");
    }
    assert_eq!(hit["rank"], 1);
    assert_eq!(hit["id"], "report-a-hrc-47-34");
    assert_eq!(
        hit["source"]["file"],
        "international-and-regional-organizations.txt"
    );
    assert_eq!(hit["source"]["lines"], serde_json::json!([33, 33]));
    assert!(
        hit["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>non-punishment</mark>"),
        "{}",
        hit["snippet"]
    );
}

#[test]
fn prefix_and_typo_matches_are_highlighted() {
    let ix = Indexed::new();
    let v = ix.query_json(&["mulla"]);
    assert!(v["hits"][0]["snippet"]
        .as_str()
        .unwrap()
        .contains("<mark>Mullally</mark>"));
    let v = ix.query_json(&["montenegr0"]);
    let v = if v["hits"].as_array().unwrap().is_empty() {
        ix.query_json(&["montenegor"])
    } else {
        v
    };
    assert!(
        v["hits"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>Montenegro</mark>"),
        "{v}"
    );
}

#[test]
fn text_output_is_readable_without_colour_when_piped() {
    let ix = Indexed::new();
    let o = run_in(ix.dir.path(), &["query", "--index", "index", "Montenegro"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(
        out.contains(" 1. [report] Visit to Montenegro (2022)"),
        "{out}"
    );
    assert!(out.contains("A/HRC/49/51/Add.1"), "{out}");
    assert!(!out.contains('\x1b'), "no colour codes in a pipe");
    assert!(!out.contains("<mark>"), "marks are not shown as HTML");
}

#[test]
fn filters_limit_and_offset() {
    let ix = Indexed::new();
    let all = ix.query_json(&["trafficking", "--limit", "50"]);
    let total = all["total_hits"].as_u64().unwrap();
    assert!(total > 10);
    let page2 = ix.query_json(&["trafficking", "--limit", "5", "--offset", "5"]);
    assert_eq!(page2["hits"].as_array().unwrap().len(), 5);
    assert_eq!(page2["hits"][0]["rank"], 6);
    assert_eq!(page2["hits"][0]["id"], all["hits"][5]["id"]);
    assert_eq!(page2["total_hits"].as_u64().unwrap(), total);
    let reports = ix.query_json(&[
        "trafficking",
        "--kind",
        "report",
        "--kind",
        "mandate",
        "--limit",
        "50",
    ]);
    for h in reports["hits"].as_array().unwrap() {
        assert!(h["kind"] == "report" || h["kind"] == "mandate", "{h}");
    }
    let y = ix.query_json(&["children", "--year", "2021"]);
    assert!(!y["hits"].as_array().unwrap().is_empty());
    for h in y["hits"].as_array().unwrap() {
        assert_eq!(h["year"], 2021);
    }
    let inline = ix.query_json(&["kind:organization", "europe"]);
    for h in inline["hits"].as_array().unwrap() {
        assert_eq!(h["kind"], "organization");
    }
    // One filter concept (issue 17): an expression, the flags and the query's `kind:`
    // all narrow the same search, together.
    let expr = ix.query_json(&[
        "children",
        "--filter",
        "kind = report AND year >= 2021",
        "--limit",
        "50",
    ]);
    assert!(!expr["hits"].as_array().unwrap().is_empty());
    for h in expr["hits"].as_array().unwrap() {
        assert_eq!(h["kind"], "report", "{h}");
        assert!(h["year"].as_i64().unwrap() >= 2021, "{h}");
    }
    let both = ix.query_json(&["kind:organization", "europe", "--kind", "report"]);
    assert_eq!(both["total_hits"], 0, "{both}");
    let o = run_in(
        ix.dir.path(),
        &["query", "--index", "index", "--filter", "kind = ", "x"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("invalid --filter"), "{}", stderr(&o));
}

#[test]
fn query_language_phrases_exclusions_or_and_fields() {
    let ix = Indexed::new();
    let ids = |v: &Value| -> Vec<String> {
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect()
    };
    let phrase = ix.query_json(&["\"contemporary forms of slavery\""]);
    assert!(ids(&phrase).contains(&"report-a-hrc-48-52".to_string()));
    let excluded = ix.query_json(&["slavery -displacement", "--limit", "50"]);
    assert!(!ids(&excluded).contains(&"report-a-hrc-48-52".to_string()));
    assert!(ids(&excluded).contains(&"report-a-76-170".to_string()));
    let or = ix.query_json(&["Montenegro OR genocide"]);
    let or_ids = ids(&or);
    assert!(or_ids.contains(&"report-a-hrc-49-51-add-1".to_string()));
    assert!(or_ids.contains(&"mandate-alice-wairimu-nderitu".to_string()));
    let role = ix.query_json(&["role:rapporteur", "--kind", "mandate"]);
    assert_eq!(role["hits"].as_array().unwrap().len(), 3);
    let sym = ix.query_json(&["symbol:\"A/75/166\""]);
    assert_eq!(sym["hits"][0]["id"], "report-a-75-166");
    let lower = ix.query_json(&["a/hrc/47/34"]);
    assert_eq!(lower["hits"][0]["id"], "report-a-hrc-47-34");
}

#[test]
fn exact_symbol_ranks_above_its_addendum() {
    let ix = Indexed::new();
    let v = ix.query_json(&["A/HRC/49/51"]);
    assert_eq!(v["hits"][0]["id"], "report-a-hrc-49-51");
    assert_eq!(v["hits"][1]["id"], "report-a-hrc-49-51-add-1");
}

#[test]
fn partial_matches_are_returned_when_no_section_has_every_word() {
    let ix = Indexed::new();
    let v = ix.query_json(&["Montenegro zanzibar"]);
    assert_eq!(v["hits"][0]["id"], "report-a-hrc-49-51-add-1");
}

#[test]
fn hostile_queries_never_fail() {
    let ix = Indexed::new();
    let long = "trafficking ".repeat(2000);
    for q in [
        "\"unbalanced quote",
        "OR AND NOT - + |",
        ":",
        "title:",
        ":title",
        "\u{1}\u{7}control",
        "🦀 emoji 🦀",
        "((((",
        "kind:nonsense",
        "year:abc",
        "symbol:",
        "a/",
        "/",
        "-",
        "\"\"",
        long.as_str(),
    ] {
        let o = run_in(
            ix.dir.path(),
            &["query", "--json", "--index", "index", "--", q],
        );
        assert!(o.status.success(), "{q:?}: {}", stderr(&o));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(v["hits"].is_array());
    }
}

#[test]
fn errors_are_one_line_with_exit_code_2() {
    let ix = Indexed::new();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["query", "--index", "missing", "x"],
            "no index at missing",
        ),
        (
            vec!["query", "--index", "index", "--limit", "5000", "x"],
            "limit",
        ),
        (
            vec!["query", "--index", "index", "--limit", "-3", "x"],
            "limit",
        ),
        (
            vec!["query", "--index", "index", "--kind", "nope", "x"],
            "unknown kind",
        ),
        (
            vec!["query", "--index", "index", "--year", "soon", "x"],
            "year",
        ),
        (
            vec!["index", "--corpus", "nowhere", "--index", "other"],
            "nowhere",
        ),
        (vec!["query", "--index", "index"], "QUERY"),
    ];
    for (args, needle) in cases {
        let o = run_in(ix.dir.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn incompatible_or_damaged_index_is_reported_and_rebuilt() {
    let ix = Indexed::new();
    let index = ix.index();
    let current = std::fs::read_to_string(index.join("CURRENT")).unwrap();
    let info = index.join(current.trim()).join("tipdex.json");
    let mut meta: Value = serde_json::from_str(&std::fs::read_to_string(&info).unwrap()).unwrap();
    meta["format_version"] = serde_json::json!(0);
    std::fs::write(&info, meta.to_string()).unwrap();
    let o = run_in(ix.dir.path(), &["query", "--index", "index", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("incompatible version"),
        "{}",
        stderr(&o)
    );
    let corpus = corpus_dir();
    let o = build_index(ix.dir.path(), corpus.to_str().unwrap(), "index");
    assert!(o.status.success());
    let o = run_in(ix.dir.path(), &["query", "--index", "index", "x"]);
    assert!(o.status.success());
}

#[test]
fn default_index_is_built_from_the_corpus_on_first_query() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    std::fs::copy(
        corpus_dir().join("international-and-regional-organizations.txt"),
        corpus.join("directory.txt"),
    )
    .unwrap();
    let o = run_in(dir.path(), &["query", "GRETA"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("building the index"));
    assert!(stdout(&o).contains("Council of Europe"));
    let again = run_in(dir.path(), &["query", "GRETA"]);
    assert!(
        !stderr(&again).contains("building"),
        "not rebuilt when unchanged"
    );
    std::fs::write(
        corpus.join("extra.md"),
        "# Zanzibar Anti-Slavery Office (ZASO)\n\nA new office.\n",
    )
    .unwrap();
    let o = run_in(dir.path(), &["query", "zanzibar"]);
    assert!(
        stderr(&o).contains("building the index"),
        "rebuilt when the corpus changed"
    );
    assert!(stdout(&o).contains("Zanzibar"));
}

#[test]
fn closed_pipe_is_a_normal_exit() {
    use std::process::{Command, Stdio};
    let ix = Indexed::new();
    let mut child = Command::new(bin())
        .args(["query", "--index", "index", "--limit", "100", "trafficking"])
        .current_dir(ix.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success() || o.status.code() == Some(0),
        "{}",
        stderr(&o)
    );
}

#[test]
fn rebuilding_while_readers_query_never_fails_a_reader() {
    let ix = Indexed::new();
    let engine = tipdex::Engine::open(&ix.index()).unwrap();
    let dir = ix.dir.path().to_path_buf();
    let reader = std::thread::spawn(move || {
        let mut runs = 0;
        for _ in 0..15 {
            let o = run_in(&dir, &["query", "--json", "--index", "index", "GRETA"]);
            assert!(
                o.status.success(),
                "reader failed during rebuild: {}",
                stderr(&o)
            );
            let v: Value = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(v["hits"][0]["id"], "organization-council-of-europe");
            runs += 1;
        }
        runs
    });
    let corpus = corpus_dir();
    for _ in 0..4 {
        let o = build_index(ix.dir.path(), corpus.to_str().unwrap(), "index");
        assert!(o.status.success(), "{}", stderr(&o));
        let r = engine
            .search(&tipdex::SearchRequest::new("Montenegro"))
            .unwrap();
        assert_eq!(
            r.hits[0].section.id, "report-a-hrc-49-51-add-1",
            "an engine opened before keeps working"
        );
    }
    assert_eq!(reader.join().unwrap(), 15);
}

#[test]
fn rebuild_on_an_unchanged_corpus_gives_the_same_documents() {
    let ix = Indexed::new();
    let first = ix.query_json(&["", "--limit", "100"]);
    let corpus = corpus_dir();
    build_index(ix.dir.path(), corpus.to_str().unwrap(), "index");
    let second = ix.query_json(&["", "--limit", "100"]);
    assert_eq!(first["hits"], second["hits"]);
    assert_eq!(first["total_hits"].as_u64().unwrap(), 53);
}
