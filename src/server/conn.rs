//! Accepting connections and enforcing the limits hyper sees before any route does.
//!
//! The first request on a connection is read up to the end of its headers here, with a
//! deadline and a size cap, so a client trickling bytes (or never finishing its headers)
//! gets a JSON 408, and oversized headers a JSON 431; the bytes read are then handed to
//! hyper. Later requests on a keep-alive connection are held to the same limits by
//! hyper itself (`header_read_timeout`, `max_header_size`), which also closes
//! connections left idle for that long, so idle connections never pile up; and a
//! client that stops reading its answers is cut off after as long.

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

/// A stream that first yields bytes already read from it, and fails a write that
/// cannot make progress for `write_timeout` (a client that never reads its answers
/// must not hold a connection forever).
struct Prefixed {
    prefix: Vec<u8>,
    at: usize,
    inner: TcpStream,
    write_timeout: std::time::Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Prefixed {
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
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.timed(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.timed(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.timed(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::find_head_end;

    #[test]
    fn finds_the_end_of_headers() {
        let req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody";
        assert_eq!(find_head_end(req, 0), Some(req.len() - 4));
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\nHost: x\r\n", 0), None);
        assert_eq!(find_head_end(b"GET / HTTP/1.1\nHost: x\n\n", 0), Some(24));
        assert_eq!(find_head_end(b"ab", 5), None);
    }
}
