//! Who may call the API from a browser. A corpus can hold confidential case documents,
//! so by default only pages served from this machine (loopback origins, any port) may
//! read answers across origins; `--allow-origin` names others, or `*` for any. And a
//! server listening on loopback answers only requests addressed to a loopback name, so
//! a web page cannot reach it by pointing its own domain name at 127.0.0.1 (DNS
//! rebinding).

use axum::http::{HeaderMap, HeaderValue};

/// The origins allowed to read answers across origins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Any origin (`Access-Control-Allow-Origin: *`).
    Any,
    /// Loopback origins and these (`scheme://host[:port]`, compared exactly).
    Listed(Vec<String>),
}

impl Default for AllowedOrigins {
    fn default() -> Self {
        AllowedOrigins::Listed(Vec::new())
    }
}

impl AllowedOrigins {
    /// From `--allow-origin` values: `*` for any; each other value an origin
    /// (`https://example.org`, `http://localhost:5173`); none: loopback origins only.
    pub fn parse(values: &[String]) -> Result<AllowedOrigins, String> {
        let mut listed = Vec::new();
        for value in values {
            let value = value.trim().trim_end_matches('/');
            if value == "*" {
                return Ok(AllowedOrigins::Any);
            }
            let valid = (value.starts_with("http://") || value.starts_with("https://"))
                && value.split_once("://").is_some_and(|(_, rest)| {
                    !rest.is_empty() && !rest.contains(['/', '?', '#', ' '])
                });
            if !valid {
                return Err(format!(
                    "invalid --allow-origin {value:?}: an origin such as https://example.org or http://localhost:5173, or *"
                ));
            }
            listed.push(value.to_ascii_lowercase());
        }
        Ok(AllowedOrigins::Listed(listed))
    }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, if allowed.
    pub fn allow(&self, origin: Option<&HeaderValue>) -> Option<HeaderValue> {
        match self {
            AllowedOrigins::Any => Some(HeaderValue::from_static("*")),
            AllowedOrigins::Listed(listed) => {
                let origin = origin?;
                let text = origin.to_str().ok()?.to_ascii_lowercase();
                let allowed = is_loopback_origin(&text) || listed.contains(&text);
                allowed.then(|| origin.clone())
            }
        }
    }
}

/// `http://localhost:5173`, `https://127.0.0.1`, `http://[::1]:8080`.
fn is_loopback_origin(origin: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    (scheme == "http" || scheme == "https") && is_loopback_host(authority)
}

/// Whether a `Host` value (`name[:port]`) names this machine's loopback interface.
pub fn is_loopback_host(authority: &str) -> bool {
    let host = if let Some(rest) = authority.strip_prefix('[') {
        match rest.split_once(']') {
            Some((inside, _)) => inside,
            None => return false,
        }
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The names requests may be addressed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedHosts {
    /// Any name (a server on a non-loopback address, or `--allow-host '*'`).
    Any,
    /// Loopback names and these (`--allow-host`, e.g. the name a reverse proxy on this
    /// machine forwards with).
    Loopback(Vec<String>),
}

impl AllowedHosts {
    /// For a server listening on loopback or not, with the `--allow-host` values.
    pub fn new(loopback: bool, values: &[String]) -> AllowedHosts {
        if !loopback || values.iter().any(|v| v.trim() == "*") {
            return AllowedHosts::Any;
        }
        AllowedHosts::Loopback(
            values
                .iter()
                .map(|v| v.trim().trim_end_matches('.').to_ascii_lowercase())
                .collect(),
        )
    }

    /// Whether a request with these headers may be answered: its `Host` (without the
    /// port) a loopback name or an allowed one; a request without `Host` (HTTP/1.0) may.
    pub fn allow(&self, headers: &HeaderMap) -> bool {
        let AllowedHosts::Loopback(names) = self else {
            return true;
        };
        let Some(value) = headers.get(axum::http::header::HOST) else {
            return true;
        };
        let Ok(authority) = value.to_str() else {
            return false;
        };
        if is_loopback_host(authority) {
            return true;
        }
        let name = authority
            .rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(authority, |(h, _)| h)
            .trim_end_matches('.')
            .to_ascii_lowercase();
        names.contains(&name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_and_origins() {
        for host in [
            "localhost",
            "localhost:7878",
            "127.0.0.1:7878",
            "127.1.2.3",
            "[::1]:80",
            "app.localhost:3000",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:7878",
            "10.0.0.1",
            "[::2]",
            "[::1",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
        let default = AllowedOrigins::default();
        let local = HeaderValue::from_static("http://localhost:5173");
        assert_eq!(default.allow(Some(&local)), Some(local.clone()));
        let other = HeaderValue::from_static("https://example.org");
        assert_eq!(default.allow(Some(&other)), None);
        let listed = AllowedOrigins::parse(&["https://example.org/".into()]).unwrap();
        assert_eq!(listed.allow(Some(&other)), Some(other.clone()));
        assert_eq!(
            AllowedOrigins::parse(&["*".into()]).unwrap().allow(None),
            Some(HeaderValue::from_static("*"))
        );
        assert!(AllowedOrigins::parse(&["example.org".into()]).is_err());
        assert!(AllowedOrigins::parse(&["https://example.org/path".into()]).is_err());
    }
}
