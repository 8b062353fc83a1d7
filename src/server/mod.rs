//! `tipdex serve`: the HTTP backend of a search box, a thin layer over [`Engine`].
//!
//! - [`native`]: `/api/search`, `/api/suggest`, `/api/docs/{id}`, `/api/stats`, `/health`
//!   and the search page at `/`.
//! - [`meili`]: the Meilisearch search API subset for the one index `sections`, so the
//!   Meilisearch clients and InstantSearch work unchanged; [`filter`] parses its filters.
//! - [`error`]: every error becomes a status code and a JSON body in one place.
//! - [`live`]: the engine is swapped when `tipdex index` switches generations.
//! - [`conn`]: accepting connections, with the limits on header size and on the time a
//!   client takes to send its request.
//!
//! Handlers translate a request into a library call, run it on the blocking pool (a
//! panic there becomes a 500, never a dead server) and serialize the answer.

pub mod conn;
pub mod documents;
pub mod error;
pub mod live;
pub mod meili;
mod meili_admin;
mod meili_documents;
pub mod native;
pub mod origin;
mod page;
pub mod schedule;

use crate::search::budget::{Budget, Cost};
use crate::search::Engine;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use error::ApiError;
use futures_util::FutureExt;
use live::LiveEngine;
use origin::{AllowedHosts, AllowedOrigins};
use schedule::{Capacity, Scheduler};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

/// What the server accepts; every limit gives a clear 4xx JSON error.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest query text (`q`), in characters (400 beyond).
    pub max_query_chars: usize,
    /// Largest request body, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Largest request line plus headers, in bytes (431 beyond).
    pub max_header_bytes: usize,
    /// Time a client has to send its request line and headers, and then its body (408).
    /// A keep-alive connection left idle this long is closed.
    pub request_timeout: Duration,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// Time a search may take from its arrival, waiting for a thread included (503
    /// with `Retry-After` beyond).
    pub search_timeout: Duration,
    /// Largest answer one search may build, in bytes (400 beyond).
    pub max_answer_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_query_chars: 1024,
            max_body_bytes: 64 * 1024,
            max_header_bytes: 16 * 1024,
            request_timeout: Duration::from_secs(10),
            max_connections: 1024,
            search_timeout: Duration::from_secs(5),
            max_answer_bytes: crate::search::budget::DEFAULT_MAX_ANSWER_BYTES,
        }
    }
}

/// What every handler gets: the live engine, the limits and the scheduler.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The engine, swapped on reload.
    pub live: Arc<LiveEngine>,
    /// The limits.
    pub limits: Limits,
    /// Permits and budgets of searches.
    pub scheduler: Arc<Scheduler>,
    /// Who may read answers across origins.
    pub origins: AllowedOrigins,
    /// The names requests may be addressed to.
    pub hosts: AllowedHosts,
}

impl AppState {
    /// State for serving `live` within `limits` on this machine's threads, to pages of
    /// loopback origins, answering requests addressed to any host.
    pub fn new(live: Arc<LiveEngine>, limits: Limits) -> AppState {
        let scheduler = Scheduler::new(
            Capacity::for_this_machine(),
            limits.search_timeout,
            limits.max_answer_bytes,
        );
        AppState {
            live,
            limits,
            scheduler: Arc::new(scheduler),
            origins: AllowedOrigins::default(),
            hosts: AllowedHosts::Any,
        }
    }

    /// Runs `work` with the current engine on the blocking pool once the scheduler
    /// admits a request of `cost`, within its budget; a panic there is a 500.
    pub async fn run<T, F>(&self, cost: Cost, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine, &Budget) -> Result<T, ApiError> + Send + 'static,
    {
        self.scheduler.run(self.live.engine(), cost, work).await
    }
}

/// All routes, with CORS, security headers, JSON errors and panic catching.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(page::page))
        .route("/health", get(native::health))
        .route("/api/search", get(native::search))
        .route("/api/suggest", get(native::suggest))
        .route("/api/docs/{id}", get(native::doc))
        .route("/api/stats", get(native::stats))
        .route("/documents/{id}", get(documents::document))
        .route("/version", get(meili::version))
        .route("/indexes", get(meili::indexes).post(meili_admin::read_only))
        .route(
            "/indexes/{uid}",
            get(meili::index_info)
                .patch(meili_admin::read_only)
                .delete(meili_admin::read_only),
        )
        .route(
            "/indexes/{uid}/search",
            post(meili::search_post).get(meili::search_get),
        )
        .route(
            "/indexes/{uid}/documents/{id}",
            get(meili::document)
                .put(meili_admin::read_only)
                .patch(meili_admin::read_only)
                .delete(meili_admin::read_only),
        )
        .route("/multi-search", post(meili::multi_search))
        .route(
            "/indexes/{uid}/settings",
            get(meili_admin::all_settings)
                .patch(meili_admin::read_only)
                .put(meili_admin::read_only)
                .delete(meili_admin::read_only),
        )
        .route(
            "/indexes/{uid}/settings/{name}",
            get(meili_admin::one_setting)
                .patch(meili_admin::read_only)
                .put(meili_admin::read_only)
                .delete(meili_admin::read_only),
        )
        .route("/indexes/{uid}/stats", get(meili_admin::stats_of_index))
        .route("/stats", get(meili_admin::stats))
        .route(
            "/indexes/{uid}/documents",
            get(meili_documents::list_get)
                .post(meili_admin::read_only)
                .put(meili_admin::read_only)
                .delete(meili_admin::read_only),
        )
        .route(
            "/indexes/{uid}/documents/delete-batch",
            post(meili_admin::read_only),
        )
        .route(
            "/indexes/{uid}/documents/delete",
            post(meili_admin::read_only),
        )
        .route(
            "/indexes/{uid}/documents/edit",
            post(meili_admin::read_only),
        )
        .route(
            "/indexes/{uid}/documents/fetch",
            post(meili_documents::list_post),
        )
        .route(
            "/indexes/{uid}/facet-search",
            post(meili_admin::facet_search),
        )
        .route("/keys", any(meili_admin::keys))
        .route("/keys/{key}", any(meili_admin::keys))
        .route(
            "/tasks",
            get(meili_admin::tasks).delete(meili_admin::read_only),
        )
        .route("/tasks/cancel", post(meili_admin::read_only))
        .route("/tasks/{task}", get(meili_admin::task))
        .route("/batches", get(meili_admin::tasks))
        .route("/batches/{batch}", get(meili_admin::batch))
        .route("/swap-indexes", post(meili_admin::read_only))
        .route("/dumps", post(meili_admin::read_only))
        .route("/snapshots", post(meili_admin::read_only))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            common_layer,
        ))
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::no_route(uri.path()).shaped_for(uri.path())
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
    .shaped_for(uri.path())
}

/// Around every request: refuses requests addressed to a name that is not this
/// machine's (on loopback), answers CORS preflights, catches panics as a 500 JSON
/// error, turns any error answered without a JSON body (an extractor's rejection) into
/// the route's JSON error, and adds the CORS and `nosniff` headers to every answer.
async fn common_layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let path = request.uri().path().to_string();
    let mut response = if !state.hosts.allow(request.headers()) {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden_host",
            "this server listens on loopback and answers requests addressed to localhost \
             (or a name given with --allow-host)",
        )
        .shaped_for(&path)
        .into_response()
    } else if request.method() == Method::OPTIONS {
        preflight(&request)
    } else {
        match AssertUnwindSafe(next.run(request)).catch_unwind().await {
            Ok(response) => json_error_body(response, &path).await,
            Err(panic) => ApiError::internal(format!(
                "the request failed inside the server: {}",
                panic_message(panic)
            ))
            .shaped_for(&path)
            .into_response(),
        }
    };
    let headers = response.headers_mut();
    if let Some(allowed) = state.origins.allow(origin.as_ref()) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
    }
    if state.origins != AllowedOrigins::Any {
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// An error response whose body is not JSON (axum's extractors answer in plain text),
/// as the JSON error of the route at `path`; other responses unchanged.
async fn json_error_body(response: Response, path: &str) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body).trim().to_string();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    ApiError::new(status, error::code_for_status(status), message)
        .shaped_for(path)
        .into_response()
}

/// The read API may be called from any origin: allow its methods and whatever headers
/// the client announces (the Meilisearch clients send `X-Meilisearch-Client`).
fn preflight(request: &Request) -> Response {
    let allow_headers = request
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .filter(|v| v.len() <= 1024)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("content-type, authorization"));
    (
        StatusCode::NO_CONTENT,
        [
            (
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, HEAD, POST, OPTIONS"),
            ),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers),
            (
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("86400"),
            ),
            (
                header::ALLOW,
                HeaderValue::from_static("GET, HEAD, POST, OPTIONS"),
            ),
        ],
    )
        .into_response()
}

pub(crate) fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// Serves `live` on `listener` until the runtime stops, reloading the index as it
/// changes; pages of `origins` may read its answers across origins, and requests
/// addressed to `hosts` are answered.
pub async fn serve(
    listener: tokio::net::TcpListener,
    live: Arc<LiveEngine>,
    limits: Limits,
    origins: AllowedOrigins,
    hosts: AllowedHosts,
) {
    tokio::spawn(live::watch(Arc::clone(&live), live::POLL_INTERVAL));
    let mut state = AppState::new(live, limits);
    state.origins = origins;
    state.hosts = hosts;
    let app = router(state);
    conn::accept_loop(listener, app, limits).await
}
