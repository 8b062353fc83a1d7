//! The search-box query language, parsed leniently: no input is ever an error.
//!
//! Words, `"phrases"`, `-excluded`, `OR`, `field:term` and `field:"phrase"`. Unbalanced
//! quotes close at the end, unknown fields are plain words, stray operators are ignored.

use crate::corpus::Kind;

/// Fields a term can be scoped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Section title.
    Title,
    /// Body text.
    Body,
    /// Role or mandate.
    Role,
    /// Person.
    Person,
    /// Organization.
    Org,
    /// Acronyms.
    Acronym,
    /// Document symbols.
    Symbol,
    /// Headings above the section.
    Path,
    /// A passage's paragraph number as printed (`paragraph:12`).
    Paragraph,
    /// A document's or passage's language (`language:fr`).
    Language,
}

impl Scope {
    fn parse(name: &str) -> Option<Scope> {
        Some(match name.to_ascii_lowercase().as_str() {
            "title" => Scope::Title,
            "body" | "text" => Scope::Body,
            "role" | "mandate" => Scope::Role,
            "person" | "name" | "author" => Scope::Person,
            "org" | "organization" | "organisation" => Scope::Org,
            "acronym" | "acronyms" => Scope::Acronym,
            "symbol" | "symbols" | "sym" => Scope::Symbol,
            "path" | "section" => Scope::Path,
            "paragraph" | "para" => Scope::Paragraph,
            "language" | "lang" => Scope::Language,
            _ => return None,
        })
    }
}

/// One searchable unit: a word or a phrase, maybe scoped to a field.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    /// The text as typed (quotes removed).
    pub text: String,
    /// Written between quotes.
    pub phrase: bool,
    /// Restricted to one field.
    pub scope: Option<Scope>,
    /// The last word, still being typed: also matched as a prefix.
    pub prefix: bool,
    /// Score multiplier (below 1 for glossary expansions).
    pub weight: f32,
    /// Words allowed between the words of a phrase.
    pub slop: u32,
    /// Added by the glossary, not typed: matched exactly, no typo or prefix expansion.
    pub expansion: bool,
}

impl Clause {
    /// A clause for a typed word or phrase.
    pub fn typed(text: impl Into<String>, phrase: bool, scope: Option<Scope>) -> Clause {
        Clause {
            text: text.into(),
            phrase,
            scope,
            prefix: false,
            weight: 1.0,
            slop: 0,
            expansion: false,
        }
    }
}

/// Clauses joined by `OR`; a document must match one of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The alternatives.
    pub clauses: Vec<Clause>,
    /// Written with a leading `-` or `NOT`: documents matching it are excluded.
    pub negated: bool,
    /// Scores when present but is not required (intent words, words covered by an expansion).
    pub optional: bool,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedQuery {
    /// Groups a document should all match.
    pub groups: Vec<Group>,
    /// `kind:` filters found in the query.
    pub kinds: Vec<Kind>,
    /// `year:` filters found in the query.
    pub years: Vec<i64>,
    /// Parts of the query that were ignored, with why (shown by `--explain`).
    pub ignored: Vec<String>,
    /// Typed into a search box, the last word unfinished (see `SearchRequest::typing`).
    pub typing: bool,
}

/// Longest query text considered, in characters; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 1024;
/// Most groups considered; further words are ignored.
pub const MAX_GROUPS: usize = 32;
/// Most words and phrases considered in all (`a OR b OR …` counts each); further ones
/// are ignored.
pub const MAX_CLAUSES: usize = 64;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word {
        text: String,
        negated: bool,
    },
    Quoted {
        text: String,
        negated: bool,
        scope: Option<String>,
    },
    Or,
    Not,
}

/// A group as `explain` shows it: alternatives joined by `OR`, phrases quoted, field
/// scopes and prefixes marked (`-title:"sale of children" OR genocide*`).
pub fn describe_group(group: &Group) -> String {
    let alternatives: Vec<String> = group
        .clauses
        .iter()
        .map(|c| {
            let mut s = if c.phrase {
                format!("\"{}\"", c.text)
            } else {
                c.text.clone()
            };
            if let Some(scope) = c.scope {
                s = format!("{scope:?}:{s}").to_lowercase();
            }
            if c.prefix {
                s.push('*');
            }
            s
        })
        .collect();
    format!(
        "{}{}",
        if group.negated { "-" } else { "" },
        alternatives.join(" OR ")
    )
}

/// Parses what a user typed into a search box.
pub fn parse(input: &str) -> ParsedQuery {
    let mut parsed = ParsedQuery::default();
    let clean: String = input
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut text: String = clean.chars().take(MAX_QUERY_CHARS).collect();
    if clean.chars().count() > MAX_QUERY_CHARS {
        parsed
            .ignored
            .push(format!("text after {MAX_QUERY_CHARS} characters"));
        text = text
            .trim_end_matches(|c: char| !c.is_whitespace())
            .to_string();
    }
    let still_typing = !text.is_empty() && !text.ends_with(char::is_whitespace);
    let tokens = tokenize(&text);
    let mut pending_or = false;
    let mut pending_not = false;
    let last_index = tokens.len().saturating_sub(1);
    for (i, token) in tokens.into_iter().enumerate() {
        let (clause, negated) = match token {
            Token::Or => {
                pending_or = !parsed.groups.is_empty();
                continue;
            }
            Token::Not => {
                pending_not = true;
                continue;
            }
            Token::Word { text, negated } => match word_clause(&text, &mut parsed) {
                Some(mut c) => {
                    c.prefix = still_typing && i == last_index && !negated && !pending_not;
                    (c, negated)
                }
                None => continue,
            },
            Token::Quoted {
                text,
                negated,
                scope,
            } => {
                let scope = scope.as_deref().and_then(Scope::parse);
                if text.trim().is_empty() {
                    continue;
                }
                let clause = Clause::typed(text.trim(), true, scope);
                (clause, negated)
            }
        };
        let negated = negated || std::mem::take(&mut pending_not);
        let joins_previous = std::mem::take(&mut pending_or)
            && !negated
            && parsed.groups.last().is_some_and(|g| !g.negated);
        let clauses: usize = parsed.groups.iter().map(|g| g.clauses.len()).sum();
        if clauses >= MAX_CLAUSES {
            parsed.ignored.push(format!(
                "`{}`: more than {MAX_CLAUSES} words and phrases",
                clause.text
            ));
        } else if joins_previous {
            parsed
                .groups
                .last_mut()
                .expect("checked")
                .clauses
                .push(clause);
        } else if parsed.groups.len() < MAX_GROUPS {
            parsed.groups.push(Group {
                clauses: vec![clause],
                negated,
                optional: false,
            });
        } else {
            parsed
                .ignored
                .push(format!("`{}`: more than {MAX_GROUPS} terms", clause.text));
        }
    }
    drop_repeated_groups(&mut parsed.groups);
    parsed
}

/// Drops the one-clause groups that repeat an earlier one-clause group: a repeated word
/// adds nothing to a search but its cost. The earlier group keeps the prefix flag.
fn drop_repeated_groups(groups: &mut Vec<Group>) {
    let mut kept: Vec<Group> = Vec::with_capacity(groups.len());
    for group in groups.drain(..) {
        let earlier = match group.clauses.as_slice() {
            [clause] => kept.iter_mut().find(|g| {
                g.negated == group.negated
                    && g.optional == group.optional
                    && matches!(g.clauses.as_slice(), [c] if repeats(c, clause))
            }),
            _ => None,
        };
        match earlier {
            Some(g) => g.clauses[0].prefix |= group.clauses[0].prefix,
            None => kept.push(group),
        }
    }
    *groups = kept;
}

/// Whether `next` says again what `earlier` says (the prefix flag aside).
fn repeats(earlier: &Clause, next: &Clause) -> bool {
    earlier.phrase == next.phrase
        && earlier.scope == next.scope
        && earlier.weight == next.weight
        && earlier.slop == next.slop
        && earlier.expansion == next.expansion
        && earlier.text.to_lowercase() == next.text.to_lowercase()
}

/// Builds the clause for one bare word, or records a filter; `None` when nothing is searchable.
fn word_clause(word: &str, parsed: &mut ParsedQuery) -> Option<Clause> {
    if let Some((name, value)) = word.split_once(':') {
        let value = value.trim_matches(|c: char| c == '(' || c == ')');
        match name.to_ascii_lowercase().as_str() {
            "kind" | "type" => {
                match value.parse::<Kind>() {
                    Ok(k) => parsed.kinds.push(k),
                    Err(e) => parsed.ignored.push(e),
                }
                return None;
            }
            "year" => {
                match value.parse::<i64>() {
                    Ok(y) => parsed.years.push(y),
                    Err(_) => parsed
                        .ignored
                        .push(format!("year `{value}` is not a number")),
                }
                return None;
            }
            _ => {}
        }
        if let Some(scope) = Scope::parse(name) {
            let value = value.trim();
            if value.is_empty() {
                parsed
                    .ignored
                    .push(format!("`{word}`: nothing after the field name"));
                return None;
            }
            return Some(Clause::typed(value, false, Some(scope)));
        }
    }
    let text = word.trim_matches(|c: char| {
        matches!(c, '(' | ')' | '[' | ']' | '{' | '}' | ',' | ';' | '?' | '!')
    });
    let text = crate::words::strip_elision(text.trim_end_matches(':'));
    if !text.chars().any(char::is_alphanumeric) {
        return None;
    }
    Some(Clause::typed(text, false, None))
}

fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let negated = (c == '-' || c == '!')
            && chars
                .get(i + 1)
                .is_some_and(|n| !n.is_whitespace() && *n != '-');
        if negated {
            i += 1;
        }
        if chars.get(i) == Some(&'"') {
            let (quoted, next) = read_quoted(&chars, i + 1);
            out.push(Token::Quoted {
                text: quoted,
                negated,
                scope: None,
            });
            i = next;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '"' {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        // field:"phrase"
        if chars.get(i) == Some(&'"') && word.ends_with(':') && word.len() > 1 {
            let (quoted, next) = read_quoted(&chars, i + 1);
            out.push(Token::Quoted {
                text: quoted,
                negated,
                scope: Some(word.trim_end_matches(':').to_string()),
            });
            i = next;
            continue;
        }
        match word.as_str() {
            "OR" | "||" | "|" if !negated => out.push(Token::Or),
            "AND" | "&&" | "&" | "+" if !negated => {}
            "NOT" if !negated => out.push(Token::Not),
            _ => {
                let word = word.trim_start_matches('+').to_string();
                if !word.is_empty() {
                    out.push(Token::Word {
                        text: word,
                        negated,
                    });
                }
            }
        }
    }
    out
}

/// Reads up to the closing quote (or the end, for an unbalanced quote).
fn read_quoted(chars: &[char], start: usize) -> (String, usize) {
    let mut i = start;
    while i < chars.len() && chars[i] != '"' {
        i += 1;
    }
    (chars[start..i].iter().collect(), i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(q: &ParsedQuery) -> Vec<Vec<String>> {
        q.groups
            .iter()
            .map(|g| g.clauses.iter().map(|c| c.text.clone()).collect())
            .collect()
    }

    #[test]
    fn words_phrases_exclusions_and_or() {
        let q = parse("\"sale of children\" -terrorism slavery OR servitude");
        assert_eq!(
            words(&q),
            vec![
                vec!["sale of children"],
                vec!["terrorism"],
                vec!["slavery", "servitude"]
            ]
        );
        assert!(q.groups[0].clauses[0].phrase);
        assert!(q.groups[1].negated);
        assert!(q.groups[2].clauses[1].prefix, "last word is being typed");
    }

    #[test]
    fn repeated_words_are_searched_once() {
        let q = parse("Children children trafficking child");
        let texts: Vec<&str> = q
            .groups
            .iter()
            .map(|g| g.clauses[0].text.as_str())
            .collect();
        assert_eq!(texts, ["Children", "trafficking", "child"]);
        let q = parse("child trafficking child");
        assert_eq!(q.groups.len(), 2);
        assert!(
            q.groups[0].clauses[0].prefix,
            "the repeat was the word being typed"
        );
        // An alternative is kept whole: `a b OR a` still requires b or a.
        assert_eq!(parse("asylum camps OR asylum").groups.len(), 2);
        assert_eq!(parse("asylum -asylum").groups.len(), 2);
    }

    #[test]
    fn trailing_space_ends_the_prefix() {
        assert!(!parse("mulla ").groups[0].clauses[0].prefix);
        assert!(parse("mulla").groups[0].clauses[0].prefix);
    }

    #[test]
    fn fields_filters_and_unknown_fields() {
        let q = parse("role:rapporteur symbol:\"A/75/166\" kind:report year:2021 http://x");
        assert_eq!(q.groups[0].clauses[0].scope, Some(Scope::Role));
        assert_eq!(q.groups[1].clauses[0].scope, Some(Scope::Symbol));
        assert_eq!(q.groups[1].clauses[0].text, "A/75/166");
        assert_eq!(q.kinds, vec![Kind::Report]);
        assert_eq!(q.years, vec![2021]);
        assert_eq!(q.groups[2].clauses[0].scope, None);
    }

    #[test]
    fn hostile_input_is_lenient() {
        for input in [
            "\"unbalanced",
            "OR OR -",
            ":",
            "::x",
            "\u{0}\u{7}",
            "🦀🦀",
            "-\"",
            "kind:",
            "a:",
        ] {
            let _ = parse(input);
        }
        let long: String = (0..5000).map(|i| format!("word{i} ")).collect();
        let q = parse(&long);
        assert_eq!(q.groups.len(), MAX_GROUPS);
        assert!(!q.ignored.is_empty());
        assert_eq!(parse(&"word ".repeat(5000)).groups.len(), 1);
    }
}
