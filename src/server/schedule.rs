//! Which searches run when: light requests (a search-box keystroke) and heavy ones
//! (large pages, explanations, long queries, big multi-searches) take permits from
//! separate pools, so heavy requests queue among themselves and never hold up light
//! ones; every request runs within a [`Budget`] (a deadline counted from its arrival,
//! cancellation when its client goes away, a ceiling on its answer's size).

use super::error::ApiError;
use crate::search::budget::{Budget, Cost};
use crate::search::Engine;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Permits and budgets of one server.
#[derive(Debug)]
pub struct Scheduler {
    light: Arc<Semaphore>,
    heavy: Arc<Semaphore>,
    heavy_permits: usize,
    light_permits: usize,
    /// Time a search may take from its arrival, queueing included.
    pub search_timeout: Duration,
    /// Largest answer a search may build.
    pub max_answer_bytes: usize,
    heavy_admitted: AtomicU64,
    refused_busy: AtomicU64,
}

/// How the server's search threads are shared out.
#[derive(Debug, Clone, Copy)]
pub struct Capacity {
    /// Threads that run searches.
    pub threads: usize,
    /// Of which at most this many run heavy requests at once.
    pub heavy: usize,
}

impl Capacity {
    /// For this machine: four search threads per core, heavy requests on at most half
    /// of the cores (at least one), so light requests always have a core.
    pub fn for_this_machine() -> Capacity {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Capacity {
            threads: (cores * 4).clamp(4, 64),
            heavy: (cores / 2).max(1),
        }
    }
}

impl Scheduler {
    /// A scheduler sharing `capacity` out, searches allowed `search_timeout` each.
    pub fn new(capacity: Capacity, search_timeout: Duration, max_answer_bytes: usize) -> Self {
        let heavy = capacity.heavy.clamp(1, capacity.threads.max(2) - 1);
        let light = capacity.threads.max(2) - heavy;
        Scheduler {
            light: Arc::new(Semaphore::new(light)),
            heavy: Arc::new(Semaphore::new(heavy)),
            heavy_permits: heavy,
            light_permits: light,
            search_timeout,
            max_answer_bytes,
            heavy_admitted: AtomicU64::new(0),
            refused_busy: AtomicU64::new(0),
        }
    }

    /// Runs `work` on the blocking pool once a permit for `cost` is free, within a
    /// budget starting now. Waiting past the deadline is a 503 with `Retry-After`; a
    /// panic in `work` is a 500; when the caller stops waiting (the client is gone),
    /// the budget is cancelled and the search stops at its next check.
    pub async fn run<T, F>(&self, engine: Arc<Engine>, cost: Cost, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine, &Budget) -> Result<T, ApiError> + Send + 'static,
    {
        let arrived = Instant::now();
        let permit = self.admit(cost, arrived).await?;
        let cancelled = Arc::new(AtomicBool::new(false));
        let _cancel_on_drop = CancelOnDrop(Arc::clone(&cancelled));
        let allowed = self.search_timeout.saturating_sub(arrived.elapsed());
        let budget = Budget::unlimited()
            .with_time(allowed)
            .cancelled_by(cancelled)
            .with_max_answer_bytes(self.max_answer_bytes);
        let heavy = !cost.is_light();
        let task = tokio::task::spawn_blocking(move || {
            let result = work(&engine, &budget);
            drop(permit);
            if heavy {
                release_free_memory();
            }
            result
        });
        match task.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => Err(ApiError::internal(format!(
                "the request failed inside the server: {}",
                super::panic_message(e.into_panic())
            ))),
            Err(e) => Err(ApiError::internal(format!(
                "the request was cancelled: {e}"
            ))),
        }
    }

    async fn admit(&self, cost: Cost, arrived: Instant) -> Result<OwnedSemaphorePermit, ApiError> {
        let pool = if cost.is_light() {
            &self.light
        } else {
            self.heavy_admitted.fetch_add(1, Ordering::Relaxed);
            &self.heavy
        };
        let wait = self.search_timeout.saturating_sub(arrived.elapsed());
        match tokio::time::timeout(wait, Arc::clone(pool).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                self.refused_busy.fetch_add(1, Ordering::Relaxed);
                Err(ApiError::busy(
                    if cost.is_light() {
                        "the server is answering as many searches as it can"
                    } else {
                        "the server is busy with other heavy searches (large pages, explanations or long queries)"
                    },
                    self.search_timeout,
                ))
            }
        }
    }

    /// Counters for `/api/stats`.
    pub fn figures(&self) -> serde_json::Value {
        serde_json::json!({
            "light_permits": self.light_permits,
            "heavy_permits": self.heavy_permits,
            "light_running": self.light_permits - self.light.available_permits(),
            "heavy_running": self.heavy_permits - self.heavy.available_permits(),
            "heavy_admitted": self.heavy_admitted.load(Ordering::Relaxed),
            "refused_busy": self.refused_busy.load(Ordering::Relaxed),
            "search_timeout_ms": self.search_timeout.as_millis() as u64,
        })
    }
}

/// Gives memory freed by a heavy request back to the system: the C allocator keeps
/// freed memory for reuse, so one large answer would otherwise leave the server's
/// resident size high for good.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap memory to the system; it takes the
    // allocator's own locks and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Sets a flag when dropped: the handler that waits for a search was dropped (its
/// client went away), so the search may stop.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heavy_requests_never_take_every_thread() {
        for threads in [1, 2, 4, 8, 64] {
            for heavy in [0, 1, 4, 100] {
                let s = Scheduler::new(Capacity { threads, heavy }, Duration::from_secs(1), 1);
                assert!(
                    s.heavy_permits >= 1 && s.light_permits >= 1,
                    "{threads} {heavy}"
                );
            }
        }
    }
}
