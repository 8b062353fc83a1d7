//! Quickwit as a search backend: its index config and documents, derived from the
//! schema; query trees translated to its query DSL; and a small client for its REST API.
//!
//! Stock Quickwit has neither tipdex's analyzers (stemming, folding, symbols) nor typo
//! tolerance, so tipdex sends what it analyzed itself: every indexed text field carries
//! the tokens tipdex's analyzer produced, joined by spaces, and is indexed by Quickwit's
//! `whitespace` tokenizer (same terms, same positions, same lengths for BM25). Queries
//! are planned locally (glossary, prefix and typo expansion against the generation's
//! dictionary) and only executed by Quickwit.

use crate::corpus::Section;
use crate::error::{Error, Result};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tantivy::schema::{FieldType, IndexRecordOption, Schema, TantivyDocument, Value as _};

/// Fields kept in the local generation only (their dictionary drives expansion).
pub const LOCAL_ONLY_FIELDS: [&str; 1] = ["words"];
/// Fields returned with each hit (the rest are indexed, not stored).
const STORED_FIELDS: [&str; 3] = [STORED_SECTION_FIELD, "ord", "kind_code"];
/// The field holding the whole section.
const STORED_SECTION_FIELD: &str = "doc";

mod client;

pub use client::{Client, Found};
/// Time allowed for one request while loading an index.
const INGEST_TIMEOUT: Duration = Duration::from_secs(600);
/// How long a busy cluster (429, 503) is asked again.
const BUSY_RETRY: Duration = Duration::from_secs(60);
/// Time allowed for ingested documents to become searchable.
const COMMIT_WAIT: Duration = Duration::from_secs(120);
/// Largest ingest request body.
const INGEST_CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// A Quickwit cluster and the name its tipdex indexes are derived from, written
/// `http://HOST:PORT/NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Base URL of the REST API, without a trailing slash.
    pub url: String,
    /// Base index name; each generation is the index `NAME-GENERATION`.
    pub name: String,
}

impl std::str::FromStr for Target {
    type Err = Error;

    fn from_str(s: &str) -> Result<Target> {
        let bad = |why: &str| Error::Usage(format!("backend `quickwit={s}`: {why}"));
        let rest = s
            .strip_prefix("http://")
            .ok_or_else(|| bad("the address must start with http://"))?;
        let (host, name) = rest.split_once('/').ok_or_else(|| {
            bad("name the index after the address, as in http://127.0.0.1:7280/sections")
        })?;
        let name = name.trim_end_matches('/');
        check_index_name(name).map_err(bad)?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        Ok(Target {
            url: format!("http://{host}"),
            name: name.to_string(),
        })
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.url, self.name)
    }
}

impl Target {
    /// The Quickwit index holding one generation.
    pub fn index_id(&self, generation: &str) -> String {
        index_id(&self.name, generation)
    }
}

/// The Quickwit index holding one generation of the indexes named `name`.
pub fn index_id(name: &str, generation: &str) -> String {
    format!("{name}-{generation}")
}

/// Checks a base index name: 3 to 100 letters, digits, `-` or `_`, starting with a
/// letter (Quickwit's index id rules, leaving room for the generation).
pub fn check_index_name(name: &str) -> std::result::Result<(), &'static str> {
    let valid = name.len() >= 3
        && name.len() <= 100
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err("the index name takes 3 to 100 letters, digits, `-` or `_`, starting with a letter")
    }
}

/// The Quickwit index config for `index_id`, as YAML.
pub fn index_config(index_id: &str, schema: &Schema) -> String {
    let mappings: Vec<Value> = schema
        .fields()
        .filter(|(_, entry)| !LOCAL_ONLY_FIELDS.contains(&entry.name()))
        .map(|(_, entry)| field_mapping(entry.name(), entry.field_type()))
        .collect();
    let config = json!({
        "version": "0.9",
        "index_id": index_id,
        "doc_mapping": {
            "mode": "strict",
            "field_mappings": mappings,
        },
        "indexing_settings": { "commit_timeout_secs": 5 },
        "search_settings": { "default_search_fields": ["body"] },
    });
    to_yaml(&config)
}

fn field_mapping(name: &str, field_type: &FieldType) -> Value {
    let stored = STORED_FIELDS.contains(&name);
    match field_type {
        FieldType::Str(options) => {
            let mut m = json!({ "name": name, "type": "array<text>", "stored": stored });
            match options.get_indexing_options() {
                Some(indexing) => {
                    let tokenizer = if is_tokenized(indexing.tokenizer()) {
                        "whitespace"
                    } else {
                        "raw"
                    };
                    m["tokenizer"] = json!(tokenizer);
                    m["record"] = json!(match indexing.index_option() {
                        IndexRecordOption::Basic => "basic",
                        IndexRecordOption::WithFreqs => "freq",
                        IndexRecordOption::WithFreqsAndPositions => "position",
                    });
                    m["fieldnorms"] = json!(indexing.fieldnorms());
                }
                None => m["indexed"] = json!(false),
            }
            if options.is_fast() {
                m["fast"] = json!(true);
            }
            m
        }
        other => {
            let kind = match other {
                FieldType::I64(_) => "i64",
                FieldType::F64(_) => "f64",
                _ => "u64",
            };
            json!({
                "name": name,
                "type": kind,
                "stored": stored,
                "indexed": other.is_indexed(),
                "fast": other.is_fast(),
            })
        }
    }
}

/// Whether a tantivy tokenizer name splits text into words (else one token per value).
fn is_tokenized(tokenizer: &str) -> bool {
    tokenizer != "raw" && tokenizer != crate::schema::SYMBOL
}

/// The Quickwit document for a tantivy document: each text value replaced by the tokens
/// tipdex's analyzer made of it, numbers as they are.
pub fn document(schema: &Schema, doc: &TantivyDocument) -> Value {
    let mut out = Map::new();
    for (field, value) in doc.field_values() {
        let entry = schema.get_field_entry(field);
        let name = entry.name();
        if LOCAL_ONLY_FIELDS.contains(&name) {
            continue;
        }
        let value = match entry.field_type() {
            FieldType::Str(options) => {
                let text = value.as_str().unwrap_or_default();
                let analyzed = match options.get_indexing_options() {
                    Some(indexing) if is_tokenized(indexing.tokenizer()) => {
                        let mut analyzer = crate::schema::analyzer(indexing.tokenizer());
                        crate::schema::tokens(&mut analyzer, text).join(" ")
                    }
                    Some(indexing) if indexing.tokenizer() == crate::schema::SYMBOL => {
                        text.to_lowercase()
                    }
                    // The section as plain JSON: what Quickwit stores is read by others too.
                    None if name == STORED_SECTION_FIELD => crate::stored::decode(text.to_string())
                        .ok()
                        .and_then(|section| serde_json::to_string(&section).ok())
                        .unwrap_or_else(|| text.to_string()),
                    _ => text.to_string(),
                };
                out.entry(name.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()))
                    .as_array_mut()
                    .expect("text fields are arrays")
                    .push(Value::String(analyzed));
                continue;
            }
            FieldType::I64(_) => json!(value.as_i64()),
            _ => json!(value.as_u64()),
        };
        out.insert(name.to_string(), value);
    }
    Value::Object(out)
}

/// The Quickwit documents of `sections`, in corpus order.
pub fn documents(sections: &[Section]) -> impl Iterator<Item = Result<Value>> + '_ {
    let (schema, fields) = crate::schema::build_schema();
    sections.iter().enumerate().map(move |(ord, section)| {
        let doc = crate::schema::to_document(&fields, section, ord as u64);
        Ok(document(&schema, &doc))
    })
}

/// Writes `index-config.yaml` and `documents.ndjson` for `index_id` into `out`.
pub fn export(out: &Path, index_id: &str, sections: &[Section]) -> Result<(PathBuf, PathBuf)> {
    use std::io::Write;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let (schema, _) = crate::schema::build_schema();
    let config = out.join("index-config.yaml");
    std::fs::write(&config, index_config(index_id, &schema)).map_err(|e| Error::io(&config, e))?;
    let docs = out.join("documents.ndjson");
    let file = std::fs::File::create(&docs).map_err(|e| Error::io(&docs, e))?;
    let mut writer = std::io::BufWriter::new(file);
    for doc in documents(sections) {
        serde_json::to_writer(&mut writer, &doc?).map_err(|e| Error::io(&docs, e.into()))?;
        writer.write_all(b"\n").map_err(|e| Error::io(&docs, e))?;
    }
    writer.flush().map_err(|e| Error::io(&docs, e))?;
    Ok((config, docs))
}

/// Creates the index of `generation` on the cluster and loads `sections` into it,
/// replacing any earlier attempt; returns once every section is searchable.
pub fn publish(target: &Target, generation: &str, sections: &[Section]) -> Result<()> {
    let client = Client::new(target.clone(), INGEST_TIMEOUT);
    let index_id = target.index_id(generation);
    if client.indexes(&index_id)?.contains(&index_id) {
        client.delete_index(&index_id)?;
    }
    let (schema, _) = crate::schema::build_schema();
    client.create_index(&index_config(&index_id, &schema))?;
    let loaded = (|| {
        client.ingest(&index_id, documents(sections))?;
        client.wait_for_count(&index_id, sections.len(), COMMIT_WAIT)
    })();
    if loaded.is_err() {
        let _ = client.delete_index(&index_id);
    }
    loaded
}

/// Deletes the cluster's indexes of `target` whose generation is not in `keep`.
pub fn remove_unused(target: &Target, keep: &[String]) -> Result<Vec<String>> {
    let client = Client::new(target.clone(), INGEST_TIMEOUT);
    let prefix = format!("{}-", target.name);
    let kept: Vec<String> = keep.iter().map(|g| target.index_id(g)).collect();
    let mut removed = Vec::new();
    for id in client.indexes(&prefix)? {
        let generation = &id[prefix.len()..];
        if generation.starts_with(crate::index::GEN_PREFIX) && !kept.contains(&id) {
            client.delete_index(&id)?;
            removed.push(id);
        }
    }
    Ok(removed)
}

/// A JSON value written as YAML (block style; strings quoted as JSON, which YAML reads).
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    write_yaml(value, 0, &mut out);
    out
}

fn write_yaml(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match v {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        write_yaml(v, indent + 2, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        write_yaml(v, indent, out);
                    }
                    scalar => out.push_str(&format!("{pad}{key}: {scalar}\n")),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        let mut inner = String::new();
                        write_yaml(item, indent + 2, &mut inner);
                        let first_line_start = indent + 2;
                        out.push_str(&format!("{pad}- {}", &inner[first_line_start..]));
                    }
                    scalar => out.push_str(&format!("{pad}- {scalar}\n")),
                }
            }
        }
        scalar => out.push_str(&format!("{pad}{scalar}\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::build_schema;

    #[test]
    fn targets_name_a_cluster_and_an_index() {
        let t: Target = "http://127.0.0.1:7280/sections".parse().unwrap();
        assert_eq!(t.url, "http://127.0.0.1:7280");
        assert_eq!(t.name, "sections");
        assert_eq!(t.index_id("gen-1"), "sections-gen-1");
        for bad in [
            "127.0.0.1:7280/sections",
            "http://h:1",
            "http://h:1/x",
            "http://h/9ab",
            "http://h/a b c",
        ] {
            assert!(bad.parse::<Target>().is_err(), "{bad}");
        }
    }

    #[test]
    fn config_maps_every_indexed_field_but_the_local_dictionary() {
        let (schema, _) = build_schema();
        let yaml = index_config("sections-gen-1", &schema);
        assert!(yaml.contains("index_id: \"sections-gen-1\""), "{yaml}");
        assert!(yaml.contains("name: \"body\""), "{yaml}");
        assert!(yaml.contains("tokenizer: \"whitespace\""), "{yaml}");
        assert!(!yaml.contains("\"words\""), "{yaml}");
    }

    #[test]
    fn yaml_nests_maps_and_lists() {
        let v = json!({"a": {"b": 1, "c": [{"d": "x", "e": [1, 2]}, 3]}, "f": []});
        assert_eq!(
            to_yaml(&v),
            "a:\n  b: 1\n  c:\n  - d: \"x\"\n    e:\n    - 1\n    - 2\n  - 3\nf: []\n"
        );
    }

    #[test]
    fn documents_carry_analyzed_terms() {
        let (schema, fields) = build_schema();
        let mut section = crate::corpus::Section::new(
            crate::corpus::Kind::Report,
            "Trafficking in Persons",
            "Children were sold.",
        );
        section.symbols = vec!["A/HRC/49/51".into()];
        let doc = crate::schema::to_document(&fields, &section, 7);
        let v = document(&schema, &doc);
        assert_eq!(v["title"], json!(["traffick in person"]));
        assert_eq!(v["ord"], json!(7));
        assert_eq!(v["symbol"][0], json!("=a/hrc/49/51"));
        assert!(v.get("words").is_none());
        let stored: crate::corpus::Section =
            serde_json::from_str(v["doc"][0].as_str().unwrap()).unwrap();
        assert_eq!(stored, section);
    }
}
