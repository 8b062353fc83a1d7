//! `tipdex serve`: answer searches over HTTP (the native API, the Meilisearch-compatible
//! API and the search page) until stopped, picking up rebuilt indexes as they appear.

use super::IndexLocation;
use anyhow::Context;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;
use tipdex::server::{live::LiveEngine, Limits};

/// Longest `--request-timeout`, in seconds (an hour).
const MAX_REQUEST_TIMEOUT_SECS: f64 = 3600.0;

/// Flags of `tipdex serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub location: IndexLocation,
    /// Address to listen on (port 0: any free port). Loopback unless told otherwise.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:7878")]
    pub addr: String,
    /// Seconds a client has to send its request headers, then its body; idle
    /// keep-alive connections are closed after as long.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub request_timeout: f64,
}

/// Opens the index, binds, prints `listening on http://ADDR` to stderr and serves.
pub fn run(args: Args) -> anyhow::Result<()> {
    if !(args.request_timeout.is_finite()
        && args.request_timeout > 0.0
        && args.request_timeout <= MAX_REQUEST_TIMEOUT_SECS)
    {
        anyhow::bail!(
            "invalid --request-timeout {}: a number of seconds above 0 and at most {MAX_REQUEST_TIMEOUT_SECS}",
            args.request_timeout
        );
    }
    let addr = resolve(&args.addr)?;
    let index = args.location.ensure()?;
    let live = LiveEngine::open_with(&index, args.location.backend()?)
        .with_context(|| format!("cannot serve the index at {}", index.display()))?;
    let limits = Limits {
        request_timeout: Duration::from_secs_f64(args.request_timeout),
        ..Limits::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(blocking_threads())
        .thread_name("tipdex-serve")
        .build()
        .context("cannot start the server runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr()?;
        if !local.ip().is_loopback() {
            eprintln!("tipdex: listening on a non-loopback address: reachable from other machines");
        }
        eprintln!(
            "tipdex: serving {} (generation {})",
            index.display(),
            live.engine().generation()
        );
        eprintln!("listening on http://{local}");
        tipdex::server::serve(listener, Arc::new(live), limits).await;
        Ok(())
    })
}

/// `HOST:PORT` to one socket address (the first a name resolves to).
fn resolve(addr: &str) -> anyhow::Result<SocketAddr> {
    addr.to_socket_addrs()
        .with_context(|| format!("invalid --addr {addr:?}: expected HOST:PORT"))?
        .next()
        .with_context(|| format!("invalid --addr {addr:?}: the name resolves to no address"))
}

/// Threads for searches: a few per core, so slow searches queue instead of piling up.
fn blocking_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 4).clamp(4, 64)
}
