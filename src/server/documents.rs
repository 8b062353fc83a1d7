//! `GET /documents/{id}`: the file of a corpus document, and nothing else on disk.
//!
//! The id is looked up in the index; only a document section's own file is served, its
//! path relative to the corpus the index was built from, with no `..`, no absolute
//! path and no link leading out of the corpus. HTML is served sandboxed (its scripts do
//! not run in this server's origin).

use super::error::ApiError;
use super::AppState;
use crate::corpus::Kind;
use crate::files;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use std::path::{Component, Path, PathBuf};

/// Largest document file served.
const MAX_DOCUMENT_BYTES: u64 = 512 << 20;

/// Serves the file of document `id`.
pub async fn document(
    State(app): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<Response, ApiError> {
    let (bytes, file) = app
        .run(crate::search::budget::Cost(1), move |engine, _| {
            let section = engine.get(&id).map_err(|_| not_found(&id))?;
            if section.kind != Kind::Document {
                return Err(not_found(&id));
            }
            let corpus = engine.info().corpus.clone().ok_or_else(|| not_found(&id))?;
            let path =
                inside(Path::new(&corpus), &section.source.file).ok_or_else(|| not_found(&id))?;
            let (handle, _) = files::open_regular(&path, false).map_err(|_| not_found(&id))?;
            let bytes = files::read_bounded(handle, MAX_DOCUMENT_BYTES).map_err(|e| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "document_unreadable",
                    format!("document `{id}` cannot be read: {e}"),
                )
            })?;
            Ok((bytes, section.source.file))
        })
        .await?;
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    let content_type = content_type(&file);
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'",
        ),
    );
    let name: String = file
        .rsplit('/')
        .next()
        .unwrap_or("document")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

fn not_found(id: &str) -> ApiError {
    let id: String = id.chars().take(80).collect();
    ApiError::new(
        StatusCode::NOT_FOUND,
        "document_not_found",
        format!("no document `{id}` in the index"),
    )
}

/// `corpus`/`file` when `file` is a plain relative path that stays inside `corpus`
/// once links are resolved.
fn inside(corpus: &Path, file: &str) -> Option<PathBuf> {
    let relative = Path::new(file);
    if file.is_empty()
        || !relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let root = corpus.canonicalize().ok()?;
    let path = root.join(relative).canonicalize().ok()?;
    path.starts_with(&root).then_some(path)
}

fn content_type(file: &str) -> &'static str {
    let ext = file.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("pdf") => "application/pdf",
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("xhtml") => "application/xhtml+xml",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_inside_the_corpus() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("c")).unwrap();
        std::fs::write(dir.path().join("c/a.pdf"), "x").unwrap();
        std::fs::write(dir.path().join("secret"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), dir.path().join("c/link.pdf"))
            .unwrap();
        let corpus = dir.path().join("c");
        assert!(inside(&corpus, "a.pdf").is_some());
        for bad in [
            "../secret",
            "/etc/passwd",
            "link.pdf",
            "",
            "./a.pdf",
            "missing.pdf",
        ] {
            assert!(inside(&corpus, bad).is_none(), "{bad}");
        }
    }
}
