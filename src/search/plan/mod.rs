//! Planning: turns an understood query into backend-neutral query trees, field boosts
//! and kind priors ([`Plan`]).
//!
//! This is the one place that decides what counts more: titles, names, acronyms, roles
//! and symbols over body text; exact words over stems over prefixes over typos; whole
//! symbols over their addenda; documents with every word over partial matches. A word's
//! score adds up its matches in every field (and a group's, its alternatives'), with
//! boosts and weights below 1 for expansions: constructs every backend computes exactly.
//! [`clauses`] builds the trees of words, phrases and symbols; [`filters`] those of
//! filters.

mod clauses;
mod filters;

use super::expand::{Expander, MAX_QUERY_EXPANSIONS};
use super::filter::Filter;
use super::present::Matcher;
use super::query::{Group, ParsedQuery};
use super::request::Sort;
use super::tree::Node;
use super::understand::Understanding;
use crate::corpus::Kind;
use crate::glossary::Glossary;
use crate::schema::{self, Fields};
use crate::words::is_written_in_capitals;
use std::sync::Arc;
use tantivy::query::Occur;

/// Weight of a common word (typed in lowercase, a function word of the glossary): a
/// tie-breaker.
const COMMON_WORD_WEIGHT: f32 = 0.1;

/// Weight of the first letters of a word being typed after other words.
const FRAGMENT_WEIGHT: f32 = 0.2;
/// Letters of a word being typed up to which it is a fragment.
const FRAGMENT_CHARS: usize = 2;

/// A word being typed that is still only a fragment: one or two letters.
fn is_fragment(group: &Group) -> bool {
    match group.clauses.as_slice() {
        [c] => {
            c.prefix
                && !c.phrase
                && c.scope.is_none()
                && c.text.chars().filter(|ch| ch.is_alphanumeric()).count() <= FRAGMENT_CHARS
        }
        _ => false,
    }
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// By relevance.
    Relevance,
    /// Newest year first, then relevance.
    Newest,
    /// Oldest year first, then relevance (sections without a year last).
    Oldest,
}

/// Everything the engine needs to run one search.
pub struct Plan {
    /// Documents matching every required word (and the filters).
    pub conjunctive: Node,
    /// Documents matching any word, for when too few match all; `None` when it would be the same.
    pub disjunctive: Option<Node>,
    /// The disjunctive query without the request's kind/year filters (facet counts).
    pub unfiltered: Node,
    /// `unfiltered` matches what `conjunctive` matches (one required word or phrase, no
    /// request filter): its facets can be counted in the same pass as the results.
    pub unfiltered_is_conjunctive: bool,
    /// The request counts facets (set by the engine; a backend may count them while it
    /// searches).
    pub count_facets: bool,
    /// What the excluded words match: no answer may match any of these.
    pub excluded: Vec<Node>,
    /// Score multiplier per kind code.
    pub kind_weights: [f32; Kind::COUNT],
    /// Result order.
    pub order: Order,
    /// What to highlight.
    pub matchers: Vec<Matcher>,
    /// Human-readable notes on how the query was understood.
    pub notes: Vec<String>,
    /// Each required word or phrase as typed, with its tree: when no section matches
    /// them all, the ones no section matches are told to the user.
    pub required_words: Vec<(String, Node)>,
    /// The query asks for a body: an organization comes before its own publications.
    pub bodies_first: bool,
    /// Ordered by relevance and not asking about people: a mandate holder's report that
    /// the query names better than the mandate does comes before it.
    pub publications_first: bool,
}

impl Plan {
    /// Collapses what requires a word that pruning left empty ([`Node::prune`] with
    /// nothing more to drop): a query requiring an empty word is itself empty, and an
    /// exclusion that matches nothing is gone. Required words stay, an empty one as
    /// [`Node::Empty`], so that it is told as unmatched.
    fn collapse_empty_clauses(&mut self) {
        let nothing_more = |_: &Node| false;
        self.conjunctive.prune(&nothing_more);
        if let Some(disjunctive) = &mut self.disjunctive {
            disjunctive.prune(&nothing_more);
        }
        self.unfiltered.prune(&nothing_more);
        self.excluded.retain(|e| !matches!(e, Node::Empty));
    }
}

/// Plans queries for one field set and glossary.
pub struct Planner {
    fields: Fields,
    glossary: Arc<Glossary>,
}

/// The trees of a query's groups, sorted by what they do.
#[derive(Default)]
struct Groups {
    required: Vec<Node>,
    required_text: Vec<String>,
    optional: Vec<Node>,
    excluded: Vec<Node>,
    matchers: Vec<Matcher>,
    symbolic: bool,
    notes: Vec<String>,
}

impl Groups {
    /// Sections matching any required word (partial matches come from the words that
    /// matter: a section matching only "the" or "on" is no answer, and scoring those
    /// words scans every section); every section when the query has no word.
    fn any_required(&self) -> Node {
        if self.required.is_empty() && self.optional.is_empty() {
            return Node::All;
        }
        Node::Bool(
            self.required
                .iter()
                .map(|q| (Occur::Should, q.clone()))
                .collect(),
        )
    }
}

/// `core` with every filter required (every section when there is nothing).
fn assemble(core: Vec<(Occur, Node)>, filters: &[Node]) -> Node {
    let mut clauses = core;
    for f in filters {
        clauses.push((Occur::Must, f.clone()));
    }
    if clauses.is_empty() {
        clauses.push((Occur::Must, Node::All));
    }
    Node::Bool(clauses)
}

/// Weight of mandate holders when a query names a post (a question about people: 2).
const POST_WEIGHT: f32 = 1.3;

/// Score multipliers per kind and the order, from what the query looks like and asks.
fn priors(
    symbolic: bool,
    understanding: &Understanding,
    notes: &mut Vec<String>,
) -> ([f32; Kind::COUNT], Order) {
    // Organization, mandate, report, overview, document, passage.
    let mut kind_weights: [f32; Kind::COUNT] = [1.0, 1.0, 1.0, 0.6, 1.0, 0.9];
    let weight = |k: Kind| schema::kind_code(k) as usize;
    let intents = &understanding.intents;
    if symbolic {
        kind_weights[weight(Kind::Report)] = 1.6;
        kind_weights[weight(Kind::Document)] = 1.5;
        // Every passage of a document carries its symbol: the report and its files
        // come first, the passages after them.
        kind_weights[weight(Kind::Passage)] = 0.7;
        notes.push("looks like a document symbol: reports first".into());
    }
    if intents.reports || intents.newest {
        kind_weights[weight(Kind::Report)] = 1.8;
        kind_weights[weight(Kind::Document)] = 1.7;
    }
    if intents.bodies {
        // The question asks for a body; what it goes on to say (what the body publishes
        // or does) is named best by the publications themselves, which must not win.
        kind_weights[weight(Kind::Organization)] = 2.0;
        for kind in [Kind::Report, Kind::Document, Kind::Passage, Kind::Overview] {
            kind_weights[weight(kind)] = kind_weights[weight(kind)].min(0.5);
        }
    }
    if intents.post && !intents.people {
        // A post named beside a topic: its holder ahead of the bodies and reports that
        // mention it, not so far that a report the topic names exactly falls behind.
        kind_weights[weight(Kind::Mandate)] = POST_WEIGHT;
        notes.push("names a post: mandate holders ahead".into());
    }
    if intents.people {
        kind_weights[weight(Kind::Mandate)] = 2.0;
        for kind in [Kind::Report, Kind::Document, Kind::Passage] {
            kind_weights[weight(kind)] = kind_weights[weight(kind)].min(0.8);
        }
    }
    let order = if intents.newest {
        Order::Newest
    } else {
        Order::Relevance
    };
    (kind_weights, order)
}

/// The query for one group, plus what it highlights.
struct Built {
    query: Node,
    matchers: Vec<Matcher>,
    symbolic: bool,
}

impl Planner {
    /// A planner over the given fields, with `glossary`'s function words.
    pub fn new(fields: Fields, glossary: Arc<Glossary>) -> Planner {
        Planner { fields, glossary }
    }

    /// The field handles it plans for.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// Plans a search for an understood query and the request's filter; `expander`
    /// finds the index words that prefixes and typos expand to; `unmatchable` tells the
    /// leaves the backend has no match for, dropped from each word's tree as it is built
    /// ([`Node::prune`]: matches and scores unchanged, and no time spent on them later).
    pub(crate) fn plan(
        &self,
        parsed: &ParsedQuery,
        understanding: &Understanding,
        filter: Option<&Filter>,
        sort: Option<Sort>,
        expander: &Expander,
        unmatchable: &dyn Fn(&Node) -> bool,
    ) -> Plan {
        let mut groups = self.groups(parsed, expander, unmatchable);
        groups
            .notes
            .splice(0..0, understanding.notes.iter().cloned());
        // The query's own `kind:` and `year:` count for the facets; the request's filter
        // narrows the results only.
        let query_filters = self.query_filter_clauses(parsed);
        let mut filter_clauses = query_filters.clone();
        if let Some(filter) = filter {
            filter_clauses.insert(0, self.filter_query(filter).boosted(0.0));
        }
        let mut core: Vec<(Occur, Node)> = groups
            .required
            .iter()
            .map(|q| (Occur::Must, q.clone()))
            .collect();
        core.extend(groups.optional.iter().map(|q| (Occur::Should, q.clone())));
        // The preferred language's documents and passages gain a constant.
        // (Only beside required words: alone among optional ones it would match by itself.)
        let language = understanding
            .language
            .filter(|_| !groups.required.is_empty())
            .map(|(language, weight)| {
                let term = Node::basic_term(self.fields.language, language);
                (Occur::Should, Node::Const(Box::new(term), weight))
            });
        core.extend(language.clone());
        let any = groups.any_required();
        let conjunctive = assemble(core, &filter_clauses);
        let disjunctive = (groups.required.len() > 1).then(|| {
            let mut clauses = vec![(Occur::Must, any.clone())];
            clauses.extend(language.clone());
            assemble(clauses, &filter_clauses)
        });
        let unfiltered = assemble(vec![(Occur::Must, any)], &query_filters);
        let unfiltered_is_conjunctive = groups.required.len() == 1 && filter.is_none();
        let (kind_weights, mut order) = priors(groups.symbolic, understanding, &mut groups.notes);
        if let Some(sort) = sort {
            order = match sort.descending {
                true => Order::Newest,
                false => Order::Oldest,
            };
            groups.notes.push(format!("sorted by {}", sort.as_text()));
        }
        let mut plan = Plan {
            conjunctive,
            disjunctive,
            unfiltered,
            unfiltered_is_conjunctive,
            count_facets: false,
            excluded: groups.excluded,
            kind_weights,
            order,
            matchers: groups.matchers,
            notes: groups.notes,
            required_words: groups
                .required_text
                .into_iter()
                .zip(groups.required)
                .collect(),
            bodies_first: understanding.intents.bodies && order == Order::Relevance,
            publications_first: !understanding.intents.people && order == Order::Relevance,
        };
        plan.collapse_empty_clauses();
        plan
    }

    /// The trees of the query's groups, sorted into required, optional and excluded.
    fn groups(
        &self,
        parsed: &ParsedQuery,
        expander: &Expander,
        unmatchable: &dyn Fn(&Node) -> bool,
    ) -> Groups {
        let mut g = Groups::default();
        let mut common_matchers = Vec::new();
        let content_words = parsed
            .groups
            .iter()
            .filter(|g| !g.negated && !g.optional && !self.is_optional(g))
            .count();
        let acronym_bonus = clauses::acronym_bonus(content_words);
        for group in &parsed.groups {
            let Some(built) = self.group(group, expander, acronym_bonus, unmatchable) else {
                g.notes.push(format!(
                    "ignored `{}`: nothing searchable",
                    group_text(group)
                ));
                continue;
            };
            if group.negated {
                g.excluded.push(built.query);
                continue;
            }
            g.symbolic |= built.symbolic;
            if parsed.typing && is_fragment(group) && parsed.groups.len() > 1 {
                // One or two letters of a new word: too little to reorder what the words
                // before it found, enough to break their ties.
                g.notes.push(format!(
                    "`{}` is being typed: it only breaks ties until it is longer",
                    group_text(group)
                ));
                g.matchers.extend(built.matchers);
                g.optional.push(built.query.boosted(FRAGMENT_WEIGHT));
                continue;
            }
            let common = self.is_optional(group);
            if common {
                // A common word ("to", "of") only breaks ties: it names nothing the user
                // wants, so it neither outweighs a word that does nor is highlighted.
                g.notes.push(format!(
                    "`{}` is optional (common word): it only breaks ties",
                    group_text(group)
                ));
                g.optional.push(built.query.boosted(COMMON_WORD_WEIGHT));
                common_matchers.extend(built.matchers);
            } else if group.optional {
                g.matchers.extend(built.matchers);
                g.notes.push(format!("`{}` is optional", group_text(group)));
                g.optional.push(built.query);
            } else {
                g.matchers.extend(built.matchers);
                g.required.push(built.query);
                g.required_text.push(typed_text(group));
            }
        }
        if expander.was_cut() {
            g.notes.push(format!(
                "typo and prefix matching stopped after {MAX_QUERY_EXPANSIONS} index words: later words are matched as typed"
            ));
        }
        if g.required.is_empty() {
            // Only common words: they are the query, and what it highlights.
            g.required = std::mem::take(&mut g.optional);
            g.required_text.clear();
            g.matchers.extend(common_matchers);
        }
        g
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
}

/// What the user typed for a group (its first clause: expansions come after it).
fn typed_text(group: &Group) -> String {
    group
        .clauses
        .iter()
        .find(|c| !c.expansion)
        .or(group.clauses.first())
        .map(|c| c.text.clone())
        .unwrap_or_default()
}

/// A group's words as typed, alternatives joined by `OR`, for notes.
fn group_text(group: &Group) -> String {
    group
        .clauses
        .iter()
        .map(|c| c.text.as_str())
        .collect::<Vec<_>>()
        .join(" OR ")
}
