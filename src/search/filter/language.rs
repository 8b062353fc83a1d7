//! Meilisearch filter expressions, parsed into the library's [`Filter`].
//!
//! The string form: `kind = report AND (year >= 2021 OR org = "Council of Europe")`,
//! with `=`, `!=`, `>`, `>=`, `<`, `<=`, `IN [a, b]`, `NOT IN [..]`, `EXISTS`,
//! `NOT EXISTS`, `IS NULL`, `IS NOT NULL`, `IS EMPTY`, `IS NOT EMPTY`, `a TO b`, `NOT`,
//! `AND`, `OR` (keywords in any case), parentheses, and values bare or quoted with `"`
//! or `'` (a backslash escapes the quote). The array form `[["kind = report",
//! "kind = mandate"], "year = 2021"]` is an AND of its elements, an inner array an OR.
//! Anything else is an error naming the column: a filter can never fail a search with
//! anything but a 400.

use super::{Cmp, Filter, FilterField};
use serde_json::Value;

/// Longest filter expression accepted, in characters.
pub const MAX_FILTER_CHARS: usize = 4096;
/// Deepest nesting of parentheses and `NOT`.
pub const MAX_DEPTH: usize = 32;

/// Parses the `filter` parameter in either form; `Ok(None)` for no filter (null, `""`, `[]`).
pub fn parse_value(value: &Value) -> Result<Option<Filter>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => parse(s),
        Value::Array(items) => {
            let mut all = Vec::new();
            for item in items {
                let part = match item {
                    Value::String(s) => parse(s)?,
                    Value::Array(alternatives) => {
                        let mut any = Vec::new();
                        for alt in alternatives {
                            match alt {
                                Value::String(s) => any.extend(parse(s)?),
                                _ => {
                                    return Err(format!(
                                        "an inner filter array holds strings only, found `{alt}`"
                                    ))
                                }
                            }
                        }
                        match any.len() {
                            0 => None,
                            1 => any.pop(),
                            _ => Some(Filter::Or(any)),
                        }
                    }
                    _ => {
                        return Err(format!(
                            "a filter array holds strings or arrays of strings, found `{item}`"
                        ))
                    }
                };
                all.extend(part);
            }
            Ok(match all.len() {
                0 => None,
                1 => all.pop(),
                _ => Some(Filter::And(all)),
            })
        }
        other => Err(format!(
            "a filter is a string or an array of strings, found `{other}`"
        )),
    }
}

/// Parses a filter expression; `Ok(None)` when it is blank.
pub fn parse(text: &str) -> Result<Option<Filter>, String> {
    if text.chars().count() > MAX_FILTER_CHARS {
        return Err(format!(
            "the filter is longer than {MAX_FILTER_CHARS} characters"
        ));
    }
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut parser = Parser {
        tokens,
        at: 0,
        text,
        depth: 0,
    };
    let filter = parser.or()?;
    if let Some(t) = parser.peek() {
        return Err(parser.unexpected(t, "`AND`, `OR` or the end of the filter"));
    }
    Ok(Some(filter))
}

/// Writes a filter back as an expression that [`parse`] reads as the same filter.
pub fn to_expression(filter: &Filter) -> String {
    fn field(f: FilterField) -> &'static str {
        match f {
            FilterField::Kind => "kind",
            FilterField::Year => "year",
            FilterField::Org => "org",
            FilterField::Language => "language",
            FilterField::Document => "document",
        }
    }
    fn quote(v: &str) -> String {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    }
    match filter {
        Filter::Compare(f, cmp, v) => {
            let op = match cmp {
                Cmp::Eq => "=",
                Cmp::Ne => "!=",
                Cmp::Gt => ">",
                Cmp::Ge => ">=",
                Cmp::Lt => "<",
                Cmp::Le => "<=",
            };
            format!("{} {op} {}", field(*f), quote(v))
        }
        Filter::In(f, values) => format!(
            "{} IN [{}]",
            field(*f),
            values
                .iter()
                .map(|v| quote(v))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Filter::Exists(f) => format!("{} EXISTS", field(*f)),
        Filter::Contains(f, v) => format!("{} CONTAINS {}", field(*f), quote(v)),
        Filter::StartsWith(f, v) => format!("{} STARTS WITH {}", field(*f), quote(v)),
        Filter::And(all) => join(all, " AND "),
        Filter::Or(all) => join(all, " OR "),
        Filter::Not(inner) => format!("NOT ({})", to_expression(inner)),
    }
}

fn join(all: &[Filter], sep: &str) -> String {
    if all.is_empty() {
        // An empty AND is true, an empty OR false; neither can be written, so say it.
        return if sep == " AND " {
            "kind EXISTS".into()
        } else {
            "NOT kind EXISTS".into()
        };
    }
    all.iter()
        .map(|f| format!("({})", to_expression(f)))
        .collect::<Vec<_>>()
        .join(sep)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Comma,
    Op(Cmp),
    Word(String),
    Quoted(String),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// Byte offset in the expression.
    at: usize,
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        let simple = match c {
            '(' => Some(Tok::Open),
            ')' => Some(Tok::Close),
            '[' => Some(Tok::OpenBracket),
            ']' => Some(Tok::CloseBracket),
            ',' => Some(Tok::Comma),
            '=' => Some(Tok::Op(Cmp::Eq)),
            _ => None,
        };
        if let Some(tok) = simple {
            chars.next();
            out.push(Token { tok, at });
            continue;
        }
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if matches!(c, '!' | '<' | '>') {
            chars.next();
            let eq = chars.next_if(|&(_, n)| n == '=').is_some();
            let cmp = match (c, eq) {
                ('!', true) => Cmp::Ne,
                ('<', true) => Cmp::Le,
                ('>', true) => Cmp::Ge,
                ('<', false) => Cmp::Lt,
                ('>', false) => Cmp::Gt,
                _ => return Err(at_column(text, at, "`!` must be followed by `=`")),
            };
            out.push(Token {
                tok: Tok::Op(cmp),
                at,
            });
            continue;
        }
        if c == '"' || c == '\'' {
            chars.next();
            let mut value = String::new();
            let mut closed = false;
            while let Some((_, n)) = chars.next() {
                if n == '\\' {
                    match chars.next() {
                        Some((_, escaped)) => value.push(escaped),
                        None => break,
                    }
                } else if n == c {
                    closed = true;
                    break;
                } else {
                    value.push(n);
                }
            }
            if !closed {
                return Err(at_column(text, at, &format!("unclosed quote `{c}`")));
            }
            out.push(Token {
                tok: Tok::Quoted(value),
                at,
            });
            continue;
        }
        let mut word = String::new();
        while let Some(&(_, n)) = chars.peek() {
            if n.is_whitespace() || "()[],=!<>\"'".contains(n) {
                break;
            }
            word.push(n);
            chars.next();
        }
        out.push(Token {
            tok: Tok::Word(word),
            at,
        });
    }
    Ok(out)
}

/// "message at column N: `text`" for an error at byte offset `at`.
fn at_column(text: &str, at: usize, message: &str) -> String {
    let column = text[..at.min(text.len())].chars().count() + 1;
    let excerpt: String = text[at.min(text.len())..].chars().take(30).collect();
    if excerpt.is_empty() {
        format!("{message} at the end of `{text}`")
    } else {
        format!("{message} at column {column}: `{excerpt}`")
    }
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    text: &'a str,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += usize::from(t.is_some());
        t
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token { tok: Tok::Word(w), .. }) if w.eq_ignore_ascii_case(word))
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        let found = self.keyword(word);
        self.at += usize::from(found);
        found
    }

    fn unexpected(&self, t: &Token, wanted: &str) -> String {
        at_column(self.text, t.at, &format!("expected {wanted}"))
    }

    fn end(&self, wanted: &str) -> String {
        at_column(self.text, self.text.len(), &format!("expected {wanted}"))
    }

    fn expect(&mut self, tok: Tok, wanted: &str) -> Result<(), String> {
        match self.next() {
            Some(t) if t.tok == tok => Ok(()),
            Some(t) => Err(self.unexpected(&t, wanted)),
            None => Err(self.end(wanted)),
        }
    }

    fn deeper(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!(
                "the filter nests parentheses or NOT more than {MAX_DEPTH} deep"
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut any = vec![self.and()?];
        while self.eat_keyword("OR") {
            any.push(self.and()?);
        }
        Ok(if any.len() == 1 {
            any.remove(0)
        } else {
            Filter::Or(any)
        })
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut all = vec![self.not()?];
        while self.eat_keyword("AND") {
            all.push(self.not()?);
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            Filter::And(all)
        })
    }

    fn not(&mut self) -> Result<Filter, String> {
        if self.eat_keyword("NOT") {
            self.deeper()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Filter::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Filter, String> {
        let wanted = "a condition such as `kind = report`, or `(`";
        let Some(t) = self.next() else {
            return Err(self.end(wanted));
        };
        match t.tok {
            Tok::Open => {
                self.deeper()?;
                let inner = self.or()?;
                self.expect(Tok::Close, "`)`")?;
                self.depth -= 1;
                Ok(inner)
            }
            Tok::Word(ref name) if !is_keyword(name) => self.condition(name, &t),
            // Meilisearch takes an attribute name in quotes (`"kind" = "report"`, as
            // instant-meilisearch writes every filter).
            Tok::Quoted(ref name) => self.condition(name, &t),
            _ => Err(self.unexpected(&t, wanted)),
        }
    }

    fn condition(&mut self, name: &str, at: &Token) -> Result<Filter, String> {
        let field = FilterField::parse(name).map_err(|_| {
            at_column(
                self.text,
                at.at,
                &format!(
                    "attribute `{name}` is not filterable; the filterable attributes are `kind`, `org`, `year`, `language` and `document`"
                ),
            )
        })?;
        let ops = "an operator: `=`, `!=`, `>`, `>=`, `<`, `<=`, `IN`, `NOT IN`, `EXISTS`, `NOT EXISTS`, `IS NULL`, `IS EMPTY`, `CONTAINS`, `STARTS WITH` or `TO`";
        let Some(t) = self.next() else {
            return Err(self.end(ops));
        };
        match t.tok {
            Tok::Op(cmp) => Ok(Filter::Compare(field, cmp, self.value()?)),
            Tok::Word(ref w) if w.eq_ignore_ascii_case("IN") => Ok(Filter::In(field, self.list()?)),
            Tok::Word(ref w) if w.eq_ignore_ascii_case("EXISTS") => Ok(Filter::Exists(field)),
            Tok::Word(ref w) if w.eq_ignore_ascii_case("CONTAINS") => {
                Ok(Filter::Contains(field, self.value()?))
            }
            Tok::Word(ref w) if w.eq_ignore_ascii_case("STARTS") => self.starts_with(field),
            Tok::Word(ref w) if w.eq_ignore_ascii_case("NOT") => {
                let wanted = "`IN`, `EXISTS`, `CONTAINS` or `STARTS WITH` after `NOT`";
                if self.eat_keyword("IN") {
                    Ok(Filter::Not(Box::new(Filter::In(field, self.list()?))))
                } else if self.eat_keyword("EXISTS") {
                    Ok(Filter::Not(Box::new(Filter::Exists(field))))
                } else if self.eat_keyword("CONTAINS") {
                    Ok(Filter::Not(Box::new(Filter::Contains(
                        field,
                        self.value()?,
                    ))))
                } else if self.eat_keyword("STARTS") {
                    Ok(Filter::Not(Box::new(self.starts_with(field)?)))
                } else {
                    let next = self.peek().cloned();
                    Err(match next {
                        Some(n) => self.unexpected(&n, wanted),
                        None => self.end(wanted),
                    })
                }
            }
            Tok::Word(ref w) if w.eq_ignore_ascii_case("IS") => {
                let negated = self.eat_keyword("NOT");
                if !(self.eat_keyword("NULL") || self.eat_keyword("EMPTY")) {
                    let next = self.peek().cloned();
                    return Err(match next {
                        Some(n) => self.unexpected(&n, "`NULL` or `EMPTY` after `IS`"),
                        None => self.end("`NULL` or `EMPTY` after `IS`"),
                    });
                }
                let exists = Filter::Exists(field);
                Ok(if negated {
                    exists
                } else {
                    Filter::Not(Box::new(exists))
                })
            }
            Tok::Word(_) | Tok::Quoted(_) => {
                self.at -= 1;
                let from = self.value()?;
                if !self.eat_keyword("TO") {
                    return Err(self.unexpected(&t, ops));
                }
                let to = self.value()?;
                Ok(Filter::And(vec![
                    Filter::Compare(field, Cmp::Ge, from),
                    Filter::Compare(field, Cmp::Le, to),
                ]))
            }
            _ => Err(self.unexpected(&t, ops)),
        }
    }

    /// The rest of `STARTS WITH value`, after `STARTS`.
    fn starts_with(&mut self, field: FilterField) -> Result<Filter, String> {
        if !self.eat_keyword("WITH") {
            let next = self.peek().cloned();
            return Err(match next {
                Some(n) => self.unexpected(&n, "`WITH` after `STARTS`"),
                None => self.end("`WITH` after `STARTS`"),
            });
        }
        Ok(Filter::StartsWith(field, self.value()?))
    }

    fn value(&mut self) -> Result<String, String> {
        let wanted = "a value (a word, a number or a \"quoted string\")";
        match self.next() {
            Some(Token {
                tok: Tok::Word(w) | Tok::Quoted(w),
                ..
            }) => Ok(w),
            Some(t) => Err(self.unexpected(&t, wanted)),
            None => Err(self.end(wanted)),
        }
    }

    fn list(&mut self) -> Result<Vec<String>, String> {
        self.expect(Tok::OpenBracket, "`[` after `IN`")?;
        let mut values = Vec::new();
        loop {
            if matches!(
                self.peek(),
                Some(Token {
                    tok: Tok::CloseBracket,
                    ..
                })
            ) {
                self.next();
                return Ok(values);
            }
            values.push(self.value()?);
            match self.next() {
                Some(Token {
                    tok: Tok::Comma, ..
                }) => {}
                Some(Token {
                    tok: Tok::CloseBracket,
                    ..
                }) => return Ok(values),
                Some(t) => return Err(self.unexpected(&t, "`,` or `]`")),
                None => return Err(self.end("`,` or `]`")),
            }
        }
    }
}

fn is_keyword(word: &str) -> bool {
    [
        "AND", "OR", "NOT", "IN", "EXISTS", "IS", "NULL", "EMPTY", "TO", "CONTAINS", "STARTS",
        "WITH",
    ]
    .iter()
    .any(|k| word.eq_ignore_ascii_case(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> Filter {
        parse(s).unwrap().unwrap()
    }

    fn cmp(f: FilterField, c: Cmp, v: &str) -> Filter {
        Filter::Compare(f, c, v.into())
    }

    #[test]
    fn precedence_parentheses_and_quotes() {
        assert_eq!(
            p(r#"kind = report AND (year >= 2021 OR org = "Council of Europe")"#),
            Filter::And(vec![
                cmp(FilterField::Kind, Cmp::Eq, "report"),
                Filter::Or(vec![
                    cmp(FilterField::Year, Cmp::Ge, "2021"),
                    cmp(FilterField::Org, Cmp::Eq, "Council of Europe"),
                ]),
            ])
        );
        assert_eq!(
            p("kind=report or kind = mandate and year<2020"),
            Filter::Or(vec![
                cmp(FilterField::Kind, Cmp::Eq, "report"),
                Filter::And(vec![
                    cmp(FilterField::Kind, Cmp::Eq, "mandate"),
                    cmp(FilterField::Year, Cmp::Lt, "2020"),
                ]),
            ])
        );
        assert_eq!(
            p(r#"org = 'it\'s' "#),
            cmp(FilterField::Org, Cmp::Eq, "it's")
        );
        // Quoted attribute names, as instant-meilisearch sends them.
        assert_eq!(
            p(r#""kind"="report" AND "language" = "fr""#),
            Filter::And(vec![
                cmp(FilterField::Kind, Cmp::Eq, "report"),
                cmp(FilterField::Language, Cmp::Eq, "fr"),
            ])
        );
    }

    #[test]
    fn not_in_exists_is_and_to() {
        assert_eq!(
            p("NOT kind != report"),
            Filter::Not(Box::new(cmp(FilterField::Kind, Cmp::Ne, "report")))
        );
        assert_eq!(
            p("kind IN [report, 'mandate']"),
            Filter::In(FilterField::Kind, vec!["report".into(), "mandate".into()])
        );
        assert_eq!(
            p("kind NOT IN [report]"),
            Filter::Not(Box::new(Filter::In(
                FilterField::Kind,
                vec!["report".into()]
            )))
        );
        assert_eq!(p("year EXISTS"), Filter::Exists(FilterField::Year));
        assert_eq!(
            p("org NOT EXISTS"),
            Filter::Not(Box::new(Filter::Exists(FilterField::Org)))
        );
        assert_eq!(
            p("year IS NULL"),
            Filter::Not(Box::new(Filter::Exists(FilterField::Year)))
        );
        assert_eq!(p("year IS NOT NULL"), Filter::Exists(FilterField::Year));
        assert_eq!(
            p(r#"org CONTAINS "europe""#),
            Filter::Contains(FilterField::Org, "europe".into())
        );
        assert_eq!(
            p(r#""org" starts with 'Council of' AND document NOT CONTAINS _F"#),
            Filter::And(vec![
                Filter::StartsWith(FilterField::Org, "Council of".into()),
                Filter::Not(Box::new(Filter::Contains(
                    FilterField::Document,
                    "_F".into()
                ))),
            ])
        );
        assert_eq!(
            p("org NOT STARTS WITH un"),
            Filter::Not(Box::new(Filter::StartsWith(FilterField::Org, "un".into())))
        );
        assert!(parse("org STARTS europe")
            .unwrap_err()
            .contains("`WITH` after `STARTS`"));
        assert!(parse("org CONTAINS").unwrap_err().contains("a value"));
        assert_eq!(
            p("year 2019 TO 2021"),
            Filter::And(vec![
                cmp(FilterField::Year, Cmp::Ge, "2019"),
                cmp(FilterField::Year, Cmp::Le, "2021"),
            ])
        );
    }

    #[test]
    fn array_form_is_and_of_ors() {
        let f = parse_value(&json!([["kind = report", "kind = mandate"], "year = 2021"]))
            .unwrap()
            .unwrap();
        assert_eq!(
            f,
            Filter::And(vec![
                Filter::Or(vec![
                    cmp(FilterField::Kind, Cmp::Eq, "report"),
                    cmp(FilterField::Kind, Cmp::Eq, "mandate"),
                ]),
                cmp(FilterField::Year, Cmp::Eq, "2021"),
            ])
        );
        assert_eq!(parse_value(&json!([])).unwrap(), None);
        assert_eq!(parse_value(&json!("  ")).unwrap(), None);
        assert!(parse_value(&json!(3)).is_err());
        assert!(parse_value(&json!([[["kind = report"]]])).is_err());
    }

    #[test]
    fn errors_name_the_place() {
        for bad in [
            "kind",
            "kind report",
            "kind = ",
            "(kind = report",
            "kind = report)",
            "title = x",
            "kind = report AND",
            "kind IN report",
            "kind IN [report",
            "kind ! report",
            "org = \"open",
            "AND",
            "year IS",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(!e.is_empty(), "{bad}");
        }
        assert!(parse("title = x").unwrap_err().contains("not filterable"));
        assert!(parse("kind report").unwrap_err().contains("column 6"));
        let deep = format!("{}kind = report{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).unwrap_err().contains("deep"));
        let nots = format!("{}kind = report", "NOT ".repeat(100));
        assert!(parse(&nots).unwrap_err().contains("deep"));
    }

    #[test]
    fn expressions_round_trip() {
        let f = Filter::And(vec![
            Filter::Not(Box::new(Filter::In(
                FilterField::Org,
                vec!["a \"b\"".into(), "c\\d".into()],
            ))),
            Filter::Or(vec![
                cmp(FilterField::Year, Cmp::Gt, "2000"),
                Filter::Exists(FilterField::Org),
                Filter::Contains(FilterField::Org, "it's".into()),
                Filter::StartsWith(FilterField::Document, "G21".into()),
            ]),
        ]);
        assert_eq!(p(&to_expression(&f)), f);
    }
}
