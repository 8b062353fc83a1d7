//! `tipdex serve`: answer searches over HTTP (the native API, the Meilisearch-compatible
//! API and the search page) until stopped, picking up rebuilt indexes as they appear.

use super::IndexLocation;
use anyhow::Context;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;
use tipdex::server::origin::{AllowedHosts, AllowedOrigins};
use tipdex::server::{live::LiveEngine, schedule::Capacity, Limits};

/// Longest `--request-timeout` and `--search-timeout`, in seconds (an hour).
const MAX_TIMEOUT_SECS: f64 = 3600.0;

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
    /// Seconds a search may take from its arrival, waiting for a free thread included;
    /// beyond, it stops and answers 503 with `Retry-After`.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub search_timeout: f64,
    /// An origin whose pages may read answers across origins (repeatable), e.g.
    /// https://example.org; `*` for any. Pages of loopback origins always may.
    #[arg(long, value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,
    /// On a loopback address, a host name requests may also be addressed to besides
    /// localhost (repeatable), e.g. the one a reverse proxy forwards; `*` for any.
    #[arg(long, value_name = "NAME")]
    pub allow_host: Vec<String>,
}

/// Opens the index, binds, prints `listening on http://ADDR` to stderr and serves.
pub fn run(args: Args) -> anyhow::Result<()> {
    let request_timeout = seconds("--request-timeout", args.request_timeout)?;
    let search_timeout = seconds("--search-timeout", args.search_timeout)?;
    let origins = AllowedOrigins::parse(&args.allow_origin).map_err(anyhow::Error::msg)?;
    let addr = resolve(&args.addr)?;
    let index = args.location.ensure()?;
    let live = LiveEngine::open_with(&index, args.location.backend()?)
        .with_context(|| format!("cannot serve the index at {}", index.display()))?;
    let limits = Limits {
        request_timeout,
        search_timeout,
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
        let hosts = AllowedHosts::new(local.ip().is_loopback(), &args.allow_host);
        tipdex::server::serve(listener, Arc::new(live), limits, origins, hosts).await;
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

/// A number of seconds above 0 and at most an hour.
fn seconds(flag: &str, value: f64) -> anyhow::Result<Duration> {
    if !(value.is_finite() && value > 0.0 && value <= MAX_TIMEOUT_SECS) {
        anyhow::bail!(
            "invalid {flag} {value}: a number of seconds above 0 and at most {MAX_TIMEOUT_SECS}"
        );
    }
    Ok(Duration::from_secs_f64(value))
}

/// Threads for blocking work: the scheduler's search threads, and a few for reloads.
fn blocking_threads() -> usize {
    Capacity::for_this_machine().threads + 2
}
