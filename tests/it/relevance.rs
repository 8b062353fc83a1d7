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
