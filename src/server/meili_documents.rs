//! Listing documents as Meilisearch lists them: `GET /indexes/{uid}/documents` and
//! `POST /indexes/{uid}/documents/fetch` (a page of sections, optionally filtered, with
//! the fields asked for), answered by an empty search so that budgets and limits hold.

use super::error::{ApiError, SafeJson};
use super::meili::{check_uid, cost, read_json, search, MeiliQuery};
use super::native::truncate;
use super::AppState;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashSet;

/// Documents per page when `limit` is not given (Meilisearch's default).
const DEFAULT_LIMIT: usize = 20;

/// What a listing asks for, from the URL or the body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Listing {
    offset: Option<usize>,
    limit: Option<usize>,
    fields: Option<Vec<String>>,
    filter: Option<Value>,
    /// Accepted when false; refused when true (no vectors are stored).
    retrieve_vectors: Option<bool>,
}

fn bad(message: String, code: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message).meili(code)
}

/// The parameters of `GET /indexes/{uid}/documents`, lists comma-separated.
fn listing_from_url(raw: &str) -> Result<Listing, ApiError> {
    let mut listing = Listing::default();
    let mut seen = HashSet::new();
    for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
        if !seen.insert(name.to_string()) {
            return Err(bad(
                format!("`{}` is given more than once", truncate(&name, 40)),
                "bad_request",
            ));
        }
        let number = |code: &str| {
            value.trim().parse::<usize>().map_err(|_| {
                bad(
                    format!(
                        "`{}` is not a valid number for `{name}`",
                        truncate(&value, 40)
                    ),
                    code,
                )
            })
        };
        match name.as_ref() {
            "offset" => listing.offset = Some(number("invalid_document_offset")?),
            "limit" => listing.limit = Some(number("invalid_document_limit")?),
            "fields" => {
                listing.fields = Some(
                    value
                        .split(',')
                        .map(|f| f.trim().to_string())
                        .filter(|f| !f.is_empty())
                        .collect(),
                )
            }
            "filter" => listing.filter = Some(Value::String(value.into_owned())),
            "retrieveVectors" => listing.retrieve_vectors = Some(value.trim() == "true"),
            other => {
                return Err(bad(
                    format!(
                        "unknown parameter `{}`: expected one of `offset`, `limit`, `fields`, `filter`, `retrieveVectors`",
                        truncate(other, 40)
                    ),
                    "bad_request",
                ))
            }
        }
    }
    Ok(listing)
}

/// The empty search that answers a listing.
fn as_search(listing: Listing) -> Result<MeiliQuery, ApiError> {
    if listing.retrieve_vectors == Some(true) {
        return Err(bad(
            "`retrieveVectors` is not supported by tipdex: no vectors are stored".into(),
            "invalid_document_retrieve_vectors",
        ));
    }
    Ok(MeiliQuery {
        offset: Some(listing.offset.unwrap_or(0)),
        limit: Some(listing.limit.unwrap_or(DEFAULT_LIMIT)),
        attributes_to_retrieve: listing.fields,
        filter: listing.filter,
        ..MeiliQuery::default()
    })
}

/// Runs the listing and reshapes the search answer into Meilisearch's document page.
async fn list(app: AppState, query: MeiliQuery) -> Result<SafeJson<Value>, ApiError> {
    let limits = app.limits;
    app.run(cost(&query), move |engine, budget| {
        let answer = search(engine, &query, &limits, budget).map_err(|e| {
            // The filter is the listing's own parameter.
            if e.code == "invalid_search_filter" {
                ApiError {
                    code: "invalid_document_filter".into(),
                    ..e
                }
            } else {
                e
            }
        })?;
        Ok(answer.into_document_page())
    })
    .await
    .map(SafeJson)
}

/// `GET /indexes/{uid}/documents?offset=&limit=&fields=&filter=`.
pub async fn list_get(
    State(app): State<AppState>,
    Path(uid): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<SafeJson<Value>, ApiError> {
    check_uid(&uid)?;
    let query = as_search(listing_from_url(raw.as_deref().unwrap_or(""))?)?;
    list(app, query).await
}

/// `POST /indexes/{uid}/documents/fetch` with `{"offset", "limit", "fields", "filter"}`.
pub async fn list_post(
    State(app): State<AppState>,
    Path(uid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<SafeJson<Value>, ApiError> {
    check_uid(&uid)?;
    let listing: Listing = read_json(&headers, body, &app.limits).await?;
    list(app, as_search(listing)?).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parameters_are_read_and_unknown_ones_refused() {
        let l = listing_from_url("offset=5&limit=2&fields=id,title&filter=kind%20%3D%20report")
            .unwrap();
        assert_eq!((l.offset, l.limit), (Some(5), Some(2)));
        assert_eq!(l.fields.unwrap(), ["id", "title"]);
        assert_eq!(l.filter.unwrap(), "kind = report");
        assert_eq!(listing_from_url("limt=2").unwrap_err().code, "bad_request");
        assert_eq!(
            listing_from_url("limit=x").unwrap_err().code,
            "invalid_document_limit"
        );
        assert_eq!(
            listing_from_url("limit=1&limit=2").unwrap_err().code,
            "bad_request"
        );
    }
}
