//! HTTP errors: the one place where library errors and bad requests become a status
//! code and a JSON body, in the native shape `{"error": {"code", "message"}}` or in
//! Meilisearch's shape `{"message", "code", "type", "link"}`.

use crate::error::Error;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Which API an error is answered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `/api/*`, `/health` and everything else: `{"error": {"code", "message"}}`.
    Native,
    /// The Meilisearch-compatible routes: `{"message", "code", "type", "link"}`.
    Meili,
}

/// An error answered to a client.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code (`invalid_parameter`, `not_found`, ...).
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
    /// Body shape.
    pub flavor: Flavor,
    /// When to try again (a `Retry-After` header), for a server too busy now.
    pub retry_after: Option<std::time::Duration>,
}

impl ApiError {
    /// An error with a status, a code and a message, in the native shape.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            flavor: Flavor::Native,
            retry_after: None,
        }
    }

    /// 503 for a search that could not run in time (the server is busy): try again in a
    /// moment.
    pub fn busy(message: impl Into<String>, allowed: std::time::Duration) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_busy",
            format!(
                "{}: no search thread was free within {:.1} s; try again in a moment",
                message.into(),
                allowed.as_secs_f64()
            ),
        );
        e.retry_after = Some(std::time::Duration::from_secs(1));
        e
    }

    /// 400 for a bad parameter.
    pub fn bad_parameter(parameter: &str, message: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            format!("invalid {parameter}: {message}"),
        )
    }

    /// 404 for a path no route serves.
    pub fn no_route(path: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no route for {path}"),
        )
    }

    /// 500 for a bug (a panic or a failed task): never caused by what a client sent.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// The same error in the shape of the API that serves `path`: Meilisearch's for its
    /// routes (`/indexes…`, `/multi-search`, `/keys`, `/tasks`, `/version`, `/stats`),
    /// the native one elsewhere. A Meilisearch code is derived from the native one.
    pub fn shaped_for(self, path: &str) -> ApiError {
        if self.flavor == Flavor::Meili || !is_meili_path(path) {
            return self;
        }
        let code = match self.code.as_str() {
            "not_found" => "not_found".to_string(),
            "method_not_allowed" => "method_not_allowed".to_string(),
            other => other.to_string(),
        };
        self.meili(&code)
    }

    /// The same error in Meilisearch's shape, with a Meilisearch error code.
    pub fn meili(mut self, code: &str) -> ApiError {
        self.flavor = Flavor::Meili;
        self.code = code.to_string();
        self
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        match self.flavor {
            Flavor::Native => json!({"error": {"code": self.code, "message": self.message}}),
            Flavor::Meili => {
                let kind = if self.status.is_server_error() {
                    "internal"
                } else if matches!(
                    self.code.as_str(),
                    "invalid_api_key" | "missing_authorization_header" | "missing_master_key"
                ) {
                    "auth"
                } else {
                    "invalid_request"
                };
                json!({
                    "message": self.message,
                    "code": self.code,
                    "type": kind,
                    "link": format!("https://docs.meilisearch.com/errors#{}", self.code),
                })
            }
        }
    }

    /// The whole response as bytes (for answers written before hyper sees a request).
    pub fn raw_response(&self) -> Vec<u8> {
        let body =
            String::from_utf8(to_safe_json(&self.body()).unwrap_or_default()).unwrap_or_default();
        format!(
            "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\naccess-control-allow-origin: *\r\n\
             x-content-type-options: nosniff\r\n\r\n{body}",
            self.status.as_u16(),
            self.status.canonical_reason().unwrap_or(""),
            body.len()
        )
        .into_bytes()
    }
}

/// Whether `path` is a route of the Meilisearch-compatible API.
pub fn is_meili_path(path: &str) -> bool {
    [
        "/indexes",
        "/multi-search",
        "/keys",
        "/tasks",
        "/version",
        "/stats",
        "/batches",
    ]
    .iter()
    .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

/// A stable error code for a bare HTTP status.
pub fn code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        413 => "payload_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        422 => "bad_request",
        431 => "headers_too_large",
        503 => "service_unavailable",
        s if s >= 500 => "internal",
        _ => "bad_request",
    }
}

/// Library errors: bad requests are 400, missing things 404, an unusable index 503,
/// a remote backend failing 502, anything else 500 (a fault of the server, never of the request).
impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let message = e.to_string();
        let (status, code) = match &e {
            Error::InvalidRequest { .. } => (StatusCode::BAD_REQUEST, "invalid_parameter"),
            Error::AnswerTooLarge { .. } => (StatusCode::BAD_REQUEST, "answer_too_large"),
            Error::OutOfTime { .. } | Error::Cancelled => {
                let mut e =
                    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "search_timeout", message);
                e.retry_after = Some(std::time::Duration::from_secs(1));
                return e;
            }
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "document_not_found"),
            Error::IndexMissing { .. } => (StatusCode::NOT_FOUND, "index_not_found"),
            Error::IndexUnusable { .. } | Error::IndexLocked { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "index_unavailable")
            }
            Error::Backend(_) => (StatusCode::BAD_GATEWAY, "backend_unavailable"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        ApiError::new(status, code, message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() && self.retry_after.is_none() {
            eprintln!("tipdex serve: {self}");
        }
        let mut response = (self.status, SafeJson(self.body())).into_response();
        if let Some(after) = self.retry_after {
            let secs = after.as_secs().max(1).to_string();
            if let Ok(value) = axum::http::HeaderValue::from_str(&secs) {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// A JSON response whose strings escape `<`, `>` and `&` (as `\u003c`, ...): the same
/// data for any JSON parser, and nothing a browser could mistake for markup even if it
/// ignored the content type.
pub struct SafeJson<T>(pub T);

impl<T: serde::Serialize> IntoResponse for SafeJson<T> {
    fn into_response(self) -> Response {
        match to_safe_json(&self.0) {
            Ok(body) => (
                [(
                    axum::http::header::CONTENT_TYPE,
                    axum::http::HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response(),
            Err(e) => {
                ApiError::internal(format!("cannot serialize the answer: {e}")).into_response()
            }
        }
    }
}

/// Serializes `value` as JSON with `<`, `>` and `&` escaped inside strings.
pub fn to_safe_json<T: serde::Serialize>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(8 * 1024);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, MarkupSafe);
    value.serialize(&mut ser)?;
    Ok(out)
}

struct MarkupSafe;

impl serde_json::ser::Formatter for MarkupSafe {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let bytes = fragment.as_bytes();
        let mut start = 0;
        for i in memchr::memchr3_iter(b'<', b'>', b'&', bytes) {
            let escaped: &[u8] = match bytes[i] {
                b'<' => b"\\u003c",
                b'>' => b"\\u003e",
                _ => b"\\u0026",
            };
            writer.write_all(&bytes[start..i])?;
            writer.write_all(escaped)?;
            start = i + 1;
        }
        writer.write_all(&bytes[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_json_escapes_markup_and_reads_back_the_same() {
        let texts = [
            "",
            "plain",
            "<script>alert(\"x\")</script>",
            "a & b <mark>c</mark> & >",
            "&&<<>>",
            "traite des êtres humains <b>—</b> \u{1F600}\n\t\\",
        ];
        for text in texts {
            let body =
                String::from_utf8(to_safe_json(&serde_json::json!({"t": text})).unwrap()).unwrap();
            assert!(!body.contains(['<', '>', '&']), "{body}");
            let back: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(back["t"], text, "{body}");
        }
    }
}
