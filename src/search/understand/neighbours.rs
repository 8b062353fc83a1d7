//! Neighbouring concepts: a query whose words no section mentions ("child soldiers",
//! "migrant smuggling") rewritten to the concept the glossary sets beside them
//! ("children and armed conflict", "trafficking in persons"), to be searched instead and
//! said so.

use super::{group_words, match_at};
use crate::glossary::{Glossary, Neighbour};
use crate::search::query::{self, ParsedQuery};
use crate::words::words;
use serde::Serialize;

/// What was searched in place of words no section mentions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchedInstead {
    /// The words of the query, as typed, that the neighbour replaced.
    pub words: String,
    /// The neighbouring concept searched instead.
    pub instead: String,
    /// How the two concepts relate (from the glossary; may be empty).
    pub note: String,
}

/// `typed` with each run of words that a neighbour's term matches, and that holds a word
/// of `unmatched`, replaced by the neighbour; `None` when no neighbour applies. Longest
/// runs first, then left to right; a run is replaced at most once.
pub fn searched_instead(
    typed: &ParsedQuery,
    unmatched: &[String],
    glossary: &Glossary,
) -> Option<(ParsedQuery, Vec<SearchedInstead>)> {
    let unmatched: Vec<String> = unmatched.iter().flat_map(|u| words(u)).collect();
    let words_of = group_words(typed);
    let mut runs: Vec<(usize, usize, &Neighbour)> = Vec::new();
    for start in 0..words_of.len() {
        for neighbour in &glossary.neighbours {
            for term in &neighbour.terms {
                if let Some(end) = match_at(&words_of, start, &term.words) {
                    runs.push((start, end, neighbour));
                }
            }
        }
    }
    runs.sort_by(|a, b| (b.1 - b.0).cmp(&(a.1 - a.0)).then(a.0.cmp(&b.0)));
    let mut taken = vec![false; words_of.len()];
    let mut chosen: Vec<(usize, usize, &Neighbour)> = Vec::new();
    for (start, end, neighbour) in runs {
        let holds_unmatched = words_of[start..end]
            .iter()
            .flatten()
            .flatten()
            .any(|w| unmatched.contains(w));
        if holds_unmatched && !taken[start..end].iter().any(|t| *t) {
            taken[start..end].iter_mut().for_each(|t| *t = true);
            chosen.push((start, end, neighbour));
        }
    }
    if chosen.is_empty() {
        return None;
    }
    chosen.sort_by_key(|(start, _, _)| *start);
    let mut rewritten = typed.clone();
    let mut told: Vec<SearchedInstead> = Vec::new();
    // Right to left, so that the runs still to replace keep their places; told left to
    // right. A neighbour already searched for an earlier run is not searched twice.
    for (start, end, neighbour) in chosen.iter().rev() {
        let first = chosen
            .iter()
            .find(|(_, _, n)| n.instead == neighbour.instead)
            .is_some_and(|(s, _, _)| s == start);
        let instead = if first {
            query::parse(&neighbour.instead.text).groups
        } else {
            Vec::new()
        };
        rewritten.groups.splice(*start..*end, instead);
    }
    for (start, end, neighbour) in chosen {
        let typed_words: Vec<&str> = typed.groups[start..end]
            .iter()
            .flat_map(|g| g.clauses.iter().map(|c| c.text.as_str()))
            .collect();
        let typed_words = typed_words.join(" ");
        match told
            .iter_mut()
            .find(|t| t.instead == neighbour.instead.text)
        {
            Some(earlier) => {
                earlier.words.push_str(", ");
                earlier.words.push_str(&typed_words);
            }
            None => told.push(SearchedInstead {
                words: typed_words,
                instead: neighbour.instead.text.clone(),
                note: neighbour.note.clone(),
            }),
        }
    }
    // The neighbour is a whole concept, not the word being typed.
    rewritten.typing = false;
    for clause in rewritten
        .groups
        .iter_mut()
        .flat_map(|g| g.clauses.iter_mut())
    {
        clause.prefix = false;
    }
    Some((rewritten, told))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GLOSSARY: &str = r#"
version = 1
[[neighbours]]
terms = ["child soldiers", "enfants soldats"]
instead = "children and armed conflict"
note = "the UN names it the recruitment and use of children"
[[neighbours]]
terms = ["smuggling"]
instead = "trafficking in persons"
"#;

    fn rewrite(q: &str, unmatched: &[&str]) -> Option<(String, Vec<SearchedInstead>)> {
        let glossary = Glossary::parse(GLOSSARY, "g.toml").unwrap();
        let unmatched: Vec<String> = unmatched.iter().map(|u| u.to_string()).collect();
        searched_instead(&query::parse(q), &unmatched, &glossary).map(|(parsed, told)| {
            let text: Vec<String> = parsed.groups.iter().map(query::describe_group).collect();
            (text.join(" "), told)
        })
    }

    #[test]
    fn a_term_holding_an_unmatched_word_is_replaced_by_its_neighbour() {
        let (text, told) = rewrite("Child Soldiers in Africa", &["soldiers"]).unwrap();
        assert_eq!(text, "children and armed conflict in Africa");
        assert_eq!(told[0].words, "Child Soldiers");
        assert_eq!(told[0].instead, "children and armed conflict");
        assert!(told[0].note.contains("recruitment"));
    }

    #[test]
    fn a_term_every_word_of_which_matches_is_left_alone() {
        assert_eq!(rewrite("child soldiers", &["africa"]), None);
        assert_eq!(rewrite("smuggling", &[]), None);
    }

    #[test]
    fn several_runs_are_replaced_in_order() {
        let (text, told) = rewrite("smuggling enfants soldats", &["smuggling", "soldats"]).unwrap();
        assert_eq!(text, "trafficking in persons children and armed conflict");
        let words: Vec<&str> = told.iter().map(|t| t.words.as_str()).collect();
        assert_eq!(words, ["smuggling", "enfants soldats"]);
    }

    #[test]
    fn a_neighbour_of_two_runs_is_searched_once() {
        let (text, told) = rewrite(
            "child soldiers and enfants soldats",
            &["soldiers", "soldats"],
        )
        .unwrap();
        assert_eq!(text, "children and armed conflict and");
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].words, "child soldiers, enfants soldats");
    }

    #[test]
    fn the_neighbour_is_searched_whole_not_as_a_prefix() {
        let mut parsed = query::parse("smuggling");
        parsed.typing = true;
        parsed.groups[0].clauses[0].prefix = true;
        let glossary = Glossary::parse(GLOSSARY, "g.toml").unwrap();
        let (rewritten, _) =
            searched_instead(&parsed, &["smuggling".to_string()], &glossary).unwrap();
        assert!(!rewritten.typing);
        assert!(rewritten
            .groups
            .iter()
            .flat_map(|g| &g.clauses)
            .all(|c| !c.prefix));
    }

    #[test]
    fn negated_and_quoted_words_are_not_replaced() {
        assert_eq!(rewrite("-smuggling", &["smuggling"]), None);
        assert_eq!(rewrite("\"child soldiers\"", &["child soldiers"]), None);
    }
}
