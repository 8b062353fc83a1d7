//! `tipdex sections`: JSON Lines output that is itself a corpus (issue 2).

use crate::harness::*;

#[test]
fn sections_output_round_trips_as_a_jsonl_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &["sections", "--corpus", corpus_dir().to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning:"),
        "the missing parenthesis is reported"
    );
    let first = stdout(&o);
    assert!(first.lines().count() > 40);
    for line in first.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in [
            "id", "kind", "title", "symbols", "acronyms", "path", "body", "source",
        ] {
            assert!(v.get(key).is_some(), "{key} missing in {line}");
        }
    }
    let again = dir.path().join("again");
    std::fs::create_dir(&again).unwrap();
    std::fs::write(again.join("sections.jsonl"), &first).unwrap();
    let o2 = run_in(dir.path(), &["sections", "--corpus", "again"]);
    assert!(o2.status.success(), "{}", stderr(&o2));
    let second = stdout(&o2);
    for (a, b) in first.lines().zip(second.lines()) {
        assert_eq!(a, b);
    }
    assert_eq!(first.lines().count(), second.lines().count());
}

#[test]
fn malformed_jsonl_names_file_and_line_and_other_files_still_load() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    std::fs::create_dir_all(c.join("sub")).unwrap();
    std::fs::write(
        c.join("a.jsonl"),
        "{\"title\":\"ok\",\"body\":\"fine\"}\n{oops\n",
    )
    .unwrap();
    std::fs::write(c.join("sub/b.md"), "# Heading\n\nText about GRETA.\n").unwrap();
    std::fs::write(c.join("notes.pdf"), "x").unwrap();
    let o = run_in(dir.path(), &["sections", "--corpus", "c"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("a.jsonl:2"), "{err}");
    assert!(err.contains("notes.pdf"), "{err}");
    assert!(stdout(&o).contains("Heading"));
}

#[test]
fn missing_corpus_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &["sections", "--corpus", "nowhere"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nowhere"), "{}", stderr(&o));
}
