//! HTML documents: headings and paragraphs of the page's content, without its
//! navigation, header, footer, scripts and styles.

use super::document::{Block, BlockRole, Extracted};
use scraper::{ElementRef, Html, Node};

/// Elements whose text is not the document's.
const SKIPPED: [&str; 14] = [
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "button", "select", "svg", "iframe", "head",
];
/// Elements that hold one paragraph of text each.
const PARAGRAPHS: [&str; 10] = [
    "p",
    "li",
    "dd",
    "dt",
    "blockquote",
    "pre",
    "td",
    "th",
    "figcaption",
    "caption",
];
/// Deepest nesting walked (a hostile page nests without end).
const MAX_DEPTH: usize = 256;

/// Reads the text of an HTML page: `main` (or `article`, or `body`), headings and
/// paragraphs in order.
pub fn read(text: &str) -> Extracted {
    let page = Html::parse_document(text);
    let declared_title = page
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
        .find(|e| e.value().name() == "title")
        .map(|e| super::normalize_whitespace(&e.text().collect::<String>()))
        .filter(|t| !t.is_empty());
    let content = ["main", "article", "body"].iter().find_map(|name| {
        page.root_element()
            .descendants()
            .filter_map(ElementRef::wrap)
            .find(|e| e.value().name() == *name)
    });
    let mut blocks = Vec::new();
    let root = content.unwrap_or_else(|| page.root_element());
    let mut open = String::new();
    walk(root, 0, &mut blocks, &mut open);
    flush(&mut open, &mut blocks, BlockRole::Paragraph);
    Extracted {
        blocks,
        pages: 1,
        declared_title,
        paged: false,
    }
}

/// Walks an element: headings and paragraph elements become blocks, loose text is
/// gathered into a paragraph until the next block element.
fn walk(element: ElementRef<'_>, depth: usize, blocks: &mut Vec<Block>, open: &mut String) {
    let name = element.value().name();
    if SKIPPED.contains(&name) || depth > MAX_DEPTH || is_hidden(element) {
        return;
    }
    let heading = matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6");
    if heading || PARAGRAPHS.contains(&name) {
        flush(open, blocks, BlockRole::Paragraph);
        let mut text = String::new();
        collect_text(element, depth, &mut text);
        let role = if heading {
            BlockRole::Heading
        } else {
            BlockRole::Paragraph
        };
        // A list item or cell that holds paragraphs of its own: those are the blocks.
        if !heading && has_block_children(element) {
            walk_children(element, depth, blocks, open);
            return;
        }
        flush(&mut text, blocks, role);
        return;
    }
    if name == "br" {
        open.push(' ');
        return;
    }
    walk_children(element, depth, blocks, open);
    if matches!(
        name,
        "div" | "section" | "table" | "ul" | "ol" | "dl" | "tr"
    ) {
        flush(open, blocks, BlockRole::Paragraph);
    }
}

fn walk_children(
    element: ElementRef<'_>,
    depth: usize,
    blocks: &mut Vec<Block>,
    open: &mut String,
) {
    for child in element.children() {
        match child.value() {
            Node::Text(text) => open.push_str(text),
            Node::Element(_) => {
                if let Some(e) = ElementRef::wrap(child) {
                    walk(e, depth + 1, blocks, open);
                }
            }
            _ => {}
        }
    }
}

fn has_block_children(element: ElementRef<'_>) -> bool {
    element.children().filter_map(ElementRef::wrap).any(|e| {
        let name = e.value().name();
        PARAGRAPHS.contains(&name) || matches!(name, "div" | "ul" | "ol" | "table")
    })
}

/// The text under an element, skipped elements left out.
fn collect_text(element: ElementRef<'_>, depth: usize, out: &mut String) {
    if depth > MAX_DEPTH {
        return;
    }
    for child in element.children() {
        match child.value() {
            Node::Text(text) => out.push_str(text),
            Node::Element(e) if e.name() == "br" => out.push(' '),
            Node::Element(e) if SKIPPED.contains(&e.name()) => {}
            Node::Element(_) => {
                if let Some(e) = ElementRef::wrap(child) {
                    if !is_hidden(e) {
                        collect_text(e, depth + 1, out);
                    }
                }
            }
            _ => {}
        }
    }
}

fn is_hidden(element: ElementRef<'_>) -> bool {
    let e = element.value();
    e.attr("hidden").is_some()
        || e.attr("aria-hidden") == Some("true")
        || e.attr("role")
            .is_some_and(|r| matches!(r, "navigation" | "banner" | "contentinfo"))
}

fn flush(text: &mut String, blocks: &mut Vec<Block>, role: BlockRole) {
    let normalized = super::normalize_whitespace(text);
    text.clear();
    if !normalized.is_empty() {
        blocks.push(Block {
            text: normalized,
            page: 1,
            role,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn navigation_scripts_and_footers_are_not_text() {
        let page = r#"<!doctype html><html><head><title>GRETA report</title>
            <style>p { color: red }</style><script>var x = "<p>no</p>";</script></head>
            <body><nav><a href="/">Home</a></nav><header>Site name</header>
            <main><h1>Evaluation report</h1><p>First &amp; <b>bold</b>
            paragraph.</p><ul><li>An item</li></ul><div>Loose text</div></main>
            <footer>Copyright</footer></body></html>"#;
        let read = read(page);
        assert_eq!(read.declared_title.as_deref(), Some("GRETA report"));
        let texts: Vec<(&str, BlockRole)> = read
            .blocks
            .iter()
            .map(|b| (b.text.as_str(), b.role))
            .collect();
        assert_eq!(
            texts,
            [
                ("Evaluation report", BlockRole::Heading),
                ("First & bold paragraph.", BlockRole::Paragraph),
                ("An item", BlockRole::Paragraph),
                ("Loose text", BlockRole::Paragraph),
            ]
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let page = "<div>".repeat(10_000) + "deep" + &"</div>".repeat(10_000);
        let _ = read(&page);
    }
}
