//! Accepting connections and enforcing the limits hyper sees before any route does.
//!
//! The first request on a connection is read up to the end of its headers here, with a
//! deadline and a size cap, so a client trickling bytes (or never finishing its headers)
//! gets a JSON 408, oversized headers a JSON 431 and a malformed head a JSON 400; the
//! bytes read are then handed to hyper. Later requests on a keep-alive connection are
//! held to the same limits by hyper itself (`header_read_timeout`, `max_header_size`),
//! which also closes connections left idle for that long, so idle connections never
//! pile up; the bare error answers hyper writes for their malformed heads are replaced
//! by the same JSON errors on the way out. A client that stops reading its answers is
//! cut off after as long.

use super::error::ApiError;
use super::Limits;
use axum::http::StatusCode;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// Accepts connections forever, at most `limits.max_connections` at once.
pub async fn accept_loop(listener: TcpListener, app: Router, limits: Limits) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: wait a little instead of spinning.
                eprintln!("tipdex serve: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        tokio::spawn(async move {
            serve_connection(stream, app, limits).await;
            drop(permit);
        });
    }
}

/// Serves one connection.
async fn serve_connection(mut stream: TcpStream, app: Router, limits: Limits) {
    let head = match read_first_head(&mut stream, &limits).await {
        Ok(Some(head)) => head,
        Ok(None) => return,
        Err(error) => {
            let _ = tokio::time::timeout(
                std::time::Duration::from_secs(1),
                stream.write_all(&error.raw_response()),
            )
            .await;
            let _ = stream.shutdown().await;
            return;
        }
    };
    let io = Prefixed {
        prefix: head,
        at: 0,
        inner: stream,
        write_timeout: limits.request_timeout,
        stalled: None,
        replacement: None,
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.request_timeout)
        .max_header_size(limits.max_header_bytes)
        .max_buf_size((2 * limits.max_header_bytes).max(8192));
    let service = TowerToHyperService::new(app);
    let _ = builder.serve_connection(TokioIo::new(io), service).await;
}

/// Reads until the end of the first request's headers. `Ok(None)`: the client left
/// without a request; `Err`: the answer to send before closing.
async fn read_first_head(
    stream: &mut TcpStream,
    limits: &Limits,
) -> Result<Option<Vec<u8>>, ApiError> {
    let deadline = Instant::now() + limits.request_timeout;
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut scanned = 0;
    loop {
        if let Some(end) = find_head_end(&buf, scanned) {
            if end > limits.max_header_bytes {
                return Err(headers_too_large(limits));
            }
            check_head(&buf[..end])?;
            return Ok(Some(buf));
        }
        scanned = buf.len().saturating_sub(3);
        if buf.len() > limits.max_header_bytes {
            return Err(headers_too_large(limits));
        }
        buf.reserve(4096);
        match tokio::time::timeout_at(deadline, stream.read_buf(&mut buf)).await {
            Err(_) if buf.is_empty() => return Ok(None),
            Err(_) => {
                return Err(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "request_timeout",
                    format!(
                        "the request line and headers did not arrive within {} s",
                        limits.request_timeout.as_secs_f64()
                    ),
                ))
            }
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(None),
            Ok(Ok(_)) => {}
        }
    }
}

/// Most header lines in one request (hyper's own limit).
const MAX_HEADERS: usize = 100;

/// Parses a complete request head as hyper will: what hyper would answer with a bare
/// 400 or 431 gets a JSON error instead.
fn check_head(head: &[u8]) -> Result<(), ApiError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(_) => {}
        Err(httparse::Error::TooManyHeaders) => {
            return Err(ApiError::new(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "headers_too_large",
                format!("the request has more than {MAX_HEADERS} header lines"),
            ))
        }
        Err(e) => return Err(malformed(&format!("{e}"))),
    }
    if let Some(path) = request.path {
        if path.parse::<axum::http::Uri>().is_err() {
            return Err(malformed("the request target is not a valid URI"));
        }
    }
    let lengths: Vec<&[u8]> = request
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("content-length"))
        .map(|h| h.value)
        .collect();
    let valid_length = |v: &&[u8]| !v.is_empty() && v.iter().all(u8::is_ascii_digit);
    if !lengths.iter().all(valid_length) || lengths.windows(2).any(|w| w[0] != w[1]) {
        return Err(malformed("the Content-Length header is invalid"));
    }
    Ok(())
}

fn malformed(why: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "bad_request",
        format!("malformed HTTP request: {why}"),
    )
}

fn headers_too_large(limits: &Limits) -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "headers_too_large",
        format!(
            "the request line and headers are larger than {} bytes",
            limits.max_header_bytes
        ),
    )
}

/// The offset just past the blank line ending the headers, searching from `from`.
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| from + i + 4)
        .or_else(|| {
            // Bare-LF line endings, which hyper also accepts.
            buf.get(from..)?
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| from + i + 2)
        })
}

/// A stream that first yields bytes already read from it, fails a write that cannot
/// make progress for `write_timeout` (a client that never reads its answers must not
/// hold a connection forever), and writes a JSON error in place of the bare one hyper
/// answers a malformed request with.
struct Prefixed {
    prefix: Vec<u8>,
    at: usize,
    inner: TcpStream,
    write_timeout: std::time::Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
    /// A JSON error written instead of hyper's, and how much of it is written; what
    /// hyper writes afterwards (nothing: it closes the connection) is dropped.
    replacement: Option<(Vec<u8>, usize)>,
}

/// The status of a response head hyper wrote on its own for a request it could not
/// parse: a 4xx without a content type (every answer of tipdex's routes has one).
fn bare_hyper_error(buf: &[u8]) -> Option<StatusCode> {
    let rest = buf
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| buf.strip_prefix(b"HTTP/1.0 "))?;
    let code: u16 = std::str::from_utf8(rest.get(..3)?).ok()?.parse().ok()?;
    let end = find_head_end(buf, 0)?;
    let head = buf[..end].to_ascii_lowercase();
    let typed = head.windows(13).any(|w| w == b"content-type:");
    let status = StatusCode::from_u16(code).ok()?;
    (status.is_client_error() && !typed).then_some(status)
}

/// The JSON error answered for a request hyper could not parse.
fn json_for_bare(status: StatusCode) -> Vec<u8> {
    let message = match status.as_u16() {
        431 => "the request line and headers are too large",
        414 => "the request target is too long",
        _ => "malformed HTTP request",
    };
    ApiError::new(status, super::error::code_for_status(status), message).raw_response()
}

impl Prefixed {
    /// Writes what is left of the replacement error; ready once it is all written.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, at)) = self.replacement.as_mut() {
            if *at >= bytes.len() {
                return Poll::Ready(Ok(()));
            }
            let poll = Pin::new(&mut self.inner).poll_write(cx, &bytes[*at..]);
            match self.timed(cx, poll) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    if let Some((_, at)) = self.replacement.as_mut() {
                        *at += n;
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Whether `buf` starts hyper's own error answer, which is then replaced.
    fn intercept(&mut self, buf: &[u8]) -> bool {
        if self.replacement.is_some() {
            return true;
        }
        match bare_hyper_error(buf) {
            Some(status) => {
                self.replacement = Some((json_for_bare(status), 0));
                true
            }
            None => false,
        }
    }

    /// Passes a write's result through, timing how long it has been pending.
    fn timed<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let timeout = self.write_timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if stalled.as_mut().poll(cx).is_ready() {
            self.stalled = None;
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading",
            )));
        }
        Poll::Pending
    }
}

impl AsyncRead for Prefixed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.at < self.prefix.len() {
            let n = buf.remaining().min(self.prefix.len() - self.at);
            let from = self.at;
            buf.put_slice(&self.prefix[from..from + n]);
            self.at += n;
            if self.at == self.prefix.len() {
                self.prefix = Vec::new();
                self.at = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.intercept(buf) {
            return self.poll_replacement(cx).map_ok(|()| buf.len());
        }
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.timed(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let first: &[u8] = bufs.iter().find(|b| !b.is_empty()).map_or(&[], |b| b);
        if self.intercept(first) {
            let total = bufs.iter().map(|b| b.len()).sum();
            return self.poll_replacement(cx).map_ok(|()| total);
        }
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.timed(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_replacement(cx))?;
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.timed(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_replacement(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::{bare_hyper_error, check_head, find_head_end};
    use axum::http::StatusCode;

    #[test]
    fn hyper_s_bare_errors_are_recognized() {
        let bare = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        assert_eq!(bare_hyper_error(bare), Some(StatusCode::BAD_REQUEST));
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n\r\n{}";
        assert_eq!(bare_hyper_error(ours), None);
        assert_eq!(bare_hyper_error(b"HTTP/1.1 200 OK\r\n\r\n"), None);
        assert_eq!(bare_hyper_error(b"{\"hits\": []}"), None);
    }

    #[test]
    fn malformed_heads_are_refused() {
        assert!(check_head(b"GET /api/search?q=x HTTP/1.1\r\nHost: a\r\n\r\n").is_ok());
        for bad in [
            &b"GET /a b HTTP/1.1\r\n\r\n"[..],
            b"GET / HTTP/9.9\r\n\r\n",
            b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        ] {
            let e = check_head(bad).unwrap_err();
            assert_eq!(
                e.status,
                StatusCode::BAD_REQUEST,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn finds_the_end_of_headers() {
        let req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody";
        assert_eq!(find_head_end(req, 0), Some(req.len() - 4));
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\nHost: x\r\n", 0), None);
        assert_eq!(find_head_end(b"GET / HTTP/1.1\nHost: x\n\n", 0), Some(24));
        assert_eq!(find_head_end(b"ab", 5), None);
    }
}
