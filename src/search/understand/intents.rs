//! Intents: what a query asks for beyond its words (people, reports, the newest), found
//! from the glossary's intent phrases, and question words dropped from questions.

use super::{group_words, match_at, plain_word, Understanding};
use crate::glossary::{Glossary, Term};
use crate::search::query::ParsedQuery;
use crate::words::is_written_in_capitals;

/// First words of a people phrase that ask wherever they stand ("children sold for
/// sex — which UN expert can help"); the others count only at the start of a query.
const ASKING_ANYWHERE: [&str; 5] = ["which", "quel", "quelle", "quels", "quelles"];

pub(super) fn people_intent(parsed: &mut ParsedQuery, glossary: &Glossary, u: &mut Understanding) {
    let words_of = group_words(parsed);
    let mut best: Option<(usize, usize, &Term)> = None;
    for term in &glossary.intents.people {
        let anywhere = term
            .words
            .first()
            .is_some_and(|w| ASKING_ANYWHERE.contains(&w.as_str()));
        let starts = if anywhere { parsed.groups.len() } else { 1 };
        for start in 0..starts {
            if let Some(end) = match_at(&words_of, start, &term.words) {
                if best.is_none_or(|(s, e, _)| end - start > e - s) {
                    best = Some((start, end, term));
                }
            }
        }
    }
    if let Some((start, end, term)) = best {
        if end - start < parsed.groups.len() {
            parsed.groups.drain(start..end);
            u.intents.people = true;
            u.notes.push(format!(
                "intent: `{}` asks for people: mandate holders first",
                term.text
            ));
        }
    }
}

pub(super) fn question_words(parsed: &mut ParsedQuery, glossary: &Glossary, u: &mut Understanding) {
    let function = &glossary.function_words;
    let is_question = parsed
        .groups
        .first()
        .and_then(plain_word)
        .is_some_and(|c| function.question.contains(&c.text.to_lowercase()))
        || u.intents.people;
    if !is_question {
        return;
    }
    let drop: Vec<bool> = parsed
        .groups
        .iter()
        .map(|g| {
            plain_word(g).is_some_and(|c| {
                let lower = c.text.to_lowercase();
                !is_written_in_capitals(&c.text)
                    && (function.question.contains(&lower) || function.auxiliary.contains(&lower))
            })
        })
        .collect();
    if drop.iter().all(|d| *d) || !drop.iter().any(|d| *d) {
        return;
    }
    let mut dropped = Vec::new();
    let mut keep = drop.iter().map(|d| !d);
    parsed.groups.retain(|g| {
        let k = keep.next().unwrap_or(true);
        if !k {
            dropped.extend(g.clauses.iter().map(|c| c.text.clone()));
        }
        k
    });
    u.notes.push(format!(
        "question words not matched: {}",
        dropped.join(", ")
    ));
}

pub(super) fn phrase_intent(
    parsed: &mut ParsedQuery,
    terms: &[Term],
    u: &mut Understanding,
    set: impl Fn(&mut Understanding),
    what: &str,
) {
    let mut found = false;
    loop {
        let words_of = group_words(parsed);
        // A phrase ending in the word still being typed is not one yet ("last" on its
        // way to "lastly", "current" to "currently").
        let unfinished = |end: usize| {
            parsed.typing
                && end == parsed.groups.len()
                && plain_word(&parsed.groups[end - 1]).is_some_and(|c| c.prefix)
        };
        let hit = (0..parsed.groups.len()).find_map(|start| {
            terms
                .iter()
                .filter_map(|t| match_at(&words_of, start, &t.words).map(|end| (start, end, t)))
                .filter(|(_, end, _)| !unfinished(*end))
                .max_by_key(|(_, end, _)| *end)
        });
        let Some((start, end, term)) = hit else { break };
        if end - start >= parsed.groups.len() {
            break;
        }
        u.notes.push(format!("intent: `{}`: {what}", term.text));
        parsed.groups.drain(start..end);
        found = true;
    }
    if found {
        set(u);
    }
}

/// Words after which "report" is a verb ("where can I report", "how to report").
const BEFORE_A_VERB: [&str; 16] = [
    "i", "we", "you", "they", "to", "can", "could", "should", "must", "may", "might", "will",
    "would", "please", "how", "where",
];
/// Words before which "report" is a verb ("report a case", "report the abuse").
const AFTER_A_VERB: [&str; 13] = [
    "a", "an", "the", "this", "that", "these", "those", "my", "our", "your", "their", "it",
    "someone",
];

/// How an intent word is used where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// A noun: the query asks for reports.
    Noun,
    /// A verb ("where can I report a case"): the user's action, not the topic.
    Verb,
    /// Still being typed ("special rapport…" on its way to "rapporteur").
    Unfinished,
}

/// How the intent word at group `i` is used.
fn use_of(parsed: &ParsedQuery, words_of: &[Option<Vec<String>>], i: usize) -> Use {
    let word_at =
        |j: usize| -> Option<&str> { words_of.get(j)?.as_ref()?.last().map(String::as_str) };
    let before = i.checked_sub(1).and_then(word_at);
    let after = word_at(i + 1);
    if parsed.typing
        && i + 1 == parsed.groups.len()
        && plain_word(&parsed.groups[i]).is_some_and(|c| c.prefix)
    {
        Use::Unfinished
    } else if before.is_some_and(|w| BEFORE_A_VERB.contains(&w))
        || after.is_some_and(|w| AFTER_A_VERB.contains(&w))
    {
        Use::Verb
    } else {
        Use::Noun
    }
}

pub(super) fn reports_intent(parsed: &mut ParsedQuery, glossary: &Glossary, u: &mut Understanding) {
    // "Which agency publishes the global report …" asks for the body: "report" names
    // what it publishes.
    if u.intents.bodies {
        return;
    }
    let words_of = group_words(parsed);
    let mut verbs: Vec<usize> = Vec::new();
    for (i, w) in words_of.iter().enumerate() {
        let Some(w) = w else { continue };
        if glossary.intents.reports.iter().any(|t| &t.words == w) {
            match use_of(parsed, &words_of, i) {
                Use::Noun => {}
                Use::Unfinished => {
                    u.notes
                        .push(format!("`{}` is still being typed: no intent", w.join(" ")));
                    continue;
                }
                Use::Verb => {
                    verbs.push(i);
                    continue;
                }
            }
            parsed.groups[i].optional = true;
            if !u.intents.reports {
                u.notes
                    .push(format!("intent: `{}`: reports first", w.join(" ")));
            }
            u.intents.reports = true;
        }
    }
    // A verb names what the user will do, not what the sections are about: unmatched,
    // like question words (unless it is all there is).
    if !verbs.is_empty() && verbs.len() < parsed.groups.len() {
        let dropped: Vec<String> = verbs
            .iter()
            .flat_map(|&i| parsed.groups[i].clauses.iter().map(|c| c.text.clone()))
            .collect();
        for &i in verbs.iter().rev() {
            parsed.groups.remove(i);
        }
        u.notes.push(format!(
            "`{}` is a verb here, not a request for reports: not matched",
            dropped.join(", ")
        ));
    }
}

/// A query naming a post ("coordinator", "rapporteuse", "UN expert") anywhere asks for the
/// person who holds it: mandate holders ahead — unless it already asks for reports, the
/// newest documents or a body, which say better what is wanted. The words stay in the
/// query (they match the post's title). A word still being typed names no post yet.
pub(super) fn role_intent(parsed: &ParsedQuery, glossary: &Glossary, u: &mut Understanding) {
    let i = &u.intents;
    if i.people || i.reports || i.newest || i.bodies {
        return;
    }
    let words_of = group_words(parsed);
    for start in 0..words_of.len() {
        for term in &glossary.intents.roles {
            let Some(end) = match_at(&words_of, start, &term.words) else {
                continue;
            };
            let unfinished = parsed.typing
                && end == parsed.groups.len()
                && parsed.groups[end - 1].clauses.iter().any(|c| c.prefix);
            if unfinished {
                continue;
            }
            u.intents.post = true;
            u.notes.push(format!(
                "intent: `{}` names a post: mandate holders ahead",
                term.text
            ));
            return;
        }
    }
}
