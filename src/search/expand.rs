//! Expansion: the index words a typed word may stand for — completions of the word
//! being typed, and words within the typo distance of one the index does not have —
//! found in the generation's dictionary, each with its score multiplier. One query's
//! expansions are bounded in all; the dictionary scans serve suggestions too.

use super::query::Scope;
use crate::schema::Fields;
use crate::words::within_edits;
use std::cell::Cell;
use std::collections::HashMap;
use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

/// Score multiplier of a word found by typo tolerance, per edit.
const TYPO_BOOST: [f32; 3] = [1.0, 0.4, 0.25];
/// Score multiplier of a word that completes the prefix being typed.
const PREFIX_BOOST: f32 = 0.6;
/// Most index words a typo or prefix expands to.
const MAX_EXPANSIONS: usize = 12;
/// Most dictionary entries scanned for one prefix.
const MAX_PREFIX_SCAN: usize = 400;
/// Most index words that typos and prefixes of one query expand to, all words together
/// (the first words typed are expanded first): a long query of misspelled words costs
/// a bounded number of posting lists.
pub const MAX_QUERY_EXPANSIONS: usize = 64;
/// A word found in at least one in this many sections (and at least one) is taken as
/// complete: no completions when it is long. A word found in any section is taken as
/// spelled on purpose: typo tolerance applies to words the index does not have.
const KNOWN_WORD_SHARE: u64 = 10_000;

/// An index word standing in for a typed word, and how much its matches count.
pub(crate) struct Expansion {
    /// The index word.
    pub word: String,
    /// Score multiplier (below 1).
    pub boost: f32,
}

/// Expands the words of one query against a generation's dictionary, within the
/// query's allowance of [`MAX_QUERY_EXPANSIONS`] index words.
pub(crate) struct Expander<'a> {
    searcher: &'a Searcher,
    fields: &'a Fields,
    /// The query is being typed: a complete last word is completed too.
    typing: bool,
    left: Cell<usize>,
    cut: Cell<bool>,
}

impl<'a> Expander<'a> {
    /// An expander with a whole allowance.
    pub(crate) fn new(searcher: &'a Searcher, fields: &'a Fields, typing: bool) -> Expander<'a> {
        Expander {
            searcher,
            fields,
            typing,
            left: Cell::new(MAX_QUERY_EXPANSIONS),
            cut: Cell::new(false),
        }
    }

    /// Whether the query is being typed into a search box.
    pub(crate) fn typing(&self) -> bool {
        self.typing
    }

    /// Whether the allowance ran out (later words got fewer expansions or none).
    pub(crate) fn was_cut(&self) -> bool {
        self.cut.get()
    }

    /// Index words that the typed word may mean: completions of a prefix being typed,
    /// and words within the typo distance; each with its score multiplier.
    pub(crate) fn expand(&self, word: &str, scope: Option<Scope>, prefix: bool) -> Vec<Expansion> {
        let left = self.left.get();
        if left == 0 {
            self.cut.set(true);
            return Vec::new();
        }
        let mut out = self.candidates(word, scope, prefix);
        if out.len() > left {
            out.truncate(left);
            self.cut.set(true);
        }
        self.left.set(left - out.len());
        out
    }

    /// [`Expander::expand`] without the query's allowance.
    fn candidates(&self, word: &str, scope: Option<Scope>, prefix: bool) -> Vec<Expansion> {
        let searcher = self.searcher;
        let f = self.fields;
        let field = match scope {
            None => f.words,
            Some(Scope::Person) => f.person,
            Some(Scope::Acronym) => f.acronyms,
            Some(_) => return Vec::new(),
        };
        let mut out: Vec<Expansion> = Vec::new();
        let known = searcher
            .doc_freq(&Term::from_field_text(field, word))
            .unwrap_or(0);
        let common = (searcher.num_docs() / KNOWN_WORD_SHARE).max(1);
        let distance = if scope.is_none() && known == 0 {
            typo_distance(word)
        } else {
            0
        };
        if distance > 0 {
            let q = FuzzyTermQuery::new(Term::from_field_text(field, word), distance, true);
            let mut found = dictionary_matches(searcher, field, &q, usize::MAX);
            found.retain(|(w, _)| w != word);
            let mut scored: Vec<(u8, u64, String)> = found
                .into_iter()
                .map(|(w, df)| {
                    let d = if within_edits(&w, word, 1) { 1 } else { 2 };
                    (d, df, w)
                })
                .collect();
            scored.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
            for (d, _, w) in scored.into_iter().take(MAX_EXPANSIONS) {
                out.push(Expansion {
                    word: w,
                    boost: TYPO_BOOST[d as usize],
                });
            }
        }
        // Unless it is being typed, a word the index knows is taken as complete ("war" is
        // not "Warsaw"). While typing, a long word the index knows well is taken as
        // complete too: completing it would mostly add forms the stemmer already joins,
        // at the cost of more posting lists.
        let complete = if self.typing {
            known >= common && word.chars().count() >= 5
        } else {
            known > 0
        };
        // A search box completes from the first letter (as Meilisearch does); elsewhere
        // a fragment of one letter is too little to complete.
        let shortest = if self.typing { 1 } else { 2 };
        if prefix && !complete && word.chars().count() >= shortest {
            let mut found = dictionary_completions(searcher, field, word, MAX_PREFIX_SCAN);
            let mut boost = PREFIX_BOOST;
            let mut typo = false;
            if found.is_empty() && known == 0 {
                // Nothing starts with what is being typed: a typo in the part typed so far
                // ("slavr" → slavery, "trafik" → trafficking, "wha" → who).
                let distance = prefix_typo_distance(word, self.typing);
                if distance > 0 {
                    let q = FuzzyTermQuery::new_prefix(
                        Term::from_field_text(field, word),
                        distance,
                        true,
                    );
                    found = dictionary_matches(searcher, field, &q, MAX_PREFIX_SCAN);
                    boost = PREFIX_BOOST * TYPO_BOOST[usize::from(distance)];
                    typo = true;
                }
            }
            if !typo && !found.is_empty() {
                // Words start with what is being typed: it is a beginning, not a typo
                // ("displaceme" is on its way to displacement, not a misspelled displaced).
                out.clear();
            }
            found.retain(|(w, _)| w != word && !out.iter().any(|e| &e.word == w));
            if typo {
                // Of the readings of a typo, the ones keeping most of what was typed
                // ("trafi": traffic…, not tradi…).
                let best = found.iter().map(|(w, _)| shared_prefix(w, word)).max();
                found.retain(|(w, _)| Some(shared_prefix(w, word)) == best);
            }
            // Closest first: the completions sharing the longest beginning with what was
            // typed ("trafi" → trafficking before trading), then the most frequent.
            found.sort_by(|a, b| {
                shared_prefix(&b.0, word)
                    .cmp(&shared_prefix(&a.0, word))
                    .then(b.1.cmp(&a.1))
                    .then(a.0.len().cmp(&b.0.len()))
                    .then(a.0.cmp(&b.0))
            });
            let completions = if known >= common {
                MAX_EXPANSIONS / 3
            } else {
                MAX_EXPANSIONS
            };
            let typed = word.chars().count().max(1) as f32;
            for (w, _) in found.into_iter().take(completions) {
                // A typo completion counts by how much of what was typed it keeps.
                let closeness = if typo {
                    (shared_prefix(&w, word) as f32 / typed).clamp(0.25, 1.0)
                } else {
                    1.0
                };
                out.push(Expansion {
                    word: w,
                    boost: boost * closeness,
                });
            }
        }
        out
    }
}

/// Words of `field`'s dictionary accepted by the query's automaton, with their document frequency.
pub(crate) fn dictionary_matches(
    searcher: &Searcher,
    field: Field,
    query: &FuzzyTermQuery,
    max_scan: usize,
) -> Vec<(String, u64)> {
    let mut found: HashMap<String, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let (Ok(inverted), Ok(automaton)) = (segment.inverted_index(field), query.automaton())
        else {
            continue;
        };
        let Ok(mut stream) = inverted.terms().search(automaton).into_stream() else {
            continue;
        };
        let mut scanned = 0;
        while stream.advance() && scanned < max_scan {
            scanned += 1;
            if let Ok(word) = std::str::from_utf8(stream.key()) {
                *found.entry(word.to_string()).or_default() += u64::from(stream.value().doc_freq);
            }
        }
    }
    found.into_iter().collect()
}

/// Words of `field`'s dictionary starting with `prefix` (the first `max_scan` of each
/// segment, in order), with their document frequency: a range scan of the dictionary,
/// cheaper than intersecting it with a prefix automaton.
pub(crate) fn dictionary_completions(
    searcher: &Searcher,
    field: Field,
    prefix: &str,
    max_scan: usize,
) -> Vec<(String, u64)> {
    let mut found: HashMap<String, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(field) else {
            continue;
        };
        let Ok(mut stream) = inverted.terms().range().ge(prefix).into_stream() else {
            continue;
        };
        let mut scanned = 0;
        while scanned < max_scan && stream.advance() && stream.key().starts_with(prefix.as_bytes())
        {
            scanned += 1;
            if let Ok(word) = std::str::from_utf8(stream.key()) {
                *found.entry(word.to_string()).or_default() += u64::from(stream.value().doc_freq);
            }
        }
    }
    found.into_iter().collect()
}

/// Typo tolerance by word length: none under 5 letters, one edit from 5, two from 9.
/// Characters `a` and `b` begin with in common.
fn shared_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// Edits allowed in the part of a word typed so far, when nothing starts with it: as for
/// whole words, and while typing from three letters (one edit) and six (two).
fn prefix_typo_distance(word: &str, typing: bool) -> u8 {
    let n = word.chars().count();
    let whole = typo_distance(word);
    if !typing || word.chars().any(|c| c.is_ascii_digit()) {
        return whole.min(1);
    }
    let typing_distance = if n >= 6 {
        2
    } else if n >= 3 {
        1
    } else {
        0
    };
    whole.max(typing_distance)
}

pub fn typo_distance(word: &str) -> u8 {
    let n = word.chars().count();
    if word.chars().any(|c| c.is_ascii_digit()) {
        0
    } else if n >= 9 {
        2
    } else if n >= 5 {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_tolerance_grows_with_length() {
        assert_eq!(typo_distance("sale"), 0);
        assert_eq!(typo_distance("slavry"), 1);
        assert_eq!(typo_distance("trafiking"), 2);
        assert_eq!(typo_distance("a/76/263"), 0);
    }

    #[test]
    fn completions_are_the_words_a_prefix_automaton_accepts() {
        let (index, f, mut writer) = crate::schema::test_index();
        let texts = [
            "traffic trafficking traffickers trafficked tragic trade",
            "trafficking in persons; trafalgar; ünïcode trä",
            "zeta omega traf",
        ];
        for (i, text) in texts.iter().enumerate() {
            let mut doc = tantivy::TantivyDocument::default();
            doc.add_text(f.words, text);
            writer.add_document(doc).unwrap();
            if i == 1 {
                writer.commit().unwrap(); // two segments
            }
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        for prefix in ["traf", "tra", "t", "trafficking", "z", "tr\u{e4}", "x", ""] {
            for max_scan in [1, 3, 400] {
                let q =
                    FuzzyTermQuery::new_prefix(Term::from_field_text(f.words, prefix), 0, false);
                let mut automaton = dictionary_matches(&searcher, f.words, &q, max_scan);
                let mut range = dictionary_completions(&searcher, f.words, prefix, max_scan);
                automaton.sort();
                range.sort();
                assert_eq!(range, automaton, "{prefix:?} {max_scan}");
            }
        }
        let mut all = dictionary_completions(&searcher, f.words, "traffick", 400);
        all.sort();
        assert_eq!(
            all,
            vec![
                ("trafficked".to_string(), 1),
                ("traffickers".to_string(), 1),
                ("trafficking".to_string(), 2)
            ]
        );
    }
}
