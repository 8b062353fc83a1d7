//! Page furniture: running headers and footers, page and job numbers, and the table of
//! contents, which are printed on the pages but are not the document's text.

use super::{Block, BlockRole};
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Lines at the top and at the bottom of a page where headers and footers are printed.
const EDGE_LINES: usize = 3;

static PAGE_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:-\s*)?(?:page\s+)?\d{1,4}(?:\s*(?:/|of|sur|de)\s*\d{1,4})?(?:\s*-)?$")
        .expect("valid regex")
});
/// UN job numbers ("GE.21-05291(E)", "21-10512 (E)"), often followed by dates.
static JOB_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[A-Z]{1,2}\.)?\d{2}-\d{5}\s*\(\s*[A-Z]\s*\)(?:\s+[\d\s]*)?(?:\*\d+\*)?$")
        .expect("valid regex")
});
/// The bar code of a job number and the recycling mark.
static BARCODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:\*\d{6,8}\*|please recycle|merci de recycler)$").expect("valid regex")
});
static CONTENTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:contents|table of contents|table des matières|sommaire|índice)(?:\s+page)?$",
    )
    .expect("valid regex")
});
/// A line of a table of contents: ends in a page number (after dot leaders or a range
/// of paragraphs), or is the column header.
static CONTENTS_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\d{1,4}|[ivxl]{1,6})$|^(?:paragraphs\s+)?page$").expect("valid regex")
});
static PARAGRAPH_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{1,3}\.\s+\S").expect("valid regex"));

/// Whether a line is printed furniture wherever it stands (page and job numbers).
fn is_furniture_pattern(text: &str, at_edge: bool) -> bool {
    // Furniture lines are short: a line of text is not matched against the patterns.
    if text.len() > 80 {
        return false;
    }
    JOB_NUMBER.is_match(text) || BARCODE.is_match(text) || (at_edge && PAGE_NUMBER.is_match(text))
}

/// A line's shape with its digits blanked, so that "A/HRC/47/34 2/19" and
/// "A/HRC/47/34 3/19" are the same running header.
fn shape(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

/// The blocks without headers, footers, page numbers and job numbers.
pub fn remove_furniture(blocks: &[Block], pages: u32) -> Vec<Block> {
    let edges = edge_slots(blocks);
    let repeated = repeated_shapes(blocks, &edges, pages);
    blocks
        .iter()
        .enumerate()
        .filter(|(i, block)| {
            if block.role != BlockRole::Line {
                return true;
            }
            let slot = edges.get(i);
            if is_furniture_pattern(&block.text, slot.is_some()) {
                return false;
            }
            let printed_on_most = slot.is_some_and(|&slot| {
                block.page > 1 && repeated.contains(&(slot, shape(&block.text)))
            });
            !printed_on_most
        })
        .map(|(_, b)| b.clone())
        .collect()
}

/// Where a line stands on its page when it is one of the first or last few: lines
/// from the top as 0, 1, 2 and from the bottom as -1, -2, -3.
fn edge_slots(blocks: &[Block]) -> HashMap<usize, i8> {
    let mut by_page: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, block) in blocks.iter().enumerate() {
        if block.role == BlockRole::Line {
            by_page.entry(block.page).or_default().push(i);
        }
    }
    let mut edges = HashMap::new();
    for lines in by_page.values() {
        for (k, &i) in lines.iter().enumerate().take(EDGE_LINES) {
            edges.insert(i, k as i8);
        }
        for (k, &i) in lines.iter().rev().enumerate().take(EDGE_LINES) {
            edges.entry(i).or_insert(-(k as i8) - 1);
        }
    }
    edges
}

/// Shapes printed at the same place on most pages after the first (running headers
/// and footers; the cover page has its own).
fn repeated_shapes(
    blocks: &[Block],
    edges: &HashMap<usize, i8>,
    pages: u32,
) -> HashSet<(i8, String)> {
    let later_pages = pages.saturating_sub(1);
    if later_pages < 2 {
        return HashSet::new();
    }
    let mut seen: HashMap<(i8, String), HashSet<u32>> = HashMap::new();
    for (&i, &slot) in edges {
        let block = &blocks[i];
        if block.page > 1 {
            seen.entry((slot, shape(&block.text)))
                .or_default()
                .insert(block.page);
        }
    }
    // Two fifths of the pages, at least three (a short document's pages are few, and
    // its lines printed twice at the same place may be chance).
    let needed = (later_pages as usize * 2)
        .div_ceil(5)
        .max(3)
        .min(later_pages as usize);
    seen.into_iter()
        .filter(|(_, on)| on.len() >= needed)
        .map(|(key, _)| key)
        .collect()
}

/// The blocks without a table of contents (its heading, its entries and the column
/// header), wherever it starts.
pub fn remove_contents(blocks: &[Block]) -> Vec<Block> {
    let Some(start) = blocks
        .iter()
        .position(|b| b.role != BlockRole::Gap && CONTENTS.is_match(&b.text))
    else {
        return blocks.to_vec();
    };
    let mut end = start + 1;
    loop {
        while blocks.get(end).is_some_and(|b| b.role == BlockRole::Gap) {
            end += 1;
        }
        let Some(block) = blocks.get(end) else { break };
        if is_contents_entry(&block.text) || wraps_into_entry(blocks, end) {
            end += 1;
        } else {
            break;
        }
    }
    let mut out = blocks[..start].to_vec();
    out.extend_from_slice(&blocks[end..]);
    out
}

fn is_contents_entry(text: &str) -> bool {
    !PARAGRAPH_START.is_match(text) && text.len() <= 200 && CONTENTS_ENTRY.is_match(text)
}

/// A long contents entry wraps: its first line has no page number, the next one has.
fn wraps_into_entry(blocks: &[Block], at: usize) -> bool {
    let text = &blocks[at].text;
    if PARAGRAPH_START.is_match(text) || text.len() > 120 || text.ends_with('.') {
        return false;
    }
    blocks[at + 1..]
        .iter()
        .filter(|b| b.role != BlockRole::Gap)
        .take(1)
        .any(|b| is_contents_entry(&b.text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, page: u32) -> Block {
        Block {
            text: text.into(),
            page,
            role: BlockRole::Line,
        }
    }

    #[test]
    fn headers_footers_and_numbers_go() {
        let mut blocks = vec![
            line("United Nations A/HRC/47/34", 1),
            line("GE.21-05291(E)", 1),
        ];
        for page in 2..=5 {
            blocks.push(line("A/HRC/47/34", page));
            let topic = ["alpha", "beta", "gamma", "delta"][page as usize - 2];
            blocks.push(line(&format!("Text about {topic}."), page));
            blocks.push(line(&format!("{page}/19"), page));
        }
        let kept: Vec<String> = remove_furniture(&blocks, 5)
            .into_iter()
            .map(|b| b.text)
            .collect();
        assert_eq!(
            kept,
            [
                "United Nations A/HRC/47/34",
                "Text about alpha.",
                "Text about beta.",
                "Text about gamma.",
                "Text about delta."
            ]
        );
    }

    #[test]
    fn the_contents_go_with_wrapped_entries() {
        let blocks: Vec<Block> = [
            "Summary text.",
            "Contents",
            "Page",
            "I. Introduction ........ 3",
            "II. Remedies after conviction and the clearing",
            "of criminal records ........ 7",
            "I. Introduction",
            "1. The first paragraph.",
        ]
        .iter()
        .map(|t| line(t, 1))
        .collect();
        let kept: Vec<String> = remove_contents(&blocks)
            .into_iter()
            .map(|b| b.text)
            .collect();
        assert_eq!(
            kept,
            [
                "Summary text.",
                "I. Introduction",
                "1. The first paragraph."
            ]
        );
    }
}
