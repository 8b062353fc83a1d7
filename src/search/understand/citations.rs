//! Citations typed as queries ("A/HRC/47/34 para. 12", "A/HRC/47/34, paragraph 12",
//! "A/HRC/47/34 §12") become the symbol and that paragraph; a query written in French
//! prefers the French versions of documents.

use super::{plain_word, Understanding};
use crate::corpus::symbol::looks_like_symbol;
use crate::search::query::{Clause, Group, ParsedQuery, Scope};

/// Words that name a paragraph, with the language of the citation form.
const MARKERS: [(&str, &str); 10] = [
    ("para", "en"),
    ("paras", "en"),
    ("paragraph", "en"),
    ("paragraphs", "en"),
    ("§", "en"),
    ("¶", "en"),
    ("par", "fr"),
    ("paragraphe", "fr"),
    ("párr", "es"),
    ("párrafo", "es"),
];

/// French words common in questions and rare in English ones.
const FRENCH: [&str; 16] = [
    "le",
    "la",
    "les",
    "des",
    "du",
    "une",
    "et",
    "est",
    "sur",
    "pour",
    "dans",
    "aux",
    "quel",
    "quelle",
    "qui",
    "rapporteuse",
];

/// Rewrites a citation into the symbol and a required paragraph number, preferring
/// the language of the citation form.
pub fn citations(parsed: &mut ParsedQuery, u: &mut Understanding) {
    let Some((at, symbol)) = parsed.groups.iter().enumerate().find_map(|(i, g)| {
        let word = plain_word(g)?;
        let symbol = word.text.trim_end_matches([',', ';', ':']);
        looks_like_symbol(symbol).then(|| (i, symbol.to_string()))
    }) else {
        return;
    };
    let Some((end, number, language)) = paragraph_after(parsed, at + 1) else {
        return;
    };
    parsed.groups.drain(at + 1..end);
    parsed.groups.insert(
        at + 1,
        required(Clause::typed(&number, false, Some(Scope::Paragraph))),
    );
    u.language = Some((language, PREFERRED));
    u.notes.push(format!(
        "a citation: paragraph {number} of {symbol} (the {language} version first)"
    ));
}

/// The paragraph named from group `start` on: the end of the groups used, the number
/// and the citation form's language.
fn paragraph_after(parsed: &ParsedQuery, start: usize) -> Option<(usize, String, &'static str)> {
    let word = |i: usize| -> Option<String> {
        let g = parsed.groups.get(i)?;
        Some(plain_word(g)?.text.to_lowercase())
    };
    let first = word(start)?;
    let trimmed = first.trim_end_matches('.');
    // "para. 12", "paragraph 12", "§ 12"
    if let Some((_, language)) = MARKERS.iter().find(|(m, _)| *m == trimmed) {
        let number = word(start + 1)?;
        let number = number.trim_end_matches(['.', ',']);
        return is_number(number).then(|| (start + 2, number.to_string(), *language));
    }
    // "§12", "para.12", "para12"
    MARKERS.iter().find_map(|(m, language)| {
        let rest = first.strip_prefix(m)?;
        let rest = rest.trim_start_matches('.').trim_end_matches(['.', ',']);
        is_number(rest).then(|| (start + 1, rest.to_string(), *language))
    })
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.len() <= 4 && text.bytes().all(|b| b.is_ascii_digit())
}

fn required(clause: Clause) -> Group {
    Group {
        clauses: vec![clause],
        negated: false,
        optional: false,
    }
}

/// What a preferred language adds to a section's score.
const PREFERRED: f32 = 1.0;
/// What English adds when no language is asked for: a tie-break between versions.
const TIE_BREAK: f32 = 0.04;

/// A query mostly in French prefers French documents and passages; any other query
/// breaks ties between language versions in favour of English (the language most of
/// the directory's users write in, and the UN's first working language) by a margin far
/// below any word's score.
pub fn query_language(parsed: &mut ParsedQuery, u: &mut Understanding) {
    let chosen = parsed
        .groups
        .iter()
        .any(|g| g.clauses.iter().any(|c| c.scope == Some(Scope::Language)));
    if chosen || u.language.is_some() || parsed.groups.is_empty() {
        return;
    }
    let words: Vec<String> = parsed
        .groups
        .iter()
        .filter_map(|g| plain_word(g).map(|c| c.text.to_lowercase()))
        .collect();
    let french = words
        .iter()
        .filter(|w| FRENCH.contains(&w.as_str()))
        .count();
    let accented = words
        .iter()
        .filter(|w| w.chars().any(|c| "éèêàçôûî".contains(c)))
        .count();
    if french >= 1 && french + accented >= 2 && words.len() >= 2 {
        u.language = Some(("fr", PREFERRED));
        u.notes
            .push("written in French: French versions first".into());
    } else {
        u.language = Some(("en", TIE_BREAK));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::parse;

    fn paragraph_of(query: &str) -> Option<String> {
        let mut parsed = parse(query);
        let mut u = Understanding::default();
        citations(&mut parsed, &mut u);
        parsed.groups.iter().find_map(|g| {
            let c = &g.clauses[0];
            (c.scope == Some(Scope::Paragraph)).then(|| c.text.clone())
        })
    }

    #[test]
    fn every_citation_form_names_the_paragraph() {
        for q in [
            "A/HRC/47/34 para. 12",
            "A/HRC/47/34, paragraph 12",
            "A/HRC/47/34 §12",
            "A/HRC/47/34, para.12",
            "A/HRC/47/34 par. 12",
        ] {
            assert_eq!(paragraph_of(q).as_deref(), Some("12"), "{q}");
        }
        assert_eq!(paragraph_of("A/HRC/47/34 non-punishment"), None);
        assert_eq!(paragraph_of("paragraph 12"), None);
    }
}
