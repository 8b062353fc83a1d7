//! The live index: the engine the server answers with, swapped for a new one when
//! `tipdex index` switches the index to a new generation.
//!
//! A background task polls `INDEX/CURRENT`; when it names another generation, the new
//! generation is opened and its checksums verified off the async threads, then swapped
//! in. Requests hold an `Arc` to the engine they started with, so a swap never fails
//! one; the previous generation's files stay readable while they finish. A generation
//! that fails to open is logged once and the old engine keeps serving.

use crate::backend::Backend;
use crate::error::Result;
use crate::search::Engine;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// How often the index is checked for a new generation.
pub const POLL_INTERVAL: Duration = Duration::from_millis(300);

/// The engine in use, replaceable while requests run.
#[derive(Debug)]
pub struct LiveEngine {
    root: PathBuf,
    /// The backend chosen for this server (`None`: each generation's own).
    backend: Option<Backend>,
    current: RwLock<Arc<Engine>>,
    /// A generation that failed to open (not retried until CURRENT changes again).
    failed: Mutex<Option<String>>,
    reloads: std::sync::atomic::AtomicU64,
}

impl LiveEngine {
    /// Opens and verifies the current generation of the index at `root`.
    pub fn open(root: &Path) -> Result<LiveEngine> {
        LiveEngine::open_with(root, None)
    }

    /// Opens and verifies the current generation, searched on `backend` (`None`: the
    /// generation's own), and keeps that choice for the generations that follow.
    pub fn open_with(root: &Path, backend: Option<Backend>) -> Result<LiveEngine> {
        let engine = Engine::open_with(root, backend.as_ref())?;
        engine.verify()?;
        let mut live = LiveEngine::with_engine(root, engine);
        live.backend = backend;
        Ok(live)
    }

    /// Wraps an engine already open on `root`.
    pub fn with_engine(root: &Path, engine: Engine) -> LiveEngine {
        LiveEngine {
            root: root.to_path_buf(),
            backend: None,
            current: RwLock::new(Arc::new(engine)),
            failed: Mutex::new(None),
            reloads: Default::default(),
        }
    }

    /// The index directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The engine to answer one request with.
    pub fn engine(&self) -> Arc<Engine> {
        let guard = self.current.read().unwrap_or_else(|e| e.into_inner());
        Arc::clone(&guard)
    }

    /// How many times a new generation was swapped in.
    pub fn reloads(&self) -> u64 {
        self.reloads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Checks the index once (blocking): swaps in a new current generation if there is
    /// one and it opens and verifies. Returns the generation swapped in.
    pub fn reload_if_changed(&self) -> Option<String> {
        let generation = match crate::index::current_generation(&self.root) {
            Ok(g) => g,
            Err(e) => {
                self.note_failure("CURRENT".into(), &e.to_string());
                return None;
            }
        };
        if generation == self.engine().generation() {
            return None;
        }
        {
            let failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
            if failed.as_deref() == Some(generation.as_str()) {
                return None;
            }
        }
        let opened = Engine::open_with(&self.root, self.backend.as_ref()).and_then(|engine| {
            engine.verify()?;
            Ok(engine)
        });
        match opened {
            Ok(engine) => {
                let name = engine.generation().to_string();
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(engine);
                *self.failed.lock().unwrap_or_else(|e| e.into_inner()) = None;
                self.reloads
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                eprintln!(
                    "tipdex serve: now serving index generation {name} from {}",
                    self.root.display()
                );
                Some(name)
            }
            Err(e) => {
                self.note_failure(generation, &e.to_string());
                None
            }
        }
    }

    fn note_failure(&self, what: String, message: &str) {
        let mut failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
        if failed.as_deref() != Some(what.as_str()) {
            eprintln!(
                "tipdex serve: cannot load the new index ({message}); still serving generation {}",
                self.engine().generation()
            );
            *failed = Some(what);
        }
    }
}

/// Polls the index every `interval` for as long as the runtime runs.
pub async fn watch(live: Arc<LiveEngine>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let live = Arc::clone(&live);
        // Opening and verifying read files: keep them off the async worker threads.
        let _ = tokio::task::spawn_blocking(move || live.reload_if_changed()).await;
    }
}
