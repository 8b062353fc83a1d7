//! Intents: what a query asks for beyond its words (people, reports, the newest), found
//! from the glossary's intent phrases, and question words dropped from questions.

use super::{group_words, match_at, plain_word, Understanding};
use crate::glossary::{Glossary, Term};
use crate::search::query::ParsedQuery;
use crate::words::is_written_in_capitals;

pub(super) fn people_intent(parsed: &mut ParsedQuery, glossary: &Glossary, u: &mut Understanding) {
    let words_of = group_words(parsed);
    let mut best: Option<(usize, &Term)> = None;
    for term in &glossary.intents.people {
        if let Some(end) = match_at(&words_of, 0, &term.words) {
            if best.is_none_or(|(e, _)| end > e) {
                best = Some((end, term));
            }
        }
    }
    if let Some((end, term)) = best {
        if end < parsed.groups.len() {
            parsed.groups.drain(..end);
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
        let hit = (0..parsed.groups.len()).find_map(|start| {
            terms
                .iter()
                .filter_map(|t| match_at(&words_of, start, &t.words).map(|end| (start, end, t)))
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

pub(super) fn reports_intent(parsed: &mut ParsedQuery, glossary: &Glossary, u: &mut Understanding) {
    let words_of = group_words(parsed);
    for (i, w) in words_of.iter().enumerate() {
        let Some(w) = w else { continue };
        if glossary.intents.reports.iter().any(|t| &t.words == w) {
            parsed.groups[i].optional = true;
            if !u.intents.reports {
                u.notes
                    .push(format!("intent: `{}`: reports first", w.join(" ")));
            }
            u.intents.reports = true;
        }
    }
}
