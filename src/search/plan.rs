//! Ranking: turns a parsed query into query trees, field boosts and kind priors.
//!
//! This is the one place that decides what counts more: titles, names, acronyms, roles
//! and symbols over body text; exact words over stems over prefixes over typos; whole
//! symbols over their addenda; documents with every word over partial matches. A word's
//! score adds up its matches in every field (and a group's, its alternatives'), with
//! boosts and weights below 1 for expansions: constructs every backend computes exactly.

use super::domain;
use super::filter::{Cmp, Filter, FilterField};
use super::highlight::Matcher;
use super::query::{Clause, Group, ParsedQuery, Scope};
use super::tree::Node;
use crate::corpus::symbol::looks_like_symbol;
use crate::corpus::Kind;
use crate::glossary::Glossary;
use crate::schema::{
    self, en_analyzer, name_analyzer, normalize_symbol, tokens, Fields, EXACT_MARK,
};
use crate::words::{is_written_in_capitals, within_edits};
use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Arc;
use tantivy::query::{FuzzyTermQuery, Occur};
use tantivy::schema::Field;
use tantivy::tokenizer::TextAnalyzer;
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
/// Extra weight of the acronyms field when the word is written in capitals.
const CAPITALS_ACRONYM_BOOST: f32 = 4.0;
/// Score of a typed year matching a section's year (a strong, constant signal).
const YEAR_BOOST: f32 = 3.0;
/// Score of a name or acronym match before its field boost (about a strong BM25 match).
const NAME_MATCH_SCORE: f32 = 3.0;

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// By relevance.
    Relevance,
    /// Newest year first, then relevance.
    Newest,
}

/// Everything the engine needs to run one search.
pub struct Plan {
    /// Documents matching every required word (and the filters).
    pub conjunctive: Node,
    /// Documents matching any word, for when too few match all; `None` when it would be the same.
    pub disjunctive: Option<Node>,
    /// The disjunctive query without the request's kind/year filters (facet counts).
    pub unfiltered: Node,
    /// What the excluded words match: no answer may match any of these.
    pub excluded: Vec<Node>,
    /// Score multiplier per kind code.
    pub kind_weights: [f32; 4],
    /// Result order.
    pub order: Order,
    /// What to highlight.
    pub matchers: Vec<Matcher>,
    /// Human-readable notes on how the query was understood.
    pub notes: Vec<String>,
}

/// Builds queries for one field set and glossary.
pub struct Ranker {
    fields: Fields,
    glossary: Arc<Glossary>,
    /// The glossary's terms by first word.
    term_starts: domain::TermStarts,
    en: TextAnalyzer,
    name: TextAnalyzer,
}

/// What planning one query consults and spends: the index words, and what is left of
/// its expansion allowance.
struct PlanContext<'a> {
    searcher: &'a Searcher,
    expansions_left: std::cell::Cell<usize>,
    expansions_cut: std::cell::Cell<bool>,
}

/// The query for one group, plus what it highlights.
struct Built {
    query: Node,
    matchers: Vec<Matcher>,
    symbolic: bool,
}

impl Ranker {
    /// A ranker over the given fields, expanding queries with `glossary`.
    pub fn new(fields: Fields, glossary: Arc<Glossary>) -> Ranker {
        Ranker {
            fields,
            term_starts: domain::TermStarts::of(&glossary),
            glossary,
            en: en_analyzer(),
            name: name_analyzer(),
        }
    }

    /// The field handles it plans for.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// Plans a search for a parsed query and the request's filter; `searcher` supplies
    /// the index words that prefixes and typos expand to.
    pub fn plan(&self, parsed: &ParsedQuery, filter: Option<&Filter>, searcher: &Searcher) -> Plan {
        let mut parsed = parsed.clone();
        let understanding = domain::understand_with(&mut parsed, &self.glossary, &self.term_starts);
        let parsed = &parsed;
        let mut notes = understanding.notes.clone();
        let mut required: Vec<Node> = Vec::new();
        let mut optional: Vec<Node> = Vec::new();
        let mut excluded: Vec<Node> = Vec::new();
        let mut matchers = Vec::new();
        let mut symbolic = false;
        let ctx = PlanContext {
            searcher,
            expansions_left: std::cell::Cell::new(MAX_QUERY_EXPANSIONS),
            expansions_cut: std::cell::Cell::new(false),
        };
        for group in &parsed.groups {
            let Some(built) = self.group(group, &ctx) else {
                notes.push(format!(
                    "ignored `{}`: nothing searchable",
                    group_text(group)
                ));
                continue;
            };
            if group.negated {
                excluded.push(built.query);
                continue;
            }
            symbolic |= built.symbolic;
            matchers.extend(built.matchers);
            if group.optional || self.is_optional(group) {
                notes.push(format!("`{}` is optional (common word)", group_text(group)));
                optional.push(built.query);
            } else {
                required.push(built.query);
            }
        }
        if ctx.expansions_cut.get() {
            notes.push(format!(
                "typo and prefix matching stopped after {MAX_QUERY_EXPANSIONS} index words: later words are matched as typed"
            ));
        }
        if required.is_empty() {
            required = std::mem::take(&mut optional);
        }
        // The query's own `kind:` and `year:` count for the facets; the request's filter
        // narrows the results only.
        let query_filters = self.query_filter_clauses(parsed);
        let mut filter_clauses = query_filters.clone();
        if let Some(filter) = filter {
            filter_clauses.insert(0, self.filter_query(filter).boosted(0.0));
        }
        let positive_count = required.len() + optional.len();
        let any_positive = || -> Node {
            if positive_count == 0 {
                return Node::All;
            }
            // Partial matches come from the words that matter: a section matching only
            // "the" or "on" is no answer (and scoring those words scans every section).
            let should = required
                .iter()
                .map(|q| (Occur::Should, q.clone()))
                .collect();
            Node::Bool(should)
        };
        let assemble = |core: Vec<(Occur, Node)>, filters: &[Node]| {
            let mut clauses = core;
            for f in filters {
                clauses.push((Occur::Must, f.clone()));
            }
            if clauses.is_empty() {
                clauses.push((Occur::Must, Node::All));
            }
            Node::Bool(clauses)
        };
        let mut core: Vec<(Occur, Node)> =
            required.iter().map(|q| (Occur::Must, q.clone())).collect();
        core.extend(optional.iter().map(|q| (Occur::Should, q.clone())));
        let conjunctive = assemble(core, &filter_clauses);
        let disjunctive = (required.len() > 1)
            .then(|| assemble(vec![(Occur::Must, any_positive())], &filter_clauses));
        let unfiltered = assemble(vec![(Occur::Must, any_positive())], &query_filters);
        let mut kind_weights: [f32; 4] = [1.0, 1.0, 1.0, 0.6];
        let weight = |k: Kind| schema::kind_code(k) as usize;
        let intents = &understanding.intents;
        if symbolic {
            kind_weights[weight(Kind::Report)] = 1.6;
            notes.push("looks like a document symbol: reports first".into());
        }
        if intents.reports || intents.newest {
            kind_weights[weight(Kind::Report)] = 1.8;
        }
        if intents.people {
            kind_weights[weight(Kind::Mandate)] = 2.0;
            kind_weights[weight(Kind::Report)] = kind_weights[weight(Kind::Report)].min(0.8);
        }
        let order = if intents.newest {
            Order::Newest
        } else {
            Order::Relevance
        };
        Plan {
            conjunctive,
            disjunctive,
            unfiltered,
            excluded,
            kind_weights,
            order,
            matchers,
            notes,
        }
    }

    /// Whether a group is only stop words (typed in lowercase): optional, never required.
    fn is_optional(&self, group: &Group) -> bool {
        group.clauses.iter().all(|c| {
            !c.phrase
                && c.scope.is_none()
                && !is_written_in_capitals(&c.text)
                && self.glossary.function_words.is_stop(&c.text.to_lowercase())
        })
    }

    /// Scoreless clauses for the `kind:` and `year:` filters typed in the query.
    fn query_filter_clauses(&self, parsed: &ParsedQuery) -> Vec<Node> {
        let mut out = Vec::new();
        if !parsed.kinds.is_empty() {
            out.push(
                self.filter_query(&Filter::kinds(&parsed.kinds))
                    .boosted(0.0),
            );
        }
        if !parsed.years.is_empty() {
            out.push(
                self.filter_query(&Filter::years(&parsed.years))
                    .boosted(0.0),
            );
        }
        out
    }

    /// Translates a filter expression into a (scoreless) query.
    fn filter_query(&self, filter: &Filter) -> Node {
        let f = &self.fields;
        let not =
            |q: Node| -> Node { Node::Bool(vec![(Occur::Must, Node::All), (Occur::MustNot, q)]) };
        let eq = |field: FilterField, value: &str| -> Node {
            match field {
                FilterField::Kind => {
                    let kind = value
                        .parse::<Kind>()
                        .map_or_else(|_| value.to_string(), |k| k.as_str().to_string());
                    Node::basic_term(f.kind, kind)
                }
                FilterField::Org => Node::basic_term(f.org_exact, value.to_lowercase()),
                FilterField::Year => Node::Year(f.year, value.parse().unwrap_or(i64::MIN)),
            }
        };
        match filter {
            Filter::Compare(field, Cmp::Eq, v) => eq(*field, v),
            Filter::Compare(field, Cmp::Ne, v) => not(eq(*field, v)),
            Filter::Compare(FilterField::Year, cmp, v) => {
                let year = v.parse::<i64>().unwrap_or(0);
                let (lower, upper) = match cmp {
                    Cmp::Gt => (Bound::Excluded(year), Bound::Unbounded),
                    Cmp::Ge => (Bound::Included(year), Bound::Unbounded),
                    Cmp::Lt => (Bound::Unbounded, Bound::Excluded(year)),
                    _ => (Bound::Unbounded, Bound::Included(year)),
                };
                Node::YearRange(f.year, lower, upper)
            }
            Filter::Compare(..) => Node::Empty,
            Filter::In(field, values) => Node::Bool(
                values
                    .iter()
                    .map(|v| (Occur::Should, eq(*field, v)))
                    .collect(),
            ),
            Filter::Exists(field) => match field {
                FilterField::Kind => Node::All,
                FilterField::Year => Node::Exists("year"),
                FilterField::Org => Node::Exists("org_exact"),
            },
            Filter::And(all) => Node::Bool(
                all.iter()
                    .map(|x| (Occur::Must, self.filter_query(x)))
                    .collect(),
            ),
            Filter::Or(any) => Node::Bool(
                any.iter()
                    .map(|x| (Occur::Should, self.filter_query(x)))
                    .collect(),
            ),
            Filter::Not(inner) => not(self.filter_query(inner)),
        }
    }

    fn group(&self, group: &Group, ctx: &PlanContext) -> Option<Built> {
        let mut built: Vec<Built> = group
            .clauses
            .iter()
            .filter_map(|c| self.clause(c, group.negated, ctx))
            .collect();
        match built.len() {
            0 => None,
            1 => built.pop(),
            _ => {
                let symbolic = built.iter().any(|b| b.symbolic);
                let matchers = built.iter().flat_map(|b| b.matchers.clone()).collect();
                let alternatives = built.into_iter().map(|b| b.query).collect();
                Some(Built {
                    query: Node::any(alternatives),
                    matchers,
                    symbolic,
                })
            }
        }
    }

    fn clause(&self, clause: &Clause, negated: bool, ctx: &PlanContext) -> Option<Built> {
        let text = clause.text.as_str();
        let symbol_like = looks_like_symbol(text.trim_matches(|c: char| c == '(' || c == ')'));
        match clause.scope {
            Some(Scope::Symbol) => return Some(self.symbol(text, clause.prefix)),
            None if symbol_like && !clause.phrase => return Some(self.symbol(text, clause.prefix)),
            _ => {}
        }
        let en = tokens(&mut self.en.clone(), text);
        let names = tokens(&mut self.name.clone(), text);
        if en.is_empty() || names.is_empty() {
            return None;
        }
        if en.len() > 1 && clause.slop > 0 && !clause.expansion && en.len() == names.len() {
            return Some(self.typed_span(&en, &names, clause, ctx));
        }
        if en.len() > 1 {
            return Some(self.phrase(&en, &names, clause));
        }
        let expand_ok = !negated && !clause.phrase && !clause.expansion;
        let expansions = if expand_ok {
            self.expansions(&names[0], clause.scope, clause.prefix, ctx)
        } else {
            Vec::new()
        };
        Some(self.word(text, &en[0], &names[0], clause, &expansions))
    }

    /// Words typed as a glossary term: every word required (scored like typed words, so
    /// the term finds sections even when it never appears as a phrase), the phrase adding
    /// proximity.
    fn typed_span(
        &self,
        en: &[String],
        names: &[String],
        clause: &Clause,
        ctx: &PlanContext,
    ) -> Built {
        let mut clauses: Vec<(Occur, Node)> = Vec::new();
        let mut matchers = Vec::new();
        for (stem, word) in en.iter().zip(names) {
            let mut single = Clause::typed(word.clone(), false, clause.scope);
            single.weight = clause.weight;
            let optional = self.glossary.function_words.is_stop(word);
            let expansions = if optional {
                Vec::new()
            } else {
                self.expansions(word, clause.scope, false, ctx)
            };
            let built = self.word(word, stem, word, &single, &expansions);
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

    /// Index words that the typed word may mean: completions of a prefix being typed,
    /// and words within the typo distance; each with its score multiplier.
    fn expansions(
        &self,
        word: &str,
        scope: Option<Scope>,
        prefix: bool,
        ctx: &PlanContext,
    ) -> Vec<Expansion> {
        let left = ctx.expansions_left.get();
        if left == 0 {
            ctx.expansions_cut.set(true);
            return Vec::new();
        }
        let mut out = self.expansions_of(word, scope, prefix, ctx.searcher);
        if out.len() > left {
            out.truncate(left);
            ctx.expansions_cut.set(true);
        }
        ctx.expansions_left.set(left - out.len());
        out
    }

    /// [`Ranker::expansions`] without the query's allowance.
    fn expansions_of(
        &self,
        word: &str,
        scope: Option<Scope>,
        prefix: bool,
        searcher: &Searcher,
    ) -> Vec<Expansion> {
        let f = &self.fields;
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
                    typo: true,
                });
            }
        }
        // A long word the index knows well is taken as complete: completing it would
        // mostly add forms the stemmer already joins, at the cost of more posting lists.
        let complete = known >= common && word.chars().count() >= 5;
        if prefix && !complete && word.chars().count() >= 2 {
            let mut found = dictionary_completions(searcher, field, word, MAX_PREFIX_SCAN);
            let mut boost = PREFIX_BOOST;
            if found.is_empty() && known == 0 && typo_distance(word) > 0 {
                // Nothing starts with what is being typed: a typo in the part typed so far
                // ("slavr" → slavery).
                let q = FuzzyTermQuery::new_prefix(Term::from_field_text(field, word), 1, true);
                found = dictionary_matches(searcher, field, &q, MAX_PREFIX_SCAN);
                boost = PREFIX_BOOST * TYPO_BOOST[1];
            }
            found.retain(|(w, _)| w != word && !out.iter().any(|e| &e.word == w));
            found.sort_by(|a, b| {
                b.1.cmp(&a.1)
                    .then(a.0.len().cmp(&b.0.len()))
                    .then(a.0.cmp(&b.0))
            });
            let completions = if known >= common {
                MAX_EXPANSIONS / 3
            } else {
                MAX_EXPANSIONS
            };
            for (w, _) in found.into_iter().take(completions) {
                out.push(Expansion {
                    word: w,
                    boost,
                    typo: false,
                });
            }
        }
        out
    }

    fn word(
        &self,
        typed: &str,
        stem: &str,
        word: &str,
        clause: &Clause,
        expansions: &[Expansion],
    ) -> Built {
        let f = &self.fields;
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
        );
        let mut en = self.en.clone();
        for e in expansions {
            let e_stem = tokens(&mut en, &e.word)
                .pop()
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
            );
            matchers.push(Matcher::Exact(e.word.clone()));
        }
        if scope.is_none() && word.chars().any(|c| c.is_ascii_digit()) {
            disjuncts.push(Node::term(
                f.symbol,
                format!("{EXACT_MARK}{word}"),
                3.0 * typed_weight,
            ));
            if let Ok(year) = word.parse::<i64>() {
                if (1800..2100).contains(&year) {
                    disjuncts.push(Node::Year(f.year, year).boosted(YEAR_BOOST));
                }
            }
        }
        Built {
            query: Node::any(disjuncts),
            matchers,
            symbolic: false,
        }
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
                boost * CAPITALS_ACRONYM_BOOST
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

/// An index word standing in for a typed word.
struct Expansion {
    word: String,
    boost: f32,
    #[allow(dead_code)]
    typo: bool,
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

fn group_text(group: &Group) -> String {
    group
        .clauses
        .iter()
        .map(|c| c.text.as_str())
        .collect::<Vec<_>>()
        .join(" OR ")
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
    })
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
