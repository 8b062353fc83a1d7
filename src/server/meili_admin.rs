//! The Meilisearch routes around search: read-only settings (what clients and dashboards
//! read to learn what is filterable and sortable), index and instance stats, and the
//! write routes, which answer as a read-only Meilisearch key is answered.

use super::error::{ApiError, SafeJson};
use super::meili::{check_uid, rfc3339, INDEX_UID};
use super::AppState;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, Uri};
use serde_json::{json, Value};

/// The settings of the one index, as `GET /indexes/{uid}/settings` gives them.
fn settings() -> Value {
    json!({
        "displayedAttributes": ["*"],
        "searchableAttributes": ["title", "role", "org", "body", "path", "person", "acronyms", "symbols"],
        "filterableAttributes": ["kind", "year", "org", "language", "document"],
        "sortableAttributes": ["year"],
        "rankingRules": ["words", "sort", "typo", "proximity", "attribute", "exactness"],
        "stopWords": [],
        "nonSeparatorTokens": [],
        "separatorTokens": [],
        "dictionary": [],
        "synonyms": {},
        "distinctAttribute": null,
        "proximityPrecision": "byWord",
        "typoTolerance": {
            "enabled": true,
            "minWordSizeForTypos": { "oneTypo": 5, "twoTypos": 9 },
            "disableOnWords": [],
            "disableOnAttributes": [],
        },
        "faceting": { "maxValuesPerFacet": 100, "sortFacetValuesBy": { "*": "alpha" } },
        "pagination": { "maxTotalHits": crate::search::MAX_OFFSET + crate::search::MAX_LIMIT },
        "searchCutoffMs": null,
        "localizedAttributes": null,
        "facetSearch": false,
        "prefixSearch": "indexingTime",
    })
}

/// `GET /indexes/{uid}/settings`.
pub async fn all_settings(Path(uid): Path<String>) -> Result<SafeJson<Value>, ApiError> {
    check_uid(&uid)?;
    Ok(SafeJson(settings()))
}

/// `GET /indexes/{uid}/settings/{name}` (`filterable-attributes`, `ranking-rules`, …).
pub async fn one_setting(
    Path((uid, name)): Path<(String, String)>,
) -> Result<SafeJson<Value>, ApiError> {
    check_uid(&uid)?;
    let camel = camel_case(&name);
    settings()
        .get(&camel)
        .cloned()
        .map(SafeJson)
        .ok_or_else(|| {
            let name: String = name.chars().take(60).collect();
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("Setting `{name}` does not exist."),
            )
            .meili("not_found")
        })
}

/// `filterable-attributes` → `filterableAttributes`.
fn camel_case(kebab: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in kebab.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// What the index's stats say: sections and the sections holding each attribute.
fn index_stats(app: &AppState) -> Value {
    let engine = app.live.engine();
    let info = engine.info();
    let total = info.total;
    let bytes = engine.stats().index_bytes;
    json!({
        "numberOfDocuments": total,
        "rawDocumentDbSize": bytes,
        "avgDocumentSize": bytes / (total.max(1) as u64),
        "isIndexing": false,
        "numberOfEmbeddings": 0,
        "numberOfEmbeddedDocuments": 0,
        "fieldDistribution": { "id": total, "kind": total, "title": total, "body": total },
    })
}

/// `GET /indexes/{uid}/stats`.
pub async fn stats_of_index(
    State(app): State<AppState>,
    Path(uid): Path<String>,
) -> Result<SafeJson<Value>, ApiError> {
    check_uid(&uid)?;
    Ok(SafeJson(index_stats(&app)))
}

/// `GET /stats`.
pub async fn stats(State(app): State<AppState>) -> SafeJson<Value> {
    let engine = app.live.engine();
    let bytes = engine.stats().index_bytes;
    SafeJson(json!({
        "databaseSize": bytes,
        "usedDatabaseSize": bytes,
        "lastUpdate": rfc3339(engine.info().built_at),
        "indexes": { INDEX_UID: index_stats(&app) },
    }))
}

/// Every write route (documents, settings, indexes, dumps, swaps): the index is built
/// by `tipdex index` and served read-only, so a write is refused as Meilisearch refuses
/// a key that may only search.
pub async fn read_only(method: Method, uri: Uri) -> ApiError {
    let path: String = uri.path().chars().take(100).collect();
    ApiError::new(
        StatusCode::FORBIDDEN,
        "invalid_api_key",
        format!(
            "The index is read-only: `{method} {path}` is not allowed. tipdex serves an index \
             built by `tipdex index`; change the corpus and rebuild it."
        ),
    )
    .meili("invalid_api_key")
}

/// `/keys` and `/keys/{key}`, any method: tipdex runs as Meilisearch runs without a
/// master key — every search route is open and there are no keys to manage.
pub async fn keys() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "missing_master_key",
        "Meilisearch is running without a master key. To access this API endpoint, you must have set a master key at launch.",
    )
    .meili("missing_master_key")
}

/// `GET /tasks` and `GET /batches`: none — the index is built by `tipdex index`, never
/// by a task.
pub async fn tasks() -> SafeJson<Value> {
    SafeJson(json!({ "results": [], "total": 0, "limit": 20, "from": null, "next": null }))
}

/// `GET /tasks/{uid}`: no task exists.
pub async fn task(Path(task): Path<String>) -> ApiError {
    let task: String = task.chars().take(40).collect();
    ApiError::new(
        StatusCode::NOT_FOUND,
        "task_not_found",
        format!("Task `{task}` not found."),
    )
    .meili("task_not_found")
}

/// `GET /batches/{uid}`: no batch exists.
pub async fn batch(Path(batch): Path<String>) -> ApiError {
    let batch: String = batch.chars().take(40).collect();
    ApiError::new(
        StatusCode::NOT_FOUND,
        "batch_not_found",
        format!("Batch `{batch}` not found."),
    )
    .meili("batch_not_found")
}

/// `POST /indexes/{uid}/facet-search`: the settings say `facetSearch: false`, and the
/// answer is Meilisearch's for an index so set (a `refinementList` without `searchable`
/// needs none: the counts come with every search).
pub async fn facet_search(Path(uid): Path<String>) -> Result<SafeJson<Value>, ApiError> {
    check_uid(&uid)?;
    Err(ApiError::new(
        StatusCode::BAD_REQUEST,
        "facet_search_disabled",
        "The facet search is disabled for this index. tipdex counts facet values with every search (`facets`); searching within facet values is not supported.",
    )
    .meili("facet_search_disabled"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_routes_name_settings_in_kebab_case() {
        assert_eq!(camel_case("filterable-attributes"), "filterableAttributes");
        assert_eq!(camel_case("typo-tolerance"), "typoTolerance");
        assert!(settings().get(camel_case("sortable-attributes")).is_some());
    }
}
