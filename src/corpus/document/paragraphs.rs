//! Passages: numbered paragraphs whole across line and page breaks (hyphenation
//! repaired), the heading each sits under, and the footnotes each cites.

use super::{Block, BlockRole};
use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

/// Unnumbered passages longer than this are cut at a sentence end.
const MAX_UNNUMBERED_CHARS: usize = 2_000;
/// A document needs this many paragraphs numbered in sequence to be read as numbered.
const MIN_NUMBERED: usize = 3;

static NUMBERED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,3})\.\s+(\S.*)$").expect("valid regex"));
static FOOTNOTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,3})\s+(\S.*)$").expect("valid regex"));
/// "V. Remedies after conviction", "A. Legal framework".
static NUMBERED_HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[IVXL]{1,6}|[A-H])\.\s+\p{Lu}").expect("valid regex"));
static NAMED_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:summary|résumé|resumen|introduction|introducción|annex(?:es)?|annexe|anexo|conclusions?(?: and recommendations)?|conclusions et recommandations|recommendations|recommandations)$",
    )
    .expect("valid regex")
});
/// Compound prefixes whose hyphen is kept at a line end when the document does not
/// say otherwise.
const HYPHEN_PREFIXES: [&str; 16] = [
    "non", "self", "co", "anti", "cross", "multi", "inter", "post", "pre", "well", "long",
    "counter", "ex", "sub", "semi", "socio",
];

/// One passage of a document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Passage {
    /// The paragraph number as printed ("12"); none for an unnumbered block.
    pub number: Option<String>,
    /// The text, lines joined.
    pub text: String,
    /// The 1-based page the passage starts on.
    pub page: u32,
    /// The heading it sits under.
    pub heading: Option<String>,
    /// The footnotes it cites: number and text.
    pub footnotes: Vec<(u32, String)>,
}

impl Passage {
    /// The text followed by the footnotes it cites (" [3] A/HRC/44/45, para. 8.").
    pub fn text_with_footnotes(&self) -> String {
        let mut out = self.text.clone();
        for (n, note) in &self.footnotes {
            out.push_str(&format!(" [{n}] {note}"));
        }
        out
    }
}

/// A footnote printed at a page's foot.
#[derive(Debug)]
struct Footnote {
    number: u32,
    page: u32,
    text: String,
}

/// The summary (unnumbered text before the first numbered paragraph, in a numbered
/// document) and the passages of a document's body.
pub fn passages(blocks: &[Block]) -> (Option<String>, Vec<Passage>) {
    let (body, notes) = split_footnotes(blocks);
    let vocabulary = vocabulary(&body);
    let numbered = is_numbered(&body);
    let mut builder = Builder {
        vocabulary: &vocabulary,
        numbered,
        next_number: 1,
        heading: None,
        heading_open: false,
        current: None,
        summary: Vec::new(),
        passages: Vec::new(),
    };
    for block in &body {
        builder.take(block);
    }
    builder.finish();
    let mut passages = builder.passages;
    if !numbered {
        passages = passages.into_iter().flat_map(cut_long).collect();
    }
    attach_footnotes(&mut passages, notes);
    let summary = Some(builder.summary.join(" ")).filter(|s| !s.trim().is_empty());
    (summary, passages)
}

/// Whether enough lines start with paragraph numbers in sequence (1., 2., 3., ...).
fn is_numbered(blocks: &[Block]) -> bool {
    let mut next = 1u32;
    for block in blocks.iter().filter(|b| b.role != BlockRole::Gap) {
        if let Some(n) = paragraph_number(&block.text) {
            if n == next {
                next += 1;
            }
        }
    }
    next as usize > MIN_NUMBERED
}

fn paragraph_number(text: &str) -> Option<u32> {
    // Most lines do not start with a digit: no regex for them.
    if !text.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    NUMBERED.captures(text)?.get(1)?.as_str().parse().ok()
}

/// Whether `text` is a heading by its shape.
fn looks_like_heading(text: &str) -> bool {
    let starts_upper = text.chars().next().is_some_and(char::is_uppercase);
    if !starts_upper || text.len() > 480 {
        return false;
    }
    let short = text.chars().count() <= 120;
    let open_end = !text.ends_with(['.', ',', ';', ':']);
    short && ((NUMBERED_HEADING.is_match(text) && open_end) || NAMED_HEADING.is_match(text))
}

/// Builds passages block by block.
struct Builder<'a> {
    vocabulary: &'a Vocabulary,
    numbered: bool,
    next_number: u32,
    heading: Option<String>,
    /// The last block was a heading line that may continue on the next line.
    heading_open: bool,
    current: Option<Passage>,
    summary: Vec<String>,
    passages: Vec<Passage>,
}

impl Builder<'_> {
    fn take(&mut self, block: &Block) {
        match block.role {
            BlockRole::Gap => {
                self.heading_open = false;
                if !self.numbered {
                    self.end_passage();
                }
            }
            BlockRole::Heading => self.start_heading(&block.text),
            BlockRole::Line | BlockRole::Paragraph => self.take_text(block),
        }
    }

    fn take_text(&mut self, block: &Block) {
        let text = block.text.as_str();
        if self.numbered {
            if let Some(n) = paragraph_number(text).filter(|&n| n == self.next_number) {
                self.end_passage();
                self.next_number += 1;
                self.current = Some(Passage {
                    number: Some(n.to_string()),
                    text: text.to_string(),
                    page: block.page,
                    heading: self.heading.clone(),
                    footnotes: Vec::new(),
                });
                self.heading_open = false;
                return;
            }
        }
        if block.role == BlockRole::Line && looks_like_heading(text) {
            self.start_heading(text);
            return;
        }
        if self.heading_open && continues_heading(text) {
            if let Some(heading) = &mut self.heading {
                heading.push(' ');
                heading.push_str(text);
            }
            self.heading_open = heading_may_continue(text);
            return;
        }
        self.heading_open = false;
        if self.numbered && self.next_number == 1 {
            self.summary.push(text.to_string());
            return;
        }
        if block.role == BlockRole::Paragraph && !self.numbered {
            self.end_passage();
        }
        match &mut self.current {
            Some(current) => join_line(&mut current.text, text, self.vocabulary),
            None => {
                self.current = Some(Passage {
                    number: None,
                    text: text.to_string(),
                    page: block.page,
                    heading: self.heading.clone(),
                    footnotes: Vec::new(),
                })
            }
        }
    }

    fn start_heading(&mut self, text: &str) {
        self.end_passage();
        self.heading = Some(text.to_string());
        self.heading_open = heading_may_continue(text);
    }

    fn end_passage(&mut self) {
        if let Some(passage) = self.current.take() {
            if !passage.text.trim().is_empty() {
                self.passages.push(passage);
            }
        }
    }

    fn finish(&mut self) {
        self.end_passage();
    }
}

/// A heading line without an end may wrap onto the next line.
fn heading_may_continue(text: &str) -> bool {
    NUMBERED_HEADING.is_match(text) && !text.ends_with(['.', ':'])
}

/// The next line of a wrapped heading: short and starting in lowercase.
fn continues_heading(text: &str) -> bool {
    text.chars().count() <= 80
        && text.chars().next().is_some_and(char::is_lowercase)
        && paragraph_number(text).is_none()
}

/// The words of the document that decide its broken hyphens: for each word broken at
/// a line end ("compel-" / "led"), whether the document prints it elsewhere within a
/// line whole ("compelled") or hyphenated ("non-punishment"). Lowercased.
struct Vocabulary {
    words: HashSet<String>,
}

/// The lowercased word a line starts with, and the one it ends with when it ends in a
/// broken hyphen.
fn broken_pairs(blocks: &[Block]) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for pair in blocks.windows(2) {
        let (line, next) = (&pair[0].text, &pair[1].text);
        let Some(left) = line.split_whitespace().next_back() else {
            continue;
        };
        let Some(left) = left.strip_suffix('-') else {
            continue;
        };
        let left = left.trim_start_matches(|c: char| !c.is_alphanumeric());
        let right: String = next
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '-')
            .collect();
        if !left.is_empty() && right.chars().next().is_some_and(char::is_lowercase) {
            pairs.push((left.to_lowercase(), right.to_lowercase()));
        }
    }
    pairs
}

fn vocabulary(blocks: &[Block]) -> Vocabulary {
    let wanted: HashSet<String> = broken_pairs(blocks)
        .into_iter()
        .flat_map(|(l, r)| [format!("{l}-{r}"), format!("{l}{r}")])
        .collect();
    let lengths: HashSet<usize> = wanted.iter().map(|w| w.chars().count()).collect();
    let mut words = HashSet::new();
    if wanted.is_empty() {
        return Vocabulary { words };
    }
    for block in blocks {
        let mut tokens = block.text.split_whitespace().peekable();
        while let Some(token) = tokens.next() {
            // The last token of a line may be a broken word: it is not evidence.
            if tokens.peek().is_none() && token.ends_with('-') {
                continue;
            }
            let word = token.trim_matches(|c: char| !c.is_alphanumeric() && c != '-');
            // Only words as long as a wanted one are lowercased and looked up.
            if word.is_empty() || !lengths.contains(&word.chars().count()) {
                continue;
            }
            let word = word.to_lowercase();
            if wanted.contains(&word) {
                words.insert(word);
            }
        }
    }
    Vocabulary { words }
}

/// Appends `line` to `text`: a hyphen broken at the line end is repaired.
fn join_line(text: &mut String, line: &str, vocabulary: &Vocabulary) {
    let broken = text.ends_with('-')
        && text[..text.len() - 1]
            .chars()
            .next_back()
            .is_some_and(char::is_alphabetic)
        && line.chars().next().is_some_and(char::is_lowercase);
    if !broken {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(line);
        return;
    }
    let left_start = text[..text.len() - 1]
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_alphanumeric() && *c != '-')
        .map_or(0, |(at, c)| at + c.len_utf8());
    let left = text[left_start..text.len() - 1].to_lowercase();
    let right: String = line
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '-')
        .collect::<String>()
        .to_lowercase();
    let hyphenated = format!("{left}-{right}");
    let joined = format!("{left}{right}");
    let last_part = left.rsplit('-').next().unwrap_or(&left);
    let keep = if vocabulary.words.contains(&hyphenated) {
        true
    } else if vocabulary.words.contains(&joined) {
        false
    } else {
        HYPHEN_PREFIXES.contains(&last_part)
    };
    if !keep {
        text.pop();
    }
    text.push_str(line);
}

/// Lines at a page's foot that are footnotes, taken out of the body: a footnote starts
/// with the next footnote number, cited in the text just before as a mark glued to a
/// word ("victims.3"); the rest of the page belongs to the footnotes.
fn split_footnotes(blocks: &[Block]) -> (Vec<Block>, Vec<Footnote>) {
    let mut body: Vec<Block> = Vec::with_capacity(blocks.len());
    let mut notes: Vec<Footnote> = Vec::new();
    let mut next = 1u32;
    let mut in_notes_on: Option<u32> = None;
    for block in blocks {
        if in_notes_on.is_some_and(|page| page != block.page) {
            in_notes_on = None;
        }
        if block.role == BlockRole::Gap {
            if in_notes_on.is_none() {
                body.push(block.clone());
            }
            continue;
        }
        let digit_first = block
            .text
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_digit);
        let starts_note = digit_first
            .then(|| FOOTNOTE.captures(&block.text))
            .flatten()
            .and_then(|c| {
                let n: u32 = c.get(1)?.as_str().parse().ok()?;
                let text = c.get(2)?.as_str().to_string();
                (n == next && (in_notes_on.is_some() || cited_before(&body, block.page, n)))
                    .then_some((n, text))
            });
        match (starts_note, in_notes_on) {
            (Some((n, text)), _) => {
                notes.push(Footnote {
                    number: n,
                    page: block.page,
                    text,
                });
                next += 1;
                in_notes_on = Some(block.page);
            }
            (None, Some(_)) => {
                if let Some(note) = notes.last_mut() {
                    note.text.push(' ');
                    note.text.push_str(&block.text);
                }
            }
            (None, None) => body.push(block.clone()),
        }
    }
    (body, notes)
}

/// Whether the body text on `page` (or the page before) cites footnote `n`.
fn cited_before(body: &[Block], page: u32, n: u32) -> bool {
    body.iter()
        .rev()
        .take_while(|b| b.page + 1 >= page)
        .any(|b| cites(&b.text, n))
}

/// Whether `text` holds footnote mark `n`: the number glued to the end of a word or
/// punctuation ("victims.3", "law,12").
fn cites(text: &str, n: u32) -> bool {
    let mark = n.to_string();
    let bytes = text.as_bytes();
    text.match_indices(&mark).any(|(at, _)| {
        let end = at + mark.len();
        let before = text[..at].chars().next_back();
        let glued = before.is_some_and(|c| c.is_alphabetic() || ".,;:)”’\"".contains(c));
        let after_ok = bytes.get(end).is_none_or(|b| !b.is_ascii_digit());
        glued && after_ok
    })
}

/// Gives each footnote to the passage that cites it (the nearest before its page), or
/// else to the passage running on the page where it is printed.
fn attach_footnotes(passages: &mut [Passage], notes: Vec<Footnote>) {
    for note in notes {
        let citing = passages
            .iter()
            .rposition(|p| p.page <= note.page && cites(&p.text, note.number));
        let running = || passages.iter().rposition(|p| p.page <= note.page);
        if let Some(at) = citing.or_else(running) {
            passages[at].footnotes.push((note.number, note.text));
        }
    }
}

/// An unnumbered passage longer than the limit, cut at sentence ends.
fn cut_long(passage: Passage) -> Vec<Passage> {
    if passage.text.chars().count() <= MAX_UNNUMBERED_CHARS {
        return vec![passage];
    }
    let mut out = Vec::new();
    let mut piece = String::new();
    for sentence in crate::corpus::text::sentences(&passage.text) {
        if !piece.is_empty()
            && piece.chars().count() + sentence.chars().count() > MAX_UNNUMBERED_CHARS
        {
            out.push(std::mem::take(&mut piece));
        }
        if !piece.is_empty() {
            piece.push(' ');
        }
        piece.push_str(sentence);
    }
    if !piece.is_empty() {
        out.push(piece);
    }
    out.into_iter()
        .map(|text| Passage {
            text,
            footnotes: Vec::new(),
            ..passage.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(page: u32, texts: &[&str]) -> Vec<Block> {
        texts
            .iter()
            .map(|t| Block {
                text: t.to_string(),
                page,
                role: if t.is_empty() {
                    BlockRole::Gap
                } else {
                    BlockRole::Line
                },
            })
            .collect()
    }

    #[test]
    fn numbered_paragraphs_cross_pages_with_headings_and_footnotes() {
        let mut blocks = lines(
            1,
            &[
                "The summary of the report.",
                "I. Introduction",
                "1. The first paragraph starts here and its word non-",
                "punishment is kept whole, while traf-",
                "ficking is repaired.1",
                "2. The second paragraph runs onto",
                "1 A/HRC/44/45, para. 8.",
            ],
        );
        blocks.extend(lines(
            2,
            &[
                "the next page.",
                "V. Remedies after conviction and the clearing",
                "of criminal records",
                "3. Third, as in non-punishment.",
            ],
        ));
        let (summary, passages) = passages(&blocks);
        assert_eq!(summary.as_deref(), Some("The summary of the report."));
        let texts: Vec<&str> = passages.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "1. The first paragraph starts here and its word non-punishment is kept whole, while trafficking is repaired.1",
                "2. The second paragraph runs onto the next page.",
                "3. Third, as in non-punishment.",
            ]
        );
        assert_eq!(
            passages[0].footnotes,
            [(1, "A/HRC/44/45, para. 8.".to_string())]
        );
        assert_eq!(passages[1].page, 1);
        assert_eq!(passages[0].heading.as_deref(), Some("I. Introduction"));
        assert_eq!(
            passages[2].heading.as_deref(),
            Some("V. Remedies after conviction and the clearing of criminal records")
        );
    }

    #[test]
    fn unnumbered_text_is_cut_at_gaps() {
        let blocks = lines(3, &["First block", "goes on.", "", "Second block."]);
        let (_, passages) = passages(&blocks);
        assert_eq!(passages.len(), 2);
        assert_eq!(passages[0].text, "First block goes on.");
        assert_eq!(passages[1].number, None);
        assert_eq!(passages[1].page, 3);
    }

    #[test]
    fn a_broken_word_after_a_multibyte_character_is_joined_safely() {
        // Found by the `documents` fuzz target: the word before the hyphen followed a
        // three-byte character, and the cut fell inside it.
        let mut text = "criminal records\u{fffd}traf-".to_string();
        join_line(&mut text, "ficking is", &vocabulary(&[]));
        assert_eq!(text, "criminal records\u{fffd}trafficking is");
    }

    #[test]
    fn a_mark_is_glued_to_a_word() {
        assert!(cites("the victims.12 And", 12));
        assert!(!cites("in 12 months", 12));
        assert!(!cites("the victims.123", 12));
    }
}
