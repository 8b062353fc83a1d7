//! The `Section`: one thing a user looks for (an organization, a mandate, a report, an overview).

use crate::words::fold_char;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a section describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A body or agency (UNODC, Council of Europe, INTERPOL, ...).
    Organization,
    /// An office held by a named person (a Special Rapporteur, the Secretary-General, ...).
    Mandate,
    /// A document: a UN report with its symbol, a publication, a reference.
    Report,
    /// An introductory or heading paragraph.
    Overview,
    /// A document file of the corpus (a PDF or HTML report), with its metadata.
    Document,
    /// One paragraph (or heading block) of a document, with its citation.
    Passage,
}

impl Kind {
    /// Every kind, in display order.
    pub const ALL: [Kind; 6] = [
        Kind::Organization,
        Kind::Mandate,
        Kind::Report,
        Kind::Overview,
        Kind::Document,
        Kind::Passage,
    ];

    /// How many kinds there are (the size of per-kind tables).
    pub const COUNT: usize = Kind::ALL.len();

    /// The lowercase name used in ids, JSON and filters.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Organization => "organization",
            Kind::Mandate => "mandate",
            Kind::Report => "report",
            Kind::Overview => "overview",
            Kind::Document => "document",
            Kind::Passage => "passage",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let kind = match lower.as_str() {
            "organization" | "organisation" | "org" | "organizations" | "organisations" => {
                Kind::Organization
            }
            "mandate" | "mandates" | "person" | "people" => Kind::Mandate,
            "report" | "reports" => Kind::Report,
            "overview" | "overviews" => Kind::Overview,
            "document" | "documents" | "doc" | "docs" => Kind::Document,
            "passage" | "passages" | "paragraph" | "paragraphs" => Kind::Passage,
            _ => {
                return Err(format!(
                    "unknown kind `{s}` (expected organization, mandate, report, overview, document or passage)"
                ))
            }
        };
        Ok(kind)
    }
}

/// Where a section comes from: a file relative to the corpus directory, and its lines
/// (text files) or its page (documents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Source {
    /// Path relative to the corpus directory, with `/` separators.
    pub file: String,
    /// First and last line, 1-based and inclusive (`[0, 0]` for a document's passages).
    #[serde(default, skip_serializing_if = "no_lines")]
    pub lines: [usize; 2],
    /// The 1-based page a passage starts on (documents only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}

fn no_lines(lines: &[usize; 2]) -> bool {
    *lines == [0, 0]
}

/// One language version of a report: a document file of the corpus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DocumentLink {
    /// The document section's id.
    pub id: String,
    /// The version's language (ISO 639-1), when known.
    #[serde(default)]
    pub language: Option<String>,
    /// The file, relative to the corpus directory.
    pub file: String,
}

/// One searchable unit of the corpus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Stable, readable, unique identifier (e.g. `report-a-hrc-47-34`).
    pub id: String,
    /// What the section describes.
    pub kind: Kind,
    /// A short name: the organization's name, the holder and office, the report's title.
    pub title: String,
    /// The position or function: a mandate's title, a report author's mandate, an organization's function.
    #[serde(default)]
    pub role: Option<String>,
    /// Document identifiers: UN symbols, reference numbers.
    #[serde(default)]
    pub symbols: Vec<String>,
    /// The person holding the mandate, or the author of a report.
    #[serde(default)]
    pub person: Option<String>,
    /// The organization the section belongs to (its own name for an organization).
    #[serde(default)]
    pub org: Option<String>,
    /// Acronyms defined by the text ("Full Name (ACRONYM)").
    #[serde(default)]
    pub acronyms: Vec<String>,
    /// The year of a report, when the text gives one.
    #[serde(default)]
    pub year: Option<i64>,
    /// Where a report was presented: "Human Rights Council" or "General Assembly".
    #[serde(default)]
    pub venue: Option<String>,
    /// The headings the section sits under, outermost first.
    #[serde(default)]
    pub path: Vec<String>,
    /// The text, whitespace normalized.
    pub body: String,
    /// Where the section comes from.
    #[serde(default)]
    pub source: Source,
    /// A passage's paragraph number as printed ("12", "12 bis"); none when unnumbered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paragraph: Option<String>,
    /// A passage's first page (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// The heading a passage sits under ("V. Remedies after conviction").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<String>,
    /// The language of a document or passage (ISO 639-1: "en", "fr").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// A passage's document (the document section's id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// How to cite a passage ("A/HRC/47/34, para. 12"; "TITLE, p. 3" without symbol or number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citation: Option<String>,
    /// A report's document files, one per language version.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<DocumentLink>,
}

impl Section {
    /// A new section with only the required fields set.
    pub fn new(kind: Kind, title: impl Into<String>, body: impl Into<String>) -> Section {
        Section {
            id: String::new(),
            kind,
            title: title.into(),
            role: None,
            symbols: Vec::new(),
            person: None,
            org: None,
            acronyms: Vec::new(),
            year: None,
            venue: None,
            path: Vec::new(),
            body: body.into(),
            source: Source::default(),
            paragraph: None,
            page: None,
            heading: None,
            language: None,
            document: None,
            citation: None,
            documents: Vec::new(),
        }
    }
}

/// Something the parser could not classify, kept in the nearest section and reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// File relative to the corpus directory.
    pub file: String,
    /// 1-based line number (0 when the warning concerns the whole file).
    pub line: usize,
    /// What was odd.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// Collapses every run of whitespace (non-breaking spaces included) into one space and trims.
pub fn normalize_whitespace(text: &str) -> String {
    if is_normalized(text) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for word in text.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Whether `text` has no whitespace but single ASCII spaces between words.
fn is_normalized(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') {
        return false;
    }
    let ascii_ok = bytes.windows(2).all(|w| !(w[0] == b' ' && w[1] == b' '))
        && bytes
            .iter()
            .all(|&b| b == b' ' || !(b.is_ascii_whitespace() || b == 0x0b));
    // Non-ASCII whitespace (no-break spaces, ...) needs the slow path.
    ascii_ok && (text.is_ascii() || !text.chars().any(|c| c.is_whitespace() && c != ' '))
}

/// Turns any text into an id fragment: lowercase ASCII letters and digits joined by `-`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    let mut pending_dash = false;
    for c in text.chars() {
        let c = fold_char(c);
        if c.is_ascii_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending_dash = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_including_nbsp_is_collapsed() {
        assert_eq!(
            normalize_whitespace("  Ms.\u{a0}Siobhán\u{a0}\u{a0}Mullally \n"),
            "Ms. Siobhán Mullally"
        );
    }

    /// The slow path, whatever the text.
    fn normalized_slowly(text: &str) -> String {
        text.split(char::is_whitespace)
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    proptest::proptest! {
        #[test]
        fn the_fast_path_changes_nothing(text in "[ a-zé\t\n\u{a0}\u{2003}\u{b}\u{85}.]{0,24}") {
            proptest::prop_assert_eq!(normalize_whitespace(&text), normalized_slowly(&text));
        }
    }

    #[test]
    fn slug_folds_accents_and_punctuation() {
        assert_eq!(slug("A/HRC/49/51/Add.1"), "a-hrc-49-51-add-1");
        assert_eq!(slug("Siobhán Mullally"), "siobhan-mullally");
    }

    #[test]
    fn kind_parses_plural_and_case() {
        assert_eq!("Reports".parse::<Kind>(), Ok(Kind::Report));
        assert_eq!("documents".parse::<Kind>(), Ok(Kind::Document));
        assert_eq!("Passage".parse::<Kind>(), Ok(Kind::Passage));
        assert!("nonsense".parse::<Kind>().is_err());
    }
}
