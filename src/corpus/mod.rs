//! The corpus: loading a directory of text, Markdown and JSONL files into [`Section`]s.
//!
//! Pure Rust, no search engine here: what the index is fed is decided in this module.

mod directory;
mod jsonl;
mod markdown;
mod section;
pub mod symbol;
pub mod text;

pub use section::{fold_char, normalize_whitespace, slug, Kind, Section, Source, Warning};

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

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
}

/// File names in a corpus directory that are not sections (read by other modules).
pub const NON_SECTION_FILES: [&str; 1] = ["glossary.toml"];

/// Reads every file under `dir` (sorted, recursive) into sections.
///
/// Fails only when the directory itself cannot be read; a bad file is recorded in
/// [`Corpus::errors`] and the other files still load.
pub fn load(dir: &Path) -> Result<Corpus> {
    let meta = std::fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
    if !meta.is_dir() {
        return Err(Error::CorpusDir {
            path: dir.to_path_buf(),
            message: "not a directory".into(),
        });
    }
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    let mut corpus = Corpus::default();
    for path in files {
        let rel = relative(dir, &path);
        if NON_SECTION_FILES.contains(&rel.as_str()) {
            continue;
        }
        match load_file(&path, &rel) {
            Ok(FileLoad::Sections(sections, warnings)) => {
                corpus.sections.extend(sections);
                corpus.warnings.extend(warnings);
                corpus.files.push(rel);
            }
            Ok(FileLoad::Skipped(warning)) => corpus.warnings.push(warning),
            Err(e) => corpus.errors.push(e),
        }
    }
    assign_ids(&mut corpus.sections);
    Ok(corpus)
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
}

fn load_file(path: &Path, rel: &str) -> Result<FileLoad> {
    let skipped = |message: String| {
        FileLoad::Skipped(Warning {
            file: rel.to_string(),
            line: 0,
            message,
        })
    };
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = e.as_bytes()[..e.utf8_error().valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            return Err(Error::Corpus {
                file: rel.to_string(),
                line,
                message: "not valid UTF-8 text".into(),
            });
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    match parse_file(rel, text) {
        Some(Ok((sections, warnings))) => Ok(FileLoad::Sections(sections, warnings)),
        Some(Err(e)) => Err(e),
        None => Ok(skipped(
            "skipped: unknown file extension (expected .txt, .md or .jsonl)".into(),
        )),
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let file_type = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if file_type.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn relative(dir: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Gives every section a readable id, unique across the corpus; ids given by a file are kept.
pub fn assign_ids(sections: &mut [Section]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for section in sections.iter_mut() {
        let base = if section.id.trim().is_empty() {
            format!("{}-{}", section.kind, id_key(section))
        } else {
            section.id.trim().to_string()
        };
        let count = seen.entry(base.clone()).or_insert(0);
        *count += 1;
        section.id = if *count == 1 {
            base
        } else {
            format!("{base}-{count}")
        };
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
