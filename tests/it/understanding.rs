//! Query understanding as users meet it (issue 16): each test would have caught one
//! mechanism that misranked plain-language questions — a concept scored several times,
//! an intent switched on by an ordinary word, a complete word completed as a prefix,
//! a key word that matched nothing passed over in silence, scores that rose down the
//! list.

use crate::harness::relevance::load_cases;
use crate::harness::server::{enc, Server};
use crate::harness::*;
use serde_json::Value;
use std::collections::HashMap;

/// Every `context` string (the term a score leaf is for) in a hit's explanation.
fn scored_terms(explanation: &Value, out: &mut Vec<String>) {
    if let Some(context) = explanation.get("context").and_then(Value::as_array) {
        out.extend(context.iter().filter_map(|c| c.as_str().map(String::from)));
    }
    for detail in explanation
        .get("details")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        scored_terms(detail, out);
    }
}

#[test]
fn a_concept_counts_once_however_many_forms_it_has() {
    let ix = Indexed::new();
    for query in [
        "trafficking",
        "traffickers",
        "child trafficking",
        "children",
    ] {
        let v = ix.query_json(&["--explain", "--limit", "10", query]);
        let hits = v["hits"].as_array().unwrap();
        assert!(!hits.is_empty(), "{query}");
        for hit in hits {
            let mut terms = Vec::new();
            scored_terms(&hit["explanation"], &mut terms);
            let mut counts: HashMap<&String, usize> = HashMap::new();
            for t in &terms {
                *counts.entry(t).or_default() += 1;
            }
            let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
            assert!(
                repeated.is_empty(),
                "{query}: {} scores a term more than once: {repeated:?}",
                hit["id"]
            );
        }
    }
}

#[test]
fn report_as_a_verb_asks_for_no_reports() {
    let ix = Indexed::new();
    // The verb is the user's action: the answer is the one to the rest of the question.
    for (query, topic) in [
        ("how to report trafficking", "how to trafficking"),
        (
            "report the exploitation of a child",
            "the exploitation of a child",
        ),
    ] {
        let v = ix.query_json(&["--explain", "--limit", "3", query]);
        let notes = v["explain"]["notes"].to_string();
        assert!(!notes.contains("reports first"), "{query}: {notes}");
        assert!(notes.contains("is a verb here"), "{query}: {notes}");
        let ids = |v: &Value| -> Vec<Value> {
            v["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["id"].clone())
                .collect()
        };
        let without = ix.query_json(&["--limit", "3", topic]);
        assert_eq!(ids(&v), ids(&without), "{query}");
    }
    // As a noun it still asks for reports.
    let v = ix.query_json(&[
        "--explain",
        "--limit",
        "3",
        "report on sexual exploitation of children",
    ]);
    assert!(v["explain"]["notes"].to_string().contains("reports first"));
    assert_eq!(v["hits"][0]["kind"], "report");
}

#[test]
fn a_question_for_a_body_puts_organizations_before_their_publications() {
    let ix = Indexed::new();
    for (query, org) in [
        ("which UN agency works on migration", "organization-iom"),
        (
            "which agency publishes the global report on trafficking in persons",
            "organization-unodc",
        ),
        (
            "where can I report a case of forced labour",
            "organization-ilo",
        ),
        ("quelle agence s'occupe des réfugiés", "organization-unhcr"),
    ] {
        let v = ix.query_json(&["--explain", "--limit", "3", query]);
        let notes = v["explain"]["notes"].to_string();
        assert!(notes.contains("asks for a body"), "{query}: {notes}");
        assert!(!notes.contains("reports first"), "{query}: {notes}");
        assert_eq!(v["hits"][0]["id"], org, "{query}");
    }
    // Without the question, the publication that names the words best may lead.
    let v = ix.query_json(&["--limit", "1", "global report on trafficking in persons"]);
    assert_eq!(v["hits"][0]["kind"], "report");
}

#[test]
fn an_intent_word_still_being_typed_sets_no_intent() {
    let ix = Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    let search = |q: &str| {
        let r = server.get(&format!(
            "/api/search?q={}&typing=true&explain=true&limit=3",
            enc(q)
        ));
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    };
    // On the way to "special rapporteur", "rapport" (French for report) is a beginning.
    let typing = search("special rapport");
    assert!(
        !typing["explain"]["notes"]
            .to_string()
            .contains("reports first"),
        "{}",
        typing["explain"]["notes"]
    );
    let done = search("special rapporteur");
    assert_eq!(typing["hits"][0]["id"], done["hits"][0]["id"]);
    assert_eq!(done["hits"][0]["kind"], "mandate");
    // Finished ("rapport " with a space), it is a word again.
    let finished = search("rapport ");
    assert!(finished["explain"]["notes"]
        .to_string()
        .contains("reports first"));
}

#[test]
fn a_complete_word_is_completed_only_while_typing() {
    let ix = Indexed::new();
    // "war" is no word of the directory; "Warsaw" (the Warsaw Convention) is.
    let v = ix.query_json(&["--explain", "children affected by war"]);
    assert!(!v["hits"].as_array().unwrap().is_empty());
    for hit in v["hits"].as_array().unwrap() {
        let body = hit["body"].as_str().unwrap().to_lowercase();
        assert!(
            !body.contains("warsaw") || body.contains("child"),
            "a Warsaw-only hit: {}",
            hit["id"]
        );
    }
    assert!(v["explain"]["notes"]
        .to_string()
        .contains("`war` taken as a complete word"));
    // A fragment is still completed ("mulla" → Mullally), and so is anything typed into
    // a search box.
    let v = ix.query_json(&["mulla"]);
    assert!(v["hits"][0]["title"].as_str().unwrap().contains("Mullally"));
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    let typing = server
        .get(&format!(
            "/api/search?q={}&typing=true",
            enc("Convention of War")
        ))
        .json();
    assert!(typing["hits"].to_string().contains("Warsaw"));
}

#[test]
fn words_no_section_mentions_are_told() {
    let ix = Indexed::new();
    let v = ix.query_json(&["quokka trafficking"]);
    assert_eq!(v["unmatched"], serde_json::json!(["quokka"]));
    let hits = v["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h["partial"] == true));
    // When everything matches, nothing is said.
    let v = ix.query_json(&["GRETA trafficking"]);
    assert_eq!(v["unmatched"], serde_json::json!([]));
    assert_eq!(v["hits"][0]["partial"], false);
    // The CLI says it before the results.
    let o = run_in(
        ix.dir.path(),
        &[
            "query",
            "--index",
            ix.index().to_str().unwrap(),
            "quokka trafficking",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("no section mentions: quokka\n"), "{out}");
    let o = run_in(
        ix.dir.path(),
        &["query", "--index", ix.index().to_str().unwrap(), "zzqxjv"],
    );
    assert!(stdout(&o).contains("no section mentions: zzqxjv"));
}

#[test]
fn a_neighbouring_concept_is_searched_instead_and_said() {
    let ix = Indexed::new();
    let v = ix.query_json(&["--explain", "migrant smuggling"]);
    assert_eq!(v["unmatched"], serde_json::json!(["smuggling"]), "{v}");
    let told = &v["searched_instead"][0];
    assert_eq!(told["words"], "migrant smuggling", "{v}");
    assert_eq!(told["instead"], "UNODC");
    assert!(told["note"].as_str().unwrap().contains("not trafficking"));
    let hits = v["hits"].as_array().unwrap();
    assert_eq!(hits[0]["kind"], "organization");
    assert!(hits[0]["title"].as_str().unwrap().contains("UNODC"), "{v}");
    // They answer a neighbouring concept, not the query.
    assert!(hits.iter().all(|h| h["partial"] == true));
    let notes = v["explain"]["notes"].to_string();
    assert!(
        notes.contains("neighbour: no section mentions `migrant smuggling`"),
        "{notes}"
    );
    // Two terms with one neighbour: searched once, told once.
    let v = ix.query_json(&["Istanbul Convention GREVIO"]);
    assert_eq!(v["searched_instead"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(
        v["searched_instead"][0]["words"],
        "Istanbul Convention, GREVIO"
    );
    assert_eq!(v["hits"][0]["title"], "Council of Europe");
    // A word outside the neighbour's terms stays unmatched and is told.
    let v = ix.query_json(&["debt bondage in India"]);
    assert_eq!(
        v["unmatched"],
        serde_json::json!(["debt bondage", "India"]),
        "{v}"
    );
    assert_eq!(
        v["searched_instead"][0]["instead"],
        "contemporary forms of slavery"
    );
    assert!(
        v["hits"][0]["title"].as_str().unwrap().contains("slavery"),
        "{v}"
    );
    // The CLI says it before the results, the page's API carries it.
    let index = ix.index();
    let o = run_in(
        ix.dir.path(),
        &[
            "query",
            "--index",
            index.to_str().unwrap(),
            "Lanzarote Convention",
        ],
    );
    let out = stdout(&o);
    assert!(
        out.starts_with(
            "no section mentions: Lanzarote\nsearched instead of \"Lanzarote Convention\": Council of Europe ("
        ),
        "{out}"
    );
    let server = Server::start(ix.dir.path(), &index, &[]);
    let page = server
        .get(&format!("/api/search?q={}", enc("war crimes")))
        .json();
    assert_eq!(
        page["searched_instead"][0]["instead"], "prevention of genocide",
        "{page}"
    );
    assert!(
        page["hits"][0]["title"]
            .as_str()
            .unwrap()
            .contains("Genocide"),
        "{page}"
    );
    // Where everything matches, nothing is searched instead.
    let v = ix.query_json(&["UNODC trafficking"]);
    assert_eq!(v["searched_instead"], serde_json::json!([]));
}

#[test]
fn a_neighbour_is_searched_only_where_nothing_mentions_the_term() {
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
        "version = 1\n[[neighbours]]\nterms = [\"refugees\", \"quokkas\"]\ninstead = \"ILO\"\n",
    )
    .unwrap();
    let o = build_index(dir.path(), "corpus", "idx");
    assert!(o.status.success(), "{}", stderr(&o));
    let query = |q: &str| -> Value {
        let o = run_in(dir.path(), &["query", "--json", "--index", "idx", q]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    // The directory mentions refugees: searched as typed.
    let v = query("refugees");
    assert_eq!(v["searched_instead"], serde_json::json!([]), "{v}");
    assert!(
        v["hits"][0]["title"].as_str().unwrap().contains("Refugees"),
        "{v}"
    );
    // It never mentions quokkas: the neighbour is searched, without a note.
    let v = query("quokkas");
    assert_eq!(v["searched_instead"][0]["instead"], "ILO", "{v}");
    assert_eq!(v["searched_instead"][0]["note"], "");
    assert!(
        v["hits"][0]["title"].as_str().unwrap().contains("ILO"),
        "{v}"
    );
    // A neighbour that is its own term is refused, naming the file and the entry.
    std::fs::write(
        corpus.join("glossary.toml"),
        "version = 1\n[[neighbours]]\nterms = [\"ILO\"]\ninstead = \"ilo\"\n",
    )
    .unwrap();
    let o = build_index(dir.path(), "corpus", "idx");
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("glossary.toml") && err.contains("[[neighbours]] entry 1"),
        "{err}"
    );
}

#[test]
fn the_score_shown_falls_down_the_list() {
    let ix = Indexed::new();
    let mut checked = 0;
    for case in load_cases("queries.tsv")
        .into_iter()
        .chain(load_cases("domain.tsv"))
    {
        // Sorted results follow their attribute, not the score.
        if case.flags.iter().any(|f| f == "--sort") {
            continue;
        }
        let mut args: Vec<&str> = case.flags.iter().map(String::as_str).collect();
        args.extend(["--limit", "20", "--explain"]);
        args.push(&case.query);
        let v = ix.query_json(&args);
        let notes = v["explain"]["notes"].to_string();
        if notes.contains("newest first") {
            continue;
        }
        let scores: Vec<f64> = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["score"].as_f64().unwrap())
            .collect();
        for pair in scores.windows(2) {
            assert!(
                pair[0] >= pair[1],
                "{}:{} `{}`: scores rise down the list: {scores:?}",
                case.file,
                case.line,
                case.query
            );
        }
        assert!(scores.iter().all(|s| (0.0..1.0).contains(s)), "{scores:?}");
        checked += 1;
    }
    assert!(checked >= 20, "{checked} queries checked");
}

#[test]
fn typing_every_public_query_letter_by_letter_keeps_the_page_steady() {
    let ix = Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    let mut failures = Vec::new();
    let mut keystrokes = 0;
    for case in load_cases("queries.tsv")
        .into_iter()
        .chain(load_cases("domain.tsv"))
    {
        // What the page shows after each keystroke: the text, the top hit, the first three.
        let mut shown: Vec<(String, Option<String>, Vec<String>)> = Vec::new();
        let chars: Vec<char> = case.query.chars().collect();
        for end in 1..=chars.len() {
            let typed: String = chars[..end].iter().collect();
            if typed.trim().is_empty() {
                continue;
            }
            let r = server.get(&format!(
                "/api/search?q={}&typing=true&limit=3&facets=false",
                enc(&typed)
            ));
            assert_eq!(r.status, 200, "`{typed}`: {}", r.text());
            let hits = r.json()["hits"].clone();
            let top = hits[0]["id"].as_str().map(String::from);
            let first: Vec<String> = hits
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|h| h["id"].as_str().map(String::from))
                .collect();
            keystrokes += 1;
            // Nothing to search for yet ("what ", "who is "): neither an answer nor a gap.
            if typed.split_whitespace().all(is_function_word) {
                continue;
            }
            shown.push((typed, top, first));
        }
        // No empty page between two keystrokes that both have answers.
        let answered: Vec<usize> = (0..shown.len()).filter(|&i| shown[i].1.is_some()).collect();
        if let (Some(&first), Some(&last)) = (answered.first(), answered.last()) {
            for (typed, top, _) in &shown[first..=last] {
                if top.is_none() {
                    failures.push(format!("`{}`: nothing while typing `{typed}`", case.query));
                }
            }
        }
        // The top hit never flips for one keystroke to a section unrelated to the answers
        // around it (not among the first three of the keystroke before or after) and
        // back — but for the first letters of a new word: "di" shows words in di…, a
        // guess by nature.
        for w in shown.windows(3) {
            if let [(_, Some(a), before), (typed, Some(b), _), (_, Some(c), after)] = w {
                let unrelated = !before.contains(b) && !after.contains(b);
                if a == c && a != b && unrelated && !ends_in_a_fragment(typed) {
                    failures.push(format!(
                        "`{}`: the top hit flips from {a} to {b} at `{typed}` and back",
                        case.query
                    ));
                }
            }
        }
    }
    assert!(keystrokes > 300, "{keystrokes} keystrokes");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Words that ask nothing yet on their own (a question's opening).
fn is_function_word(word: &str) -> bool {
    let w = word
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    [
        "what", "who", "whom", "whose", "which", "where", "when", "why", "how", "is", "are",
        "does", "do", "the", "a", "an", "of", "on", "in", "for", "to",
    ]
    .contains(&w.as_str())
}

/// Whether the text typed so far ends in one or two letters of a word.
fn ends_in_a_fragment(typed: &str) -> bool {
    !typed.ends_with(char::is_whitespace)
        && typed
            .split_whitespace()
            .last()
            .is_some_and(|w| w.chars().filter(|c| c.is_alphanumeric()).count() <= 2)
}

#[test]
fn partial_matches_come_in_order_of_words_matched() {
    let ix = Indexed::new();
    // No section has every word: the one with most of them (the EU, its coordinator,
    // anti-trafficking work) comes before one matching fewer more strongly (the OSCE's
    // co-ordinator, outside the EU).
    let v = ix.query_json(&[
        "--limit",
        "5",
        "who coordinates anti-trafficking work across the EU",
    ]);
    let hits = v["hits"].as_array().unwrap();
    assert!(hits.iter().all(|h| h["partial"] == true), "{v}");
    assert_eq!(
        hits[0]["id"],
        "organization-eu",
        "{:?}",
        hits.iter().map(|h| &h["id"]).collect::<Vec<_>>()
    );
    let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(scores.iter().all(|s| *s < 0.5), "{scores:?}");
}

#[test]
fn a_post_named_anywhere_puts_its_holders_ahead_and_a_report_named_goes_before_its_holder() {
    let ix = Indexed::new();
    let top = |q: &str| -> (String, Value) {
        let v = ix.query_json(&["--explain", "--limit", "3", q]);
        (
            v["hits"][0]["id"].as_str().unwrap_or_default().to_string(),
            v,
        )
    };
    // A post named beside a topic: the holder, not the body that mentions the post.
    let (id, v) = top("osce trafficking coordinator");
    assert_eq!(id, "mandate-valiant-richey", "{v}");
    assert!(v["explain"]["notes"].to_string().contains("names a post"));
    // Every word names the post: the holder, not the report titled with the same words.
    let (id, v) = top("vente et exploitation sexuelle d'enfants rapporteuse");
    assert_eq!(id, "mandate-mama-fatima-singhateh", "{v}");
    // A plural asks about the set, not for a holder.
    let (_, v) = top("Conseil des droits de l'homme rapporteurs spéciaux");
    assert!(
        !v["explain"]["notes"].to_string().contains("names a post"),
        "{v}"
    );
    // The mandate lists its reports' titles; a word only one report's title (or its own
    // symbol) holds names that report.
    for (q, report) in [
        (
            "impact of COVID-19 on child sexual exploitation",
            "report-a-hrc-46-31",
        ),
        ("rapporteur covid child exploitation", "report-a-hrc-46-31"),
        ("A/HRC/49/58 children armed conflict", "report-a-hrc-49-58"),
    ] {
        let (id, v) = top(q);
        assert_eq!(id, report, "{q}: {v}");
        let ids: Vec<&str> = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|h| h["id"].as_str())
            .collect();
        assert!(
            ids.iter().any(|i| i.starts_with("mandate-")),
            "{q}: the holder stays near: {ids:?}"
        );
        let scores: Vec<f64> = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["score"].as_f64().unwrap())
            .collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{q}: {scores:?}");
    }
    // A question about people keeps the holder first.
    let (id, v) = top("who is the UN expert on trafficking");
    assert_eq!(id, "mandate-siobhan-mullally", "{v}");
}

#[test]
fn symbols_and_long_names_written_loosely_are_understood() {
    let ix = Indexed::new();
    // The organ glued to its session, the Assembly's "A/" left out.
    let v = ix.query_json(&["HRC49/57"]);
    assert_eq!(v["hits"][0]["id"], "report-a-hrc-49-57", "{v}");
    // A long glossary name with a word typed inside it.
    let v = ix.query_json(&[
        "--explain",
        "rape used as a weapon of war UN representative",
    ]);
    assert_eq!(v["hits"][0]["id"], "mandate-pramila-patten", "{v}");
    assert!(v["explain"]["notes"]
        .to_string()
        .contains("rape as a weapon of war"));
}
