//! The Meilisearch search API subset, for one index with uid `sections`, so the
//! Meilisearch clients and InstantSearch work unchanged against tipdex.
//!
//! Routes: `POST`/`GET /indexes/sections/search`, `POST /multi-search`,
//! `GET /indexes`, `GET /indexes/sections`, `GET /indexes/sections/documents/{id}` and
//! `GET /version` (`GET /health` is shared with the native API). Search parameters:
//! `q`, `offset`/`limit` or `page`/`hitsPerPage`, `filter` (see [`crate::search::filter`]),
//! `facets` (`kind`, `year`, `org`), `attributesToRetrieve`, `attributesToHighlight`,
//! `highlightPreTag`/`highlightPostTag`, `attributesToCrop`/`cropLength`/`cropMarker`,
//! `showMatchesPosition` and `showRankingScore`; other parameters are ignored.
//!
//! Unlike Meilisearch, every string in `_formatted` is HTML: document text is escaped
//! (only the highlight tags and crop marker the client chose are inserted raw), so it can
//! be put into a page as it is. `_matchesPosition` offsets are in bytes, as Meilisearch's.

use super::error::{ApiError, SafeJson};
use super::native::{check_query_length, truncate};
use super::{AppState, Limits};
use crate::corpus::Section;
use crate::error::Error;
use crate::search::budget::{Budget, Cost};
use crate::search::filter;
use crate::search::present::{crop, render::render, Highlighter, Span, Style};
use crate::search::{Engine, Facets, SearchRequest, Sort, MAX_LIMIT, MAX_OFFSET};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

/// The one index uid.
pub const INDEX_UID: &str = "sections";
/// Hits per page when neither `limit` nor `hitsPerPage` is given (Meilisearch's default).
pub const DEFAULT_LIMIT: usize = 20;
/// Words kept by `attributesToCrop` when `cropLength` is not given.
pub const DEFAULT_CROP_LENGTH: usize = 10;
/// Most queries in one `/multi-search` (400 beyond).
pub const MAX_MULTI_SEARCH_QUERIES: usize = 100;
/// Most hits one `/multi-search` may ask for, all its pages together (400 beyond): as
/// many as one search. Without it a 64 KiB body of `{"limit": 1000}` queries costs
/// seconds of CPU and hundreds of MB of memory.
pub const MAX_MULTI_SEARCH_HITS: usize = MAX_LIMIT;
/// Longest `highlightPreTag`, `highlightPostTag` and `cropMarker`, in characters: each
/// is inserted at every match (or cropped end) of every field of every hit.
pub const MAX_TAG_CHARS: usize = 256;
/// The attributes `filter` and `facets` accept.
pub const FILTERABLE: [&str; 3] = ["kind", "org", "year"];

/// One search, as the Meilisearch clients send it. A field Meilisearch does not know is
/// refused (`bad_request`), as Meilisearch refuses it; one it knows and tipdex cannot
/// honour is refused with Meilisearch's code for that parameter ([`check_supported`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeiliQuery {
    /// The index (in `/multi-search`).
    pub index_uid: Option<String>,
    /// The query text; none or empty: every section.
    pub q: Option<String>,
    /// Hits to skip.
    pub offset: Option<usize>,
    /// Hits to return.
    pub limit: Option<usize>,
    /// Page number, from 1 (switches to page-based answers).
    pub page: Option<usize>,
    /// Hits per page (switches to page-based answers).
    pub hits_per_page: Option<usize>,
    /// A filter expression, or the array form.
    pub filter: Option<Value>,
    /// Attributes to count values of.
    pub facets: Option<Vec<String>>,
    /// Attributes to return (`*`: all).
    pub attributes_to_retrieve: Option<Vec<String>>,
    /// Attributes to highlight in `_formatted` (`*`: all).
    pub attributes_to_highlight: Option<Vec<String>>,
    /// Inserted before a match (default `<em>`).
    pub highlight_pre_tag: Option<String>,
    /// Inserted after a match (default `</em>`).
    pub highlight_post_tag: Option<String>,
    /// Attributes to crop in `_formatted`, optionally `attr:words`.
    pub attributes_to_crop: Option<Vec<String>>,
    /// Words kept around the matches when cropping.
    pub crop_length: Option<usize>,
    /// Marks a cropped end (default `…`).
    pub crop_marker: Option<String>,
    /// Add `_matchesPosition` to each hit.
    pub show_matches_position: Option<bool>,
    /// Add `_rankingScore` to each hit.
    pub show_ranking_score: Option<bool>,
    /// Sort rules (`["year:desc"]`): one, on `year`.
    pub sort: Option<Vec<String>>,
    /// Meilisearch's rule for dropping words: `last` (its default) and `frequency` are
    /// accepted — tipdex ranks sections that match more of the words first and keeps
    /// those matching fewer below them, whichever is given; `all` is refused.
    pub matching_strategy: Option<String>,
    /// Only `["*"]` (every searchable attribute) is accepted.
    pub attributes_to_search_on: Option<Vec<String>>,
    /// Accepted: tipdex analyses English and French text the same way whatever is given.
    pub locales: Option<Vec<String>>,
    /// Refused when true (tipdex has no per-rule score details).
    pub show_ranking_score_details: Option<bool>,
    /// Refused (no distinct attribute).
    pub distinct: Option<Value>,
    /// Refused (scores are not normalized to Meilisearch's 0–1 scale).
    pub ranking_score_threshold: Option<Value>,
    /// Refused (no embedder).
    pub hybrid: Option<Value>,
    /// Refused (no embedder).
    pub vector: Option<Value>,
    /// Accepted when false; refused when true (no vectors are stored).
    pub retrieve_vectors: Option<bool>,
    /// Refused (multi-search without federation only).
    pub federation_options: Option<Value>,
}

/// Refuses the Meilisearch parameters tipdex cannot honour, each with Meilisearch's own
/// error code for it, rather than answering as if it had honoured them.
fn check_supported(query: &MeiliQuery) -> Result<(), ApiError> {
    let refuse = |code: &str, message: String| Err(bad(message).meili(code));
    if let Some(strategy) = query.matching_strategy.as_deref() {
        match strategy {
            "last" | "frequency" => {}
            "all" => {
                return refuse(
                    "invalid_search_matching_strategy",
                    "`matchingStrategy: \"all\"` is not supported: tipdex ranks sections that match every word first and keeps those that match fewer below them (as `last` does)".into(),
                )
            }
            other => {
                return refuse(
                    "invalid_search_matching_strategy",
                    format!(
                        "unknown value `{}` at `.matchingStrategy`: expected one of `last`, `all`, `frequency`",
                        truncate(other, 40)
                    ),
                )
            }
        }
    }
    if let Some(attributes) = &query.attributes_to_search_on {
        if !attributes.iter().all(|a| a == "*") {
            return refuse(
                "invalid_search_attributes_to_search_on",
                "`attributesToSearchOn` is not supported beyond `[\"*\"]`: tipdex searches every searchable attribute, each with its own weight".into(),
            );
        }
    }
    let refused: [(&str, bool, &str); 7] = [
        (
            "showRankingScoreDetails",
            query.show_ranking_score_details == Some(true),
            "invalid_search_show_ranking_score_details",
        ),
        (
            "distinct",
            query.distinct.as_ref().is_some_and(|v| !v.is_null()),
            "invalid_search_distinct",
        ),
        (
            "rankingScoreThreshold",
            query
                .ranking_score_threshold
                .as_ref()
                .is_some_and(|v| !v.is_null()),
            "invalid_search_ranking_score_threshold",
        ),
        (
            "hybrid",
            query.hybrid.as_ref().is_some_and(|v| !v.is_null()),
            "invalid_search_hybrid_query",
        ),
        (
            "vector",
            query.vector.as_ref().is_some_and(|v| !v.is_null()),
            "invalid_search_vector",
        ),
        (
            "retrieveVectors",
            query.retrieve_vectors == Some(true),
            "invalid_search_retrieve_vectors",
        ),
        (
            "federationOptions",
            query
                .federation_options
                .as_ref()
                .is_some_and(|v| !v.is_null()),
            "invalid_multi_search_federation_options",
        ),
    ];
    for (name, given, code) in refused {
        if given {
            return refuse(
                code,
                format!("`{name}` is not supported by tipdex (see the README's Meilisearch compatibility table)"),
            );
        }
    }
    Ok(())
}

/// A Meilisearch search answer, serialized once, as it is written to the client.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeiliResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    index_uid: Option<String>,
    hits: Vec<MeiliHit>,
    query: String,
    processing_time_ms: u64,
    #[serde(flatten)]
    pagination: Pagination,
    #[serde(skip_serializing_if = "Option::is_none")]
    facet_distribution: Option<BTreeMap<String, BTreeMap<String, u64>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    facet_stats: Option<BTreeMap<String, Value>>,
}

impl MeiliResponse {
    /// The answer as Meilisearch's page of documents (`GET /indexes/{uid}/documents`).
    pub fn into_document_page(self) -> Value {
        let (offset, limit, total) = match self.pagination {
            Pagination::Offset {
                limit,
                offset,
                estimated_total_hits,
            } => (offset, limit, estimated_total_hits),
            Pagination::Pages {
                hits_per_page,
                page,
                total_hits,
                ..
            } => (
                page.saturating_sub(1).saturating_mul(hits_per_page),
                hits_per_page,
                total_hits,
            ),
        };
        json!({"results": self.hits, "offset": offset, "limit": limit, "total": total})
    }
}

/// One hit of a Meilisearch answer.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum MeiliHit {
    /// Every attribute of the section as stored (what a search asks for by default),
    /// written straight from the section.
    Whole(Box<WholeHit>),
    /// Some attributes, `_formatted`, match positions or the ranking score.
    Shaped(Value),
}

/// A section with its links, as a hit that asks for nothing else.
#[derive(Debug, Serialize)]
pub struct WholeHit {
    #[serde(flatten)]
    section: Section,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_url: Option<String>,
}

/// The answer of `POST /multi-search`.
#[derive(Debug, Serialize)]
pub struct MultiSearchResults {
    results: Vec<MeiliResponse>,
}

#[derive(Debug, Serialize)]
#[serde(untagged, rename_all_fields = "camelCase")]
enum Pagination {
    Offset {
        limit: usize,
        offset: usize,
        estimated_total_hits: usize,
    },
    Pages {
        hits_per_page: usize,
        page: usize,
        total_pages: usize,
        total_hits: usize,
    },
}

/// `POST /indexes/{uid}/search`.
pub async fn search_post(
    State(app): State<AppState>,
    Path(uid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<SafeJson<MeiliResponse>, ApiError> {
    check_uid(&uid)?;
    let query: MeiliQuery = read_json(&headers, body, &app.limits).await?;
    let limits = app.limits;
    app.run(cost(&query), move |engine, budget| {
        search(engine, &query, &limits, budget)
    })
    .await
    .map(SafeJson)
}

/// `GET /indexes/{uid}/search?q=...` (list parameters comma-separated).
pub async fn search_get(
    State(app): State<AppState>,
    Path(uid): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<SafeJson<MeiliResponse>, ApiError> {
    check_uid(&uid)?;
    let query = query_from_url(raw.as_deref().unwrap_or(""))?;
    let limits = app.limits;
    app.run(cost(&query), move |engine, budget| {
        search(engine, &query, &limits, budget)
    })
    .await
    .map(SafeJson)
}

#[derive(Debug, Deserialize)]
struct MultiSearch {
    queries: Vec<Value>,
    #[serde(default)]
    federation: Option<Value>,
}

/// `POST /multi-search`: `{"queries": [{"indexUid": "sections", "q": ...}, ...]}`.
pub async fn multi_search(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<SafeJson<MultiSearchResults>, ApiError> {
    let request: Value = read_json(&headers, body, &app.limits).await?;
    let queries = multi_search_queries(request)?;
    let limits = app.limits;
    let total = queries.iter().fold(Cost(0), |sum, q| sum.plus(cost(q)));
    app.run(total, move |engine, budget| {
        let mut results = Vec::with_capacity(queries.len());
        for (i, query) in queries.iter().enumerate() {
            let result = search(engine, query, &limits, budget).map_err(|e| ApiError {
                message: format!("Inside `.queries[{i}]`: {}", e.message),
                ..e
            })?;
            results.push(result);
        }
        Ok(MultiSearchResults { results })
    })
    .await
    .map(SafeJson)
}

/// The queries of a `/multi-search` body, checked: each for the one index, at most
/// [`MAX_MULTI_SEARCH_QUERIES`] of them, at most [`MAX_MULTI_SEARCH_HITS`] hits in all.
pub fn multi_search_queries(body: Value) -> Result<Vec<MeiliQuery>, ApiError> {
    let request: MultiSearch = serde_json::from_value(body)
        .map_err(|e| bad(format!("the body is not a valid multi-search request: {e}")))?;
    if request.federation.as_ref().is_some_and(|f| !f.is_null()) {
        return Err(bad("federated multi-search is not supported by tipdex")
            .meili("invalid_multi_search_federated"));
    }
    if request.queries.len() > MAX_MULTI_SEARCH_QUERIES {
        return Err(bad(format!(
            "{} queries in one multi-search: at most {MAX_MULTI_SEARCH_QUERIES}",
            request.queries.len()
        ))
        .meili("invalid_multi_search_queries"));
    }
    let mut queries = Vec::with_capacity(request.queries.len());
    let mut hits = 0;
    for (i, value) in request.queries.into_iter().enumerate() {
        let inside = |e: ApiError| ApiError {
            message: format!("Inside `.queries[{i}]`: {}", e.message),
            ..e
        };
        let query: MeiliQuery = serde_json::from_value(value)
            .map_err(|e| inside(bad(e.to_string()).meili("bad_request")))?;
        match query.index_uid.as_deref() {
            Some(uid) => check_uid(uid).map_err(inside)?,
            None => {
                return Err(inside(
                    bad("missing field `indexUid`").meili("missing_index_uid"),
                ))
            }
        }
        hits += page_size(&query);
        queries.push(query);
    }
    if hits > MAX_MULTI_SEARCH_HITS {
        return Err(bad(format!(
            "the queries of one multi-search ask for {hits} hits in all: at most {MAX_MULTI_SEARCH_HITS}"
        ))
        .meili("invalid_multi_search_queries"));
    }
    Ok(queries)
}

/// `GET /indexes`: the one index.
pub async fn indexes(State(app): State<AppState>) -> SafeJson<Value> {
    let info = index_description(&app);
    SafeJson(json!({"results": [info], "offset": 0, "limit": 20, "total": 1}))
}

/// `GET /indexes/{uid}`.
pub async fn index_info(
    State(app): State<AppState>,
    Path(uid): Path<String>,
) -> Result<SafeJson<Value>, ApiError> {
    check_uid(&uid)?;
    Ok(SafeJson(index_description(&app)))
}

/// `GET /indexes/{uid}/documents/{id}`: one section.
pub async fn document(
    State(app): State<AppState>,
    Path((uid, id)): Path<(String, String)>,
) -> Result<SafeJson<Value>, ApiError> {
    check_uid(&uid)?;
    app.run(Cost(1), move |engine, _| match engine.get(&id) {
        Ok(section) => serde_json::to_value(section).map_err(|e| ApiError::internal(e.to_string())),
        Err(Error::NotFound(_)) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "document_not_found",
            format!("Document `{}` not found.", truncate(&id, 100)),
        )
        .meili("document_not_found")),
        Err(e) => Err(meili_error(e)),
    })
    .await
    .map(SafeJson)
}

/// `GET /version`.
pub async fn version() -> SafeJson<Value> {
    SafeJson(json!({
        "commitSha": "unknown",
        "commitDate": "unknown",
        "pkgVersion": env!("CARGO_PKG_VERSION"),
        "engine": "tipdex",
    }))
}

fn index_description(app: &AppState) -> Value {
    let built = rfc3339(app.live.engine().info().built_at);
    json!({"uid": INDEX_UID, "primaryKey": "id", "createdAt": built, "updatedAt": built})
}

pub(super) fn check_uid(uid: &str) -> Result<(), ApiError> {
    if uid == INDEX_UID {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::NOT_FOUND,
        "index_not_found",
        format!("Index `{}` not found.", truncate(uid, 100)),
    )
    .meili("index_not_found"))
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message).meili("bad_request")
}

/// A library error in Meilisearch's shape.
fn meili_error(e: Error) -> ApiError {
    let code = match &e {
        Error::InvalidRequest { parameter, .. } => match parameter.as_str() {
            "filter" => "invalid_search_filter",
            "limit" => "invalid_search_limit",
            "offset" => "invalid_search_offset",
            _ => "bad_request",
        },
        Error::NotFound(_) => "document_not_found",
        Error::IndexMissing { .. } => "index_not_found",
        Error::OutOfTime { .. } | Error::Cancelled => "search_timeout",
        Error::AnswerTooLarge { .. } => "answer_too_large",
        _ => "internal",
    };
    ApiError::from(e).meili(code)
}

/// Reads a JSON body of at most `limits.max_body_bytes`, within `limits.request_timeout`.
/// An empty body is `{}`.
pub(super) async fn read_json<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    limits: &Limits,
) -> Result<T, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the request body is larger than {} bytes",
                limits.max_body_bytes
            ),
        )
        .meili("payload_too_large")
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
        return Err(too_large());
    }
    let read = async {
        let mut stream = body.into_data_stream();
        let mut bytes: Vec<u8> = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| bad(format!("cannot read the request body: {e}")))?;
            if bytes.len() + chunk.len() > limits.max_body_bytes {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    let bytes = tokio::time::timeout(limits.request_timeout, read)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!(
                    "the request body did not arrive within {} s",
                    limits.request_timeout.as_secs_f64()
                ),
            )
            .meili("request_timeout")
        })??;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return serde_json::from_str("{}").map_err(|e| bad(e.to_string()));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| bad(format!("the body is not a valid search request: {e}")))
}

/// The parameters of `GET /indexes/{uid}/search`, lists comma-separated.
pub fn query_from_url(raw: &str) -> Result<MeiliQuery, ApiError> {
    let mut query = MeiliQuery::default();
    let mut seen: HashSet<String> = HashSet::new();
    for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
        if !seen.insert(name.to_string()) {
            return Err(
                bad(format!("`{}` is given more than once", truncate(&name, 40)))
                    .meili(&format!("invalid_search_{}", snake(&name))),
            );
        }
        let number = |v: &str| {
            v.trim().parse::<usize>().map_err(|_| {
                bad(format!(
                    "`{}` is not a valid number for `{name}`",
                    truncate(v, 40)
                ))
                .meili(&format!("invalid_search_{}", snake(&name)))
            })
        };
        let list = |v: &str| -> Vec<String> {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let flag = |v: &str| matches!(v.trim(), "true" | "1");
        match name.as_ref() {
            "q" => query.q = Some(value.into_owned()),
            "offset" => query.offset = Some(number(&value)?),
            "limit" => query.limit = Some(number(&value)?),
            "page" => query.page = Some(number(&value)?),
            "hitsPerPage" => query.hits_per_page = Some(number(&value)?),
            "cropLength" => query.crop_length = Some(number(&value)?),
            "filter" => query.filter = Some(Value::String(value.into_owned())),
            "facets" => query.facets = Some(list(&value)),
            "attributesToRetrieve" => query.attributes_to_retrieve = Some(list(&value)),
            "attributesToHighlight" => query.attributes_to_highlight = Some(list(&value)),
            "attributesToCrop" => query.attributes_to_crop = Some(list(&value)),
            "highlightPreTag" => query.highlight_pre_tag = Some(value.into_owned()),
            "highlightPostTag" => query.highlight_post_tag = Some(value.into_owned()),
            "cropMarker" => query.crop_marker = Some(value.into_owned()),
            "showMatchesPosition" => query.show_matches_position = Some(flag(&value)),
            "showRankingScore" => query.show_ranking_score = Some(flag(&value)),
            "sort" => query.sort = Some(list(&value)),
            "matchingStrategy" => query.matching_strategy = Some(value.into_owned()),
            "attributesToSearchOn" => query.attributes_to_search_on = Some(list(&value)),
            "locales" => query.locales = Some(list(&value)),
            "showRankingScoreDetails" => query.show_ranking_score_details = Some(flag(&value)),
            "distinct" => query.distinct = Some(Value::String(value.into_owned())),
            "rankingScoreThreshold" => {
                query.ranking_score_threshold = Some(Value::String(value.into_owned()))
            }
            "hybridEmbedder" | "hybridSemanticRatio" => {
                query.hybrid = Some(Value::String(value.into_owned()))
            }
            "vector" => query.vector = Some(Value::String(value.into_owned())),
            "retrieveVectors" => query.retrieve_vectors = Some(flag(&value)),
            other => {
                return Err(bad(format!(
                    "unknown parameter `{}`: expected one of `q`, `offset`, `limit`, `page`, `hitsPerPage`, `filter`, `facets`, `sort`, `attributesToRetrieve`, `attributesToHighlight`, `attributesToCrop`, `cropLength`, `cropMarker`, `highlightPreTag`, `highlightPostTag`, `showMatchesPosition`, `showRankingScore`, `showRankingScoreDetails`, `matchingStrategy`, `attributesToSearchOn`, `locales`, `distinct`, `rankingScoreThreshold`, `hybridEmbedder`, `hybridSemanticRatio`, `vector`, `retrieveVectors`",
                    truncate(other, 40)
                ))
                .meili("bad_request"))
            }
        }
    }
    Ok(query)
}

fn snake(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The hits one search returns at most (its page size), as [`search`] computes it.
fn page_size(query: &MeiliQuery) -> usize {
    if query.page.is_some() || query.hits_per_page.is_some() {
        if query.page == Some(0) {
            return 0;
        }
        query.hits_per_page.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT)
    } else {
        query.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT)
    }
}

/// How heavy one Meilisearch search is: the search itself, and the formatting of each
/// hit's highlighted or cropped attributes.
pub fn cost(query: &MeiliQuery) -> Cost {
    let mut request = SearchRequest::new(query.q.clone().unwrap_or_default());
    request.limit = page_size(query);
    request.offset = query.offset.unwrap_or(0).min(MAX_OFFSET);
    request.facets = query.facets.as_ref().is_some_and(|f| !f.is_empty());
    let attributes = |list: &Option<Vec<String>>| -> usize {
        list.iter()
            .flatten()
            .map(|a| if a.starts_with('*') { 8 } else { 1 })
            .sum()
    };
    let formatted =
        attributes(&query.attributes_to_highlight) + attributes(&query.attributes_to_crop);
    let formatting = (request.limit * formatted.min(16) / 10) as u32;
    request.cost().plus(Cost(formatting))
}

/// Checks the lengths of the strings a client has inserted at every match.
fn check_tags(query: &MeiliQuery) -> Result<(), ApiError> {
    let tags = [
        ("highlightPreTag", &query.highlight_pre_tag),
        ("highlightPostTag", &query.highlight_post_tag),
        ("cropMarker", &query.crop_marker),
    ];
    for (name, value) in tags {
        let chars = value.as_deref().map_or(0, |v| v.chars().count());
        if chars > MAX_TAG_CHARS {
            return Err(bad(format!(
                "`{name}` is {chars} characters long; the maximum is {MAX_TAG_CHARS}"
            ))
            .meili(&format!("invalid_search_{}", snake(name))));
        }
    }
    Ok(())
}

/// Runs one Meilisearch search within `budget` and builds its answer.
pub fn search(
    engine: &Engine,
    query: &MeiliQuery,
    limits: &Limits,
    budget: &Budget,
) -> Result<MeiliResponse, ApiError> {
    let started = Instant::now();
    let text = query.q.clone().unwrap_or_default();
    check_query_length("q", &text, limits).map_err(|e| e.meili("invalid_search_q"))?;
    check_tags(query)?;
    check_supported(query)?;
    let window = PageWindow::of(query);
    let facets = facet_names(query.facets.as_deref())?;
    let request = search_request(query, &text, &window, !facets.is_empty())?;
    let response = engine
        .search_within(&request, budget)
        .map_err(meili_error)?;
    let facet_distribution = response
        .result_facets
        .as_ref()
        .map(|counts| facet_distribution(counts, &facets));
    let facet_stats = facet_distribution.as_ref().and_then(year_stats);
    let format = Format::new(Arc::clone(&response.highlighter), query);
    let whole = format.is_whole(query);
    let total_hits = response.total_hits;
    let hits = response
        .hits
        .into_iter()
        .map(|hit| {
            budget.check().map_err(meili_error)?;
            if whole {
                // The engine has counted the section against the answer's size.
                return Ok(MeiliHit::Whole(Box::new(WholeHit {
                    section: hit.section,
                    url: hit.url,
                    source_url: hit.source_url,
                })));
            }
            let mut section = serde_json::to_value(&hit.section)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            for (name, link) in [("url", hit.url), ("source_url", hit.source_url)] {
                if let (Some(link), Value::Object(fields)) = (link, &mut section) {
                    fields.insert(name.into(), Value::String(link));
                }
            }
            let hit = format.hit(section, hit.score, query);
            budget
                .spend_answer_bytes(formatted_bytes(&hit))
                .map_err(meili_error)?;
            Ok(MeiliHit::Shaped(hit))
        })
        .collect::<Result<Vec<MeiliHit>, ApiError>>()?;
    Ok(MeiliResponse {
        index_uid: query.index_uid.clone(),
        hits,
        query: text,
        processing_time_ms: started.elapsed().as_millis() as u64,
        pagination: window.pagination(total_hits),
        facet_distribution,
        facet_stats,
    })
}

/// Which hits a Meilisearch search asks for: `offset`/`limit`, or `page`/`hitsPerPage`
/// (which switch the answer to pages).
struct PageWindow {
    paged: bool,
    offset: usize,
    limit: usize,
    page: usize,
    per_page: usize,
}

impl PageWindow {
    fn of(query: &MeiliQuery) -> PageWindow {
        let paged = query.page.is_some() || query.hits_per_page.is_some();
        if paged {
            let per_page = query.hits_per_page.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
            let page = query.page.unwrap_or(1);
            PageWindow {
                paged,
                offset: page.saturating_sub(1).saturating_mul(per_page),
                limit: if page == 0 { 0 } else { per_page },
                page,
                per_page,
            }
        } else {
            PageWindow {
                paged,
                offset: query.offset.unwrap_or(0),
                limit: query.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT),
                page: 0,
                per_page: 0,
            }
        }
    }

    /// The answer's pagination fields for `total` hits.
    fn pagination(&self, total: usize) -> Pagination {
        if self.paged {
            Pagination::Pages {
                hits_per_page: self.per_page,
                page: self.page,
                total_pages: if self.per_page == 0 {
                    0
                } else {
                    total.div_ceil(self.per_page)
                },
                total_hits: total,
            }
        } else {
            Pagination::Offset {
                limit: self.limit,
                offset: self.offset,
                estimated_total_hits: total,
            }
        }
    }
}

/// The library's request for a Meilisearch search.
fn search_request(
    query: &MeiliQuery,
    text: &str,
    window: &PageWindow,
    with_facets: bool,
) -> Result<SearchRequest, ApiError> {
    let filter = match &query.filter {
        Some(value) => filter::parse_value(value)
            .map_err(|e| bad(format!("invalid filter: {e}")).meili("invalid_search_filter"))?,
        None => None,
    };
    let mut request = SearchRequest::new(text);
    request.filter = filter;
    request.sort = sort_of(query)?;
    // Past the deepest offset there is nothing to show (Meilisearch answers no hits).
    let beyond = window.offset > MAX_OFFSET;
    request.offset = if beyond { 0 } else { window.offset };
    request.limit = if beyond { 0 } else { window.limit };
    request.result_facets = with_facets;
    // Meilisearch matches the last word as a prefix whenever there is no space after it.
    request.typing = true;
    // Hits carry whole fields; `_formatted` highlights and crops them itself.
    request.snippets = false;
    request.validate().map_err(meili_error)?;
    Ok(request)
}

/// The sort a Meilisearch search asks for: at most one rule, on `year`
/// (`invalid_search_sort` otherwise, never a silent relevance order).
fn sort_of(query: &MeiliQuery) -> Result<Option<Sort>, ApiError> {
    let rules = query.sort.as_deref().unwrap_or_default();
    let invalid = |message: String| bad(message).meili("invalid_search_sort");
    match rules {
        [] => Ok(None),
        [rule] => Sort::parse(rule)
            .map(Some)
            .map_err(|e| invalid(format!("invalid sort `{}`: {e}", truncate(rule, 60)))),
        _ => Err(invalid(format!(
            "{} sort rules given: tipdex sorts on one attribute (`year:asc` or `year:desc`)",
            rules.len()
        ))),
    }
}

/// `facetDistribution`: the counts of the attributes asked for.
fn facet_distribution(
    counts: &Facets,
    names: &[String],
) -> BTreeMap<String, BTreeMap<String, u64>> {
    names
        .iter()
        .map(|name| {
            let values = match name.as_str() {
                "kind" => counts.kind.clone(),
                "year" => counts.year.clone(),
                _ => counts.org.clone(),
            };
            (name.clone(), values)
        })
        .collect()
}

/// `facetStats`: the smallest and largest year counted.
fn year_stats(
    distribution: &BTreeMap<String, BTreeMap<String, u64>>,
) -> Option<BTreeMap<String, Value>> {
    let years: Vec<i64> = distribution
        .get("year")?
        .keys()
        .filter_map(|y| y.parse().ok())
        .collect();
    let (min, max) = (years.iter().min()?, years.iter().max()?);
    Some(BTreeMap::from([(
        "year".to_string(),
        json!({"min": min, "max": max}),
    )]))
}

/// The bytes of the highlighted and cropped copies in a formatted hit (the hit's own
/// fields were counted by the search).
fn formatted_bytes(hit: &Value) -> usize {
    fn size(v: &Value) -> usize {
        match v {
            Value::String(s) => s.len() + 2,
            Value::Array(items) => items.iter().map(size).sum::<usize>() + 2,
            Value::Object(map) => {
                map.iter()
                    .map(|(k, v)| k.len() + 3 + size(v))
                    .sum::<usize>()
                    + 2
            }
            _ => 8,
        }
    }
    hit.get("_formatted").map_or(0, size) + hit.get("_matchesPosition").map_or(0, size)
}

/// The facet attributes asked for (`*`: all); an attribute that is not filterable is a 400.
fn facet_names(asked: Option<&[String]>) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for name in asked.unwrap_or_default() {
        if name == "*" {
            return Ok(FILTERABLE.iter().map(|s| s.to_string()).collect());
        }
        if !FILTERABLE.contains(&name.as_str()) {
            return Err(bad(format!(
                "invalid facets: attribute `{}` is not filterable; the filterable attributes are `kind`, `org` and `year`",
                truncate(name, 40)
            ))
            .meili("invalid_search_facets"));
        }
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    Ok(out)
}

/// Which attributes a list names: all (`*`) or some.
enum Attributes {
    All,
    Some(HashSet<String>),
}

impl Attributes {
    fn from(list: Option<&[String]>) -> Attributes {
        let list = list.unwrap_or_default();
        if list.iter().any(|a| a == "*") {
            Attributes::All
        } else {
            Attributes::Some(list.iter().cloned().collect())
        }
    }

    fn contains(&self, name: &str) -> bool {
        match self {
            Attributes::All => true,
            Attributes::Some(set) => set.contains(name),
        }
    }
}

/// How hits are formatted for one search.
struct Format {
    highlighter: Option<Arc<Highlighter>>,
    formatted: bool,
    highlight: Attributes,
    crop_all: Option<usize>,
    crop: HashMap<String, usize>,
    pre: String,
    post: String,
    marker: String,
    retrieve: Attributes,
}

impl Format {
    fn new(highlighter: Arc<Highlighter>, query: &MeiliQuery) -> Format {
        let default_length = query.crop_length.unwrap_or(DEFAULT_CROP_LENGTH);
        let mut crop = HashMap::new();
        let mut crop_all = None;
        for item in query.attributes_to_crop.as_deref().unwrap_or_default() {
            let (name, length) = match item.rsplit_once(':') {
                Some((name, n)) => match n.trim().parse::<usize>() {
                    Ok(n) => (name, n),
                    Err(_) => (item.as_str(), default_length),
                },
                None => (item.as_str(), default_length),
            };
            if name == "*" {
                crop_all = Some(length);
            } else {
                crop.insert(name.to_string(), length);
            }
        }
        let highlight_list = query.attributes_to_highlight.as_deref().unwrap_or_default();
        let formatted = !highlight_list.is_empty() || crop_all.is_some() || !crop.is_empty();
        let matches = query.show_matches_position.unwrap_or(false);
        let needs_spans = formatted || matches;
        let retrieve = match query.attributes_to_retrieve.as_deref() {
            None => Attributes::All,
            Some(list) => Attributes::from(Some(list)),
        };
        Format {
            highlighter: needs_spans.then_some(highlighter),
            formatted,
            highlight: Attributes::from(Some(highlight_list)),
            crop_all,
            crop,
            pre: query
                .highlight_pre_tag
                .clone()
                .unwrap_or_else(|| "<em>".into()),
            post: query
                .highlight_post_tag
                .clone()
                .unwrap_or_else(|| "</em>".into()),
            marker: query.crop_marker.clone().unwrap_or_else(|| "…".into()),
            retrieve,
        }
    }

    /// Whether hits are sections as stored: every attribute, nothing added.
    fn is_whole(&self, query: &MeiliQuery) -> bool {
        matches!(self.retrieve, Attributes::All)
            && !self.formatted
            && !query.show_matches_position.unwrap_or(false)
            && !query.show_ranking_score.unwrap_or(false)
    }

    fn hit(&self, section: Value, score: f32, query: &MeiliQuery) -> Value {
        let Value::Object(fields) = section else {
            return section;
        };
        let mut fields = fields;
        fields.retain(|k, _| self.retrieve.contains(k));
        let wants_more = self.formatted
            || query.show_matches_position.unwrap_or(false)
            || query.show_ranking_score.unwrap_or(false);
        if !wants_more {
            return Value::Object(fields);
        }
        let mut out = fields.clone();
        if self.formatted {
            let formatted: Map<String, Value> = fields
                .iter()
                .map(|(k, v)| {
                    let highlight = self.highlight.contains(k);
                    let crop = self.crop.get(k).copied().or(self.crop_all);
                    (k.clone(), self.format_value(v, highlight, crop))
                })
                .collect();
            out.insert("_formatted".into(), Value::Object(formatted));
        }
        if query.show_matches_position.unwrap_or(false) {
            let mut positions = Map::new();
            for (k, v) in &fields {
                self.positions(k, v, None, &mut positions);
            }
            out.insert("_matchesPosition".into(), Value::Object(positions));
        }
        if query.show_ranking_score.unwrap_or(false) {
            out.insert("_rankingScore".into(), json!(score));
        }
        Value::Object(out)
    }

    fn spans(&self, text: &str) -> Vec<Span> {
        self.highlighter
            .as_ref()
            .map(|h| h.spans(text))
            .unwrap_or_default()
    }

    fn format_value(&self, value: &Value, highlight: bool, crop: Option<usize>) -> Value {
        match value {
            Value::String(text) => {
                let spans = if highlight || crop.is_some() {
                    self.spans(text)
                } else {
                    Vec::new()
                };
                let range = match crop {
                    Some(words) => crop::by_words(text, &spans, words),
                    None => (0, text.len()),
                };
                let marks: &[Span] = if highlight { &spans } else { &[] };
                let style = Style::new(&self.pre, &self.post, &self.marker);
                Value::String(render(text, marks, range, &style))
            }
            Value::Number(n) => Value::String(n.to_string()),
            Value::Bool(b) => Value::String(b.to_string()),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.format_value(v, highlight, crop))
                    .collect(),
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.format_value(v, highlight, crop)))
                    .collect(),
            ),
            Value::Null => Value::Null,
        }
    }

    /// Adds the byte positions of matches in `value` under `path` (`indices` for arrays).
    fn positions(
        &self,
        path: &str,
        value: &Value,
        index: Option<usize>,
        out: &mut Map<String, Value>,
    ) {
        match value {
            Value::String(text) => {
                let spans = self.spans(text);
                if spans.is_empty() {
                    return;
                }
                let entry = out
                    .entry(path.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(list) = entry {
                    for s in spans {
                        let mut p = json!({"start": s.start, "length": s.end - s.start});
                        if let Some(i) = index {
                            p["indices"] = json!([i]);
                        }
                        list.push(p);
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.positions(path, item, Some(i), out);
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    self.positions(&format!("{path}.{k}"), v, index, out);
                }
            }
            _ => {}
        }
    }
}

/// `2024-05-01T12:00:00Z` for seconds since the Unix epoch.
pub(super) fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn url_parameters() {
        let q =
            query_from_url("q=GRETA&limit=5&facets=kind,year&showMatchesPosition=true").unwrap();
        assert_eq!(q.q.as_deref(), Some("GRETA"));
        assert_eq!(q.limit, Some(5));
        assert_eq!(q.facets, Some(vec!["kind".to_string(), "year".to_string()]));
        assert_eq!(q.show_matches_position, Some(true));
        let e = query_from_url("limit=abc").unwrap_err();
        assert_eq!(e.code, "invalid_search_limit");
        let e = query_from_url("hitsPerPage=-1").unwrap_err();
        assert_eq!(e.code, "invalid_search_hits_per_page");
        // A parameter Meilisearch does not know is refused, as Meilisearch refuses it.
        let e = query_from_url("q=GRETA&x=1").unwrap_err();
        assert_eq!(e.code, "bad_request");
        assert!(e.message.contains("`x`"), "{}", e.message);
    }
}
