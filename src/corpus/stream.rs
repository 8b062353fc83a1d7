//! A corpus read as a stream: files read a few at a time on worker threads and their
//! sections handed on in corpus order, with ids and links, so that no more of a corpus
//! than a few files is ever held (a JSON Lines file is read a line at a time).
//!
//! Two passes: a survey of the files that can hold reports (text, Markdown and JSON
//! Lines), which checks them and gathers the reports' symbols, then the pass that reads
//! everything and hands sections on. A file changed between the two is an error.

use super::link::{Arrival, Linker, ReportTable};
use super::{
    each_jsonl_section, id_key, read_one, walk, FileLoad, Kind, LoadOptions, Outcome, Section,
    Warning, NON_SECTION_FILES,
};
use crate::error::{Error, Result};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Condvar, Mutex, PoisonError};

/// What reading a corpus gave besides its sections.
#[derive(Debug, Default)]
pub struct Streamed {
    /// What the parsers could not classify, and skipped files.
    pub warnings: Vec<Warning>,
    /// Files that could not be loaded. Sections of a file that failed part-way (changed
    /// while it was read) may have been handed on: a corpus with errors is not indexed.
    pub errors: Vec<Error>,
    /// Files read, relative to the corpus directory.
    pub files: Vec<String>,
    /// The corpus's own glossary text (`glossary.toml`), if it has one.
    pub glossary: Option<String>,
    /// Fingerprint of the files as they were read (see [`walk::corpus_fingerprint`]).
    pub fingerprint: String,
    /// Sections handed on.
    pub sections: usize,
}

impl Streamed {
    /// The corpus these sections were read with.
    pub fn into_corpus(self, sections: Vec<Section>) -> super::Corpus {
        super::Corpus {
            sections,
            warnings: self.warnings,
            errors: self.errors,
            files: self.files,
            glossary: self.glossary,
            fingerprint: self.fingerprint,
        }
    }
}

/// Whether reading goes on after a file that could not be loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Read every file and report every error.
    Continue,
    /// Stop at the first error the survey left (every text file's error is still told).
    Stop,
}

/// Where sections go: each with its place in corpus order.
pub type Sink<'a> = dyn FnMut(u64, Section) -> Result<()> + 'a;

/// Reads the corpus at `dir`, handing every section to `sink` with its place in corpus
/// order. Most sections are handed on in that order; reports (which gather the documents
/// of their symbol) and passages whose document comes later follow at the end.
///
/// Fails when the directory cannot be read or `sink` fails; a bad file is recorded in
/// [`Streamed::errors`].
pub fn stream(
    dir: &Path,
    options: &LoadOptions,
    on_error: OnError,
    sink: &mut Sink,
) -> Result<Streamed> {
    stream_walked(dir, walk::walk(dir, options)?, options, on_error, sink)
}

/// [`stream`] of the files a walk of `dir` found (for a caller that looked at them
/// first, to size its writer say).
pub fn stream_walked(
    dir: &Path,
    walked: walk::Walk,
    options: &LoadOptions,
    on_error: OnError,
    sink: &mut Sink,
) -> Result<Streamed> {
    let survey = survey(dir, &walked.files, options);
    let mut out = Streamed {
        warnings: walked.warnings,
        ..Streamed::default()
    };
    let survey_failed = survey
        .files
        .iter()
        .any(|s| matches!(s, Surveyed::Failed(..)));
    if on_error == OnError::Stop && survey_failed {
        for surveyed in survey.files {
            if let Surveyed::Failed(_, e) = surveyed {
                out.errors.push(e);
            }
        }
        return Ok(out);
    }
    let mut gather = Gatherer {
        linker: Linker::new(survey.table),
        ids: Ids::default(),
        next_ord: 0,
        reports: Vec::new(),
        waiting: Vec::new(),
        documents_possible: survey.documents_possible,
        sink,
        handed: 0,
    };
    let mut stamps = Vec::with_capacity(walked.files.len());
    let mut surveyed = survey.files;
    let threads = super::reader_threads(walked.files.len());
    let mut failure: Option<Error> = None;
    let read_ahead: Vec<bool> = surveyed.iter().map(surveyed_read_ahead).collect();
    read_in_order(
        walked.files.len(),
        threads,
        READ_AHEAD_PER_THREAD * threads,
        &|i| {
            if read_ahead[i] {
                read_one(dir, &walked.files[i], options)
            } else {
                (String::new(), Outcome::Surveyed)
            }
        },
        &mut |i, (stamp, outcome)| {
            let file = &walked.files[i];
            let errors_before = out.errors.len();
            let result = take_file(
                std::mem::replace(&mut surveyed[i], Surveyed::Taken),
                (stamp, outcome),
                file,
                options,
                &mut stamps,
                &mut out,
                &mut gather,
            );
            if let Err(e) = result {
                failure = Some(e);
                return false;
            }
            on_error == OnError::Continue || out.errors.len() == errors_before
        },
    );
    if let Some(e) = failure {
        return Err(e);
    }
    out.fingerprint = walk::fingerprint(stamps);
    out.sections = gather.finish()?;
    Ok(out)
}

/// Files read ahead of the one being handed on, per reading thread.
const READ_AHEAD_PER_THREAD: usize = 4;

/// Whether a worker reads the file (the survey read the glossary, and a file it could
/// not load is not read again).
fn surveyed_read_ahead(surveyed: &Surveyed) -> bool {
    matches!(surveyed, Surveyed::NotText | Surveyed::Text)
}

/// Hands on one file's sections (or records why it gave none); `Err` only when the
/// sink failed.
fn take_file(
    surveyed: Surveyed,
    (stamp, outcome): (String, Outcome),
    file: &walk::CorpusFile,
    options: &LoadOptions,
    stamps: &mut Vec<String>,
    out: &mut Streamed,
    gather: &mut Gatherer,
) -> Result<()> {
    match surveyed {
        Surveyed::Glossary(stamp, text) => {
            stamps.push(stamp);
            match text {
                Ok(text) => out.glossary = Some(text),
                Err(e) => out.errors.push(e),
            }
            return Ok(());
        }
        Surveyed::Failed(stamp, e) => {
            stamps.push(stamp);
            out.errors.push(e);
            return Ok(());
        }
        // A file changed since the survey is read as it is now, and its new stamp
        // recorded; only its reports must be the ones the survey saw (checked as they
        // arrive).
        _ => stamps.push(stamp),
    }
    match outcome {
        Outcome::Loaded(FileLoad::Sections(sections, warnings)) => {
            for section in sections {
                gather.arrive(section)?;
            }
            out.warnings.extend(warnings);
            out.files.push(file.rel.clone());
        }
        Outcome::Loaded(FileLoad::Skipped(warning)) => out.warnings.push(warning),
        Outcome::Loaded(FileLoad::Stream(handle)) => {
            let mut sink_failed = false;
            let read =
                each_jsonl_section(handle, &file.rel, options, &mut out.warnings, &mut |s| {
                    gather.arrive(s).inspect_err(|_| sink_failed = true)
                });
            match read {
                Ok(()) => out.files.push(file.rel.clone()),
                Err(e) if sink_failed => return Err(e),
                Err(e) => out.errors.push(e),
            }
        }
        Outcome::Failed(e) => out.errors.push(e),
        Outcome::Glossary(_) | Outcome::Surveyed => {}
    }
    Ok(())
}

fn changed_while_read(rel: &str) -> Error {
    Error::Corpus {
        file: rel.to_string(),
        line: 0,
        message: "changed while the corpus was being read; run the build again".into(),
    }
}

/// Gives sections their ids and links and hands them on; keeps those that wait.
struct Gatherer<'s, 'a> {
    linker: Linker,
    ids: Ids,
    next_ord: u64,
    /// Reports, with their place and their number among the reports.
    reports: Vec<(u64, usize, Section)>,
    /// Passages whose document had not arrived, with their place.
    waiting: Vec<(u64, Section)>,
    /// Whether the corpus may hold documents (else reports need not wait for them).
    documents_possible: bool,
    sink: &'s mut Sink<'a>,
    handed: usize,
}

impl Gatherer<'_, '_> {
    fn arrive(&mut self, section: Section) -> Result<()> {
        let ord = self.next_ord;
        self.next_ord += 1;
        match self.linker.arrive(section) {
            Arrival::Ready(mut section) => {
                self.ids.assign(&mut section);
                self.hand_on(ord, section)?;
            }
            Arrival::Report(n, mut section) => {
                if !self.linker.is_consistent(n, &section) {
                    return Err(changed_while_read(&section.source.file));
                }
                self.ids.assign(&mut section);
                if self.documents_possible {
                    self.reports.push((ord, n, section));
                } else {
                    self.hand_on(ord, section)?;
                }
            }
            Arrival::Waiting(mut section) => {
                self.ids.assign(&mut section);
                self.waiting.push((ord, section));
            }
        }
        Ok(())
    }

    fn hand_on(&mut self, ord: u64, section: Section) -> Result<()> {
        self.handed += 1;
        (self.sink)(ord, section)
    }

    /// Hands on what waited for every document; the number of sections handed on.
    fn finish(mut self) -> Result<usize> {
        if !self.linker.every_report_arrived() {
            return Err(changed_while_read("a file holding reports"));
        }
        for (ord, n, mut report) in std::mem::take(&mut self.reports) {
            self.linker.finish_report(n, &mut report);
            self.hand_on(ord, report)?;
        }
        for (ord, mut passage) in std::mem::take(&mut self.waiting) {
            self.linker.finish_passage(&mut passage);
            self.hand_on(ord, passage)?;
        }
        Ok(self.handed)
    }
}

/// Ids unique across a corpus, given in corpus order: a repeated id (given by a file or
/// made from a title) is numbered (`-2`, `-3`, …).
#[derive(Debug, Default)]
pub struct Ids {
    seen: HashMap<String, usize>,
}

impl Ids {
    /// Gives the next section of the corpus its id.
    pub fn assign(&mut self, section: &mut Section) {
        let base = if section.id.trim().is_empty() {
            format!("{}-{}", section.kind, id_key(section))
        } else {
            section.id.trim().to_string()
        };
        let count = match self.seen.get_mut(&base) {
            Some(count) => {
                *count += 1;
                *count
            }
            None => {
                self.seen.insert(base.clone(), 1);
                1
            }
        };
        section.id = if count == 1 {
            base
        } else {
            format!("{base}-{count}")
        };
    }
}

/// What the survey found of one file.
#[derive(Debug)]
enum Surveyed {
    /// Not a file that can hold reports: read in the second pass only.
    NotText,
    /// A text, Markdown or JSON Lines file that loaded.
    Text,
    /// The glossary, with its stamp.
    Glossary(String, Result<String>),
    /// A file that could not be loaded, with its stamp.
    Failed(String, Error),
    /// Already handed on.
    Taken,
}

/// The survey of a corpus: each file's state, and the reports.
struct Survey {
    files: Vec<Surveyed>,
    table: ReportTable,
    /// Whether a document may come: a text file holds one, or there are document files.
    documents_possible: bool,
}

/// Reads the text, Markdown and JSON Lines files (the ones that can hold reports) and
/// the glossary (checked), keeping only the reports' symbols and what they pass on.
fn survey(dir: &Path, corpus_files: &[walk::CorpusFile], options: &LoadOptions) -> Survey {
    let mut table = ReportTable::default();
    let mut documents_possible = corpus_files.iter().any(|f| is_document_file(&f.rel));
    let files = corpus_files
        .iter()
        .map(|file| survey_file(dir, file, options, &mut table, &mut documents_possible))
        .collect();
    Survey {
        files,
        table,
        documents_possible,
    }
}

fn survey_file(
    dir: &Path,
    file: &walk::CorpusFile,
    options: &LoadOptions,
    table: &mut ReportTable,
    documents: &mut bool,
) -> Surveyed {
    if NON_SECTION_FILES.contains(&file.rel.as_str()) {
        return match read_one(dir, file, options) {
            (stamp, Outcome::Glossary(text)) => {
                let name = dir.join(&file.rel).display().to_string();
                match crate::glossary::Glossary::parse(&text, &name) {
                    Ok(_) => Surveyed::Glossary(stamp, Ok(text)),
                    Err(e) => Surveyed::Failed(stamp, e),
                }
            }
            (stamp, Outcome::Failed(e)) => Surveyed::Glossary(stamp, Err(e)),
            (stamp, _) => Surveyed::Glossary(stamp, Err(changed_while_read(&file.rel))),
        };
    }
    if !can_hold_reports(&file.rel) {
        return Surveyed::NotText;
    }
    let (stamp, outcome) = read_one(dir, file, options);
    let read = match outcome {
        Outcome::Loaded(FileLoad::Sections(sections, _)) => {
            for section in &sections {
                note_for_links(section, table, documents);
            }
            Ok(())
        }
        Outcome::Loaded(FileLoad::Stream(handle)) => {
            let mut warnings = Vec::new(); // told by the second pass
            each_jsonl_section(handle, &file.rel, options, &mut warnings, &mut |section| {
                note_for_links(&section, table, documents);
                Ok(())
            })
        }
        Outcome::Failed(e) => Err(e),
        Outcome::Loaded(FileLoad::Skipped(_)) | Outcome::Glossary(_) | Outcome::Surveyed => Ok(()),
    };
    match read {
        Ok(()) => Surveyed::Text,
        Err(e) => Surveyed::Failed(stamp, e),
    }
}

/// What linking needs to know of a section before the second pass: reports, and
/// whether documents exist.
fn note_for_links(section: &Section, table: &mut ReportTable, documents: &mut bool) {
    match section.kind {
        Kind::Report => table.add(section),
        Kind::Document => *documents = true,
        _ => {}
    }
}

/// Whether a file of this name is read as a document (a PDF or an HTML page).
fn is_document_file(rel: &str) -> bool {
    let ext = Path::new(rel)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    matches!(ext.as_deref(), Some("pdf" | "html" | "htm" | "xhtml"))
}

/// Whether a file of this name can hold reports (documents never do).
fn can_hold_reports(rel: &str) -> bool {
    let ext = Path::new(rel)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    matches!(
        ext.as_deref(),
        Some("txt" | "md" | "markdown" | "jsonl" | "ndjson")
    )
}

/// Runs `read` over `0..n` on `threads` threads, at most `window` items ahead of the
/// consumer, and hands the results to `consume` in order until it returns `false`.
/// A panic on any thread ends the others and is raised again here.
fn read_in_order<T: Send>(
    n: usize,
    threads: usize,
    window: usize,
    read: &(dyn Fn(usize) -> T + Sync),
    consume: &mut dyn FnMut(usize, T) -> bool,
) {
    struct State<T> {
        next: usize,
        consumed: usize,
        done: BTreeMap<usize, T>,
        stop: bool,
        panic: Option<Box<dyn std::any::Any + Send>>,
    }
    let state = Mutex::new(State {
        next: 0,
        consumed: 0,
        done: BTreeMap::new(),
        stop: false,
        panic: None,
    });
    let changed = Condvar::new();
    let lock = || state.lock().unwrap_or_else(PoisonError::into_inner);
    let wait = |guard| changed.wait(guard).unwrap_or_else(PoisonError::into_inner);
    let stop_with = |panic: Option<Box<dyn std::any::Any + Send>>| {
        let mut s = lock();
        s.stop = true;
        if s.panic.is_none() {
            s.panic = panic;
        }
        changed.notify_all();
    };
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let i = {
                    let mut s = lock();
                    loop {
                        if s.stop || s.next >= n {
                            return;
                        }
                        if s.next < s.consumed + window.max(1) {
                            break;
                        }
                        s = wait(s);
                    }
                    s.next += 1;
                    s.next - 1
                };
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read(i))) {
                    Ok(result) => {
                        let mut s = lock();
                        s.done.insert(i, result);
                        changed.notify_all();
                    }
                    Err(panic) => return stop_with(Some(panic)),
                }
            });
        }
        let consumed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for i in 0..n {
                let result = {
                    let mut s = lock();
                    loop {
                        if s.panic.is_some() {
                            return;
                        }
                        if let Some(result) = s.done.remove(&i) {
                            s.consumed = i + 1;
                            changed.notify_all();
                            break result;
                        }
                        s = wait(s);
                    }
                };
                if !consume(i, result) {
                    return;
                }
            }
        }));
        stop_with(consumed.err());
    });
    let panic = lock().panic.take();
    if let Some(panic) = panic {
        std::panic::resume_unwind(panic);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_order_whatever_the_threads() {
        for threads in [1, 2, 5] {
            let mut seen = Vec::new();
            read_in_order(50, threads, 3, &|i| i * 2, &mut |i, v| {
                seen.push((i, v));
                true
            });
            assert_eq!(seen, (0..50).map(|i| (i, i * 2)).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_consumer_can_stop_early() {
        let mut seen = 0;
        read_in_order(1000, 2, 4, &|i| i, &mut |i, _| {
            seen += 1;
            i < 9
        });
        assert_eq!(seen, 10);
    }

    #[test]
    fn a_panicking_reader_ends_the_reading_and_is_raised_again() {
        let caught = std::panic::catch_unwind(|| {
            read_in_order(100, 2, 4, &|i| assert!(i != 7, "file 7"), &mut |_, ()| true);
        });
        assert!(caught.is_err());
    }

    #[test]
    fn repeated_ids_are_numbered_in_corpus_order() {
        let mut ids = Ids::default();
        let mut a = Section::new(Kind::Overview, "Same title", "a");
        let mut b = Section::new(Kind::Overview, "Same title", "b");
        let mut c = Section::new(Kind::Passage, "x", "c");
        c.id = " given ".into();
        let mut d = Section::new(Kind::Passage, "x", "d");
        d.id = "given".into();
        for s in [&mut a, &mut b, &mut c, &mut d] {
            ids.assign(s);
        }
        assert_eq!(
            [a.id, b.id, c.id, d.id],
            [
                "overview-same-title",
                "overview-same-title-2",
                "given",
                "given-2"
            ]
        );
    }

    fn corpus(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    fn streamed(dir: &Path, on_error: OnError) -> (Vec<(u64, Section)>, Streamed) {
        let mut handed = Vec::new();
        let out = stream(dir, &LoadOptions::default(), on_error, &mut |ord, s| {
            handed.push((ord, s));
            Ok(())
        })
        .unwrap();
        (handed, out)
    }

    #[test]
    fn a_malformed_line_stops_the_stream_before_anything_is_handed_on() {
        let dir = corpus(&[
            ("a.jsonl", "{\"title\":\"a\",\"body\":\"b\"}\n"),
            (
                "b.jsonl",
                "{\"title\":\"a\",\"body\":\"b\"}\n\n{\"title\":1}\n",
            ),
        ]);
        let (handed, out) = streamed(dir.path(), OnError::Stop);
        assert!(handed.is_empty());
        assert_eq!(out.errors.len(), 1);
        let error = out.errors[0].to_string();
        assert!(error.contains("b.jsonl") && error.contains('3'), "{error}");
        let (handed, out) = streamed(dir.path(), OnError::Continue);
        assert_eq!((handed.len(), out.errors.len()), (1, 1));
    }

    #[test]
    fn documents_before_their_report_are_linked_and_the_report_comes_last() {
        let dir = corpus(&[
            (
                "a.jsonl",
                concat!(
                    r#"{"kind":"document","id":"d","title":"T","body":"","symbols":["A/76/263"]}"#,
                    "\n",
                    r#"{"kind":"passage","title":"T","body":"12. Text","document":"d"}"#,
                    "\n",
                    r#"{"kind":"overview","title":"T","body":"x"}"#,
                    "\n"
                ),
            ),
            (
                "b.jsonl",
                r#"{"title":"Report","body":"r","symbols":["A/76/263"],"person":"P"}"#,
            ),
        ]);
        let (handed, out) = streamed(dir.path(), OnError::Stop);
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let order: Vec<(u64, Kind)> = handed.iter().map(|(o, s)| (*o, s.kind)).collect();
        assert_eq!(
            order,
            [
                (0, Kind::Document),
                (1, Kind::Passage),
                (2, Kind::Overview),
                (3, Kind::Report)
            ]
        );
        assert_eq!(handed[0].1.person.as_deref(), Some("P"));
        assert_eq!(handed[1].1.person.as_deref(), Some("P"));
        assert_eq!(handed[2].1.person, None);
        assert_eq!(handed[3].1.documents[0].id, "d");
        assert_eq!(out.sections, 4);
        assert_eq!(out.files, ["a.jsonl", "b.jsonl"]);
    }

    #[test]
    fn a_bad_glossary_is_an_error_of_the_survey() {
        let dir = corpus(&[
            ("a.jsonl", "{\"title\":\"a\",\"body\":\"b\"}\n"),
            (
                "glossary.toml",
                "version = 1\n[[synonyms]]\nterms = [\"alone\"]\n",
            ),
        ]);
        let (handed, out) = streamed(dir.path(), OnError::Stop);
        assert!(handed.is_empty());
        assert!(out.errors[0].to_string().contains("glossary.toml"));
    }
}
