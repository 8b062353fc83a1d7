//! Query understanding with the field's vocabulary: glossary expansions (abbreviations,
//! synonyms, French names, word forms), question words, and intents (reports, newest,
//! people) that change the ranking instead of the match.

use super::query::{Clause, Group, ParsedQuery};
use crate::glossary::{Glossary, Term};
use crate::words::{is_written_in_capitals, words};
use std::collections::HashMap;

/// Weight of a synonym, abbreviation or translation relative to the typed words.
pub const SYNONYM_WEIGHT: f32 = 0.6;
/// Weight of another form of the typed word (child → children).
pub const FORM_WEIGHT: f32 = 0.9;
/// Relative extra weight of an alternative sharing word stems with the typed words ("traite des
/// personnes" is closer to "trafficking in persons" than to "human trafficking").
const COGNATE_BONUS: f32 = 0.5;
/// Words allowed between the typed words of a multi-word glossary term.
const TYPED_SPAN_SLOP: u32 = 2;

/// What the query asks for beyond its words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Intents {
    /// "report(s)": prefer documents.
    pub reports: bool,
    /// "latest", "most recent": newest documents first.
    pub newest: bool,
    /// "who is …": prefer mandate holders.
    pub people: bool,
}

/// What the domain layer did to a query.
#[derive(Debug, Clone, Default)]
pub struct Understanding {
    /// Intents found.
    pub intents: Intents,
    /// Human-readable notes (shown by `--explain`).
    pub notes: Vec<String>,
}

/// [`understand_with`], indexing the glossary's terms first.
#[cfg(test)]
pub fn understand(parsed: &mut ParsedQuery, glossary: &Glossary) -> Understanding {
    understand_with(parsed, glossary, &TermStarts::of(glossary))
}

/// Where the synonym and form terms of a glossary start: each term under its first word,
/// so that a query is compared with the terms that can match it and no others.
#[derive(Debug, Clone, Default)]
pub struct TermStarts {
    /// First word → (table, group, term) of every term starting with it (0: synonyms,
    /// 1: forms).
    by_first_word: HashMap<String, Vec<(usize, usize, usize)>>,
    /// Terms without words (they match anywhere).
    empty: Vec<(usize, usize, usize)>,
}

impl TermStarts {
    /// The index of `glossary`'s synonym and form terms.
    pub fn of(glossary: &Glossary) -> TermStarts {
        let mut starts = TermStarts::default();
        for (t, table) in [&glossary.synonyms, &glossary.forms]
            .into_iter()
            .enumerate()
        {
            for (g, group) in table.iter().enumerate() {
                for (i, term) in group.iter().enumerate() {
                    match term.words.first() {
                        Some(first) => starts
                            .by_first_word
                            .entry(first.clone())
                            .or_default()
                            .push((t, g, i)),
                        None => starts.empty.push((t, g, i)),
                    }
                }
            }
        }
        starts
    }

    /// The terms that may match words starting with `first` (in glossary order).
    fn candidates(&self, first: Option<&String>) -> Vec<(usize, usize, usize)> {
        let mut out: Vec<(usize, usize, usize)> = first
            .and_then(|w| self.by_first_word.get(w))
            .into_iter()
            .flatten()
            .chain(&self.empty)
            .copied()
            .collect();
        out.sort_unstable();
        out
    }
}

/// Applies intents, question words and glossary expansions to a parsed query, in place;
/// `starts` indexes `glossary`'s terms (computed once per glossary).
pub fn understand_with(
    parsed: &mut ParsedQuery,
    glossary: &Glossary,
    starts: &TermStarts,
) -> Understanding {
    let mut u = Understanding::default();
    people_intent(parsed, glossary, &mut u);
    question_words(parsed, glossary, &mut u);
    phrase_intent(
        parsed,
        &glossary.intents.newest,
        &mut u,
        |u| u.intents.newest = true,
        "newest first",
    );
    reports_intent(parsed, glossary, &mut u);
    sessions(parsed, glossary, &mut u);
    expand(parsed, glossary, starts, &mut u);
    u
}

/// A plain typed word: one unscoped, unquoted, non-negated clause.
fn plain_word(group: &Group) -> Option<&Clause> {
    match group.clauses.as_slice() {
        [c] if !group.negated && !c.phrase && c.scope.is_none() && !c.expansion => Some(c),
        _ => None,
    }
}

/// Folded words of each group (`None` for groups that are not plain words).
fn group_words(parsed: &ParsedQuery) -> Vec<Option<Vec<String>>> {
    parsed
        .groups
        .iter()
        .map(|g| plain_word(g).map(|c| words(&c.text)))
        .collect()
}

/// Finds `term` as consecutive plain groups starting at group `start`; returns the end.
fn match_at(words_of: &[Option<Vec<String>>], start: usize, term: &[String]) -> Option<usize> {
    let mut pos = 0;
    let mut g = start;
    while pos < term.len() {
        let w = words_of.get(g)?.as_ref()?;
        if w.is_empty() || term.len() < pos + w.len() || term[pos..pos + w.len()] != w[..] {
            return None;
        }
        pos += w.len();
        g += 1;
    }
    Some(g)
}

fn people_intent(parsed: &mut ParsedQuery, glossary: &Glossary, u: &mut Understanding) {
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

fn question_words(parsed: &mut ParsedQuery, glossary: &Glossary, u: &mut Understanding) {
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

fn phrase_intent(
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

fn reports_intent(parsed: &mut ParsedQuery, glossary: &Glossary, u: &mut Understanding) {
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

/// "49", "49th", "49e", "49ème" → 49 (sessions are numbered from 1 to a few hundred).
fn session_number(word: &str) -> Option<u32> {
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
fn sessions(parsed: &mut ParsedQuery, glossary: &Glossary, u: &mut Understanding) {
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
        let (from, to) = (start.min(at), end.max(at + 1));
        add_session(parsed, from, to, organ, n, u);
    }
}

/// Turns groups `from..to` into one group: the session's symbol prefix, or the words typed.
fn add_session(
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
    let mut session = Clause::typed(symbol.clone(), false, Some(super::query::Scope::Symbol));
    session.expansion = true;
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

/// One glossary match: groups `start..end` and what they expand to.
struct Expansion {
    start: usize,
    end: usize,
    alternatives: Vec<(Term, f32)>,
}

fn expand(
    parsed: &mut ParsedQuery,
    glossary: &Glossary,
    starts: &TermStarts,
    u: &mut Understanding,
) {
    let words_of = group_words(parsed);
    let mut expansions: Vec<Expansion> = Vec::new();
    let mut covered = vec![false; parsed.groups.len()];
    // Longest spans first, then left to right.
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    let tables = [
        (&glossary.synonyms, SYNONYM_WEIGHT),
        (&glossary.forms, FORM_WEIGHT),
    ];
    for start in 0..parsed.groups.len() {
        let first = words_of[start].as_ref().and_then(|w| w.first());
        for (t, g, i) in starts.candidates(first) {
            let term = &tables[t].0[g][i];
            if let Some(end) = match_at(&words_of, start, &term.words) {
                candidates.push((start, end));
            }
        }
    }
    candidates.sort_by(|a, b| (b.1 - b.0).cmp(&(a.1 - a.0)).then(a.0.cmp(&b.0)));
    candidates.dedup();
    for (start, end) in candidates {
        if covered[start..end].iter().any(|c| *c) {
            continue;
        }
        let typed: Vec<String> = parsed.groups[start..end]
            .iter()
            .filter_map(|g| plain_word(g).map(|c| c.text.clone()))
            .collect();
        let typed_text = typed.join(" ");
        let span: Vec<String> = words_of[start..end]
            .iter()
            .flatten()
            .flatten()
            .cloned()
            .collect();
        if glossary.is_ambiguous(&span.join(" ")) && !is_written_in_capitals(&typed_text) {
            continue;
        }
        let mut alternatives: Vec<(Term, f32)> = Vec::new();
        for (table, base) in tables {
            for group in table.iter().filter(|g| g.iter().any(|t| t.words == span)) {
                for term in group.iter().filter(|t| t.words != span) {
                    let weight = base
                        * (1.0 + COGNATE_BONUS * cognate_share(&span, &term.words))
                        * length_balance(span.len(), term.words.len());
                    match alternatives.iter_mut().find(|(t, _)| t.words == term.words) {
                        Some((_, w)) => *w = w.max(weight),
                        None => alternatives.push((term.clone(), weight)),
                    }
                }
            }
        }
        if alternatives.is_empty() {
            continue;
        }
        covered[start..end].iter_mut().for_each(|c| *c = true);
        let shown: Vec<&str> = alternatives.iter().map(|(t, _)| t.text.as_str()).collect();
        u.notes.push(format!(
            "glossary: `{typed_text}` also means {}",
            shown.join(", ")
        ));
        expansions.push(Expansion {
            start,
            end,
            alternatives,
        });
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::parse;

    fn glossary() -> Glossary {
        Glossary::parse(
            r#"
version = 1
ambiguous = ["WHO", "TIP"]
[[synonyms]]
terms = ["traite des personnes", "trafficking in persons", "TIP"]
[[synonyms]]
terms = ["World Health Organization", "WHO", "OMS"]
[[forms]]
terms = ["child", "children"]
[intents]
reports = ["report", "reports"]
newest = ["most recent", "latest"]
people = ["who is", "who reports on"]
"#,
            "test",
        )
        .unwrap()
    }

    /// Queries for the restricted-glossary check: the relevance cases, every term of
    /// the shipped glossary alone and inside a sentence, and some hand-written ones.
    fn sample_queries(full: &Glossary) -> Vec<String> {
        let mut queries: Vec<String> = [
            include_str!("../../tests/relevance/queries.tsv"),
            include_str!("../../tests/relevance/domain.tsv"),
        ]
        .iter()
        .flat_map(|file| file.lines())
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split('\t').next())
        .map(str::to_string)
        .collect();
        let terms = full.synonyms.iter().chain(&full.forms).flatten();
        for term in terms {
            queries.push(term.text.clone());
            queries.push(format!("latest report on {} in Europe", term.text));
            queries.push(format!("who is \"{}\" -children", term.text));
        }
        queries.extend(
            [
                "A/HRC/49 trafficking",
                "HRC 47 session report",
                "l'ONU et la traite",
                "kind:report year:2021 UNODC",
                "",
                "-WHO",
            ]
            .map(String::from),
        );
        queries
    }

    #[test]
    fn a_glossary_restricted_to_a_query_understands_it_as_the_whole_one() {
        let full = Glossary::builtin();
        let lines = full.to_lines();
        assert_eq!(Glossary::from_lines(&lines, None).unwrap(), full);
        for q in sample_queries(&full) {
            let restricted = full.restricted(&q);
            assert_eq!(
                Glossary::from_lines(&lines, Some(&q)).unwrap(),
                restricted,
                "{q}"
            );
            let (mut a, mut b) = (parse(&q), parse(&q));
            let (ua, ub) = (understand(&mut a, &full), understand(&mut b, &restricted));
            assert_eq!(a, b, "{q}");
            assert_eq!(ua.notes, ub.notes, "{q}");
            assert_eq!(ua.intents, ub.intents, "{q}");
        }
        assert!(full.restricted("trafficking").synonyms.len() < full.synonyms.len());
    }

    fn texts(q: &ParsedQuery) -> Vec<Vec<String>> {
        q.groups
            .iter()
            .map(|g| g.clauses.iter().map(|c| c.text.clone()).collect())
            .collect()
    }

    #[test]
    fn multi_word_french_term_expands_to_english() {
        let mut q = parse("traite des personnes");
        let u = understand(&mut q, &glossary());
        assert_eq!(q.groups.len(), 1);
        assert_eq!(
            texts(&q)[0],
            vec!["traite des personnes", "trafficking in persons", "TIP"]
        );
        assert!(q.groups[0].clauses[1].expansion);
        assert!(q.groups[0].clauses[1].weight < 1.0);
        assert!(u.notes.iter().any(|n| n.contains("glossary")));
    }

    #[test]
    fn ambiguous_acronyms_expand_only_in_capitals() {
        let mut q = parse("TIP");
        understand(&mut q, &glossary());
        assert_eq!(q.groups[0].clauses.len(), 3);
        let mut q = parse("tip");
        understand(&mut q, &glossary());
        assert_eq!(q.groups[0].clauses.len(), 1);
    }

    #[test]
    fn questions_and_intents_do_not_drive_the_match() {
        let mut q = parse("Who is the Special Rapporteur on slavery?");
        let u = understand(&mut q, &glossary());
        assert!(u.intents.people);
        assert_eq!(
            texts(&q).concat(),
            vec!["the", "Special", "Rapporteur", "on", "slavery"]
        );
        let mut q = parse("what does WHO do");
        let u = understand(&mut q, &glossary());
        assert!(!u.intents.people);
        assert_eq!(texts(&q)[0][0], "WHO");
        assert_eq!(q.groups.len(), 1);
        let mut q = parse("most recent report on slavery");
        let u = understand(&mut q, &glossary());
        assert!(u.intents.newest && u.intents.reports);
        assert!(q.groups[0].optional, "`report` scores but is not required");
    }

    #[test]
    fn sessions_written_any_common_way_become_symbol_prefixes() {
        let g = Glossary::builtin();
        for (q, symbol) in [
            ("HRC 49", "A/HRC/49"),
            ("HRC49", "A/HRC/49"),
            ("49th session of the Human Rights Council", "A/HRC/49"),
            ("GA 76", "A/76"),
            ("76th General Assembly", "A/76"),
            ("UNGA 76", "A/76"),
            ("UNGA76 slavery", "A/76"),
        ] {
            let mut parsed = parse(q);
            understand(&mut parsed, &g);
            let texts: Vec<String> = parsed
                .groups
                .iter()
                .flat_map(|g| g.clauses.iter().map(|c| c.text.clone()))
                .collect();
            assert!(texts.contains(&symbol.to_string()), "{q}: {texts:?}");
        }
        assert_eq!(session_number("49th"), Some(49));
        assert_eq!(session_number("2021"), None);
    }

    #[test]
    fn word_forms_join_irregular_plurals() {
        let mut q = parse("child exploitation");
        understand(&mut q, &glossary());
        assert_eq!(texts(&q)[0], vec!["child", "children"]);
        assert!(q.groups[0].clauses[1].weight >= FORM_WEIGHT);
    }
}
