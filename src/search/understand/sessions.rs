//! Sessions: a query naming an organ and a session ("HRC 49", "76th General Assembly")
//! also searches the documents of that session by symbol prefix (`A/HRC/49`, `A/76`).

use super::{group_words, match_at, Understanding, TYPED_SPAN_SLOP};
use crate::glossary::Glossary;
use crate::search::query::{Clause, Group, ParsedQuery, Scope};

/// "49", "49th", "49e", "49ème" → 49 (sessions are numbered from 1 to a few hundred).
pub(super) fn session_number(word: &str) -> Option<u32> {
    let digits: String = word.chars().take_while(char::is_ascii_digit).collect();
    let suffix = &word[digits.len()..];
    let ordinal = [
        "", "st", "nd", "rd", "th", "e", "eme", "ème", "è", "er", "re",
    ];
    let n: u32 = digits.parse().ok()?;
    (ordinal.contains(&suffix.to_lowercase().as_str()) && (1..400).contains(&n)).then_some(n)
}

/// A query naming an organ and a session ("HRC 49", "76th General Assembly") also searches
/// the documents of that session by symbol prefix (`A/HRC/49`, `A/76`).
pub(super) fn sessions(parsed: &mut ParsedQuery, glossary: &Glossary, u: &mut Understanding) {
    let words_of = group_words(parsed);
    // "HRC49", "UNGA76": organ and number in one word.
    for (i, w) in words_of.iter().enumerate() {
        let Some([word]) = w.as_deref() else { continue };
        let split = word
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(word.len());
        let (name, number) = word.split_at(split);
        let Some(n) = session_number(number) else {
            continue;
        };
        if let Some(organ) = glossary
            .sessions
            .iter()
            .find(|o| o.names.iter().any(|t| t.words == [name.to_string()]))
        {
            add_session(parsed, i, i + 1, organ, n, u);
            return;
        }
    }
    let number = words_of
        .iter()
        .enumerate()
        .find_map(|(i, w)| match w.as_deref() {
            Some([word]) => session_number(word).map(|n| (i, n)),
            _ => None,
        });
    let Some((at, n)) = number else { return };
    let mut found: Option<(usize, usize, &crate::glossary::SessionOrgan)> = None;
    for organ in &glossary.sessions {
        for name in &organ.names {
            for start in 0..parsed.groups.len() {
                if let Some(end) = match_at(&words_of, start, &name.words) {
                    if found.is_none_or(|(s, e, _)| end - start > e - s) {
                        found = Some((start, end, organ));
                    }
                }
            }
        }
    }
    if let Some((start, end, organ)) = found {
        // A bare number away from the organ's name counts something else ("the Council
        // is composed of 47 States"): a session is written next to the name ("HRC 47",
        // "Human Rights Council 47") or as an ordinal ("47th session of …").
        let adjacent = at + 1 == start || at == end;
        let ordinal = words_of[at]
            .as_deref()
            .and_then(|w| w.first())
            .is_some_and(|w| !w.chars().all(|c| c.is_ascii_digit()));
        if !adjacent && !ordinal {
            return;
        }
        let (from, to) = (start.min(at), end.max(at + 1));
        add_session(parsed, from, to, organ, n, u);
    }
}

/// Turns groups `from..to` into one group: the session's symbol prefix, or the words typed.
pub(super) fn add_session(
    parsed: &mut ParsedQuery,
    from: usize,
    to: usize,
    organ: &crate::glossary::SessionOrgan,
    n: u32,
    u: &mut Understanding,
) {
    let symbol = format!("{}/{n}", organ.symbol);
    let typed: Vec<String> = parsed.groups[from..to]
        .iter()
        .flat_map(|g| g.clauses.iter().map(|c| c.text.clone()))
        .collect();
    let mut session = Clause::typed(symbol.clone(), false, Some(Scope::Symbol));
    session.expansion = true;
    // The session number still being typed ("HRC 4" on the way to 47): every session
    // it begins.
    session.prefix = parsed.typing
        && to == parsed.groups.len()
        && parsed.groups[to - 1].clauses.iter().any(|c| c.prefix);
    let mut words = Clause::typed(typed.join(" "), to - from > 1, None);
    words.slop = TYPED_SPAN_SLOP;
    u.notes.push(format!(
        "session: `{}` → documents {symbol}/…",
        typed.join(" ")
    ));
    parsed.groups.splice(
        from..to,
        [Group {
            clauses: vec![session, words],
            negated: false,
            optional: false,
        }],
    );
}
