//! The trees of one group of a query: a word over its fields (with its expansions and
//! a year or symbol it may be), a phrase, words typed as a glossary term, a document
//! symbol; with what each highlights.

use super::{Built, Planner};
use crate::corpus::symbol::looks_like_symbol;
use crate::schema::{self, normalize_symbol, tokens, Fields, EXACT_MARK};
use crate::search::expand::{Expander, Expansion};
use crate::search::present::Matcher;
use crate::search::query::{Clause, Group, Scope};
use crate::search::tree::Node;
use crate::words::is_written_in_capitals;
use tantivy::query::Occur;
use tantivy::schema::Field;

/// Extra weight of the acronyms field when the word is written in capitals and is the
/// whole query; a longer query shares it out ([`acronym_bonus`]).
const CAPITALS_ACRONYM_BOOST: f32 = 4.0;

/// The weight of an acronym typed in capitals, for a query of `content_words` words that
/// name something: the whole bonus when it is the query ("UNODC"), a share of it when
/// it qualifies a longer question ("what does UNODC say about forced labour in
/// agriculture"), so that it never outweighs the rest of the question.
pub(super) fn acronym_bonus(content_words: usize) -> f32 {
    1.0 + (CAPITALS_ACRONYM_BOOST - 1.0) / content_words.max(1) as f32
}
/// Score of a typed year matching a section's year (a strong, constant signal).
const YEAR_BOOST: f32 = 3.0;
/// Score of a name or acronym match before its field boost (about a strong BM25 match).
const NAME_MATCH_SCORE: f32 = 3.0;

impl Planner {
    /// The trees of one group; `acronym_bonus` multiplies an acronym typed in capitals;
    /// each alternative without the leaves `unmatchable` says match nothing.
    pub(super) fn group(
        &self,
        group: &Group,
        expander: &Expander,
        acronym_bonus: f32,
        unmatchable: &dyn Fn(&Node) -> bool,
    ) -> Option<Built> {
        let mut built: Vec<Built> = group
            .clauses
            .iter()
            .filter_map(|c| self.clause(c, group.negated, expander, acronym_bonus))
            .map(|mut b| {
                b.query.prune(unmatchable);
                b
            })
            .collect();
        match built.len() {
            0 => None,
            1 => built.pop(),
            _ => {
                let symbolic = built.iter().any(|b| b.symbolic);
                let matchers = built.iter().flat_map(|b| b.matchers.clone()).collect();
                let mut alternatives: Vec<Node> = built.into_iter().map(|b| b.query).collect();
                // One concept counts once: a term an earlier alternative (what was typed
                // comes first) already scores is not scored again by a later one
                // (trafficked, trafficker and traffickers all stem to trafficking's term).
                let mut seen = std::collections::HashSet::new();
                for alternative in &mut alternatives {
                    *alternative = alternative.without_repeated_terms(&mut seen);
                }
                alternatives.retain(|a| *a != Node::Empty);
                Some(Built {
                    query: Node::any(alternatives),
                    matchers,
                    symbolic,
                })
            }
        }
    }

    fn clause(
        &self,
        clause: &Clause,
        negated: bool,
        expander: &Expander,
        acronym_bonus: f32,
    ) -> Option<Built> {
        let text = clause.text.as_str();
        let symbol_like = looks_like_symbol(text.trim_matches(|c: char| c == '(' || c == ')'));
        match clause.scope {
            Some(Scope::Symbol) => return Some(self.symbol(text, clause.prefix)),
            Some(scope @ (Scope::Paragraph | Scope::Language)) => {
                return Some(self.untokenized(scope, text, clause.weight))
            }
            None if symbol_like && !clause.phrase => return Some(self.symbol(text, clause.prefix)),
            // The beginning of a symbol being typed ("A/", "A/H", "A/HR"): symbols
            // starting so, at every keystroke on the way to "A/HRC/47/34".
            None if clause.prefix && !clause.phrase && begins_a_symbol(text) => {
                return Some(self.symbol(text, true))
            }
            _ => {}
        }
        let (en, names) =
            schema::with_query_analyzers(|en, name| (tokens(en, text), tokens(name, text)));
        if en.is_empty() || names.is_empty() {
            return None;
        }
        if en.len() > 1 && clause.slop > 0 && !clause.expansion && en.len() == names.len() {
            return Some(self.typed_span(&en, &names, clause, expander, false, acronym_bonus));
        }
        // A word of several parts still being typed ("non-puni"): its parts required,
        // the last one completed.
        if en.len() > 1
            && clause.prefix
            && expander.typing()
            && !clause.phrase
            && en.len() == names.len()
        {
            return Some(self.typed_span(&en, &names, clause, expander, true, acronym_bonus));
        }
        if en.len() > 1 {
            return Some(self.phrase(&en, &names, clause));
        }
        let expand_ok = !negated && !clause.phrase && !clause.expansion;
        let expansions = if expand_ok {
            expander.expand(&names[0], clause.scope, clause.prefix)
        } else {
            Vec::new()
        };
        Some(self.word(text, &en[0], &names[0], clause, &expansions, acronym_bonus))
    }

    /// Words typed as a glossary term: every word required (scored like typed words, so
    /// the term finds sections even when it never appears as a phrase), the phrase adding
    /// proximity.
    fn typed_span(
        &self,
        en: &[String],
        names: &[String],
        clause: &Clause,
        expander: &Expander,
        last_is_prefix: bool,
        acronym_bonus: f32,
    ) -> Built {
        let mut clauses: Vec<(Occur, Node)> = Vec::new();
        let mut matchers = Vec::new();
        for (i, (stem, word)) in en.iter().zip(names).enumerate() {
            let prefix = last_is_prefix && i + 1 == names.len();
            let mut single = Clause::typed(word.clone(), false, clause.scope);
            single.weight = clause.weight;
            let optional = self.glossary.function_words.is_stop(word) && !prefix;
            let expansions = if optional {
                Vec::new()
            } else {
                expander.expand(word, clause.scope, prefix)
            };
            let built = self.word(word, stem, word, &single, &expansions, acronym_bonus);
            matchers.extend(built.matchers);
            let occur = if optional { Occur::Should } else { Occur::Must };
            clauses.push((occur, built.query));
        }
        let phrase = self.phrase(en, names, clause);
        clauses.push((Occur::Should, phrase.query));
        Built {
            query: Node::Bool(clauses),
            matchers,
            symbolic: false,
        }
    }

    fn word(
        &self,
        typed: &str,
        stem: &str,
        word: &str,
        clause: &Clause,
        expansions: &[Expansion],
        acronym_bonus: f32,
    ) -> Built {
        let scope = clause.scope;
        let typed_weight = clause.weight;
        let mut disjuncts: Vec<Node> = Vec::new();
        let mut matchers = vec![
            Matcher::Stem(stem.to_string()),
            Matcher::Exact(word.to_string()),
        ];
        let capitals = is_written_in_capitals(typed);
        let common = self.glossary.function_words.is_stop(word);
        if clause.expansion && self.glossary.is_ambiguous(word) {
            // An expansion to "WHO" means the organization, never the word "who".
            let mut disjuncts = Vec::new();
            self.word_terms(
                &mut disjuncts,
                stem,
                word,
                Some(Scope::Acronym),
                typed_weight,
                true,
                false,
                acronym_bonus,
            );
            return Built {
                query: Node::any(disjuncts),
                matchers: vec![Matcher::Exact(word.to_string())],
                symbolic: false,
            };
        }
        self.word_terms(
            &mut disjuncts,
            stem,
            word,
            scope,
            typed_weight,
            capitals,
            common,
            acronym_bonus,
        );
        for e in expansions {
            let e_stem = schema::with_query_analyzers(|en, _| tokens(en, &e.word).pop())
                .unwrap_or_else(|| e.word.clone());
            if e_stem == stem {
                continue;
            }
            self.word_terms(
                &mut disjuncts,
                &e_stem,
                &e.word,
                scope,
                e.boost,
                false,
                false,
                acronym_bonus,
            );
            matchers.push(Matcher::Exact(e.word.clone()));
        }
        if scope.is_none() {
            disjuncts.extend(self.numeric_terms(word, typed_weight));
        }
        Built {
            query: Node::any(disjuncts),
            matchers,
            symbolic: false,
        }
    }

    /// What a word with digits may also be: a whole symbol part (`2021`, `34`) and,
    /// for a plausible year, the sections of that year.
    fn numeric_terms(&self, word: &str, weight: f32) -> Vec<Node> {
        let f = &self.fields;
        if !word.chars().any(|c| c.is_ascii_digit()) {
            return Vec::new();
        }
        let mut out = vec![Node::term(
            f.symbol,
            format!("{EXACT_MARK}{word}"),
            3.0 * weight,
        )];
        if let Ok(year) = word.parse::<i64>() {
            if (1800..2100).contains(&year) {
                out.push(Node::Year(f.year, year).boosted(YEAR_BOOST));
            }
        }
        out
    }

    /// Term queries for one word (its stem in text fields, the word in name fields).
    #[allow(clippy::too_many_arguments)]
    fn word_terms(
        &self,
        out: &mut Vec<Node>,
        stem: &str,
        word: &str,
        scope: Option<Scope>,
        weight: f32,
        capitals: bool,
        common: bool,
        acronym_bonus: f32,
    ) {
        let f = &self.fields;
        for (field, boost) in schema::text_fields(f) {
            if scope.is_none() || scope_field(f, scope) == Some(field) {
                out.push(Node::term(field, stem, boost * weight));
            }
        }
        for (field, boost) in schema::name_fields(f) {
            let in_scope = scope.is_none() || scope_field(f, scope) == Some(field);
            let acronym = field == f.acronyms;
            if !in_scope || (acronym && common && !capitals) {
                continue;
            }
            let boost = if acronym && capitals {
                boost * acronym_bonus
            } else {
                boost
            };
            out.push(Self::name_term(field, word, boost * weight));
        }
    }

    /// A match on a name or acronym is a yes/no signal: constant score, no length norm
    /// (these fields are short and mostly empty, which skews BM25).
    fn name_term(field: Field, text: &str, boost: f32) -> Node {
        Node::Const(
            Box::new(Node::basic_term(field, text)),
            NAME_MATCH_SCORE * boost,
        )
    }

    fn phrase(&self, stems: &[String], words: &[String], clause: &Clause) -> Built {
        let f = &self.fields;
        let scope = clause.scope;
        let mut disjuncts: Vec<Node> = Vec::new();
        let mut phrase_query = |field: Field, tokens: &[String], boost: f32| {
            let phrase = Node::Phrase {
                field,
                terms: tokens.to_vec(),
                slop: clause.slop,
            };
            disjuncts.push(phrase.boosted(boost * clause.weight));
        };
        for (field, boost) in schema::text_fields(f) {
            if scope.is_none() || scope_field(f, scope) == Some(field) {
                phrase_query(field, stems, boost);
            }
        }
        for (field, boost) in schema::name_fields(f) {
            if scope.is_none() || scope_field(f, scope) == Some(field) {
                phrase_query(field, words, boost);
            }
        }
        let matchers = if clause.slop > 0 {
            stems.iter().map(|s| Matcher::Stem(s.clone())).collect()
        } else {
            vec![Matcher::Phrase(stems.to_vec())]
        };
        Built {
            query: Node::any(disjuncts),
            matchers,
            symbolic: false,
        }
    }

    fn symbol(&self, text: &str, prefix: bool) -> Built {
        let f = &self.fields;
        let norm = normalize_symbol(text);
        let mut should: Vec<(Occur, Node)> = vec![
            (
                Occur::Should,
                Node::term(f.symbol, format!("{EXACT_MARK}{norm}"), 3.0),
            ),
            (Occur::Should, Node::term(f.symbol, &norm, 2.0)),
        ];
        for reading in other_readings(&norm) {
            should.push((
                Occur::Should,
                Node::term(f.symbol, format!("{EXACT_MARK}{reading}"), 3.0),
            ));
            should.push((Occur::Should, Node::term(f.symbol, &reading, 2.0)));
        }
        if prefix && norm.len() >= 2 {
            let prefix = Node::Prefix {
                field: f.symbol,
                prefix: norm.clone(),
            };
            should.push((Occur::Should, prefix.boosted(0.5)));
        }
        Built {
            query: Node::Bool(should),
            matchers: vec![Matcher::Symbol(norm)],
            symbolic: true,
        }
    }
}

impl Planner {
    /// A value of an untokenized field (a paragraph number, a language), present or not.
    fn untokenized(&self, scope: Scope, text: &str, weight: f32) -> Built {
        let field = scope_field(&self.fields, Some(scope)).unwrap_or(self.fields.paragraph);
        let value = text.trim().trim_end_matches(['.', ',', ';']).to_lowercase();
        Built {
            query: Node::Const(Box::new(Node::basic_term(field, value)), 2.0 * weight),
            matchers: Vec::new(),
            symbolic: false,
        }
    }
}

/// The first parts of a UN symbol, as typed before its numbers: an organ's letters
/// (capitals, or one letter) and a slash, then more parts of letters, digits and dots
/// (`A/`, `a/hrc`, `A/HRC/4`, `E/CN.4/`). Not `and/or`.
fn begins_a_symbol(text: &str) -> bool {
    let parts: Vec<&str> = text.split('/').collect();
    let organ = parts[0];
    let organ_ok = !organ.is_empty()
        && organ.len() <= 6
        && organ.chars().all(|c| c.is_ascii_alphabetic())
        && (organ.len() == 1 || organ.chars().all(|c| c.is_ascii_uppercase()));
    let rest = &parts[1..];
    organ_ok
        && !rest.is_empty()
        && rest[..rest.len() - 1].iter().all(|p| !p.is_empty())
        && rest.iter().all(|p| {
            p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
}

fn scope_field(f: &Fields, scope: Option<Scope>) -> Option<Field> {
    Some(match scope? {
        Scope::Title => f.title,
        Scope::Body => f.body,
        Scope::Role => f.role,
        Scope::Person => f.person,
        Scope::Org => f.org,
        Scope::Acronym => f.acronyms,
        Scope::Symbol => f.symbol,
        Scope::Path => f.path,
        Scope::Paragraph => f.paragraph,
        Scope::Language => f.language,
    })
}

/// The symbols a typed one may stand for besides itself (normalized): an organ glued to
/// its session split off ("hrc49/57" → hrc/49/57, "a76/170" → a/76/170), and a
/// Council symbol without the Assembly's "a/" completed — the Council's documents are
/// General Assembly documents, and "HRC/47/34" is how people shorten A/HRC/47/34.
fn other_readings(norm: &str) -> Vec<String> {
    let mut readings = Vec::new();
    let split = norm
        .split('/')
        .map(|part| {
            let letters = part.chars().take_while(|c| c.is_ascii_alphabetic()).count();
            let digits = &part[letters..];
            if (1..=5).contains(&letters)
                && !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit())
            {
                format!("{}/{digits}", &part[..letters])
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<String>>()
        .join("/");
    if split != norm {
        readings.push(split);
    }
    for reading in [norm.to_string()].iter().chain(readings.clone().iter()) {
        if reading.starts_with("hrc/") {
            readings.push(format!("a/{reading}"));
        }
    }
    readings
}

#[cfg(test)]
mod tests {
    use super::{begins_a_symbol, other_readings};

    #[test]
    fn symbols_written_short_or_glued_are_read_in_full() {
        assert_eq!(other_readings("hrc/47/34"), ["a/hrc/47/34"]);
        assert_eq!(other_readings("hrc49/57"), ["hrc/49/57", "a/hrc/49/57"]);
        assert_eq!(other_readings("a76/170"), ["a/76/170"]);
        assert!(other_readings("a/hrc/49/51/add.1").is_empty());
        assert!(other_readings("e/cn.4/2005/78").is_empty());
        assert!(other_readings("ccpr/c/gbr/co/7").is_empty());
    }

    #[test]
    fn an_acronyms_bonus_is_shared_out_over_a_longer_question() {
        use super::{acronym_bonus, CAPITALS_ACRONYM_BOOST};
        assert_eq!(acronym_bonus(1), CAPITALS_ACRONYM_BOOST);
        assert_eq!(acronym_bonus(0), CAPITALS_ACRONYM_BOOST);
        let shares: Vec<f32> = (1..8).map(acronym_bonus).collect();
        assert!(shares.windows(2).all(|w| w[0] > w[1]), "{shares:?}");
        assert!(acronym_bonus(4) <= 1.75 && acronym_bonus(50) > 1.0);
    }

    #[test]
    fn beginnings_of_symbols_are_told_from_words_with_slashes() {
        for yes in ["A/", "A/H", "a/hrc", "A/HRC/4", "E/CN.4/", "CRC/C/"] {
            assert!(begins_a_symbol(yes), "{yes}");
        }
        for no in ["and/or", "A", "he/she", "A//", "/A", "ab/cd"] {
            assert!(!begins_a_symbol(no), "{no}");
        }
    }
}
