//! Suggestions for a partly typed query: index words completing the last word, and the
//! titles of the best matching sections.

use super::budget::Budget;
use super::expand::dictionary_matches;
use super::{query, Engine, SearchRequest};
use crate::error::Result;
use crate::schema::{name_analyzer, normalize_symbol, tokens};
use serde::{Deserialize, Serialize};
use tantivy::query::FuzzyTermQuery;
use tantivy::Term;

/// Most suggestions returned.
pub const MAX_SUGGESTIONS: usize = 20;

/// One suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The word completing the last word (`term`), a document symbol (`symbol`), or a
    /// section title (`title`).
    pub text: String,
    /// `term`, `symbol` or `title`.
    pub kind: String,
    /// The section, for a title.
    pub id: Option<String>,
}

/// Suggestions for a query.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SuggestResponse {
    /// The query text.
    pub query: String,
    /// Best first.
    pub suggestions: Vec<Suggestion>,
}

impl Engine {
    /// Completions of the last word of `text` (most frequent first, typo-tolerant when
    /// nothing completes it), then titles of the best matching sections.
    pub fn suggest(&self, text: &str, limit: usize) -> Result<SuggestResponse> {
        self.suggest_within(text, limit, &Budget::unlimited())
    }

    /// [`Engine::suggest`] within `budget`.
    pub fn suggest_within(
        &self,
        text: &str,
        limit: usize,
        budget: &Budget,
    ) -> Result<SuggestResponse> {
        let limit = limit.min(MAX_SUGGESTIONS);
        let mut suggestions = Vec::new();
        let parsed = query::parse(text);
        let last = parsed
            .groups
            .last()
            .and_then(|g| g.clauses.last())
            .filter(|c| c.prefix && !c.phrase && c.scope.is_none());
        if let Some(clause) = last.filter(|c| c.text.contains('/')) {
            suggestions.extend(self.symbol_completions(&clause.text, limit.div_ceil(2).max(1)));
        } else if let Some(clause) = last {
            let word = tokens(&mut name_analyzer(), &clause.text).pop();
            if let Some(word) = word.filter(|w| w.chars().count() >= 2) {
                let searcher = self.searcher();
                let field = self.fields().words;
                let mut found = Vec::new();
                for distance in [0u8, 1] {
                    if distance == 1 && (!found.is_empty() || word.chars().count() < 4) {
                        break;
                    }
                    let q = FuzzyTermQuery::new_prefix(
                        Term::from_field_text(field, &word),
                        distance,
                        true,
                    );
                    found = dictionary_matches(&searcher, field, &q, 20_000);
                }
                found.sort_by(|a, b| {
                    b.1.cmp(&a.1)
                        .then(a.0.len().cmp(&b.0.len()))
                        .then(a.0.cmp(&b.0))
                });
                for (w, _) in found.into_iter().take(limit.div_ceil(2).max(1)) {
                    suggestions.push(Suggestion {
                        text: w,
                        kind: "term".into(),
                        id: None,
                    });
                }
            }
        }
        if !parsed.groups.is_empty() && suggestions.len() < limit {
            let mut request = SearchRequest::new(text);
            let wanted = limit - suggestions.len();
            // A document's passages share its title: ask for more, keep each title once.
            request.limit = wanted.saturating_mul(4).min(crate::search::MAX_LIMIT);
            let mut titles: Vec<String> = Vec::new();
            for hit in self.search_within(&request, budget)?.hits {
                if hit.section.kind == crate::corpus::Kind::Passage
                    || titles.contains(&hit.section.title)
                {
                    continue;
                }
                if titles.len() == wanted {
                    break;
                }
                titles.push(hit.section.title.clone());
                suggestions.push(Suggestion {
                    text: hit.section.title,
                    kind: "title".into(),
                    id: Some(hit.section.id),
                });
            }
        }
        suggestions.truncate(limit);
        Ok(SuggestResponse {
            query: text.to_string(),
            suggestions,
        })
    }

    /// Document symbols (and session prefixes) starting with what is typed, most used first.
    fn symbol_completions(&self, typed: &str, limit: usize) -> Vec<Suggestion> {
        let prefix = normalize_symbol(typed);
        let searcher = self.searcher();
        let field = self.fields().symbol;
        let q = FuzzyTermQuery::new_prefix(Term::from_field_text(field, &prefix), 0, false);
        let mut found = dictionary_matches(&searcher, field, &q, 20_000);
        found.retain(|(s, _)| s != &prefix);
        found.sort_by(|a, b| {
            a.0.len()
                .cmp(&b.0.len())
                .then(b.1.cmp(&a.1))
                .then(a.0.cmp(&b.0))
        });
        found
            .into_iter()
            .take(limit)
            .map(|(s, _)| Suggestion {
                text: display_symbol(&s),
                kind: "symbol".into(),
                id: None,
            })
            .collect()
    }
}

/// `a/hrc/49/51/add.1` → `A/HRC/49/51/Add.1`: UN symbols are written in capitals, but
/// for the `Add.`, `Rev.` and `Corr.` parts.
fn display_symbol(normalized: &str) -> String {
    normalized
        .split('/')
        .map(|part| {
            let upper = part.to_uppercase();
            for (caps, written) in [("ADD.", "Add."), ("REV.", "Rev."), ("CORR.", "Corr.")] {
                if let Some(rest) = upper.strip_prefix(caps) {
                    return format!("{written}{rest}");
                }
            }
            upper
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::display_symbol;

    #[test]
    fn symbols_are_displayed_as_written() {
        assert_eq!(display_symbol("a/hrc/49/51/add.1"), "A/HRC/49/51/Add.1");
        assert_eq!(display_symbol("e/cn.4/2005/78"), "E/CN.4/2005/78");
    }
}
