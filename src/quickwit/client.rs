//! A small blocking client for one Quickwit cluster's REST API: indexes listed, created,
//! deleted, documents ingested and counted, searches run.

use super::{Target, BUSY_RETRY, INGEST_CHUNK_BYTES};
use crate::error::{Error, Result};
use serde_json::{json, Value};
use std::time::Duration;

/// A blocking client for one Quickwit cluster's REST API.
#[derive(Debug, Clone)]
pub struct Client {
    agent: ureq::Agent,
    /// The cluster and base index name.
    pub target: Target,
}

/// One page of hits: each hit's score and stored fields, and the match count.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// `(score, stored fields)`, best first.
    pub hits: Vec<(f32, Value)>,
    /// Documents matching.
    pub total: usize,
    /// Aggregation results, when asked for.
    pub aggregations: Option<Value>,
}

impl Client {
    /// A client for `target`; every request times out after `timeout`.
    pub fn new(target: Target, timeout: Duration) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build()
            .new_agent();
        Client { agent, target }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.target.url)
    }

    fn failed(&self, what: &str, message: impl std::fmt::Display) -> Error {
        Error::Backend(format!(
            "Quickwit at {}: {what}: {message}",
            self.target.url
        ))
    }

    /// Sends a request and returns the JSON answer of a 2xx response. A cluster that
    /// says it is busy (429, 503: ingest rate limits, a node starting) is asked again,
    /// for up to [`BUSY_RETRY`].
    fn exchange(
        &self,
        what: &str,
        method: &str,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Value> {
        let url = self.url(path);
        let deadline = std::time::Instant::now() + BUSY_RETRY;
        loop {
            let response = match (method, &body) {
                ("GET", _) => self.agent.get(&url).call(),
                ("DELETE", _) => self.agent.delete(&url).call(),
                (_, Some((content_type, bytes))) => self
                    .agent
                    .post(&url)
                    .header("content-type", *content_type)
                    .send(&bytes[..]),
                (_, None) => self.agent.post(&url).send_empty(),
            };
            let mut response = response.map_err(|e| self.failed(what, e))?;
            let status = response.status();
            let text = response
                .body_mut()
                .with_config()
                .limit(256 * 1024 * 1024)
                .read_to_string()
                .map_err(|e| self.failed(what, e))?;
            if status.is_success() {
                return Ok(serde_json::from_str(&text).unwrap_or(Value::Null));
            }
            let busy = status.as_u16() == 429 || status.as_u16() == 503;
            if busy && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(250));
                continue;
            }
            return Err(self.failed(what, format!("{status}: {}", error_message(&text))));
        }
    }

    /// Ids of the indexes whose id starts with `prefix`.
    pub fn indexes(&self, prefix: &str) -> Result<Vec<String>> {
        let listed = self.exchange("list indexes", "GET", "/api/v1/indexes", None)?;
        let mut ids: Vec<String> = listed
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["index_config"]["index_id"].as_str())
            .filter(|id| id.starts_with(prefix))
            .map(str::to_string)
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Creates an index from its YAML config.
    pub fn create_index(&self, config_yaml: &str) -> Result<()> {
        let body = Some(("application/yaml", config_yaml.as_bytes().to_vec()));
        self.exchange("create index", "POST", "/api/v1/indexes", body)
            .map(drop)
    }

    /// Deletes an index and its data.
    pub fn delete_index(&self, index_id: &str) -> Result<()> {
        let path = format!("/api/v1/indexes/{index_id}");
        self.exchange("delete index", "DELETE", &path, None)
            .map(drop)
    }

    /// Ingests documents; the last request waits until everything sent is committed.
    pub fn ingest(
        &self,
        index_id: &str,
        documents: impl Iterator<Item = Result<Value>>,
    ) -> Result<()> {
        let send = |chunk: Vec<u8>, last: bool| -> Result<()> {
            let commit = if last { "wait_for" } else { "auto" };
            let path = format!("/api/v1/{index_id}/ingest?commit={commit}");
            let answer = self.exchange(
                "ingest",
                "POST",
                &path,
                Some(("application/x-ndjson", chunk)),
            )?;
            match answer["num_rejected_docs"].as_u64() {
                Some(rejected) if rejected > 0 => Err(self.failed(
                    "ingest",
                    format!(
                        "{rejected} documents rejected: {}",
                        answer["parse_failures"][0]["message"]
                    ),
                )),
                _ => Ok(()),
            }
        };
        let mut chunk: Vec<u8> = Vec::new();
        for doc in documents {
            if chunk.len() >= INGEST_CHUNK_BYTES {
                send(std::mem::take(&mut chunk), false)?;
            }
            serde_json::to_writer(&mut chunk, &doc?).expect("a JSON value serializes");
            chunk.push(b'\n');
        }
        send(chunk, true)
    }

    /// Waits until `expected` documents are searchable in an index.
    pub fn wait_for_count(&self, index_id: &str, expected: usize, timeout: Duration) -> Result<()> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let searchable = self.count(index_id)?;
            if searchable == expected {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                return Err(self.failed(
                    "ingest",
                    format!("{searchable} of {expected} sections searchable after {timeout:?}"),
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Number of documents searchable in an index.
    pub fn count(&self, index_id: &str) -> Result<usize> {
        Ok(self
            .search(index_id, &json!({ "match_all": {} }), 0, None, None)?
            .total)
    }

    /// The best `size` hits for a query with their scores and stored fields, sorted by
    /// the numeric field `by` (descending) first when given, then by score.
    pub fn search(
        &self,
        index_id: &str,
        query: &Value,
        size: usize,
        aggregations: Option<Value>,
        by: Option<&str>,
    ) -> Result<Found> {
        let mut sort = Vec::new();
        if let Some(field) = by {
            sort.push(json!({ field: { "order": "desc" } }));
        }
        sort.push(json!({ "_score": { "order": "desc" } }));
        let score_at = sort.len() - 1;
        let mut body = json!({
            "query": query,
            "size": size,
            "sort": sort,
            "track_total_hits": true,
        });
        if let Some(aggs) = aggregations {
            body["aggs"] = aggs;
        }
        let path = format!("/api/v1/_elastic/{index_id}/_search");
        let bytes = serde_json::to_vec(&body).expect("a JSON value serializes");
        let answer = self.exchange("search", "POST", &path, Some(("application/json", bytes)))?;
        let total = answer["hits"]["total"]["value"].as_u64().unwrap_or(0) as usize;
        let hits = answer["hits"]["hits"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|h| {
                let score = h["sort"][score_at].as_f64().unwrap_or(0.0) as f32;
                (score, h["_source"].clone())
            })
            .collect();
        Ok(Found {
            hits,
            total,
            aggregations: answer.get("aggregations").cloned(),
        })
    }
}

/// The reason an error answer gives, on one line.
fn error_message(text: &str) -> String {
    let parsed = serde_json::from_str::<Value>(text).ok();
    let reason = parsed.as_ref().and_then(|v| {
        v["message"]
            .as_str()
            .or_else(|| v["error"]["reason"].as_str())
            .or_else(|| v["error"].as_str())
            .map(str::to_string)
    });
    let one_line = reason
        .unwrap_or_else(|| text.to_string())
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match one_line.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_answers_become_one_line() {
        let es = r#"{"status": 500, "error": {"reason": "no available\n searcher nodes"}}"#;
        assert_eq!(error_message(es), "no available searcher nodes");
        assert_eq!(
            error_message(r#"{"message": "index `x` not found"}"#),
            "index `x` not found"
        );
        assert_eq!(error_message("plain\ntext"), "plain text");
        assert!(error_message(&"x".repeat(1000)).chars().count() <= 301);
    }
}
