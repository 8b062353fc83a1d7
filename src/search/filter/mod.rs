//! The one filter concept: conditions over kind, year and organization. The CLI flags
//! (`--kind`, `--year`, `--filter`), the query language's `kind:` and `year:`, the
//! native HTTP parameters and Meilisearch's `filter` all build a [`Filter`];
//! [`language`] reads and writes its textual form (Meilisearch's filter expressions).

pub mod language;

pub use language::{parse, parse_value, to_expression, MAX_DEPTH, MAX_FILTER_CHARS};

use crate::corpus::Kind;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// A field that can be filtered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilterField {
    /// The section kind.
    Kind,
    /// The year.
    Year,
    /// The organization (compared case-insensitively, whole value).
    Org,
    /// A document's or passage's language (ISO 639-1).
    Language,
    /// A passage's document (its id).
    Document,
}

impl FilterField {
    /// Parses a field name.
    pub fn parse(name: &str) -> Result<FilterField> {
        match name {
            "kind" => Ok(FilterField::Kind),
            "year" => Ok(FilterField::Year),
            "org" => Ok(FilterField::Org),
            "language" => Ok(FilterField::Language),
            "document" => Ok(FilterField::Document),
            other => Err(Error::InvalidRequest {
                parameter: "filter".into(),
                message: format!(
                    "attribute `{other}` is not filterable (filterable: kind, year, org, language, document)"
                ),
            }),
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cmp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

/// A filter expression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Filter {
    /// `field op value`
    Compare(FilterField, Cmp, String),
    /// `field IN [a, b]`
    In(FilterField, Vec<String>),
    /// `field EXISTS`
    Exists(FilterField),
    /// `field CONTAINS value`: the value holds this text (case-insensitive).
    Contains(FilterField, String),
    /// `field STARTS WITH value`: the value begins with this text (case-insensitive).
    StartsWith(FilterField, String),
    /// All of these.
    And(Vec<Filter>),
    /// Any of these.
    Or(Vec<Filter>),
    /// Not this.
    Not(Box<Filter>),
}

impl Filter {
    /// Sections of any of `kinds`.
    pub fn kinds(kinds: &[Kind]) -> Filter {
        Filter::In(
            FilterField::Kind,
            kinds.iter().map(|k| k.as_str().to_string()).collect(),
        )
    }

    /// Sections of any of `years`.
    pub fn years(years: &[i64]) -> Filter {
        Filter::In(
            FilterField::Year,
            years.iter().map(|y| y.to_string()).collect(),
        )
    }

    /// Both conditions: `a AND b` (flattened when either is already an `AND`).
    pub fn and(a: Filter, b: Filter) -> Filter {
        let mut all = Vec::new();
        for f in [a, b] {
            match f {
                Filter::And(inner) => all.extend(inner),
                other => all.push(other),
            }
        }
        Filter::And(all)
    }

    /// `filter` added to an optional one with AND.
    pub fn and_optional(existing: Option<Filter>, filter: Filter) -> Option<Filter> {
        Some(match existing {
            Some(existing) => Filter::and(existing, filter),
            None => filter,
        })
    }

    /// Checks values: kinds must be known kinds, years numbers, ranges only on `year`.
    pub fn validate(&self) -> Result<()> {
        let invalid = |message: String| Error::InvalidRequest {
            parameter: "filter".into(),
            message,
        };
        let check_value = |field: FilterField, value: &str| -> Result<()> {
            match field {
                FilterField::Kind => value.parse::<Kind>().map(|_| ()).map_err(invalid),
                FilterField::Year => value
                    .parse::<i64>()
                    .map(|_| ())
                    .map_err(|_| invalid(format!("year `{value}` is not a number"))),
                FilterField::Org | FilterField::Language | FilterField::Document => Ok(()),
            }
        };
        match self {
            Filter::Compare(field, cmp, value) => {
                if !matches!(cmp, Cmp::Eq | Cmp::Ne) && *field != FilterField::Year {
                    return Err(invalid(
                        format!(
                            "`{field:?}` can only be compared with = or != (ranges work on year)"
                        )
                        .to_lowercase(),
                    ));
                }
                check_value(*field, value)
            }
            Filter::In(field, values) => values.iter().try_for_each(|v| check_value(*field, v)),
            Filter::Exists(_) => Ok(()),
            Filter::Contains(field, _) | Filter::StartsWith(field, _) => {
                if *field == FilterField::Year {
                    return Err(invalid(
                        "CONTAINS and STARTS WITH compare text: they work on kind, org, language and document, not on year (use year >= A AND year <= B, or year A TO B)".into(),
                    ));
                }
                Ok(())
            }
            Filter::And(all) | Filter::Or(all) => all.iter().try_for_each(Filter::validate),
            Filter::Not(inner) => inner.validate(),
        }
    }
}
