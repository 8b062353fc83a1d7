//! The stored form of a section (the index's `doc` field): length-prefixed fields, then
//! the body as written, so that reading a hit back is a few copies rather than a JSON
//! parse (a tenth of a symbol lookup went to parsing stored JSON).
//!
//! Layout, after the [`MARK`]: `id`, `kind`, `title` as *text*; `role` as *optional
//! text*; `symbols` as *texts*; `person`, `org` as *optional text*; `acronyms` as
//! *texts*; `year` as `-` or `+` and a decimal number and `;`; `venue` as *optional
//! text*; `path` as *texts*; the source file as *text*, its two lines as decimal numbers
//! each ended by `;`; the source page as `-` or `+`, a number and `;`; then the document
//! fields: `paragraph`, `heading`, `language`, `document`, `citation` as *optional text*,
//! `page` as the source page is, `documents` as *texts* (id, language or empty, file for
//! each); then the body up to the end. A *text* is its length in bytes, `:`, and its
//! bytes; an *optional text* is `-`, or `+` and a text; *texts* are their count, `:`,
//! and each text. The form before the document fields (mark `~1`) and a section stored
//! whole as JSON (indexes made before either) still read.

use crate::corpus::{DocumentLink, Kind, Section, Source};

/// What a stored section in this form starts with (JSON starts with `{`).
const MARK: &str = "~2";
/// The form without the document fields.
const MARK_V1: &str = "~1";

/// The stored form of `section`.
pub fn encode(section: &Section) -> String {
    let Section {
        id,
        kind,
        title,
        role,
        symbols,
        person,
        org,
        acronyms,
        year,
        venue,
        path,
        body,
        source: Source { file, lines, page },
        paragraph,
        page: first_page,
        heading,
        language,
        document,
        citation,
        documents,
    } = section;
    let mut out = String::with_capacity(MARK.len() + 256 + body.len());
    out.push_str(MARK);
    put_text(&mut out, id);
    put_text(&mut out, kind.as_str());
    put_text(&mut out, title);
    put_optional(&mut out, role.as_deref());
    put_texts(&mut out, symbols);
    put_optional(&mut out, person.as_deref());
    put_optional(&mut out, org.as_deref());
    put_texts(&mut out, acronyms);
    match year {
        Some(year) => {
            out.push('+');
            put_number(&mut out, *year);
        }
        None => out.push('-'),
    }
    put_optional(&mut out, venue.as_deref());
    put_texts(&mut out, path);
    put_text(&mut out, file);
    for line in lines {
        put_number(&mut out, *line);
    }
    put_optional_number(&mut out, *page);
    for text in [paragraph, heading, language, document, citation] {
        put_optional(&mut out, text.as_deref());
    }
    put_optional_number(&mut out, *first_page);
    let links: Vec<String> = documents
        .iter()
        .flat_map(|d| {
            [
                d.id.clone(),
                d.language.clone().unwrap_or_default(),
                d.file.clone(),
            ]
        })
        .collect();
    put_texts(&mut out, &links);
    out.push_str(body);
    out
}

/// The section stored in `stored` (this form, or a section stored whole as JSON).
pub fn decode(stored: String) -> Result<Section, String> {
    let with_document_fields = stored.starts_with(MARK);
    if !with_document_fields && !stored.starts_with(MARK_V1) {
        return serde_json::from_str(&stored).map_err(|e| e.to_string());
    }
    let mut r = Reader {
        text: &stored,
        at: MARK.len(),
    };
    let id = r.text()?.to_string();
    let kind_name = r.text()?;
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind_name)
        .ok_or_else(|| format!("unknown kind `{kind_name}`"))?;
    let section = Section {
        id,
        kind,
        title: r.text()?.to_string(),
        role: r.optional()?,
        symbols: r.texts()?,
        person: r.optional()?,
        org: r.optional()?,
        acronyms: r.texts()?,
        year: match r.byte()? {
            b'+' => Some(r.number()?),
            b'-' => None,
            other => return Err(format!("bad year marker {other:#x}")),
        },
        venue: r.optional()?,
        path: r.texts()?,
        source: Source {
            file: r.text()?.to_string(),
            lines: [r.number()?, r.number()?],
            page: None,
        },
        ..Section::new(kind, String::new(), String::new())
    };
    let section = if with_document_fields {
        read_document_fields(&mut r, section)?
    } else {
        section
    };
    let body_start = r.at;
    let mut stored = stored;
    stored.drain(..body_start);
    Ok(Section {
        body: stored,
        ..section
    })
}

/// The fields of the `~2` form after the source lines.
fn read_document_fields(r: &mut Reader<'_>, mut section: Section) -> Result<Section, String> {
    section.source.page = r.optional_number()?;
    section.paragraph = r.optional()?;
    section.heading = r.optional()?;
    section.language = r.optional()?;
    section.document = r.optional()?;
    section.citation = r.optional()?;
    section.page = r.optional_number()?;
    let links = r.texts()?;
    if links.len() % 3 != 0 {
        return Err(format!("bad document link count {}", links.len()));
    }
    section.documents = links
        .chunks(3)
        .map(|link| DocumentLink {
            id: link[0].clone(),
            language: Some(link[1].clone()).filter(|l| !l.is_empty()),
            file: link[2].clone(),
        })
        .collect();
    Ok(section)
}

fn put_optional_number(out: &mut String, n: Option<u32>) {
    match n {
        Some(n) => {
            out.push('+');
            put_number(out, n);
        }
        None => out.push('-'),
    }
}

fn put_text(out: &mut String, text: &str) {
    out.push_str(&text.len().to_string());
    out.push(':');
    out.push_str(text);
}

fn put_optional(out: &mut String, text: Option<&str>) {
    match text {
        Some(text) => {
            out.push('+');
            put_text(out, text);
        }
        None => out.push('-'),
    }
}

fn put_texts(out: &mut String, texts: &[String]) {
    out.push_str(&texts.len().to_string());
    out.push(':');
    for text in texts {
        put_text(out, text);
    }
}

fn put_number(out: &mut String, n: impl ToString) {
    out.push_str(&n.to_string());
    out.push(';');
}

/// Reads a stored section front to back.
struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, String> {
        let byte = *self
            .text
            .as_bytes()
            .get(self.at)
            .ok_or("the stored section ends too early")?;
        self.at += 1;
        Ok(byte)
    }

    /// Digits (and a leading `-`) up to `end`, parsed.
    fn decimal<T: std::str::FromStr>(&mut self, end: u8) -> Result<T, String> {
        let rest = &self.text.as_bytes()[self.at..];
        let len = rest
            .iter()
            .position(|&b| b == end)
            .ok_or("the stored section ends inside a number")?;
        let digits = &self.text[self.at..self.at + len];
        self.at += len + 1;
        digits
            .parse()
            .map_err(|_| format!("bad number `{digits}` in the stored section"))
    }

    fn number<T: std::str::FromStr>(&mut self) -> Result<T, String> {
        self.decimal(b';')
    }

    fn text(&mut self) -> Result<&'a str, String> {
        let len: usize = self.decimal(b':')?;
        let text = self
            .at
            .checked_add(len)
            .and_then(|end| self.text.get(self.at..end))
            .ok_or("a stored text runs past the end or splits a character")?;
        self.at += len;
        Ok(text)
    }

    fn optional(&mut self) -> Result<Option<String>, String> {
        match self.byte()? {
            b'+' => Ok(Some(self.text()?.to_string())),
            b'-' => Ok(None),
            other => Err(format!("bad optional-text marker {other:#x}")),
        }
    }

    fn optional_number(&mut self) -> Result<Option<u32>, String> {
        match self.byte()? {
            b'+' => Ok(Some(self.number()?)),
            b'-' => Ok(None),
            other => Err(format!("bad optional-number marker {other:#x}")),
        }
    }

    fn texts(&mut self) -> Result<Vec<String>, String> {
        let count: usize = self.decimal(b':')?;
        // Each text takes at least two bytes: a count beyond that is damage, not a size.
        if count > self.text.len().saturating_sub(self.at) / 2 {
            return Err(format!("bad text count {count}"));
        }
        (0..count).map(|_| Ok(self.text()?.to_string())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn full_section() -> Section {
        let mut section = Section::new(
            Kind::Report,
            "Trafficking \"in\" persons: 12:34",
            "Line one.\nLine two, with { braces } and a \\ backslash, 3:abc, +-;~1\n",
        );
        section.id = "report-a-hrc-47-34".into();
        section.symbols = vec!["A/HRC/47/34".into(), "A/HRC/47/34/Add.1".into()];
        section.role = Some("Special Rapporteur\non trafficking".into());
        section.person = Some("Siobhán Mullally".into());
        section.acronyms = vec!["GRETA".into(), String::new()];
        section.year = Some(-2021);
        section.venue = Some("Human Rights Council".into());
        section.path = vec!["United Nations".into(), "Ünïcödé ☃".into()];
        section.source = Source {
            file: "dir/file.txt".into(),
            lines: [3, 9],
            page: None,
        };
        section
    }

    fn passage() -> Section {
        let mut section = Section::new(Kind::Passage, "Non-punishment", "12. Victims 3:abc");
        section.symbols = vec!["A/HRC/47/34".into()];
        section.source = Source {
            file: "reports/A_HRC_47_34-EN.pdf".into(),
            lines: [0, 0],
            page: Some(4),
        };
        section.paragraph = Some("12".into());
        section.page = Some(4);
        section.heading = Some("V. Remedies".into());
        section.language = Some("fr".into());
        section.document = Some("document-a-hrc-47-34-en".into());
        section.citation = Some("A/HRC/47/34, para. 12".into());
        section.documents = vec![
            DocumentLink {
                id: "d1".into(),
                language: None,
                file: "a.pdf".into(),
            },
            DocumentLink {
                id: "d2".into(),
                language: Some("fr".into()),
                file: "b.html".into(),
            },
        ];
        section
    }

    #[test]
    fn a_passage_reads_back_whole() {
        let section = passage();
        assert_eq!(decode(encode(&section)).unwrap(), section);
        let json = serde_json::to_string(&section).unwrap();
        assert_eq!(decode(json).unwrap(), section);
    }

    #[test]
    fn the_form_without_document_fields_still_reads() {
        let section = full_section();
        // After the lines: no source page, five absent texts, no page, no links.
        let v1 = encode(&section)
            .replacen("~2", "~1", 1)
            .replacen("3;9;-------0:", "3;9;", 1);
        assert_eq!(decode(v1).unwrap(), section);
    }

    #[test]
    fn a_section_reads_back_whole() {
        let section = full_section();
        let stored = encode(&section);
        assert!(stored.ends_with(&section.body));
        assert_eq!(decode(stored).unwrap(), section);
        let bare = Section::new(Kind::Mandate, "", "");
        assert_eq!(decode(encode(&bare)).unwrap(), bare);
    }

    #[test]
    fn a_section_stored_whole_as_json_reads_back() {
        let section = full_section();
        let json = serde_json::to_string(&section).unwrap();
        assert_eq!(decode(json).unwrap(), section);
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        let stored = encode(&full_section());
        // Every cut of the header (the body is free text, so cuts there still read).
        let header_end = stored.len() - full_section().body.len();
        for end in 0..header_end {
            if stored.is_char_boundary(end) {
                assert!(decode(stored[..end].to_string()).is_err(), "{end}");
            }
        }
        for bad in [
            "~1",
            "~2",
            "~1x:",
            "~199999999999:a",
            "~12:idé",
            "{",
            "~118446744073709551615:",
        ] {
            assert!(decode(bad.to_string()).is_err(), "{bad}");
        }
        let wrong_kind = encode(&full_section()).replacen("6:report", "6:rapprt", 1);
        assert!(decode(wrong_kind).unwrap_err().contains("kind"));
    }

    proptest! {
        #[test]
        fn any_section_reads_back(
            title in ".{0,20}",
            body in ".{0,60}",
            role in proptest::option::of(".{0,10}"),
            symbols in proptest::collection::vec("[0-9:+;~-]{0,6}", 0..4),
            year in proptest::option::of(any::<i64>()),
            lines in any::<[usize; 2]>(),
        ) {
            let mut section = Section::new(Kind::Overview, title, body);
            section.role = role;
            section.symbols = symbols;
            section.year = year;
            section.source.lines = lines;
            prop_assert_eq!(decode(encode(&section)).unwrap(), section);
        }

        #[test]
        fn arbitrary_stored_text_never_panics(text in "~1[0-9:+;~a-z-]{0,40}") {
            let _ = decode(text);
        }
    }
}
