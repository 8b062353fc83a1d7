//! Understanding a query with the field's vocabulary, before any index is consulted:
//! intents that change the ranking instead of the match and question words
//! ([`intents`]), sessions of UN organs as symbol prefixes ([`sessions`]), and glossary
//! expansions — abbreviations, synonyms, French names, word forms ([`glossary`]); and,
//! once the index has said which words nothing mentions, the neighbouring concepts
//! searched in their place ([`neighbours`]).

mod citations;
mod glossary;
mod intents;
pub mod neighbours;
mod sessions;

use super::query::{Clause, Group, ParsedQuery};
use crate::glossary::Glossary;
use crate::words::words;
use glossary::expand;
use intents::{people_intent, phrase_intent, question_words, reports_intent, role_intent};
use sessions::sessions;
use std::collections::HashMap;
use std::sync::Arc;

/// Words allowed between the typed words of a multi-word glossary term.
const TYPED_SPAN_SLOP: u32 = 2;

/// Understands queries with one glossary (its terms indexed once).
#[derive(Debug, Clone)]
pub struct Understander {
    glossary: Arc<Glossary>,
    starts: TermStarts,
}

impl Understander {
    /// An understander for `glossary`.
    pub fn new(glossary: Arc<Glossary>) -> Understander {
        Understander {
            starts: TermStarts::of(&glossary),
            glossary,
        }
    }

    /// `parsed` with intents, question words, sessions and glossary expansions applied,
    /// and what was understood.
    pub fn understand(&self, parsed: &ParsedQuery) -> (ParsedQuery, Understanding) {
        let mut parsed = parsed.clone();
        let understanding = understand_with(&mut parsed, &self.glossary, &self.starts);
        (parsed, understanding)
    }

    /// `typed` with the words no section mentions (`unmatched`) replaced by the
    /// neighbouring concepts the glossary knows for them, and what was replaced; `None`
    /// when it knows none.
    pub fn searched_instead(
        &self,
        typed: &ParsedQuery,
        unmatched: &[String],
    ) -> Option<(ParsedQuery, Vec<neighbours::SearchedInstead>)> {
        neighbours::searched_instead(typed, unmatched, &self.glossary)
    }
}

/// What the query asks for beyond its words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Intents {
    /// "report(s)": prefer documents.
    pub reports: bool,
    /// "latest", "most recent": newest documents first.
    pub newest: bool,
    /// "who is …": prefer mandate holders.
    pub people: bool,
    /// "which agency …": prefer organizations.
    pub bodies: bool,
    /// The query names a post ("coordinator", "rapporteuse"): mandate holders a little
    /// ahead (less than a question about people).
    pub post: bool,
}

/// What understanding did to a query.
#[derive(Debug, Clone, Default)]
pub struct Understanding {
    /// Intents found.
    pub intents: Intents,
    /// Human-readable notes (shown by `--explain`).
    pub notes: Vec<String>,
    /// The language whose documents and passages are preferred, and by how much (a
    /// constant added to their score).
    pub language: Option<(&'static str, f32)>,
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
    pub(super) fn candidates(&self, first: Option<&String>) -> Vec<(usize, usize, usize)> {
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
    finished_question(parsed, &mut u);
    citations::citations(parsed, &mut u);
    citations::query_language(parsed, &mut u);
    people_intent(parsed, glossary, &mut u);
    phrase_intent(
        parsed,
        &glossary.intents.bodies,
        &mut u,
        |u| u.intents.bodies = true,
        "asks for a body: organizations first",
    );
    question_words(parsed, glossary, &mut u);
    phrase_intent(
        parsed,
        &glossary.intents.newest,
        &mut u,
        |u| u.intents.newest = true,
        "newest first",
    );
    reports_intent(parsed, glossary, &mut u);
    role_intent(parsed, glossary, &mut u);
    sessions(parsed, glossary, &mut u);
    expand(parsed, glossary, starts, &mut u);
    u
}

/// Groups from which a query not being typed reads as a sentence, its last word complete.
const SENTENCE_GROUPS: usize = 3;

/// A query that is not being typed and has several words is a finished question: its
/// last word is complete ("children affected by war" is not about Warsaw). A fragment of
/// one or two words may still be a beginning ("mulla"), completed if the index does not
/// know it.
fn finished_question(parsed: &mut ParsedQuery, u: &mut Understanding) {
    if parsed.typing || parsed.groups.len() < SENTENCE_GROUPS {
        return;
    }
    let Some(last) = parsed.groups.last_mut() else {
        return;
    };
    let mut finished = false;
    for clause in &mut last.clauses {
        finished |= clause.prefix;
        clause.prefix = false;
    }
    if finished {
        u.notes.push(format!(
            "`{}` taken as a complete word (the query is not being typed)",
            last.clauses
                .iter()
                .map(|c| c.text.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
}

/// A plain typed word: one unscoped, unquoted, non-negated clause.
pub(super) fn plain_word(group: &Group) -> Option<&Clause> {
    match group.clauses.as_slice() {
        [c] if !group.negated && !c.phrase && c.scope.is_none() && !c.expansion => Some(c),
        _ => None,
    }
}

/// Folded words of each group (`None` for groups that are not plain words).
pub(super) fn group_words(parsed: &ParsedQuery) -> Vec<Option<Vec<String>>> {
    parsed
        .groups
        .iter()
        .map(|g| plain_word(g).map(|c| words(&c.text)))
        .collect()
}

/// Finds `term` as consecutive plain groups starting at group `start`; returns the end.
pub(super) fn match_at(
    words_of: &[Option<Vec<String>>],
    start: usize,
    term: &[String],
) -> Option<usize> {
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

#[cfg(test)]
mod tests {
    use super::glossary::FORM_WEIGHT;
    use super::sessions::session_number;
    use super::*;
    use crate::glossary::Glossary;
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
            include_str!("../../../tests/relevance/queries.tsv"),
            include_str!("../../../tests/relevance/domain.tsv"),
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
    fn a_long_term_typed_with_a_word_inside_it_still_expands() {
        let g = Glossary::parse(
            "version = 1\n[[synonyms]]\nterms = [\"rape as a weapon of war\", \"sexual violence in conflict\"]\n",
            "test",
        )
        .unwrap();
        let mut q = parse("rape used as a weapon of war");
        understand(&mut q, &g);
        assert_eq!(q.groups.len(), 1, "{:?}", texts(&q));
        assert_eq!(
            texts(&q)[0],
            vec![
                "rape used as a weapon of war",
                "rape as a weapon of war",
                "sexual violence in conflict"
            ]
        );
        // Two words inside, or a short term, are not the term.
        let mut q = parse("rape often used as a weapon of war");
        understand(&mut q, &g);
        assert!(q.groups.len() > 1);
        let mut q = parse("traite grave des personnes");
        understand(&mut q, &glossary());
        assert!(
            q.groups.iter().all(|g| g.clauses.len() == 1),
            "{:?}",
            texts(&q)
        );
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
        // A number away from the organ's name counts something else.
        for q in [
            "Conseil des droits de l'homme composé de 47 États",
            "the Human Rights Council has 47 members",
        ] {
            let mut parsed = parse(q);
            let u = understand(&mut parsed, &g);
            assert!(
                !u.notes.iter().any(|n| n.starts_with("session")),
                "{q}: {:?}",
                u.notes
            );
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
