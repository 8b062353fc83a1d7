//! Query trees in Quickwit's Elasticsearch-compatible query DSL.

use crate::search::tree::Node;
use serde_json::{json, Map, Value};
use std::ops::Bound;
use tantivy::query::Occur;
use tantivy::schema::Schema;

/// The query DSL (Elasticsearch-compatible subset Quickwit accepts) for a tree.
///
/// Every node has an exact counterpart. Quickwit 0.9 ignores a `bool` query's `boost`,
/// so boosts are pushed down to the leaves (a sum of boosted scores is the boosted sum);
/// phrases and prefixes, whose DSL queries take no boost, go through `query_string`; a
/// constant-score name match becomes a boosted `terms` query (constant-scored in
/// Quickwit too); a zero boost becomes a `filter` clause.
pub fn to_dsl(node: &Node, schema: &Schema) -> Value {
    dsl(node, schema, 1.0)
}

fn dsl(node: &Node, schema: &Schema, boost: f32) -> Value {
    if boost == 0.0 {
        return json!({ "bool": { "filter": [dsl(node, schema, 1.0)] } });
    }
    let name = |f| schema.get_field_name(f).to_string();
    match node {
        Node::All => json!({ "match_all": { "boost": boost } }),
        Node::Empty => json!({ "match_none": {} }),
        Node::Term { field, text, .. } => {
            json!({ "term": { name(*field): { "value": text, "boost": boost } } })
        }
        Node::Year(field, year) => {
            json!({ "term": { name(*field): { "value": year.to_string(), "boost": boost } } })
        }
        Node::YearRange(field, lower, upper) => {
            let mut range = Map::new();
            match lower {
                Bound::Included(y) => drop(range.insert("gte".into(), json!(y))),
                Bound::Excluded(y) => drop(range.insert("gt".into(), json!(y))),
                Bound::Unbounded => {}
            }
            match upper {
                Bound::Included(y) => drop(range.insert("lte".into(), json!(y))),
                Bound::Excluded(y) => drop(range.insert("lt".into(), json!(y))),
                Bound::Unbounded => {}
            }
            range.insert("boost".into(), json!(boost));
            json!({ "range": { name(*field): range } })
        }
        Node::Exists(field) => json!({ "exists": { "field": field } }),
        Node::Phrase { field, terms, slop } => {
            let words: Vec<String> = terms.iter().map(|t| escape_query_text(t)).collect();
            let query = format!("{}:\"{}\"~{slop}^{boost}", name(*field), words.join(" "));
            json!({ "query_string": { "query": query } })
        }
        Node::Prefix { field, prefix } => {
            let query = format!("{}:{}*^{boost}", name(*field), escape_query_text(prefix));
            json!({ "query_string": { "query": query } })
        }
        Node::Contains {
            field,
            text,
            at_start,
        } => {
            let before = if *at_start { "" } else { "*" };
            let text = escape_query_text(&text.to_lowercase());
            let query = format!("{}:{before}{text}*", name(*field));
            json!({ "bool": { "filter": [{ "query_string": { "query": query } }] } })
        }
        Node::Bool(clauses) => {
            let mut must = Vec::new();
            let mut should = Vec::new();
            let mut must_not = Vec::new();
            for (occur, clause) in clauses {
                match occur {
                    Occur::Must => must.push(dsl(clause, schema, boost)),
                    Occur::Should => should.push(dsl(clause, schema, boost)),
                    Occur::MustNot => must_not.push(dsl(clause, schema, 1.0)),
                }
            }
            if must.is_empty() && should.is_empty() {
                // tantivy matches nothing with exclusions alone.
                return json!({ "match_none": {} });
            }
            json!({ "bool": { "must": must, "should": should, "must_not": must_not } })
        }
        Node::Boost(inner, b) => dsl(inner, schema, boost * b),
        Node::Const(inner, score) => match inner.as_ref() {
            Node::Term { field, text, .. } => {
                json!({ "terms": { name(*field): [text], "boost": score * boost } })
            }
            other => json!({ "bool": { "filter": [dsl(other, schema, 1.0)] } }),
        },
    }
}

/// Text safe inside Quickwit's query language: every character but letters and digits
/// escaped.
fn escape_query_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !c.is_alphanumeric() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
