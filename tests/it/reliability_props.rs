//! Property tests of the JSON Lines corpus parser (issue 6), and of the promise every
//! parser makes through `tipdex sections`: parsed sections printed as JSON Lines parse
//! back to the same sections. (The text and Markdown parsers have their own property
//! tests in `src/corpus/`; the query path in `tests/query_properties.rs`.)

use proptest::prelude::*;
use tipdex::corpus::{normalize_whitespace, parse_file, Source};
use tipdex::{Kind, Section};

/// Sections printed as JSON Lines, as `tipdex sections` does.
fn to_jsonl(sections: &[Section]) -> String {
    sections
        .iter()
        .map(|s| serde_json::to_string(s).unwrap() + "\n")
        .collect()
}

fn parse_jsonl(text: &str) -> tipdex::Result<Vec<Section>> {
    parse_file("p.jsonl", text)
        .expect("jsonl is known")
        .map(|(s, _)| s)
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9 ,.()/:'\"-]{0,40}",
        "(?s).{0,30}",
        Just("A/HRC/47/34".to_string()),
        Just(" \u{a0}Siobhán\u{a0} Mullally\t".to_string()),
    ]
}

fn kind() -> impl Strategy<Value = Kind> {
    prop::sample::select(Kind::ALL.to_vec())
}

/// Any section, its title and body whitespace-normalized as every parser leaves them.
fn section() -> impl Strategy<Value = Section> {
    (
        (text(), kind(), text(), proptest::option::of(text())),
        (
            prop::collection::vec(
                prop_oneof![
                    Just("A/HRC/49/51/Add.1".to_string()),
                    Just("A/76/263".to_string()),
                    text()
                ],
                0..3,
            ),
            proptest::option::of(text()),
            proptest::option::of(text()),
            prop::collection::vec(text(), 0..3),
        ),
        (
            proptest::option::of(any::<i64>()),
            text(),
            prop::collection::vec(text(), 0..3),
            text(),
            any::<[usize; 2]>(),
        ),
    )
        .prop_map(
            |(
                (id, kind, title, role),
                (symbols, person, org, acronyms),
                (year, venue, path, body, lines),
            )| {
                Section {
                    id,
                    kind,
                    title: normalize_whitespace(&title),
                    role,
                    symbols,
                    person,
                    org,
                    acronyms,
                    year,
                    // A report with no venue gets one from its symbol when read back
                    // (JSONL corpora may leave it out); the parsers give reports theirs.
                    venue: Some(venue),
                    path,
                    body: normalize_whitespace(&body),
                    source: Source {
                        file: "c.txt".into(),
                        lines,
                        page: None,
                    },
                    ..Section::new(kind, "", "")
                }
            },
        )
}

/// A line of a JSONL file: valid records, wrong types, broken JSON, blank lines.
fn jsonl_line() -> impl Strategy<Value = String> {
    prop_oneof![
        section().prop_map(|s| serde_json::to_string(&s).unwrap()),
        (text(), text()).prop_map(|(t, b)| serde_json::json!({"title": t, "body": b}).to_string()),
        (text(), text(), text()).prop_map(|(t, b, sym)| {
            serde_json::json!({"title": t, "body": b, "symbol": sym, "kind": "report"}).to_string()
        }),
        Just(r#"{"title": 3, "body": "x"}"#.to_string()),
        Just(r#"{"title": "x"}"#.to_string()),
        Just(r#"{"title": "x", "body": "y", "year": "2021"}"#.to_string()),
        Just(r#"{"title": "x", "body": "y", "kind": "nonsense"}"#.to_string()),
        Just(r#"{"title": "x", "body": "y", "source": {"file": 1}}"#.to_string()),
        Just("[1, 2]".to_string()),
        Just("{".to_string()),
        Just(String::new()),
        Just(" \t\r".to_string()),
        "(?s).{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,400}") {
        let _ = parse_jsonl(&text);
    }

    #[test]
    fn json_lines_give_one_section_per_record_or_name_the_bad_line(
        lines in prop::collection::vec(jsonl_line(), 0..12),
        crlf in any::<bool>(),
    ) {
        let text = lines.join(if crlf { "\r\n" } else { "\n" });
        let numbered: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l))
            .filter(|(_, l)| !l.trim().is_empty())
            .collect();
        match parse_jsonl(&text) {
            Ok(sections) => {
                prop_assert_eq!(sections.len(), numbered.len());
                for (s, (no, line)) in sections.iter().zip(&numbered) {
                    prop_assert_eq!(&s.body, &normalize_whitespace(&s.body));
                    prop_assert_eq!(&s.title, &normalize_whitespace(&s.title));
                    if !line.contains("\"source\"") {
                        prop_assert_eq!(&s.source, &Source { file: "p.jsonl".into(), lines: [*no, *no], page: None });
                    }
                }
            }
            Err(e) => {
                let message = e.to_string();
                let bad = numbered
                    .iter()
                    .find(|(no, _)| message.starts_with(&format!("p.jsonl:{no}: ")));
                prop_assert!(bad.is_some(), "{} names no line of the file", message);
            }
        }
    }

    #[test]
    fn sections_round_trip_through_json_lines(sections in prop::collection::vec(section(), 0..8)) {
        let again = parse_jsonl(&to_jsonl(&sections)).unwrap();
        prop_assert_eq!(again, sections);
    }

    #[test]
    fn text_and_markdown_sections_round_trip_through_json_lines(
        lines in prop::collection::vec(
            prop_oneof![
                Just("# Bodies".to_string()),
                Just("## Report A/HRC/50/1, 2022".to_string()),
                Just("## Ms. Siobhán Mullally, Special Rapporteur".to_string()),
                Just("## Council of Europe (CoE)".to_string()),
                Just("NAME".to_string()),
                Just("\u{a0}".to_string()),
                Just(String::new()),
                Just("Reports to the Human Rights Council:".to_string()),
                "[•→-] ?[A-Za-z(): ,./0-9\u{a0}]{0,40}",
                "(Mr|Ms)\\. [A-Z][a-z]{1,8}[,.] [A-Za-z ]{0,30}(\\(A/HRC/[0-9]{2}/[0-9]{2}\\))?",
                "[A-Za-z ()/0-9:,]{0,60}",
            ],
            0..25,
        ),
        markdown in any::<bool>(),
    ) {
        let name = if markdown { "c.md" } else { "c.txt" };
        let text = lines.join("\n");
        let (sections, _) = parse_file(name, &text).unwrap().unwrap();
        let again = parse_jsonl(&to_jsonl(&sections)).unwrap();
        prop_assert_eq!(again, sections);
    }
}

#[test]
fn a_markdown_report_keeps_no_venue_it_did_not_have_regression() {
    let (sections, _) = parse_file("c.md", "## Report A/HRC/50/1, 2022\n\nOn labour.\n")
        .unwrap()
        .unwrap();
    let again = parse_jsonl(&to_jsonl(&sections)).unwrap();
    assert_eq!(again, sections);
}

/// Found by the `parse_text` fuzz target: a list heading whose title starts with a
/// character of more than one byte (`a) “Quoted”`) made the text parser slice inside it.
#[test]
fn a_list_heading_starting_with_a_multibyte_character_regression() {
    for text in [
        "a) “Trafficking” in persons\n",
        "b) → International organizations\n",
        "1. Égalité\n",
        "r. → (A/HRC/\n",
    ] {
        let (sections, _) = parse_file("c.txt", text).unwrap().unwrap();
        assert!(!sections.is_empty(), "{text:?}");
        let again = parse_jsonl(&to_jsonl(&sections)).unwrap();
        assert_eq!(again, sections);
    }
}

/// Found by the `parse_text` fuzz target: an organization item whose name is empty got
/// the title ` (ACRONYM…)`, with a leading space that reading the `tipdex sections`
/// line back as JSONL removed.
#[test]
fn text_titles_are_whitespace_normalized_regression() {
    let text = "\u{2022} ((((ime (UNODC): its\u{a0}objective is to assist Member States.\n";
    let (sections, _) = parse_file("c.txt", text).unwrap().unwrap();
    for s in &sections {
        assert_eq!(s.title, normalize_whitespace(&s.title));
    }
    assert_eq!(parse_jsonl(&to_jsonl(&sections)).unwrap(), sections);
}
