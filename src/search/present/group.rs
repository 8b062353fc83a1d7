//! Passages grouped by document, so that results do not drown in them: a document's
//! best passage or two, then how many more of its passages matched.

use crate::corpus::Kind;
use crate::search::request::Hit;

/// One entry of a grouped result list: a hit, with the passages of its document that
/// follow it in the ranking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grouped {
    /// The hit shown first (a document, or the best passage of a document not found itself).
    pub lead: usize,
    /// The document's further passages shown under it (indexes into the hits).
    pub passages: Vec<usize>,
    /// Passages of the document that matched beyond those shown.
    pub more: usize,
}

/// The document a hit belongs to: its own id for a document, its document for a passage.
fn document_of(hit: &Hit) -> Option<&str> {
    match hit.section.kind {
        Kind::Document => Some(hit.section.id.as_str()),
        Kind::Passage => hit.section.document.as_deref(),
        _ => None,
    }
}

/// Groups `hits` (in rank order) by document, showing at most `per_document` passages
/// under each document; at most `limit` entries.
pub fn group_by_document(hits: &[Hit], per_document: usize, limit: usize) -> Vec<Grouped> {
    let mut out: Vec<Grouped> = Vec::new();
    let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, hit) in hits.iter().enumerate() {
        let Some(document) = document_of(hit) else {
            if out.len() < limit {
                out.push(Grouped {
                    lead: i,
                    passages: Vec::new(),
                    more: 0,
                });
            }
            continue;
        };
        match at.get(document) {
            Some(&g) => {
                let group = &mut out[g];
                let lead_is_passage = hits[group.lead].section.kind == Kind::Passage;
                let shown = group.passages.len() + usize::from(lead_is_passage);
                if hit.section.kind == Kind::Passage && shown < per_document {
                    group.passages.push(i);
                } else if hit.section.kind == Kind::Passage {
                    group.more += 1;
                }
            }
            None if out.len() < limit => {
                at.insert(document, out.len());
                out.push(Grouped {
                    lead: i,
                    passages: Vec::new(),
                    more: 0,
                });
            }
            None => {}
        }
    }
    out
}
