//! The public relevance cases (`tests/relevance/*.tsv`, copies of `../shared/relevance/`),
//! each run through the real binary with `--json`.

use crate::harness::Indexed;

fn run_cases(name: &str) {
    let indexed = Indexed::new();
    let (failures, total) =
        crate::harness::relevance::failures(name, &|args| indexed.query_json(args));
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        total,
        failures.join("\n")
    );
}

#[test]
fn public_relevance_cases_pass() {
    run_cases("queries.tsv");
}

#[test]
fn domain_relevance_cases_pass() {
    run_cases("domain.tsv");
}

/// The judged panel (issue 16): 100 fresh queries from four kinds of users, with the
/// section a specialist wants first, judged from the corpus before anything was run
/// (`tests/relevance/panel.tsv`; `-`: no honest answer). At least 97 right at the top,
/// every other answer in the top 3, and no answer for the no-answer ones.
#[test]
fn judged_panel_of_fresh_queries() {
    judged_panel("panel.tsv");
}

/// The second judged panel (issue 16), written blind like the first by a judge who saw
/// only the corpus text and its section ids, after the mechanisms and the glossary of
/// the first were built (`tests/relevance/panel2.tsv`). It scored 89 of 100 at the top
/// as it came; what it showed was mended as mechanisms, never as its cases. The same bar.
#[test]
fn second_blind_panel_of_fresh_queries() {
    judged_panel("panel2.tsv");
}

/// Runs a judged panel: at least 97 of its 100 queries right at the top (or, for a
/// no-answer query, correctly no answer), every other answer in the top 3.
fn judged_panel(name: &str) {
    /// Right at the top (or, for a no-answer query, correctly no answer).
    const AT_THE_TOP: usize = 97;
    let indexed = Indexed::new();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/relevance")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("a judged panel");
    let mut right = 0;
    let mut total = 0;
    let mut misses = Vec::new();
    let mut wrong = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 3, "{name}:{}: three columns", n + 1);
        let (persona, query, expected) = (cols[0], cols[1], cols[2]);
        total += 1;
        let v = indexed.query_json(&["--limit", "3", query]);
        let hits = v["hits"].as_array().unwrap();
        let ids: Vec<&str> = hits.iter().filter_map(|h| h["id"].as_str()).collect();
        let place = ids.iter().position(|id| *id == expected);
        let line = format!(
            "{name}:{} [{persona}] `{query}`: expected {expected}, got {ids:?}",
            n + 1
        );
        if expected == "-" {
            // No honest answer: nothing may be presented as one, and the words that
            // found nothing are named.
            let full = hits.iter().any(|h| h["partial"] == false);
            let told = v["unmatched"].as_array().is_some_and(|u| !u.is_empty());
            if !full && told {
                right += 1;
            } else {
                wrong.push(format!("{line} (presented as an answer)"));
            }
        } else if place == Some(0) {
            right += 1;
        } else if let Some(p) = place {
            misses.push(format!("{line} (at {})", p + 1));
        } else {
            wrong.push(format!("{line} (not in the top 3)"));
        }
    }
    println!(
        "judged panel: {right} of {total} right at the top\n{}\n{}",
        misses.join("\n"),
        wrong.join("\n")
    );
    assert_eq!(total, 100, "the panel has 100 queries");
    assert!(wrong.is_empty(), "wrong answers:\n{}", wrong.join("\n"));
    assert!(
        right >= AT_THE_TOP,
        "judged panel: {right} of {total} right at the top, fewer than {AT_THE_TOP}:\n{}",
        misses.join("\n")
    );
}
