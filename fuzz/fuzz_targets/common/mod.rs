//! Checks shared by the parser targets: what every parser promises about its sections.
#![allow(dead_code)]

use tipdex::corpus::normalize_whitespace;
use tipdex::Section;

/// Parses `data` (lossily decoded, as a file tipdex reads must be UTF-8 text) as a
/// corpus file named `name`, and checks the sections it gives.
pub fn parse_and_check(name: &str, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let parsed = tipdex::corpus::parse_file(name, text).expect("a known extension");
    let Ok((sections, _warnings)) = parsed else {
        // A malformed file is an error naming the file and line, never a panic.
        return;
    };
    check_sections(name, text, &sections);
}

/// The documented promises of a parsed section.
pub fn check_sections(name: &str, text: &str, sections: &[Section]) {
    let lines = text.lines().count();
    for s in sections {
        // `body`: "The text, whitespace normalized."
        assert_eq!(s.body, normalize_whitespace(&s.body), "body not normalized");
        if name.ends_with(".jsonl") {
            // A JSONL line may carry its own `source` (that of the file it was printed from).
            continue;
        }
        // `source.lines`: "First and last line, 1-based and inclusive."
        assert_eq!(s.source.file, name);
        let [first, last] = s.source.lines;
        assert!(
            1 <= first && first <= last && last <= lines.max(1),
            "source lines {first}..{last} outside the file's {lines} lines"
        );
    }
    round_trip(sections);
}

/// `tipdex sections` prints sections as JSON Lines that are themselves a corpus: the
/// JSONL parser gives back the same sections.
pub fn round_trip(sections: &[Section]) {
    let mut jsonl = String::new();
    for s in sections {
        jsonl.push_str(&serde_json::to_string(s).expect("a section serializes"));
        jsonl.push('\n');
    }
    let again = tipdex::corpus::parse_file("sections.jsonl", &jsonl)
        .expect("jsonl is known")
        .expect("sections printed as JSON Lines parse again");
    assert_eq!(again.0.len(), sections.len());
    for (a, b) in sections.iter().zip(&again.0) {
        assert_eq!(a, b, "section changed through JSON Lines");
    }
}
