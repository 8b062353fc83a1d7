//! Domain-aware search as a user sees it (issue 7): sessions written any common way,
//! a glossary users extend without code, explanations of what was applied.

use crate::harness::*;
use serde_json::Value;

fn symbols_top(v: &Value, k: usize) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .take(k)
        .flat_map(|h| {
            h["symbols"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn sessions_written_any_common_way_find_their_documents() {
    let ix = Indexed::new();
    for q in [
        "HRC 49",
        "HRC49",
        "49th session of the Human Rights Council",
        "CDH 49",
    ] {
        let v = ix.query_json(&[q]);
        let top = symbols_top(&v, 4);
        for s in [
            "A/HRC/49/58",
            "A/HRC/49/57",
            "A/HRC/49/51",
            "A/HRC/49/51/Add.1",
        ] {
            assert!(
                top.contains(&s.to_string()),
                "{q}: {s} not in top 4: {top:?}"
            );
        }
    }
    for q in ["GA 76", "UNGA 76", "76th General Assembly", "UNGA76"] {
        let v = ix.query_json(&[q]);
        let top = symbols_top(&v, 3);
        for s in ["A/76/263", "A/76/170", "A/76/144"] {
            assert!(
                top.contains(&s.to_string()),
                "{q}: {s} not in top 3: {top:?}"
            );
        }
    }
}

#[test]
fn acronym_in_capitals_is_the_organization_and_lowercase_is_a_word() {
    let ix = Indexed::new();
    let v = ix.query_json(&["WHO"]);
    assert_eq!(v["hits"][0]["id"], "organization-who");
    let v = ix.query_json(&["who works on slavery"]);
    assert_eq!(v["hits"][0]["id"], "mandate-tomoya-obokata");
}

#[test]
fn explain_shows_expansions_and_intents() {
    let ix = Indexed::new();
    let o = run_in(
        ix.dir.path(),
        &[
            "query",
            "--index",
            "index",
            "--explain",
            "most recent report on modern slavery",
        ],
    );
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("glossary: `modern slavery`"), "{out}");
    assert!(out.contains("newest first"), "{out}");
    assert!(out.contains("reports first"), "{out}");
}

#[test]
fn users_extend_the_glossary_without_code_and_bad_glossaries_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    std::fs::copy(
        corpus_dir().join("international-and-regional-organizations.txt"),
        corpus.join("directory.txt"),
    )
    .unwrap();
    std::fs::write(
        corpus.join("glossary.toml"),
        "version = 1\n[[synonyms]]\nterms = [\"ninja\", \"Special Rapporteur\"]\n",
    )
    .unwrap();
    let o = build_index(dir.path(), "corpus", "idx");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(dir.path(), &["query", "--json", "--index", "idx", "ninja"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["hits"][0]["kind"], "mandate", "{v}");
    std::fs::write(
        corpus.join("glossary.toml"),
        "version = 1\n[[synonyms]]\nterms = [\"alone\"]\n",
    )
    .unwrap();
    let o = build_index(dir.path(), "corpus", "idx");
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("glossary.toml") && err.contains("two terms"),
        "{err}"
    );
    let o = run_in(dir.path(), &["query", "--json", "--index", "idx", "ninja"]);
    assert!(o.status.success(), "the previous index is untouched");
}

#[test]
fn every_glossary_entry_resolves_and_no_expansion_breaks_a_plain_query() {
    // Each term of every synonym group, typed alone, is answered without error, and the
    // typed word's own sections stay reachable: a term found in the corpus as written
    // still returns a section containing it.
    let ix = Indexed::new();
    let glossary = tipdex::glossary::Glossary::builtin();
    let sections = tipdex::corpus::load(&corpus_dir()).unwrap().sections;
    let fold = |t: &str| tipdex::words::words(t).join(" ");
    let mut checked = 0;
    for group in glossary.synonyms.iter().chain(glossary.forms.iter()) {
        for term in group {
            if glossary.is_ambiguous(&term.words.join(" ")) {
                continue;
            }
            let present = sections.iter().any(|s| {
                let text = fold(&format!(
                    "{} {} {}",
                    s.title,
                    s.role.clone().unwrap_or_default(),
                    s.body
                ));
                format!(" {text} ").contains(&format!(" {} ", term.words.join(" ")))
            });
            if !present {
                continue;
            }
            let v = ix.query_json(&["--limit", "50", "--", term.text.as_str()]);
            let hits = v["hits"].as_array().unwrap();
            let found = hits.iter().any(|h| {
                let text = fold(&format!(
                    "{} {} {} {}",
                    h["title"], h["role"], h["body"], h["acronyms"]
                ));
                format!(" {text} ").contains(&format!(" {} ", term.words.join(" ")))
            });
            assert!(
                found,
                "{:?}: the sections that contain it are not returned",
                term.text
            );
            checked += 1;
        }
    }
    assert!(
        checked > 30,
        "only {checked} glossary terms occur in the corpus"
    );
}

#[test]
fn every_shipped_neighbour_finds_something_and_is_searched_for_its_terms() {
    // A neighbour whose `instead` the directory does not answer would turn a told miss
    // into another one; and each of its terms the directory never mentions, typed alone,
    // is answered by it (one process per query: kept to the neighbour and two terms).
    let ix = Indexed::new();
    let glossary = tipdex::glossary::Glossary::builtin();
    assert!(
        glossary.neighbours.len() >= 10,
        "the shipped glossary has neighbours"
    );
    for neighbour in &glossary.neighbours {
        let v = ix.query_json(&["--", neighbour.instead.text.as_str()]);
        assert_eq!(
            v["unmatched"],
            serde_json::json!([]),
            "{:?}: {v}",
            neighbour.instead.text
        );
        assert_eq!(
            v["hits"][0]["partial"], false,
            "{:?}",
            neighbour.instead.text
        );
        assert!(
            !neighbour.note.is_empty(),
            "{:?} says how the concepts relate",
            neighbour.instead.text
        );
        for term in neighbour.terms.iter().take(2) {
            let v = ix.query_json(&["--", term.text.as_str()]);
            if v["unmatched"] == serde_json::json!([]) {
                continue;
            }
            assert_eq!(
                v["searched_instead"][0]["instead"].as_str(),
                Some(neighbour.instead.text.as_str()),
                "{:?}: {v}",
                term.text
            );
            assert!(!v["hits"].as_array().unwrap().is_empty(), "{:?}", term.text);
        }
    }
}
