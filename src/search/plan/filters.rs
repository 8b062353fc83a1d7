//! The trees of filters: the request's filter expression and the query's own `kind:`
//! and `year:`, as scoreless queries.

use super::Planner;
use crate::corpus::Kind;
use crate::search::filter::{Cmp, Filter, FilterField};
use crate::search::query::ParsedQuery;
use crate::search::tree::Node;
use std::ops::Bound;
use tantivy::query::Occur;

impl Planner {
    /// Scoreless clauses for the `kind:` and `year:` filters typed in the query.
    pub(super) fn query_filter_clauses(&self, parsed: &ParsedQuery) -> Vec<Node> {
        let mut out = Vec::new();
        if !parsed.kinds.is_empty() {
            out.push(
                self.filter_query(&Filter::kinds(&parsed.kinds))
                    .boosted(0.0),
            );
        }
        if !parsed.years.is_empty() {
            out.push(
                self.filter_query(&Filter::years(&parsed.years))
                    .boosted(0.0),
            );
        }
        out
    }

    /// Translates a filter expression into a (scoreless) query.
    pub(super) fn filter_query(&self, filter: &Filter) -> Node {
        let f = &self.fields;
        let not =
            |q: Node| -> Node { Node::Bool(vec![(Occur::Must, Node::All), (Occur::MustNot, q)]) };
        let eq = |field: FilterField, value: &str| -> Node {
            match field {
                FilterField::Kind => {
                    let kind = value
                        .parse::<Kind>()
                        .map_or_else(|_| value.to_string(), |k| k.as_str().to_string());
                    Node::basic_term(f.kind, kind)
                }
                FilterField::Org => Node::basic_term(f.org_exact, value.to_lowercase()),
                FilterField::Year => Node::Year(f.year, value.parse().unwrap_or(i64::MIN)),
                FilterField::Language => Node::basic_term(f.language, value.to_lowercase()),
                FilterField::Document => Node::basic_term(f.document, value),
            }
        };
        match filter {
            Filter::Compare(field, Cmp::Eq, v) => eq(*field, v),
            Filter::Compare(field, Cmp::Ne, v) => not(eq(*field, v)),
            Filter::Compare(FilterField::Year, cmp, v) => {
                let year = v.parse::<i64>().unwrap_or(0);
                let (lower, upper) = match cmp {
                    Cmp::Gt => (Bound::Excluded(year), Bound::Unbounded),
                    Cmp::Ge => (Bound::Included(year), Bound::Unbounded),
                    Cmp::Lt => (Bound::Unbounded, Bound::Excluded(year)),
                    _ => (Bound::Unbounded, Bound::Included(year)),
                };
                Node::YearRange(f.year, lower, upper)
            }
            Filter::Compare(..) => Node::Empty,
            Filter::In(field, values) => Node::Bool(
                values
                    .iter()
                    .map(|v| (Occur::Should, eq(*field, v)))
                    .collect(),
            ),
            Filter::Contains(field, text) => self.substring(*field, text, false),
            Filter::StartsWith(field, text) => self.substring(*field, text, true),
            Filter::Exists(field) => match field {
                FilterField::Kind => Node::All,
                FilterField::Year => Node::Exists("year"),
                FilterField::Org => Node::Exists("org_exact"),
                FilterField::Language => Node::Exists("language"),
                FilterField::Document => Node::Exists("document"),
            },
            Filter::And(all) => Node::Bool(
                all.iter()
                    .map(|x| (Occur::Must, self.filter_query(x)))
                    .collect(),
            ),
            Filter::Or(any) => Node::Bool(
                any.iter()
                    .map(|x| (Occur::Should, self.filter_query(x)))
                    .collect(),
            ),
            Filter::Not(inner) => not(self.filter_query(inner)),
        }
    }

    /// Sections whose `field` holds `text` (anywhere, or `at_start`), case-insensitively.
    /// Kinds are a closed list, so the kinds that match are named outright.
    fn substring(&self, field: FilterField, text: &str, at_start: bool) -> Node {
        let f = &self.fields;
        let raw = match field {
            FilterField::Kind => {
                let text = text.to_lowercase();
                let kinds: Vec<Kind> = Kind::ALL
                    .iter()
                    .copied()
                    .filter(|k| {
                        let name = k.as_str();
                        if at_start {
                            name.starts_with(&text)
                        } else {
                            name.contains(&text)
                        }
                    })
                    .collect();
                if kinds.is_empty() {
                    return Node::Empty;
                }
                return self.filter_query(&Filter::kinds(&kinds));
            }
            // Refused when the filter is validated; a year is a number, not text.
            FilterField::Year => return Node::Empty,
            FilterField::Org => f.org_exact,
            FilterField::Language => f.language,
            FilterField::Document => f.document,
        };
        Node::Contains {
            field: raw,
            text: text.to_string(),
            at_start,
        }
    }
}
