//! Where searches run: the local tantivy index, or a Quickwit cluster.

use crate::error::{Error, Result};
use crate::quickwit::Target;

/// A search backend, written `local` or `quickwit=http://HOST:PORT/NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Backend {
    /// The local index (the default: embedded, nothing to install).
    #[default]
    Local,
    /// A Quickwit cluster; each generation is its index `NAME-GENERATION`.
    Quickwit(Target),
}

impl std::str::FromStr for Backend {
    type Err = Error;

    fn from_str(s: &str) -> Result<Backend> {
        let s = s.trim();
        if s == "local" {
            return Ok(Backend::Local);
        }
        match s.split_once('=') {
            Some(("quickwit", target)) => Ok(Backend::Quickwit(target.parse()?)),
            _ => Err(Error::Usage(format!(
                "unknown backend `{s}`: use `local` or `quickwit=http://HOST:PORT/NAME`"
            ))),
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Backend::Local => f.write_str("local"),
            Backend::Quickwit(target) => write!(f, "quickwit={target}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_parse_and_print_back() {
        for text in ["local", "quickwit=http://127.0.0.1:7280/sections"] {
            let backend: Backend = text.parse().unwrap();
            assert_eq!(backend.to_string(), text);
        }
        let e = "elastic=http://x/y".parse::<Backend>().unwrap_err();
        assert!(e.to_string().contains("unknown backend"), "{e}");
        assert!("quickwit=https://x:1/abc".parse::<Backend>().is_err());
    }
}
