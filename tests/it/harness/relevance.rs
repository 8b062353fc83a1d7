//! The relevance cases (`tests/relevance/*.tsv`, copies of `../shared/relevance/`):
//! loading them and checking a ranked list of hits against each.

use serde_json::Value;
use std::path::Path;
use tipdex::words::fold_char;

/// One line of a relevance file.
#[derive(Debug)]
pub struct Case {
    pub file: String,
    pub line: usize,
    pub query: String,
    pub flags: Vec<String>,
    pub expectation: String,
}

pub fn load_cases(name: &str) -> Vec<Case> {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/relevance")
        .join(name);
    let shared = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/relevance")
        .join(name);
    let mut cases: Vec<Case> = Vec::new();
    for path in [committed, shared] {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(
                cols.len(),
                3,
                "{}:{}: expected 3 columns",
                path.display(),
                i + 1
            );
            if cases
                .iter()
                .any(|c| c.query == cols[0] && c.expectation == cols[2])
            {
                continue;
            }
            let flags = if cols[1].trim() == "-" {
                Vec::new()
            } else {
                cols[1].split_whitespace().map(str::to_string).collect()
            };
            cases.push(Case {
                file: path.display().to_string(),
                line: i + 1,
                query: cols[0].to_string(),
                flags,
                expectation: cols[2].to_string(),
            });
        }
    }
    assert!(!cases.is_empty(), "no cases in {name}");
    cases
}

fn fold(text: &str) -> String {
    text.chars()
        .map(fold_char)
        .collect::<String>()
        .to_lowercase()
}

fn strings(value: &Value, skip: &[&str], out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(a) => a.iter().for_each(|v| strings(v, skip, out)),
        Value::Object(o) => {
            for (k, v) in o {
                if !skip.contains(&k.as_str()) {
                    strings(v, skip, out);
                }
            }
        }
        _ => {}
    }
}

/// Whether one hit satisfies a predicate such as `sym=A/HRC/47/34` or `has=Council of Europe`.
pub fn satisfies(hit: &Value, predicate: &str) -> bool {
    let (key, want) = predicate.trim().split_once('=').expect("predicate has '='");
    match key {
        "sym" => hit["symbols"].as_array().is_some_and(|a| {
            a.iter()
                .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(want)))
        }),
        "kind" => hit["kind"] == want,
        "year" => hit["year"].as_i64().map(|y| y.to_string()).as_deref() == Some(want),
        "has" | "text" => {
            let skip: &[&str] = if key == "has" {
                &["body", "snippet", "explanation"]
            } else {
                &["explanation"]
            };
            let mut all = Vec::new();
            strings(hit, skip, &mut all);
            let want = fold(want);
            all.iter().any(|s| fold(s).contains(&want))
        }
        other => panic!("unknown predicate {other}"),
    }
}

/// Checks one expectation against the hits; `Err` says what was wrong.
pub fn check(expectation: &str, hits: &[Value]) -> Result<(), String> {
    let (head, rest) = expectation
        .split_once(' ')
        .expect("expectation has a predicate");
    let (mode, k) = head.split_once("<=").expect("expectation has <=K");
    let k: usize = k.parse().expect("K is a number");
    let top: Vec<&Value> = hits.iter().take(k).collect();
    let ok = match mode {
        "in" => top.iter().any(|h| satisfies(h, rest)),
        "all" => !top.is_empty() && top.iter().all(|h| satisfies(h, rest)),
        "none" => !top.iter().any(|h| satisfies(h, rest)),
        "each" => rest
            .split(" ; ")
            .all(|p| top.iter().any(|h| satisfies(h, p))),
        other => panic!("unknown mode {other}"),
    };
    if ok {
        Ok(())
    } else {
        let shown: Vec<String> = top
            .iter()
            .map(|h| {
                format!(
                    "{} [{}] {} {}",
                    h["rank"], h["kind"], h["title"], h["symbols"]
                )
            })
            .collect();
        Err(format!("top {k}: {shown:#?}"))
    }
}

/// Runs every case of `name` through `query` (flags, then `--limit 20 -- QUERY`; the
/// answer is `tipdex query --json` output) and returns the failures.
pub fn failures(name: &str, query: &dyn Fn(&[&str]) -> Value) -> (Vec<String>, usize) {
    let mut failures = Vec::new();
    let cases = load_cases(name);
    for case in &cases {
        let mut args: Vec<&str> = case.flags.iter().map(String::as_str).collect();
        args.extend(["--limit", "20", "--", case.query.as_str()]);
        let response = query(&args);
        let hits = response["hits"].as_array().cloned().unwrap_or_default();
        if let Err(why) = check(&case.expectation, &hits) {
            failures.push(format!(
                "{}:{}: {:?} {:?} expected {}\n{why}",
                case.file, case.line, case.query, case.flags, case.expectation
            ));
        }
    }
    (failures, cases.len())
}
