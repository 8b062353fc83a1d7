//! Glossary expansions: a typed word or run of words that a glossary term matches also
//! searches the other terms of its groups (synonyms, abbreviations, translations, word
//! forms), each weighted below what was typed.

use super::{group_words, match_at, plain_word, TermStarts, Understanding, TYPED_SPAN_SLOP};
use crate::glossary::{Glossary, Term};
use crate::search::query::{Clause, Group, ParsedQuery};
use crate::words::is_written_in_capitals;

/// Weight of a synonym, abbreviation or translation relative to the typed words.
pub const SYNONYM_WEIGHT: f32 = 0.6;
/// Weight of another form of the typed word (child → children).
pub const FORM_WEIGHT: f32 = 0.9;
/// Most an alternative weighs, relative to the typed words (1): an expansion never
/// outweighs what the user typed.
pub const MAX_ALTERNATIVE_WEIGHT: f32 = FORM_WEIGHT;
/// Relative extra weight of an alternative sharing word stems with the typed words ("traite des
/// personnes" is closer to "trafficking in persons" than to "human trafficking").
const COGNATE_BONUS: f32 = 0.5;

/// One glossary match: groups `start..end` and what they expand to.
struct GlossaryMatch {
    start: usize,
    end: usize,
    alternatives: Vec<(Term, f32)>,
}

/// Expands the groups a glossary term matches with the other terms of its groups, in
/// place; the longest matches first, then left to right, each group at most once.
pub(super) fn expand(
    parsed: &mut ParsedQuery,
    glossary: &Glossary,
    starts: &TermStarts,
    u: &mut Understanding,
) {
    let words_of = group_words(parsed);
    let mut expansions: Vec<GlossaryMatch> = Vec::new();
    let mut covered = vec![false; parsed.groups.len()];
    for (start, end, span) in candidate_spans(&words_of, glossary, starts) {
        if covered[start..end].iter().any(|c| *c) {
            continue;
        }
        let typed: Vec<String> = parsed.groups[start..end]
            .iter()
            .filter_map(|g| plain_word(g).map(|c| c.text.clone()))
            .collect();
        let typed_text = typed.join(" ");
        if glossary.is_ambiguous(&span.join(" ")) && !is_written_in_capitals(&typed_text) {
            continue;
        }
        let mut alternatives = alternatives_of(&span, glossary);
        if alternatives.is_empty() {
            continue;
        }
        // Matched with a word typed inside it: the term itself is what was meant.
        let typed_words: Vec<&String> = words_of[start..end].iter().flatten().flatten().collect();
        if typed_words.len() != span.len() {
            let term = Term {
                text: span.join(" "),
                words: span.clone(),
            };
            alternatives.insert(0, (term, MAX_ALTERNATIVE_WEIGHT));
        }
        covered[start..end].iter_mut().for_each(|c| *c = true);
        let shown: Vec<&str> = alternatives.iter().map(|(t, _)| t.text.as_str()).collect();
        u.notes.push(format!(
            "glossary: `{typed_text}` also means {}",
            shown.join(", ")
        ));
        expansions.push(GlossaryMatch {
            start,
            end,
            alternatives,
        });
    }
    if parsed.typing {
        expansions.extend(completion(parsed, &words_of, &covered, glossary, u));
    }
    apply(parsed, expansions);
}

/// Weight of a glossary term that completes the word being typed, relative to a typed
/// word (its own alternatives weigh this much less again).
const COMPLETION_WEIGHT: f32 = 0.6;
/// Most glossary terms one word being typed may complete to (more: too little typed).
const MAX_COMPLETIONS: usize = 4;

/// While typing, the last word may be the beginning of a glossary term ("TI" → TIP,
/// "OI" → OIM, "trait" → traite): the terms it begins, and what they mean, are searched
/// too, so that the page has answers at every keystroke on the way to the term.
fn completion(
    parsed: &ParsedQuery,
    words_of: &[Option<Vec<String>>],
    covered: &[bool],
    glossary: &Glossary,
    u: &mut Understanding,
) -> Option<GlossaryMatch> {
    let last = parsed.groups.len().checked_sub(1)?;
    let clause = plain_word(&parsed.groups[last]).filter(|c| c.prefix)?;
    let [typed] = words_of[last].as_deref()? else {
        return None;
    };
    if covered[last] || typed.chars().count() < 2 {
        return None;
    }
    let capitals = is_written_in_capitals(&clause.text);
    let mut terms: Vec<&Term> = glossary
        .synonyms
        .iter()
        .chain(&glossary.forms)
        .flatten()
        .filter(|t| {
            matches!(t.words.as_slice(), [w] if w.len() > typed.len() && w.starts_with(typed.as_str()))
                && (capitals || !glossary.is_ambiguous(&t.words[0]))
        })
        .collect();
    terms.sort_by(|a, b| (a.words[0].len(), &a.words).cmp(&(b.words[0].len(), &b.words)));
    terms.dedup_by(|a, b| a.words == b.words);
    if terms.is_empty() || terms.len() > MAX_COMPLETIONS {
        return None;
    }
    let mut alternatives: Vec<(Term, f32)> = Vec::new();
    for term in &terms {
        alternatives.push(((*term).clone(), COMPLETION_WEIGHT));
        for (alt, weight) in alternatives_of(&term.words, glossary) {
            if !alternatives.iter().any(|(t, _)| t.words == alt.words) {
                alternatives.push((alt, weight * COMPLETION_WEIGHT));
            }
        }
    }
    let shown: Vec<&str> = terms.iter().map(|t| t.text.as_str()).collect();
    u.notes.push(format!(
        "glossary: `{}` is being typed: it may be {}",
        clause.text,
        shown.join(", ")
    ));
    Some(GlossaryMatch {
        start: last,
        end: last + 1,
        alternatives,
    })
}

/// The synonym and form tables, with the weight of their alternatives.
fn tables(glossary: &Glossary) -> [(&Vec<Vec<Term>>, f32); 2] {
    [
        (&glossary.synonyms, SYNONYM_WEIGHT),
        (&glossary.forms, FORM_WEIGHT),
    ]
}

/// The runs of groups a glossary term matches, longest first, then left to right, each
/// with the words of the term it matches.
fn candidate_spans(
    words_of: &[Option<Vec<String>>],
    glossary: &Glossary,
    starts: &TermStarts,
) -> Vec<(usize, usize, Vec<String>)> {
    let tables = tables(glossary);
    let mut candidates: Vec<(usize, usize, Vec<String>)> = Vec::new();
    for start in 0..words_of.len() {
        let first = words_of[start].as_ref().and_then(|w| w.first());
        for (t, g, i) in starts.candidates(first) {
            let term = &tables[t].0[g][i];
            if let Some(end) = match_at(words_of, start, &term.words)
                .or_else(|| match_with_a_word_inside(words_of, start, &term.words))
            {
                candidates.push((start, end, term.words.clone()));
            }
        }
    }
    candidates.sort_by(|a, b| (b.1 - b.0).cmp(&(a.1 - a.0)).then(a.0.cmp(&b.0)));
    candidates.dedup();
    candidates
}

/// Shortest glossary term matched with one more word typed inside it.
const LONG_TERM_WORDS: usize = 4;

/// Finds a long `term` (at least [`LONG_TERM_WORDS`] words) as consecutive one-word
/// groups from `start` with one extra word typed inside it ("rape used as a weapon of
/// war" for "rape as a weapon of war"); returns the end. People rephrase long names.
fn match_with_a_word_inside(
    words_of: &[Option<Vec<String>>],
    start: usize,
    term: &[String],
) -> Option<usize> {
    if term.len() < LONG_TERM_WORDS {
        return None;
    }
    let typed: Vec<&String> = words_of
        .get(start..start + term.len() + 1)?
        .iter()
        .map(|w| match w.as_deref() {
            Some([word]) => Some(word),
            _ => None,
        })
        .collect::<Option<Vec<&String>>>()?;
    (1..term.len())
        .any(|inside| {
            let (before, after) = term.split_at(inside);
            typed[..inside].iter().zip(before).all(|(t, w)| *t == w)
                && typed[inside + 1..].iter().zip(after).all(|(t, w)| *t == w)
        })
        .then_some(start + term.len() + 1)
}

/// The other terms of every group holding `span`, each with its weight (the best of
/// its groups').
fn alternatives_of(span: &[String], glossary: &Glossary) -> Vec<(Term, f32)> {
    let mut alternatives: Vec<(Term, f32)> = Vec::new();
    for (table, base) in tables(glossary) {
        for group in table.iter().filter(|g| g.iter().any(|t| t.words == span)) {
            for term in group.iter().filter(|t| t.words != span) {
                // Never above what was typed, however close the alternative looks.
                let weight = (base
                    * (1.0 + COGNATE_BONUS * cognate_share(span, &term.words))
                    * length_balance(span.len(), term.words.len()))
                .min(MAX_ALTERNATIVE_WEIGHT);
                match alternatives.iter_mut().find(|(t, _)| t.words == term.words) {
                    Some((_, w)) => *w = w.max(weight),
                    None => alternatives.push((term.clone(), weight)),
                }
            }
        }
    }
    alternatives
}

/// Replaces the groups of each match by one group: what was typed, or for several
/// words their phrase, then the alternatives.
fn apply(parsed: &mut ParsedQuery, mut expansions: Vec<GlossaryMatch>) {
    expansions.sort_by_key(|e| std::cmp::Reverse(e.start));
    for e in expansions {
        let mut clauses = if e.end - e.start == 1 {
            parsed.groups[e.start].clauses.clone()
        } else {
            let typed: Vec<String> = parsed.groups[e.start..e.end]
                .iter()
                .flat_map(|g| g.clauses.iter().map(|c| c.text.clone()))
                .collect();
            let mut c = Clause::typed(typed.join(" "), true, None);
            c.slop = TYPED_SPAN_SLOP;
            vec![c]
        };
        for (term, weight) in e.alternatives {
            let mut c = Clause::typed(term.text.clone(), term.words.len() > 1, None);
            c.weight = weight;
            c.expansion = true;
            clauses.push(c);
        }
        let optional = parsed.groups[e.start..e.end].iter().all(|g| g.optional);
        parsed.groups.splice(
            e.start..e.end,
            [Group {
                clauses,
                negated: false,
                optional,
            }],
        );
    }
}

/// A phrase's BM25 score grows with its number of words; alternatives longer than what
/// was typed are scaled down (and shorter ones up) so none wins by length alone.
fn length_balance(typed: usize, alt: usize) -> f32 {
    ((typed.max(1) as f32) / (alt.max(1) as f32))
        .sqrt()
        .clamp(0.5, 1.5)
}

/// Share of `alt`'s content words that begin like one of the typed words (first 4 letters).
fn cognate_share(typed: &[String], alt: &[String]) -> f32 {
    let stem = |w: &String| w.chars().take(4).collect::<String>();
    let content: Vec<&String> = alt.iter().filter(|w| w.chars().count() >= 4).collect();
    if content.is_empty() {
        return 0.0;
    }
    let typed: Vec<String> = typed
        .iter()
        .filter(|w| w.chars().count() >= 4)
        .map(stem)
        .collect();
    let shared = content.iter().filter(|w| typed.contains(&stem(w))).count();
    shared as f32 / content.len() as f32
}
