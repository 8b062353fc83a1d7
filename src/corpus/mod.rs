//! The corpus: loading a directory of text, Markdown, JSONL, PDF and HTML files into
//! [`Section`]s.
//!
//! Pure Rust, no search engine here: what the index is fed is decided in this module.

pub mod cache;
mod directory;
pub mod document;
pub mod html;
mod jsonl;
mod link;
mod markdown;
pub mod pdf;
mod section;
pub mod stream;
pub mod symbol;
pub mod text;
pub mod walk;

pub use section::{normalize_whitespace, slug, DocumentLink, Kind, Section, Source, Warning};
pub use walk::{corpus_fingerprint, LoadOptions};

use crate::error::{Error, Result};
use crate::files;
use std::io::Read;
use std::path::Path;

/// Everything loaded from a corpus directory.
#[derive(Debug, Default)]
pub struct Corpus {
    /// Sections of every file, files in sorted order, ids unique.
    pub sections: Vec<Section>,
    /// What the parsers could not classify, and skipped files.
    pub warnings: Vec<Warning>,
    /// Files that could not be loaded (malformed or unreadable); other files are unaffected.
    pub errors: Vec<Error>,
    /// Files read, relative to the corpus directory.
    pub files: Vec<String>,
    /// The corpus's own glossary text (`glossary.toml`), if it has one.
    pub glossary: Option<String>,
    /// Fingerprint of the files as they were read (see [`walk::corpus_fingerprint`]).
    pub fingerprint: String,
}

/// File names in a corpus directory that are not sections (read by other modules).
pub const NON_SECTION_FILES: [&str; 1] = ["glossary.toml"];

/// Largest glossary file read.
const MAX_GLOSSARY_BYTES: u64 = 16 << 20;

/// Reads every file under `dir` (sorted, recursive) into sections, with the default
/// [`LoadOptions`].
///
/// Fails only when the directory itself cannot be read; a bad file is recorded in
/// [`Corpus::errors`] and the other files still load.
pub fn load(dir: &Path) -> Result<Corpus> {
    load_with(dir, &LoadOptions::default())
}

/// [`load`] with explicit options (links, size limits).
///
/// Files are read on a few threads at once (a PDF's extraction is slow next to
/// parsing text); their sections are gathered in the files' order ([`stream::stream`]).
pub fn load_with(dir: &Path, options: &LoadOptions) -> Result<Corpus> {
    let mut sections: Vec<(u64, Section)> = Vec::new();
    let streamed = stream::stream(dir, options, stream::OnError::Continue, &mut |ord, s| {
        sections.push((ord, s));
        Ok(())
    })?;
    sections.sort_by_key(|(ord, _)| *ord);
    Ok(streamed.into_corpus(sections.into_iter().map(|(_, s)| s).collect()))
}

/// What reading one file gave.
enum Outcome {
    Glossary(String),
    Loaded(FileLoad),
    Failed(Error),
    /// Nothing read: the survey of the corpus knows the file ([`stream`]).
    Surveyed,
}

/// Threads reading files at once.
fn reader_threads(files: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    cores.min(files).max(1)
}

/// One file: its stamp (taken from the open file before reading it) and what it gave.
fn read_one(dir: &Path, file: &walk::CorpusFile, options: &LoadOptions) -> (String, Outcome) {
    let (handle, meta) = match files::open_regular(&file.path, file.follow) {
        Ok(opened) => opened,
        Err(e) => {
            return (
                format!("{}\0unreadable", file.rel),
                Outcome::Failed(Error::io(dir.join(&file.rel), e)),
            )
        }
    };
    let stamp = walk::stamp(&file.rel, &meta);
    if NON_SECTION_FILES.contains(&file.rel.as_str()) {
        let outcome = match files::read_bounded(handle, MAX_GLOSSARY_BYTES) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Outcome::Glossary(text),
                Err(_) => Outcome::Failed(Error::Corpus {
                    file: file.rel.clone(),
                    line: 1,
                    message: "not valid UTF-8 text".into(),
                }),
            },
            Err(e) => Outcome::Failed(Error::io(dir.join(&file.rel), e)),
        };
        return (stamp, outcome);
    }
    let outcome = match read_opened(handle, &file.rel, options) {
        Ok(load) => Outcome::Loaded(load),
        Err(e) => Outcome::Failed(e),
    };
    (stamp, outcome)
}

/// Parses one file's text by its extension; `None` for an extension tipdex does not read.
pub fn parse_file(rel: &str, text: &str) -> Option<Result<(Vec<Section>, Vec<Warning>)>> {
    let ext = Path::new(rel)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let parsed = match ext.as_deref() {
        Some("txt") => {
            let p = directory::parse(rel, text);
            Ok((p.sections, p.warnings))
        }
        Some("md" | "markdown") => Ok((markdown::parse(rel, text), Vec::new())),
        Some("jsonl" | "ndjson") => jsonl::parse(rel, text).map(|s| (s, Vec::new())),
        _ => return None,
    };
    Some(parsed)
}

enum FileLoad {
    Sections(Vec<Section>, Vec<Warning>),
    Skipped(Warning),
    /// A JSON Lines file, opened and checked for size, to be read a line at a time
    /// ([`each_jsonl_section`]).
    Stream(std::fs::File),
}

fn read_opened(handle: std::fs::File, rel: &str, options: &LoadOptions) -> Result<FileLoad> {
    let skipped = |message: String| {
        FileLoad::Skipped(Warning {
            file: rel.to_string(),
            line: 0,
            message,
        })
    };
    let ext = Path::new(rel)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let too_large = |size: u64| Error::Corpus {
        file: rel.to_string(),
        line: 0,
        message: format!(
            "cannot be read: {} is larger than the limit of {}",
            files::human_bytes(size),
            files::human_bytes(options.max_file_bytes)
        ),
    };
    let parsed = match ext.as_deref() {
        Some("jsonl" | "ndjson") => {
            let size = handle.metadata().map_or(0, |m| m.len());
            if size > options.max_file_bytes {
                return Err(too_large(size));
            }
            return Ok(FileLoad::Stream(handle));
        }
        Some("pdf") => {
            let bytes = read_bytes(handle, rel, options)?;
            return Ok(read_pdf(&bytes, rel, options));
        }
        Some("html" | "htm" | "xhtml") => {
            let bytes = read_bytes(handle, rel, options)?;
            return Ok(read_html(&bytes, rel, options));
        }
        Some("txt" | "md" | "markdown") => {
            let text = read_text(handle, rel, options)?;
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            match parse_file(rel, text) {
                Some(parsed) => parsed,
                None => unreachable!("a text or Markdown file"),
            }
        }
        _ => {
            return Ok(skipped(
                "skipped: unknown file extension (expected .txt, .md, .jsonl, .pdf or .html)"
                    .into(),
            ))
        }
    };
    let (mut sections, mut warnings) = parsed?;
    cut_long_bodies(&mut sections, options.max_section_bytes, &mut warnings);
    Ok(FileLoad::Sections(sections, warnings))
}

/// The bytes of a file, at most `options.max_file_bytes`.
fn read_bytes(handle: std::fs::File, rel: &str, options: &LoadOptions) -> Result<Vec<u8>> {
    files::read_bounded(handle, options.max_file_bytes).map_err(|e| Error::Corpus {
        file: rel.to_string(),
        line: 0,
        message: format!("cannot be read: {e}"),
    })
}

/// A warning about a whole file.
fn file_warning(rel: &str, message: String) -> Warning {
    Warning {
        file: rel.to_string(),
        line: 0,
        message,
    }
}

/// A PDF's document and passages; a file that cannot be read is a warning, not an error.
fn read_pdf(bytes: &[u8], rel: &str, options: &LoadOptions) -> FileLoad {
    let text = match options.extraction_cache.as_ref() {
        Some(cache) => cache.pdf(bytes, &options.pdf_extractor),
        None => pdf::read(bytes, &options.pdf_extractor),
    };
    match text {
        Ok(pdf::PdfText::Text(extracted)) => {
            document_sections(&extracted, rel, options, Vec::new())
        }
        Ok(pdf::PdfText::Scanned { pages }) => {
            let warning = file_warning(
                rel,
                format!(
                    "has no text layer ({pages} page(s) of images: a scan?): indexed as a document                      without passages; make its text searchable with OCR, e.g. `ocrmypdf {rel} OUT.pdf`"
                ),
            );
            let extracted = document::Extracted {
                pages,
                paged: true,
                ..Default::default()
            };
            document_sections(&extracted, rel, options, vec![warning])
        }
        Err(message) => FileLoad::Skipped(file_warning(rel, format!("skipped: {message}"))),
    }
}

/// An HTML page's document and passages.
fn read_html(bytes: &[u8], rel: &str, options: &LoadOptions) -> FileLoad {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_lowercase();
    if memchr::memchr(0, &bytes[..bytes.len().min(1024)]).is_some() || !head.contains('<') {
        return FileLoad::Skipped(file_warning(
            rel,
            "skipped: is not an HTML page (no markup at its start): is the extension right?".into(),
        ));
    }
    let text = String::from_utf8_lossy(bytes);
    let extracted = html::read(&text);
    document_sections(&extracted, rel, options, Vec::new())
}

fn document_sections(
    extracted: &document::Extracted,
    rel: &str,
    options: &LoadOptions,
    mut warnings: Vec<Warning>,
) -> FileLoad {
    let analyzed = document::analyze(rel, extracted);
    let mut sections = document::sections(rel, extracted, &analyzed);
    cut_long_bodies(&mut sections, options.max_section_bytes, &mut warnings);
    FileLoad::Sections(sections, warnings)
}

/// The whole text of a file, at most `options.max_file_bytes`, checked to be UTF-8.
fn read_text(handle: std::fs::File, rel: &str, options: &LoadOptions) -> Result<String> {
    let bytes = files::read_bounded(handle, options.max_file_bytes).map_err(|e| Error::Corpus {
        file: rel.to_string(),
        line: 0,
        message: format!("cannot be read: {e}"),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let line = e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        Error::Corpus {
            file: rel.to_string(),
            line,
            message: "not valid UTF-8 text".into(),
        }
    })
}

/// Reads one corpus file on its own (a file of a corpus directory, or a JSON Lines file
/// given by path): its sections, ids unassigned, and its warnings.
pub fn load_file(path: &Path, options: &LoadOptions) -> Result<(Vec<Section>, Vec<Warning>)> {
    let rel = path.file_name().map_or_else(
        || "corpus".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let (handle, _) =
        files::open_regular(path, options.follow_links).map_err(|e| Error::io(path, e))?;
    match read_opened(handle, &rel, options)? {
        FileLoad::Sections(sections, warnings) => Ok((sections, warnings)),
        FileLoad::Stream(handle) => {
            let (mut sections, mut warnings) = (Vec::new(), Vec::new());
            each_jsonl_section(handle, &rel, options, &mut warnings, &mut |section| {
                sections.push(section);
                Ok(())
            })?;
            Ok((sections, warnings))
        }
        FileLoad::Skipped(warning) => Err(Error::Corpus {
            file: rel,
            line: 0,
            message: warning.message,
        }),
    }
}

/// Cuts bodies longer than `max` bytes at a character boundary, with a warning each.
fn cut_long_bodies(sections: &mut [Section], max: usize, warnings: &mut Vec<Warning>) {
    warnings.extend(sections.iter_mut().filter_map(|s| cut_long_body(s, max)));
}

/// Cuts a body longer than `max` bytes at a character boundary, and says so.
fn cut_long_body(section: &mut Section, max: usize) -> Option<Warning> {
    if section.body.len() <= max {
        return None;
    }
    let mut end = max;
    while !section.body.is_char_boundary(end) {
        end -= 1;
    }
    let length = section.body.len();
    section.body.truncate(end);
    Some(Warning {
        file: section.source.file.clone(),
        line: section.source.lines[0],
        message: format!(
            "section `{}` is {} long: its text was cut at the limit of {}",
            section.title.chars().take(60).collect::<String>(),
            files::human_bytes(length as u64),
            files::human_bytes(max as u64)
        ),
    })
}

/// Reads an opened JSON Lines file a line at a time, each section (its body cut to
/// the limit, a warning in `warnings` then) to `each`; stops at the first malformed
/// line or error of `each`.
fn each_jsonl_section(
    handle: std::fs::File,
    rel: &str,
    options: &LoadOptions,
    warnings: &mut Vec<Warning>,
    each: &mut dyn FnMut(Section) -> Result<()>,
) -> Result<()> {
    let reader = std::io::BufReader::with_capacity(1 << 16, handle.take(options.max_file_bytes));
    jsonl::for_each_section(rel, reader, &mut |mut section| {
        warnings.extend(cut_long_body(&mut section, options.max_section_bytes));
        each(section)
    })
}

/// Gives every section a readable id, unique across the corpus; ids given by a file are kept.
pub fn assign_ids(sections: &mut [Section]) {
    let mut ids = stream::Ids::default();
    for section in sections.iter_mut() {
        ids.assign(section);
    }
}

fn id_key(section: &Section) -> String {
    let key = match section.kind {
        Kind::Report if !section.symbols.is_empty() => slug(&section.symbols[0]),
        Kind::Mandate if section.person.is_some() => slug(section.person.as_deref().unwrap_or("")),
        Kind::Organization => match section.acronyms.first() {
            Some(a) if section.title.contains(a.as_str()) => slug(a),
            _ => slug(section.org.as_deref().unwrap_or(&section.title)),
        },
        _ => {
            let words: Vec<&str> = section.title.split_whitespace().take(6).collect();
            slug(&words.join(" "))
        }
    };
    if key.is_empty() {
        "untitled".to_string()
    } else {
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_readable() {
        let mut s = vec![
            Section::new(Kind::Overview, "Same title", "a"),
            Section::new(Kind::Overview, "Same title", "b"),
            Section::new(Kind::Report, "", "c"),
        ];
        s[2].symbols = vec!["A/HRC/47/34".into()];
        assign_ids(&mut s);
        assert_eq!(s[0].id, "overview-same-title");
        assert_eq!(s[1].id, "overview-same-title-2");
        assert_eq!(s[2].id, "report-a-hrc-47-34");
    }
}
