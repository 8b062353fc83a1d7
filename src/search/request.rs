//! What a search is asked and what it answers: the request every front end builds (CLI
//! flags, native HTTP parameters, a Meilisearch body), its limits and cost, and the
//! response, hits and facets they all print.

use super::budget::Cost;
use super::filter;
use super::present::{Highlighter, Snippet};
use super::understand::neighbours::SearchedInstead;
use crate::corpus::Section;
use crate::error::{Error, Result};
use crate::index::BuildInfo;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Results per page when none is asked for.
pub const DEFAULT_LIMIT: usize = 10;
/// Largest page.
pub const MAX_LIMIT: usize = 1000;
/// Deepest offset.
pub const MAX_OFFSET: usize = 100_000;
/// Largest page with score explanations (an explanation costs milliseconds per hit).
pub const MAX_EXPLAIN_LIMIT: usize = 20;

/// One search, as the CLI flags and the HTTP parameters describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// What the user typed.
    pub query: String,
    /// Results per page (0: count only).
    pub limit: usize,
    /// Results to skip.
    pub offset: usize,
    /// Only sections meeting this condition over kind, year and organization (the
    /// flags, parameters and filter expressions of every front end build it).
    #[serde(default)]
    pub filter: Option<filter::Filter>,
    /// Add score breakdowns and how the query was understood.
    pub explain: bool,
    /// Add counts per kind and year over all matches, before the kind/year filters.
    pub facets: bool,
    /// Add counts per kind, year and org over exactly the results, all filters applied
    /// (Meilisearch's `facetDistribution`).
    #[serde(default)]
    pub result_facets: bool,
    /// Sort by an attribute before relevance (`year:desc`); sections without the
    /// attribute come last either way.
    #[serde(default)]
    pub sort: Option<Sort>,
    /// The query is being typed into a search box: its last word (with no space after
    /// it) is unfinished and also matches as a prefix, even when it is a complete word
    /// of the index, and it triggers no intent. Otherwise only a last word the index does
    /// not know is completed.
    pub typing: bool,
    /// Cut a snippet of each hit's body around its matches (the Meilisearch routes,
    /// which highlight whole fields themselves when asked, do without).
    #[serde(default = "yes")]
    pub snippets: bool,
}

fn yes() -> bool {
    true
}

/// A sort on an attribute: sections that match every word are ordered by it, then by
/// relevance; those that match only some of the words follow, ordered the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sort {
    /// The attribute (only `year` is sortable).
    pub field: SortField,
    /// Largest first.
    pub descending: bool,
}

/// The sortable attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortField {
    /// The year of a report, document or passage.
    Year,
}

impl Sort {
    /// Parses `year:desc`, `year:asc` (or `year`, ascending as in Meilisearch).
    pub fn parse(text: &str) -> std::result::Result<Sort, String> {
        let text = text.trim();
        let (name, direction) = text.split_once(':').unwrap_or((text, "asc"));
        let field = match name.trim() {
            "year" => SortField::Year,
            other => {
                return Err(format!(
                    "attribute `{}` is not sortable; the sortable attribute is `year` (`year:asc` or `year:desc`)",
                    other.chars().take(60).collect::<String>()
                ))
            }
        };
        let descending = match direction.trim() {
            "desc" => true,
            "asc" => false,
            other => {
                return Err(format!(
                    "`{}` is not a sort direction: write `{}:asc` or `{}:desc`",
                    other.chars().take(20).collect::<String>(),
                    name.trim(),
                    name.trim()
                ))
            }
        };
        Ok(Sort { field, descending })
    }

    /// As written in a request: `year:desc`.
    pub fn as_text(&self) -> &'static str {
        match (self.field, self.descending) {
            (SortField::Year, true) => "year:desc",
            (SortField::Year, false) => "year:asc",
        }
    }
}

impl SearchRequest {
    /// A request for `query` with default settings.
    pub fn new(query: impl Into<String>) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            limit: DEFAULT_LIMIT,
            offset: 0,
            filter: None,
            explain: false,
            facets: false,
            result_facets: false,
            sort: None,
            typing: false,
            snippets: true,
        }
    }

    /// This request, also requiring `filter` (ANDed with any filter it has).
    pub fn and_filter(mut self, filter: filter::Filter) -> SearchRequest {
        self.filter = filter::Filter::and_optional(self.filter.take(), filter);
        self
    }

    /// Checks the limits; the query text itself is never invalid.
    pub fn validate(&self) -> Result<()> {
        if let Some(filter) = &self.filter {
            filter.validate()?;
        }
        if self.limit > MAX_LIMIT {
            return Err(Error::InvalidRequest {
                parameter: "limit".into(),
                message: format!("{} is more than the maximum of {MAX_LIMIT}", self.limit),
            });
        }
        if self.offset > MAX_OFFSET {
            return Err(Error::InvalidRequest {
                parameter: "offset".into(),
                message: format!("{} is more than the maximum of {MAX_OFFSET}", self.offset),
            });
        }
        if self.explain && self.limit > MAX_EXPLAIN_LIMIT {
            return Err(Error::InvalidRequest {
                parameter: "explain".into(),
                message: format!(
                    "explanations are given for at most {MAX_EXPLAIN_LIMIT} hits at a time; \
                     ask for a smaller limit (asked: {})",
                    self.limit
                ),
            });
        }
        Ok(())
    }

    /// How heavy this search is, from its shape: the words to expand and match, the
    /// hits to fetch and highlight, explanations and facets.
    pub fn cost(&self) -> Cost {
        let words = self.query.split_whitespace().take(1000).count() as u32;
        let hits = (self.offset.saturating_add(self.limit) / 10) as u32;
        let explain = if self.explain {
            20 * self.limit.max(1) as u32
        } else {
            0
        };
        let facets = if self.facets { 10 } else { 0 };
        Cost(10 + 5 * words.min(64) + hits + explain + facets)
    }
}

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// 1-based rank in the whole result list.
    pub rank: usize,
    /// The ranking key, in [0, 1) (higher is better): in relevance order it falls as
    /// the rank grows; sections matching every required word score 0.5 or more.
    pub score: f32,
    /// The engine's own score (BM25 with field boosts and kind priors), which
    /// explanations break down.
    #[serde(default)]
    pub relevance: f32,
    /// The section as stored.
    #[serde(flatten)]
    pub section: Section,
    /// The best part of the body and the matches in it (in JSON: HTML, the text
    /// escaped and the matches in `<mark>`).
    pub snippet: Snippet,
    /// The official text of the section's first UN symbol, at the United Nations'
    /// resolver (`https://undocs.org/fr/A/HRC/47/34` when the language is known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Where `tipdex serve` serves a document's file, opened at the passage's page
    /// (`/documents/ID#page=3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    /// Matches only some of the required words (shown after every section that matches
    /// them all).
    #[serde(default)]
    pub partial: bool,
    /// Score breakdown (with `explain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<serde_json::Value>,
}

/// Counts of matches per value.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Facets {
    /// Matches per kind.
    pub kind: BTreeMap<String, u64>,
    /// Matches per year.
    pub year: BTreeMap<String, u64>,
    /// Matches per organization.
    pub org: BTreeMap<String, u64>,
}

/// How the query was understood (with `explain`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct QueryExplanation {
    /// The groups of the query, as parsed.
    pub terms: Vec<String>,
    /// Notes: optional words, ignored parts, intents.
    pub notes: Vec<String>,
    /// Whether the results are ordered by relevance or by year.
    pub order: String,
    /// Whether some results match only some of the words.
    pub partial_matches: bool,
}

/// The answer to a [`SearchRequest`].
#[derive(Debug, Clone, Serialize)]
pub struct SearchResponse {
    /// The query text.
    pub query: String,
    /// Number of matching sections.
    pub total_hits: usize,
    /// Time spent searching, in milliseconds.
    pub took_ms: f64,
    /// Results skipped.
    pub offset: usize,
    /// Page size.
    pub limit: usize,
    /// The page of results.
    pub hits: Vec<Hit>,
    /// Words and phrases of the query that no section mentions (then the results match
    /// only the rest of it).
    pub unmatched: Vec<String>,
    /// Neighbouring concepts searched in place of unmatched words, when the glossary
    /// knows one ("child soldiers" → "children and armed conflict"); the hits then match
    /// the neighbour, and all are partial.
    pub searched_instead: Vec<SearchedInstead>,
    /// Counts per kind and year (with `facets`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
    /// How the query was understood (with `explain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<QueryExplanation>,
    /// Counts over exactly the results (with `result_facets`).
    #[serde(skip)]
    pub result_facets: Option<Facets>,
    /// What this search matched, to highlight other texts of its hits than the snippet.
    #[serde(skip)]
    pub highlighter: std::sync::Arc<Highlighter>,
}

/// Statistics about the open index.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// Sections per kind.
    pub sections: BTreeMap<String, usize>,
    /// All sections.
    pub total: usize,
    /// Index size on disk, in bytes.
    pub index_bytes: u64,
    /// Build facts.
    pub build: BuildInfo,
    /// Generation in use.
    pub generation: String,
}
