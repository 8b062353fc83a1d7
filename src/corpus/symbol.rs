//! UN document symbols: finding them in text and reading their organ, session and addendum.

use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

static SYMBOL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Z][A-Z0-9]{0,7}(?:/[A-Za-z0-9][A-Za-z0-9.\-]*)+").expect("valid regex")
});

/// Every UN-style document symbol in `text` (`A/HRC/47/34`, `A/76/263`, `E/CN.4/2005/78`), in order.
pub fn find_symbols(text: &str) -> Vec<String> {
    SYMBOL
        .find_iter(text)
        .map(|m| m.as_str().trim_end_matches(['.', '-']).to_string())
        .filter(|s| looks_like_symbol(s))
        .collect()
}

/// Whether `text` as a whole is shaped like a UN document symbol.
pub fn looks_like_symbol(text: &str) -> bool {
    let parts: Vec<&str> = text.split('/').collect();
    parts.len() >= 2
        && parts.iter().all(|p| !p.is_empty())
        && parts[0].chars().all(|c| c.is_ascii_alphanumeric())
        && parts[0]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && text.chars().any(|c| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-'))
}

/// The meaning carried by a UN symbol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SymbolInfo {
    /// Short name of the organ (`HRC`, `GA`, `ECOSOC`, `SC`, `CHR`).
    pub organ: &'static str,
    /// Full name of the organ.
    pub organ_name: &'static str,
    /// Session number, when the symbol has one.
    pub session: Option<u32>,
    /// Addendum number (`Add.1` → 1).
    pub addendum: Option<u32>,
}

/// Reads the organ, session and addendum of a symbol such as `A/HRC/49/51/Add.1`.
pub fn symbol_info(symbol: &str) -> Option<SymbolInfo> {
    let upper = symbol.to_ascii_uppercase();
    let parts: Vec<&str> = upper.split('/').collect();
    let number = |s: Option<&&str>| s.and_then(|p| p.parse::<u32>().ok());
    let (organ, organ_name, session) = match parts.as_slice() {
        ["A", "HRC", rest @ ..] => ("HRC", "Human Rights Council", number(rest.first())),
        ["A", rest @ ..] => ("GA", "General Assembly", number(rest.first())),
        ["E", "CN.4", rest @ ..] => ("CHR", "Commission on Human Rights", number(rest.first())),
        ["E", rest @ ..] => (
            "ECOSOC",
            "Economic and Social Council",
            number(rest.first()),
        ),
        ["S", rest @ ..] => ("SC", "Security Council", number(rest.first())),
        ["CRC", ..] => ("CRC", "Committee on the Rights of the Child", None),
        ["CEDAW", ..] => (
            "CEDAW",
            "Committee on the Elimination of Discrimination against Women",
            None,
        ),
        _ => return None,
    };
    let addendum = parts
        .iter()
        .find_map(|p| p.strip_prefix("ADD.").and_then(|n| n.parse::<u32>().ok()));
    Some(SymbolInfo {
        organ,
        organ_name,
        session,
        addendum,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_symbols_with_and_without_closing_parenthesis() {
        assert_eq!(
            find_symbols("Report, 2022 (A/HRC/49/58) and (A/HRC/49/57"),
            vec!["A/HRC/49/58", "A/HRC/49/57"]
        );
        assert_eq!(
            find_symbols("Visit (A/HRC/49/51/Add.1)."),
            vec!["A/HRC/49/51/Add.1"]
        );
    }

    #[test]
    fn ignores_dates_and_plain_slashes() {
        assert!(find_symbols("Strategic Plan: 2021/22-2024/25 and and/or").is_empty());
    }

    #[test]
    fn reads_organ_session_and_addendum() {
        let info = symbol_info("A/HRC/49/51/Add.1").unwrap();
        assert_eq!(
            (info.organ, info.session, info.addendum),
            ("HRC", Some(49), Some(1))
        );
        let ga = symbol_info("a/76/263").unwrap();
        assert_eq!((ga.organ, ga.session, ga.addendum), ("GA", Some(76), None));
    }
}

/// Words that say what a symbol means, for searching sessions written any common way:
/// `A/HRC/49/51/Add.1` → "HRC UNHRC Human Rights Council HRC49 49 49th session addendum 1 …".
pub fn symbol_keywords(symbol: &str) -> String {
    use std::fmt::Write;
    let Some(info) = symbol_info(symbol) else {
        return String::new();
    };
    let organ = info.organ;
    let mut words = format!("{organ} {}", info.organ_name);
    match organ {
        "HRC" => words.push_str(" UNHRC"),
        "GA" => words.push_str(" UNGA"),
        "SC" => words.push_str(" UNSC"),
        _ => {}
    }
    // Writing to a String cannot fail.
    if let Some(session) = info.session {
        let _ = write!(words, " {organ}{session}");
        if organ == "GA" {
            let _ = write!(words, " UNGA{session}");
        }
        let _ = write!(words, " {session} {} session", ordinal(session));
    }
    if let Some(add) = info.addendum {
        let _ = write!(words, " addendum {add} Add.{add} add{add}");
    }
    words
}

/// 1 → "1st", 2 → "2nd", 3 → "3rd", 11 → "11th", 49 → "49th".
pub fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, r) if r != 11 => "st",
        (2, r) if r != 12 => "nd",
        (3, r) if r != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod keyword_tests {
    use super::*;

    #[test]
    fn keywords_name_organ_session_and_addendum() {
        let k = symbol_keywords("A/HRC/49/51/Add.1");
        for w in [
            "HRC",
            "Human Rights Council",
            "HRC49",
            "49th",
            "session",
            "addendum 1",
        ] {
            assert!(k.contains(w), "{w} in {k}");
        }
        let ga = symbol_keywords("A/76/263");
        for w in ["GA", "UNGA", "General Assembly", "UNGA76", "76th"] {
            assert!(ga.contains(w), "{w} in {ga}");
        }
        assert_eq!(symbol_keywords("1001370"), "");
    }

    #[test]
    fn ordinals() {
        assert_eq!(ordinal(1), "1st");
        assert_eq!(ordinal(12), "12th");
        assert_eq!(ordinal(22), "22nd");
        assert_eq!(ordinal(49), "49th");
    }
}
