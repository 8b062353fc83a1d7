//! Text helpers shared by the corpus parsers: acronyms, years, sentences, titles.

use regex::Regex;
use std::sync::LazyLock;

static ACRONYM_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\(\s*([A-Z][A-Za-z]{0,3}[A-Z][A-Za-z]{0,8})\s*\)").expect("valid regex")
});
static ACRONYM_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([A-Z]{2,10})\s*\(([A-Z][\w’'\-]*(?:\s+[\w’'\-]+){1,10})\)")
        .expect("valid regex")
});
static YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(1[89]\d\d|20\d\d)\b").expect("valid regex"));

/// Honorifics that open a person's name.
const HONORIFICS: [&str; 9] = [
    "Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "Mme", "Mme.", "Miss", "Sir",
];

/// Abbreviations after which a period does not end a sentence.
const ABBREVIATIONS: [&str; 14] = [
    "Mr", "Ms", "Mrs", "Dr", "Prof", "No", "Nos", "Art", "Vol", "Add", "Rev", "Corr", "e.g", "i.e",
];

/// Acronyms defined in `text` by "Full Name (ACRONYM)" or "ACRONYM (Full Name)", in order, deduplicated.
pub fn find_acronyms(text: &str) -> Vec<String> {
    let mut found: Vec<(usize, String)> = Vec::new();
    for caps in ACRONYM_AFTER.captures_iter(text) {
        let m = caps.get(1).expect("group 1");
        if is_acronym(m.as_str()) {
            found.push((m.start(), m.as_str().to_string()));
        }
    }
    for caps in ACRONYM_BEFORE.captures_iter(text) {
        let m = caps.get(1).expect("group 1");
        if is_acronym(m.as_str()) {
            found.push((m.start(), m.as_str().to_string()));
        }
    }
    found.sort();
    let mut out: Vec<String> = Vec::new();
    for (_, a) in found {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

/// Whether `word` reads as an acronym: mostly capitals, at least two, not a roman numeral.
pub fn is_acronym(word: &str) -> bool {
    let upper = word.chars().filter(|c| c.is_ascii_uppercase()).count();
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    let roman = word.chars().all(|c| "IVXLCDM".contains(c));
    (2..=10).contains(&letters) && upper >= 2 && upper * 2 >= letters && !roman
}

/// The last plausible year (1800–2099) written in `text`.
pub fn last_year(text: &str) -> Option<i64> {
    YEAR.find_iter(text)
        .last()
        .and_then(|m| m.as_str().parse().ok())
}

/// The first plausible year (1800–2099) written in `text`.
pub fn first_year(text: &str) -> Option<i64> {
    YEAR.find(text).and_then(|m| m.as_str().parse().ok())
}

/// If `text` starts with an honorific, returns the text after it.
pub fn strip_honorific(text: &str) -> Option<&str> {
    let first = text.split_whitespace().next()?;
    if HONORIFICS.contains(&first) {
        Some(text[text.find(first)? + first.len()..].trim_start())
    } else {
        None
    }
}

/// Splits "Name Surname, Title" or "Name Surname. Title" after an honorific into (name, rest).
///
/// A period ends the name only after a word longer than one letter, so initials stay in it.
pub fn split_name(text: &str) -> (String, String) {
    let mut end = None;
    for (i, c) in text.char_indices() {
        if c == ',' || c == ':' || c == '(' {
            end = Some((i, i + c.len_utf8()));
            break;
        }
        if c == '.' {
            let word = text[..i].rsplit(char::is_whitespace).next().unwrap_or("");
            if word.chars().count() > 1 {
                end = Some((i, i + 1));
                break;
            }
        }
    }
    match end {
        Some((a, b)) => (
            text[..a].trim().to_string(),
            text[b..].trim().trim_end_matches('.').trim().to_string(),
        ),
        None => (text.trim().to_string(), String::new()),
    }
}

/// Splits text into sentences, keeping honorifics and abbreviations such as "No. 557" inside.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let next_is_space = chars.get(k + 1).is_none_or(|&(_, n)| n.is_whitespace());
        let after = chars[k + 1..]
            .iter()
            .find(|(_, n)| !n.is_whitespace())
            .map(|&(_, n)| n);
        let next_starts_sentence = after.is_none_or(|n| n.is_uppercase() || n.is_ascii_digit());
        let word = text[start..i]
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or("");
        let abbreviation = ABBREVIATIONS.contains(&word) || word.chars().count() == 1;
        if next_is_space && next_starts_sentence && !abbreviation {
            out.push(text[start..=i].trim());
            start = i + 1;
        }
    }
    let tail = text[start..].trim();
    if !tail.is_empty() {
        out.push(tail);
    }
    out
}

/// A short title for a paragraph: its first clause, at most `max_words` words.
pub fn paragraph_title(text: &str, max_words: usize) -> String {
    let first = sentences(text).into_iter().next().unwrap_or(text);
    let clause = first
        .split(':')
        .next()
        .unwrap_or(first)
        .trim_end_matches(['.', ' ']);
    let clause = if clause.split_whitespace().count() > 8 {
        clause.split(", ").next().unwrap_or(clause)
    } else {
        clause
    };
    let words: Vec<&str> = clause.split_whitespace().collect();
    if words.len() > max_words {
        format!("{}…", words[..max_words].join(" "))
    } else {
        words.join(" ")
    }
}

/// Whether a paragraph opens by pointing back at what came before ("This mechanism", "It", "Its").
pub fn starts_anaphoric(text: &str) -> bool {
    let first = text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(|c: char| !c.is_alphabetic());
    matches!(
        first,
        "This"
            | "These"
            | "That"
            | "Those"
            | "It"
            | "Its"
            | "Such"
            | "He"
            | "She"
            | "They"
            | "Their"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acronyms_in_both_orders_and_without_space() {
        let text = "Group of Experts on Action against Trafficking in Human Beings(GRETA) and \
                    INTERPOL (International Criminal Police Organization) and (Chapter VII)";
        assert_eq!(find_acronyms(text), vec!["GRETA", "INTERPOL"]);
        assert_eq!(find_acronyms("European Union (EU): x"), vec!["EU"]);
    }

    #[test]
    fn name_ends_at_comma_or_period_but_not_initials() {
        assert_eq!(
            split_name("Alice Wairimu Nderitu. Special Advisor for the Prevention of Genocide."),
            (
                "Alice Wairimu Nderitu".to_string(),
                "Special Advisor for the Prevention of Genocide".to_string()
            )
        );
        assert_eq!(
            split_name("J. R. Smith, Rapporteur"),
            ("J. R. Smith".to_string(), "Rapporteur".to_string())
        );
    }

    #[test]
    fn sentences_keep_honorifics_and_numbers() {
        let s =
            sentences("Led by Mr. Valiant Richey. Decision No. 557 applies. Each year, he acts.");
        assert_eq!(
            s,
            vec![
                "Led by Mr. Valiant Richey.",
                "Decision No. 557 applies.",
                "Each year, he acts."
            ]
        );
    }

    #[test]
    fn paragraph_titles_are_short_clauses() {
        assert_eq!(
            paragraph_title("At the regional level, organizations are also working:", 12),
            "At the regional level, organizations are also working"
        );
        assert_eq!(
            paragraph_title(
                "Within the United Nations system many bodies, departments and offices, funds and programs, agencies are involved:",
                12
            ),
            "Within the United Nations system many bodies"
        );
    }
}
