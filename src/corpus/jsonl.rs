//! Loader for JSON Lines corpus files: one section per line.

use super::section::{normalize_whitespace, DocumentLink, Kind, Section, Source};
use super::symbol::symbol_info;
use crate::error::{Error, Result};
use serde::Deserialize;
use std::io::BufRead;

/// One line of a JSONL corpus: `title` and `body` required, every other field optional.
#[derive(Debug, Deserialize)]
struct Record {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    kind: Option<Kind>,
    title: String,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    symbol: Option<String>,
    #[serde(default)]
    symbols: Vec<String>,
    #[serde(default)]
    person: Option<String>,
    #[serde(default)]
    org: Option<String>,
    #[serde(default)]
    acronyms: Vec<String>,
    #[serde(default)]
    year: Option<i64>,
    #[serde(default)]
    venue: Option<String>,
    #[serde(default)]
    path: Vec<String>,
    body: String,
    #[serde(default)]
    source: Option<Source>,
    #[serde(default)]
    paragraph: Option<String>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    heading: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    document: Option<String>,
    #[serde(default)]
    citation: Option<String>,
    #[serde(default)]
    documents: Vec<DocumentLink>,
}

/// Parses JSON Lines; a malformed line is an error naming the file and line.
pub fn parse(file: &str, text: &str) -> Result<Vec<Section>> {
    parse_reader(file, text.as_bytes())
}

/// Parses JSON Lines as they are read, a line at a time: the file's text is never held
/// whole (a corpus of a million sections costs its sections, not also its text).
pub fn parse_reader(file: &str, reader: impl BufRead) -> Result<Vec<Section>> {
    let mut out = Vec::new();
    for_each_section(file, reader, &mut |section| {
        out.push(section);
        Ok(())
    })?;
    Ok(out)
}

/// Hands each line's section to `each` as it is read, stopping at the first malformed
/// line (or the first error of `each`): nothing of the file is held but one line.
pub fn for_each_section(
    file: &str,
    reader: impl BufRead,
    each: &mut dyn FnMut(Section) -> Result<()>,
) -> Result<()> {
    for (i, line) in reader.lines().enumerate() {
        let no = i + 1;
        let line = line.map_err(|e| Error::Corpus {
            file: file.to_string(),
            line: no,
            message: if e.kind() == std::io::ErrorKind::InvalidData {
                "not valid UTF-8 text".into()
            } else {
                format!("cannot be read: {e}")
            },
        })?;
        let line = if no == 1 {
            line.strip_prefix('\u{feff}').unwrap_or(&line)
        } else {
            &line
        };
        if line.trim().is_empty() {
            continue;
        }
        let record: Record = serde_json::from_str(line).map_err(|e| Error::Corpus {
            file: file.to_string(),
            line: no,
            message: format!("invalid JSON section: {e}"),
        })?;
        each(section_of(record, file, no))?;
    }
    Ok(())
}

fn section_of(r: Record, file: &str, line: usize) -> Section {
    let mut symbols = r.symbols;
    if let Some(s) = r.symbol.filter(|s| !s.trim().is_empty()) {
        if !symbols.contains(&s) {
            symbols.insert(0, s);
        }
    }
    let kind = r.kind.unwrap_or(if symbols.is_empty() {
        Kind::Overview
    } else {
        Kind::Report
    });
    let venue = r.venue.or_else(|| {
        symbols
            .first()
            .filter(|_| kind == Kind::Report)
            .and_then(|s| symbol_info(s))
            .map(|i| i.organ_name.to_string())
    });
    Section {
        id: r.id.unwrap_or_default(),
        kind,
        title: normalize_whitespace(&r.title),
        role: r.role,
        symbols,
        person: r.person,
        org: r.org,
        acronyms: r.acronyms,
        year: r.year,
        venue,
        path: r.path,
        body: normalize_whitespace(&r.body),
        source: r.source.unwrap_or(Source {
            file: file.to_string(),
            lines: [line, line],
            page: None,
        }),
        paragraph: r.paragraph,
        page: r.page,
        heading: r.heading,
        language: r.language,
        document: r.document,
        citation: r.citation,
        documents: r.documents,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_shape_and_full_shape() {
        let text = r#"{"id":"d1","title":"T","role":"R","symbol":"A/HRC/50/1","body":"b  c"}

{"title":"U","body":"x","symbols":["A/77/1"],"kind":"mandate","year":2022}"#;
        let s = parse("c.jsonl", text).unwrap();
        assert_eq!(s[0].id, "d1");
        assert_eq!(s[0].kind, Kind::Report);
        assert_eq!(s[0].symbols, vec!["A/HRC/50/1"]);
        assert_eq!(s[0].body, "b c");
        assert_eq!(s[0].venue.as_deref(), Some("Human Rights Council"));
        assert_eq!(s[1].kind, Kind::Mandate);
        assert_eq!(s[1].source.lines, [3, 3]);
    }

    #[test]
    fn read_a_line_at_a_time_as_parsed_whole() {
        let text = "\u{feff}{\"title\":\"a\",\"body\":\"b\"}\r\n\n{\"title\":\"c\",\"body\":\"d\"}";
        let whole = parse("c.jsonl", text.strip_prefix('\u{feff}').unwrap()).unwrap();
        let read = parse_reader("c.jsonl", std::io::Cursor::new(text.as_bytes())).unwrap();
        assert_eq!(whole, read);
        let bad = parse_reader("c.jsonl", &b"{\"title\":\"a\",\"body\":\"b\"}\n\xff\n"[..]);
        assert!(bad
            .unwrap_err()
            .to_string()
            .contains("c.jsonl:2: not valid UTF-8"));
    }

    #[test]
    fn malformed_line_names_file_and_line() {
        let err = parse(
            "c.jsonl",
            "{\"title\":\"a\",\"body\":\"b\"}\n{\"title\": 3}\n",
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("c.jsonl:2"), "{msg}");
    }
}
