//! `GET /`: the search page, embedded in the binary (no file on disk is ever served),
//! with a Content-Security-Policy that allows exactly its own inline script and style
//! (by their SHA-256 hashes) and nothing from elsewhere.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The page: HTML, CSS and JavaScript in one file.
pub const PAGE: &str = include_str!("page.html");

/// `GET /`.
pub async fn page() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CONTENT_SECURITY_POLICY, csp().clone()),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        PAGE,
    )
        .into_response()
}

/// The policy: only the page's own inline `<script>` and `<style>`, requests to this
/// server, no plugins, frames, forms elsewhere or base-URL tricks.
pub fn csp() -> &'static HeaderValue {
    static CSP: OnceLock<HeaderValue> = OnceLock::new();
    CSP.get_or_init(|| {
        let hashes = |tag: &str| -> String {
            inline_blocks(PAGE, tag)
                .iter()
                .map(|block| {
                    let digest = Sha256::digest(block.as_bytes());
                    format!(
                        " 'sha256-{}'",
                        base64::engine::general_purpose::STANDARD.encode(digest)
                    )
                })
                .collect()
        };
        let policy = format!(
            "default-src 'none'; script-src{}; style-src{}; connect-src 'self'; \
             img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            hashes("script"),
            hashes("style")
        );
        HeaderValue::from_str(&policy).expect("the policy is ASCII")
    })
}

/// The contents of every `<tag>…</tag>` block without attributes.
fn inline_blocks<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let body = &rest[start + open.len()..];
        let Some(end) = body.find(&close) else { break };
        out.push(&body[..end]);
        rest = &body[end + close.len()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_one_script_and_one_style() {
        assert_eq!(inline_blocks(PAGE, "script").len(), 1);
        assert_eq!(inline_blocks(PAGE, "style").len(), 1);
        let policy = csp().to_str().unwrap();
        assert!(policy.contains("script-src 'sha256-"), "{policy}");
        assert!(policy.contains("style-src 'sha256-"), "{policy}");
        assert!(!policy.contains("unsafe"), "{policy}");
    }
}
