//! The native JSON API: `/api/search` (the same search and the same JSON as
//! `tipdex query --json`), `/api/suggest`, `/api/docs/{id}`, `/api/stats` and `/health`.
//!
//! [`search_request`] is the one translation of query parameters into the library's
//! [`SearchRequest`]; the CLI builds the same type from its flags.

use super::error::{ApiError, SafeJson};
use super::{AppState, Limits};
use crate::search::budget::Cost;
use crate::search::filter::{self, Filter};
use crate::search::suggest::SuggestResponse;
use crate::search::{SearchRequest, SearchResponse, Sort, Stats, DEFAULT_LIMIT};
use crate::Kind;
use crate::Section;
use axum::extract::{Path, RawQuery, State};
use serde_json::{json, Value};

/// Suggestions returned when `limit` is not given.
pub const DEFAULT_SUGGESTIONS: usize = 8;

/// The parameters of `/api/search`.
pub const SEARCH_PARAMETERS: [&str; 10] = [
    "q", "limit", "offset", "kind", "year", "filter", "facets", "explain", "sort", "typing",
];

/// `GET /health`: the same answer for the native API and Meilisearch clients.
pub async fn health() -> SafeJson<Value> {
    SafeJson(json!({"status": "available"}))
}

/// `GET /api/search?q=&limit=&offset=&kind=&year=&filter=&facets=&explain=`.
pub async fn search(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<SafeJson<SearchResponse>, ApiError> {
    let request = search_request(query.as_deref().unwrap_or(""), &app.limits)?;
    app.run(request.cost(), move |engine, budget| {
        Ok(engine.search_within(&request, budget)?)
    })
    .await
    .map(SafeJson)
}

/// Translates the query string of `/api/search` into a [`SearchRequest`].
///
/// `kind` may repeat and may hold a comma-separated list; `facets` defaults to true
/// (the page shows the counts); unknown and repeated parameters are errors, so a
/// typo never silently searches something else.
pub fn search_request(query: &str, limits: &Limits) -> Result<SearchRequest, ApiError> {
    let params = Params::parse(query, &SEARCH_PARAMETERS)?;
    let mut request = SearchRequest::new(params.text("q", limits)?.unwrap_or_default());
    request.facets = true;
    if let Some(limit) = params.number::<usize>("limit")? {
        request.limit = limit;
    } else {
        request.limit = DEFAULT_LIMIT;
    }
    if let Some(offset) = params.number::<usize>("offset")? {
        request.offset = offset;
    }
    let mut kinds: Vec<Kind> = Vec::new();
    for value in params.all("kind") {
        for name in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let kind: Kind = name
                .parse()
                .map_err(|e: String| ApiError::bad_parameter("kind", e))?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
    }
    if let Some(text) = params.one("filter")? {
        if let Some(parsed) =
            filter::parse(text).map_err(|e| ApiError::bad_parameter("filter", e))?
        {
            request = request.and_filter(parsed);
        }
    }
    if !kinds.is_empty() {
        request = request.and_filter(Filter::kinds(&kinds));
    }
    if let Some(year) = params.number::<i64>("year")? {
        request = request.and_filter(Filter::years(&[year]));
    }
    if let Some(facets) = params.boolean("facets")? {
        request.facets = facets;
    }
    if let Some(explain) = params.boolean("explain")? {
        request.explain = explain;
    }
    if let Some(typing) = params.boolean("typing")? {
        request.typing = typing;
    }
    if let Some(sort) = params.one("sort")? {
        request.sort = Some(Sort::parse(sort).map_err(|e| ApiError::bad_parameter("sort", e))?);
    }
    request.validate()?;
    Ok(request)
}

/// `GET /api/suggest?q=&limit=`: completions of the last word, then matching titles.
pub async fn suggest(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<SafeJson<SuggestResponse>, ApiError> {
    let params = Params::parse(query.as_deref().unwrap_or(""), &["q", "limit"])?;
    let text = params.text("q", &app.limits)?.unwrap_or_default();
    let limit = params
        .number::<usize>("limit")?
        .unwrap_or(DEFAULT_SUGGESTIONS);
    let max = crate::search::suggest::MAX_SUGGESTIONS;
    if limit > max {
        return Err(ApiError::bad_parameter(
            "limit",
            format!("{limit} is more than the maximum of {max}"),
        ));
    }
    let mut request = SearchRequest::new(text.clone());
    request.limit = limit;
    app.run(request.cost(), move |engine, budget| {
        Ok(engine.suggest_within(&text, limit, budget)?)
    })
    .await
    .map(SafeJson)
}

/// `GET /api/docs/{id}`: one whole section, looked up in the index (never on disk).
pub async fn doc(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<SafeJson<Section>, ApiError> {
    app.run(Cost(1), move |engine, _| Ok(engine.get(&id)?))
        .await
        .map(SafeJson)
}

/// `GET /api/stats`: sections per kind, index size, build facts, generation in use,
/// and the scheduler's permits and counters.
pub async fn stats(State(app): State<AppState>) -> Result<SafeJson<Value>, ApiError> {
    let stats: Stats = app
        .run(Cost(1), move |engine, _| Ok(engine.stats()))
        .await?;
    let mut value = serde_json::to_value(stats).map_err(|e| ApiError::internal(e.to_string()))?;
    value["scheduler"] = app.scheduler.figures();
    Ok(SafeJson(value))
}

/// Decoded query-string parameters, checked against the names a route knows.
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Decodes `query`; an unknown name is a 400 listing the known ones.
    pub fn parse(query: &str, known: &[&str]) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if let Some((name, _)) = pairs.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            return Err(ApiError::bad_parameter(
                "parameter",
                format!(
                    "unknown parameter `{}` (known: {})",
                    truncate(name, 40),
                    known.join(", ")
                ),
            ));
        }
        Ok(Params { pairs })
    }

    /// Every value of `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name`, which may be given once.
    pub fn one<'a>(&'a self, name: &'a str) -> Result<Option<&'a str>, ApiError> {
        let mut values = self.all(name);
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::bad_parameter(name, "given more than once"));
        }
        Ok(first)
    }

    /// A query text, at most `limits.max_query_chars` long.
    pub fn text(&self, name: &str, limits: &Limits) -> Result<Option<String>, ApiError> {
        let Some(text) = self.one(name)? else {
            return Ok(None);
        };
        check_query_length(name, text, limits)?;
        Ok(Some(text.to_string()))
    }

    /// A number.
    pub fn number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, ApiError> {
        self.one(name)?
            .map(|v| {
                v.trim().parse::<T>().map_err(|_| {
                    ApiError::bad_parameter(
                        name,
                        format!("`{}` is not a valid number here", truncate(v, 40)),
                    )
                })
            })
            .transpose()
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`).
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.one(name)?
            .map(|v| match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" => Ok(false),
                _ => Err(ApiError::bad_parameter(
                    name,
                    format!("`{}` is not true or false", truncate(v, 40)),
                )),
            })
            .transpose()
    }
}

/// 400 when a query text is longer than the limit.
pub fn check_query_length(name: &str, text: &str, limits: &Limits) -> Result<(), ApiError> {
    let chars = text.chars().count();
    if chars > limits.max_query_chars {
        return Err(ApiError::bad_parameter(
            name,
            format!(
                "the query is {chars} characters long; the maximum is {}",
                limits.max_query_chars
            ),
        ));
    }
    Ok(())
}

/// At most `max` characters of `s`, for quoting client input in messages.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}
