//! Documents (PDF and HTML reports): their text as read, their structure (cover, headings,
//! numbered paragraphs, footnotes) and the sections they become.
//!
//! Pure code: a reader gives [`Extracted`] text (pages of lines, or blocks), and
//! everything after that is decided here, the same for every format.

mod cover;
mod language;
mod layout;
mod paragraphs;

pub use cover::{symbols_from_file_name, Cover};
pub use language::detect_language;
pub use paragraphs::Passage;

use super::section::{slug, Kind, Section, Source};
use super::symbol::symbol_info;

/// One block of a document's text as its reader gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The text (one line of a PDF page, or one HTML paragraph or heading).
    pub text: String,
    /// The 1-based page it is printed on (1 for formats without pages).
    pub page: u32,
    /// What the reader knows of it.
    pub role: BlockRole,
}

/// What a reader knows about a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockRole {
    /// A line of running text: paragraphs are found from the text itself (PDF).
    Line,
    /// An empty line between two lines (PDF): a paragraph may end there.
    Gap,
    /// A whole paragraph (HTML `p`, `li`, ...).
    Paragraph,
    /// A heading the reader marked as one (HTML `h1`–`h6`).
    Heading,
}

/// A document's text as its reader gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// The blocks in reading order.
    pub blocks: Vec<Block>,
    /// How many pages the document has (1 for formats without pages).
    pub pages: u32,
    /// A title the file declares (PDF metadata, HTML `<title>`), if any.
    pub declared_title: Option<String>,
    /// Whether the blocks carry page numbers the reader took from the file.
    pub paged: bool,
}

impl Extracted {
    /// Text of PDF-like pages: each page's lines, blank lines kept as gaps.
    pub fn from_pages<S: AsRef<str>>(pages: &[S]) -> Extracted {
        let mut blocks = Vec::new();
        for (i, page) in pages.iter().enumerate() {
            let page_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
            for line in page.as_ref().lines() {
                let text = super::normalize_whitespace(line);
                let role = if text.is_empty() {
                    BlockRole::Gap
                } else {
                    BlockRole::Line
                };
                blocks.push(Block {
                    text,
                    page: page_no,
                    role,
                });
            }
        }
        Extracted {
            blocks,
            pages: u32::try_from(pages.len()).unwrap_or(u32::MAX),
            declared_title: None,
            paged: true,
        }
    }

    /// Whether the blocks hold at least `min` characters of text, whitespace excluded
    /// (a scan has next to none).
    pub fn has_text(&self, min: usize) -> bool {
        let mut seen = 0;
        for block in &self.blocks {
            seen += block.text.chars().filter(|c| !c.is_whitespace()).count();
            if seen >= min {
                return true;
            }
        }
        false
    }
}

/// What a document is, read from its text and its file name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// The metadata from the cover page (or the file name).
    pub cover: Cover,
    /// The document's language (ISO 639-1), when it can be told.
    pub language: Option<String>,
    /// Its passages, in reading order.
    pub passages: Vec<Passage>,
    /// The text of its summary (the unnumbered text before the first paragraph), if any.
    pub summary: Option<String>,
}

/// Reads a document's structure from its extracted text.
pub fn analyze(file: &str, extracted: &Extracted) -> Document {
    let cleaned = layout::remove_furniture(&extracted.blocks, extracted.pages);
    let cover = Cover::read(file, &cleaned, extracted.declared_title.as_deref());
    let body_start = cover.body_start.min(cleaned.len());
    let body = layout::remove_contents(&cleaned[body_start..]);
    let language = cover
        .language
        .clone()
        .or_else(|| detect_language(body.iter().map(|b| b.text.as_str())));
    let (summary, passages) = paragraphs::passages(&body);
    Document {
        cover,
        language,
        passages,
        summary,
    }
}

/// The sections of a document: the document itself, then one per passage.
pub fn sections(file: &str, extracted: &Extracted, document: &Document) -> Vec<Section> {
    let cover = &document.cover;
    let id = document_id(file);
    let title = cover
        .title
        .clone()
        .unwrap_or_else(|| file_stem(file).to_string());
    let mut base = Section::new(Kind::Document, title.clone(), String::new());
    base.symbols = cover.symbols.clone();
    base.role = cover.role.clone();
    base.person = cover.person.clone();
    base.year = cover.year;
    base.venue = cover
        .symbols
        .first()
        .and_then(|s| symbol_info(s))
        .map(|i| i.organ_name.to_string());
    base.language = document.language.clone();
    base.source = Source {
        file: file.to_string(),
        lines: [0, 0],
        page: Some(1),
    };
    let mut doc_section = base.clone();
    doc_section.id = id.clone();
    doc_section.body = document_body(cover, document);
    doc_section.citation = Some(cover.symbols.first().cloned().unwrap_or(title.clone()));
    let mut out = vec![doc_section];
    let reference = cover.symbols.first().cloned().unwrap_or(title);
    for (i, passage) in document.passages.iter().enumerate() {
        let mut section = base.clone();
        section.kind = Kind::Passage;
        section.id = match &passage.number {
            Some(n) => format!("{id}-para-{}", slug(n)),
            None => format!("{id}-block-{}", i + 1),
        };
        section.body = super::normalize_whitespace(&passage.text_with_footnotes());
        section.path = passage.heading.iter().cloned().collect();
        section.heading = passage.heading.clone();
        section.paragraph = passage.number.clone();
        section.page = extracted.paged.then_some(passage.page);
        section.source.page = section.page;
        section.document = Some(id.clone());
        section.citation = Some(citation(
            &reference,
            passage,
            extracted.paged,
            document.language.as_deref(),
        ));
        out.push(section);
    }
    out
}

/// The citation of a passage: "A/HRC/47/34, para. 12"; without a number, "TITLE, p. 3".
pub fn citation(reference: &str, passage: &Passage, paged: bool, language: Option<&str>) -> String {
    let para = match language {
        Some("fr") => "par.",
        Some("es") => "párr.",
        _ => "para.",
    };
    match (&passage.number, paged) {
        (Some(n), _) => format!("{reference}, {para} {n}"),
        (None, true) => format!("{reference}, p. {}", passage.page),
        (None, false) => match &passage.heading {
            Some(h) => format!("{reference}, “{h}”"),
            None => reference.to_string(),
        },
    }
}

/// The id of the document read from `file`: `document-` and the file's path as a slug.
pub fn document_id(file: &str) -> String {
    let without_ext = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    format!("document-{}", slug(without_ext))
}

/// The file name without directories and extension.
pub fn file_stem(file: &str) -> &str {
    let name = file.rsplit('/').next().unwrap_or(file);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// What a document section's own body holds: what the cover says and the summary.
fn document_body(cover: &Cover, document: &Document) -> String {
    let mut parts: Vec<&str> = Vec::new();
    parts.extend(cover.author_line.as_deref());
    parts.extend(cover.session.as_deref());
    parts.extend(cover.agenda.as_deref());
    if let Some(summary) = &document.summary {
        parts.push(summary);
    } else if let Some(first) = document.passages.first() {
        parts.push(&first.text);
    }
    super::normalize_whitespace(&parts.join("\n"))
}
