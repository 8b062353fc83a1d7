//! The library's error type: what went wrong, with the file, line or query concerned.

use std::path::PathBuf;

/// Everything that can go wrong in tipdex's library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written. (The cause is part of the
    /// message, not a separate source, so that it is printed once.)
    #[error("{}: {cause}", path.display())]
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The underlying error.
        cause: std::io::Error,
    },
    /// A corpus file is malformed.
    #[error("{file}:{line}: {message}")]
    Corpus {
        /// File relative to the corpus directory.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The corpus directory is missing or holds nothing to index.
    #[error("corpus {}: {message}", path.display())]
    CorpusDir {
        /// The corpus directory.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// No index exists at the path.
    #[error("no index at {}: run `tipdex index` first", path.display())]
    IndexMissing {
        /// The index directory.
        path: PathBuf,
    },
    /// The index exists but cannot be used (damaged or from an incompatible version).
    #[error("index at {} cannot be used: {message}; rebuild it with `tipdex index`", path.display())]
    IndexUnusable {
        /// The index directory.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Another process is building the same index.
    #[error("index at {} is being built by another process (lock {} held); try again when it finishes", path.display(), lock.display())]
    IndexLocked {
        /// The index directory.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// A directory named as an index is not one tipdex may build in.
    #[error("cannot build an index in {}: {message}; name a new or empty directory", path.display())]
    NotAnIndexDir {
        /// The directory.
        path: PathBuf,
        /// Why it is refused.
        message: String,
    },
    /// A request parameter is invalid.
    #[error("invalid {parameter}: {message}")]
    InvalidRequest {
        /// The parameter name.
        parameter: String,
        /// What is wrong.
        message: String,
    },
    /// A search ran out of the time it was given.
    #[error("the search took longer than the {:.1} s allowed", allowed.as_secs_f64())]
    OutOfTime {
        /// The time allowed.
        allowed: std::time::Duration,
    },
    /// Whoever asked for a search no longer waits for its answer.
    #[error("the search was cancelled")]
    Cancelled,
    /// The answer to a search would be larger than allowed.
    #[error("the answer would be larger than {}: ask for fewer hits or fewer highlighted attributes", crate::files::human_bytes(*limit as u64))]
    AnswerTooLarge {
        /// The largest answer allowed, in bytes.
        limit: usize,
    },
    /// No section has this id.
    #[error("no section with id `{0}`")]
    NotFound(String),
    /// The search engine failed (its error is the message, printed once).
    #[error("search engine: {0}")]
    Engine(tantivy::TantivyError),
    /// A backend setting is malformed.
    #[error("{0}")]
    Usage(String),
    /// A remote search backend failed or is unreachable.
    #[error("search backend: {0}")]
    Backend(String),
    /// The glossary is malformed.
    #[error("glossary {file}: {message}")]
    Glossary {
        /// The glossary file.
        file: String,
        /// What is wrong.
        message: String,
    },
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, cause: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            cause,
        }
    }
}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Error {
        Error::Engine(e)
    }
}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;
