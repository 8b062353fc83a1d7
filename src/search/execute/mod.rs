//! Running a plan: on the local index ([`local`]) or on a Quickwit cluster
//! ([`remote`]), behind one [`Executor`] trait, so the engine never asks which. The
//! order of results (kind priors, newest first, corpus order) is computed here, once
//! for both.

pub(crate) mod local;
pub(crate) mod remote;

use super::budget::Budget;
use super::plan::{Order, Plan};
use super::request::Facets;
use super::tree::Node;
use crate::corpus::{Kind, Section};
use crate::error::Result;
use crate::index::BuildInfo;
use tantivy::{DocAddress, Searcher};

/// Where a hit comes from, as an executor found it.
#[derive(Clone)]
pub(crate) enum Found {
    /// A document of the local index.
    Local(DocAddress),
    /// A section returned by a remote backend (with its corpus position).
    Remote(Box<Section>, u64),
}

impl Found {
    /// A key that is the same for the same section within one search.
    pub(crate) fn key(&self) -> (u64, u64) {
        match self {
            Found::Local(a) => (u64::from(a.segment_ord), u64::from(a.doc_id)),
            Found::Remote(_, ord) => (u64::MAX, *ord),
        }
    }
}

/// Which of a plan's queries a pass runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pass {
    /// Sections with every required word.
    Complete,
    /// Sections with any of the words (for when too few have them all).
    Partial,
}

/// A backend that runs plans.
pub(crate) trait Executor: Send + Sync {
    /// Which leaves of a query tree (terms, phrases) match nothing on this backend, for
    /// planning to leave them out: the local index looks them up in its dictionary; a
    /// remote backend keeps every leaf.
    fn unmatchable<'a>(&'a self, _searcher: &'a Searcher) -> Box<dyn Fn(&Node) -> bool + 'a> {
        Box::new(|_| false)
    }

    /// The searches of one plan on this backend, made ready once per search (queries
    /// compiled, exclusions evaluated); `searcher` is the local generation's.
    fn prepare<'a>(&'a self, plan: &'a Plan, searcher: &'a Searcher) -> Box<dyn Prepared + 'a>;

    /// The whole section with this id.
    fn get(&self, searcher: &Searcher, id: &str) -> Result<Option<Section>>;

    /// What explanations say of where the search ran, if not on the local index.
    fn describe(&self) -> Option<String>;
}

/// One plan, ready to run on a backend.
pub(crate) trait Prepared {
    /// The best `want` hits of a pass, best first, with scores as shown, and the
    /// number of sections the pass matches.
    fn pass(&self, pass: Pass, want: usize, budget: &Budget) -> Result<(Vec<(f32, Found)>, usize)>;

    /// The section of a hit.
    fn section(&self, found: Found) -> Result<Section>;

    /// The score breakdown of a hit (local index only; `None` elsewhere).
    fn explain(&self, found: &Found, pass: Pass) -> Option<serde_json::Value>;

    /// Counts per kind, year and organization over what the plan's unfiltered query
    /// matches (the page's facets).
    fn unfiltered_facets(&self, budget: &Budget) -> Result<Facets>;

    /// Counts over exactly the sections the search returns, all filters applied, for a
    /// page of `want` hits (Meilisearch's `facetDistribution`).
    fn result_facets(&self, want: usize, budget: &Budget) -> Result<Facets>;

    /// What preparing left unapplied, for explanations.
    fn notes(&self) -> Vec<String>;

    /// How many sections `node` matches (filters and exclusions not applied).
    fn count(&self, node: &Node, budget: &Budget) -> Result<usize>;

    /// Whether `node` matches each of `hits`; `None` where the backend cannot tell (a
    /// remote one).
    fn matching(&self, node: &Node, hits: &[Found], budget: &Budget) -> Result<Option<Vec<bool>>>;
}

/// Which kinds the generation has sections of, by kind code.
pub(crate) fn kinds_present(info: &BuildInfo) -> [bool; Kind::COUNT] {
    let mut present = [false; Kind::COUNT];
    for kind in Kind::ALL {
        if info.sections.get(kind.as_str()).copied().unwrap_or(0) > 0 {
            present[crate::schema::kind_code(kind) as usize] = true;
        }
    }
    present
}

/// Whether every kind present weighs the same in this plan (then results are in
/// plain relevance order and need no per-document key).
pub(crate) fn uniform_weights(plan: &Plan, present: &[bool; Kind::COUNT]) -> bool {
    let weights: Vec<f32> = (0..Kind::COUNT)
        .filter(|&k| present[k])
        .map(|k| plan.kind_weights[k])
        .collect();
    weights.windows(2).all(|w| w[0] == w[1])
}

/// A hit's place in the results: the higher key first, then the earlier section in
/// corpus order (whatever segment or node holds it, so that two builds rank alike).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rank {
    /// The sort key ([`SortKey::key`]).
    pub key: f64,
    /// The section's corpus position.
    pub ord: u64,
}

impl Eq for Rank {}

impl PartialOrd for Rank {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rank {
    /// Greater is better.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key
            .total_cmp(&other.key)
            .then_with(|| other.ord.cmp(&self.ord))
    }
}

/// The order of results, the one place it is computed: highest key first, the key
/// being the score times its kind's weight, the year first when the plan asks for the
/// newest; corpus order among equals ([`Rank`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SortKey {
    weights: [f32; Kind::COUNT],
    order: Order,
}

impl SortKey {
    /// The order `plan` asks for.
    pub(crate) fn of(plan: &Plan) -> SortKey {
        SortKey {
            weights: plan.kind_weights,
            order: plan.order,
        }
    }

    /// The plan's order with every kind weighing 1 (the score shown is the score).
    pub(crate) fn unweighted(plan: &Plan) -> SortKey {
        SortKey {
            weights: [1.0; Kind::COUNT],
            order: plan.order,
        }
    }

    /// The key of a hit with this score, kind code and year.
    pub(crate) fn key(&self, score: f32, kind_code: u64, year: Option<i64>) -> f64 {
        let tweaked = f64::from(self.weighted(score, kind_code));
        // Sections without a year come last in either order.
        let by_year = match self.order {
            Order::Relevance => 0.0,
            Order::Newest => year.unwrap_or(0) as f64 * 1e4,
            Order::Oldest => year.map_or(-1e9, |y| -(y as f64) * 1e4),
        };
        by_year + tweaked
    }

    /// The rank of a hit with this score, kind code, year and corpus position.
    pub(crate) fn rank(&self, score: f32, kind_code: u64, year: Option<i64>, ord: u64) -> Rank {
        Rank {
            key: self.key(score, kind_code, year),
            ord,
        }
    }

    /// Whether keys depend on the kind (kinds weigh differently).
    pub(crate) fn reads_kind(&self) -> bool {
        self.weights.windows(2).any(|w| w[0] != w[1])
    }

    /// Whether keys depend on the year.
    pub(crate) fn reads_year(&self) -> bool {
        self.order != Order::Relevance
    }

    /// The largest weight among the kinds present.
    pub(crate) fn heaviest(&self, present: &[bool; Kind::COUNT]) -> f32 {
        (0..Kind::COUNT)
            .filter(|&k| present[k])
            .map(|k| self.weights[k])
            .fold(0.0f32, f32::max)
    }

    /// The score times its kind's weight.
    pub(crate) fn weighted(&self, score: f32, kind_code: u64) -> f32 {
        score * self.weights[kind_code.min(Kind::COUNT as u64 - 1) as usize]
    }

    /// The score shown for a key (the weighted score, without the year).
    pub(crate) fn score(&self, key: f64) -> f64 {
        match self.order {
            Order::Relevance => key,
            Order::Newest | Order::Oldest => key.rem_euclid(1e4),
        }
    }
}

/// Sections with only some of the words follow those with all of them when the latter
/// do not fill the page.
pub(crate) fn needs_partial_matches(complete_matches: usize, wanted: usize) -> bool {
    complete_matches < wanted || complete_matches == 0
}
