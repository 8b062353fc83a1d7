//! Structured filters over kind, year and organization (what the Meilisearch-compatible
//! `filter` parameter and the CLI flags translate into).

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
}

impl FilterField {
    /// Parses a field name.
    pub fn parse(name: &str) -> Result<FilterField> {
        match name {
            "kind" => Ok(FilterField::Kind),
            "year" => Ok(FilterField::Year),
            "org" => Ok(FilterField::Org),
            other => Err(Error::InvalidRequest {
                parameter: "filter".into(),
                message: format!(
                    "attribute `{other}` is not filterable (filterable: kind, year, org)"
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
    /// All of these.
    And(Vec<Filter>),
    /// Any of these.
    Or(Vec<Filter>),
    /// Not this.
    Not(Box<Filter>),
}

impl Filter {
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
                FilterField::Org => Ok(()),
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
            Filter::And(all) | Filter::Or(all) => all.iter().try_for_each(Filter::validate),
            Filter::Not(inner) => inner.validate(),
        }
    }
}
