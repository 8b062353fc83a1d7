//! PDF documents: the text layer, page by page.
//!
//! Extraction runs in a child process with a time limit and a memory limit, the file's
//! bytes on its standard input: poppler's `pdftotext` when it is installed (better on
//! every set measured, see `benches/pdf_extractors.rs`), else the pure-Rust
//! `pdf-extract` in `tipdex extract-pdf`. A hostile or damaged file ends the child,
//! never the indexer, and becomes a warning naming the file.

use super::document::Extracted;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Names the built-in extractor and its version: cached extractions of another version
/// are not reused.
pub const EXTRACTOR_VERSION: &str = "pdf-extract 0.10 / tipdex 1";
/// Default time limit of one file's extraction.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Default address-space limit of the extracting process.
pub const DEFAULT_MEMORY_BYTES: u64 = 4 << 30;
/// Largest extraction output read back from the child.
const MAX_OUTPUT_BYTES: u64 = 512 << 20;
/// Fewer characters of text than this per page: a scan without a text layer.
const MIN_CHARS_PER_PAGE: usize = 20;

/// How PDF text is extracted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PdfExtractor {
    /// In this process (no isolation: for tests and library users that trust their files).
    #[default]
    InProcess,
    /// In a child process: `program extract-pdf`, killed past `timeout`, its address
    /// space limited to `memory_bytes`.
    Child {
        /// The tipdex binary.
        program: PathBuf,
        /// Time limit per file.
        timeout: Duration,
        /// Address-space limit.
        memory_bytes: u64,
    },
    /// Poppler's `pdftotext` (`program - -`), with the same limits.
    Poppler {
        /// The `pdftotext` executable.
        program: PathBuf,
        /// What `pdftotext -v` says of its version (part of the cache key).
        version: String,
        /// Time limit per file.
        timeout: Duration,
        /// Address-space limit.
        memory_bytes: u64,
    },
}

impl PdfExtractor {
    /// A child-process extractor running `program`, with limits from
    /// `TIPDEX_EXTRACT_TIMEOUT_SECS` and `TIPDEX_EXTRACT_MEMORY_MB` or the defaults.
    pub fn child(program: PathBuf) -> PdfExtractor {
        let env_u64 = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|&n| n > 0)
        };
        PdfExtractor::Child {
            program,
            timeout: env_u64("TIPDEX_EXTRACT_TIMEOUT_SECS")
                .map_or(DEFAULT_TIMEOUT, Duration::from_secs),
            memory_bytes: env_u64("TIPDEX_EXTRACT_MEMORY_MB")
                .map_or(DEFAULT_MEMORY_BYTES, |mb| mb << 20),
        }
    }

    /// The extractor for the `tipdex` binary `program`: `$TIPDEX_PDF_EXTRACTOR` when set
    /// (`pdftotext` or `pdf-extract`), else `pdftotext` when it is on the `PATH`, else
    /// `pdf-extract` in a child process.
    pub fn choose(program: PathBuf) -> Result<PdfExtractor, String> {
        let wanted = std::env::var("TIPDEX_PDF_EXTRACTOR").unwrap_or_default();
        let child = PdfExtractor::child(program);
        let PdfExtractor::Child {
            timeout,
            memory_bytes,
            ..
        } = &child
        else {
            unreachable!("a child extractor")
        };
        let poppler = || {
            poppler_version().map(|(program, version)| PdfExtractor::Poppler {
                program,
                version,
                timeout: *timeout,
                memory_bytes: *memory_bytes,
            })
        };
        match wanted.trim() {
            "" | "auto" => Ok(poppler().unwrap_or(child)),
            "pdftotext" | "poppler" => poppler().ok_or_else(|| {
                "TIPDEX_PDF_EXTRACTOR=pdftotext, but pdftotext (Debian poppler-utils) is not installed".into()
            }),
            "pdf-extract" => Ok(child),
            other => Err(format!(
                "TIPDEX_PDF_EXTRACTOR=`{other}`: expected pdftotext, pdf-extract or auto"
            )),
        }
    }

    /// What names this extractor and its version in the extraction cache's keys.
    pub fn version_key(&self) -> String {
        match self {
            PdfExtractor::Poppler { version, .. } => format!("pdftotext {version} / tipdex 1"),
            _ => EXTRACTOR_VERSION.to_string(),
        }
    }

    /// The extractor's name, as the README and warnings say it.
    pub fn name(&self) -> &'static str {
        match self {
            PdfExtractor::Poppler { .. } => "pdftotext",
            _ => "pdf-extract",
        }
    }

    /// The text of a PDF's pages.
    pub fn extract(&self, bytes: &[u8]) -> Result<Vec<String>, String> {
        match self {
            PdfExtractor::InProcess => extract_pages(bytes),
            PdfExtractor::Child {
                program,
                timeout,
                memory_bytes,
            } => extract_in_child(program, bytes, *timeout, *memory_bytes),
            PdfExtractor::Poppler {
                program,
                timeout,
                memory_bytes,
                ..
            } => {
                if is_encrypted(bytes) {
                    return Err(ENCRYPTED.into());
                }
                extract_with_poppler(program, bytes, *timeout, *memory_bytes)
            }
        }
    }
}

/// Why an encrypted file is not read.
const ENCRYPTED: &str =
    "is encrypted: tipdex cannot read its text (decrypt it, e.g. `qpdf --decrypt`)";

/// `pdftotext` on the `PATH` and its version line, if it runs.
fn poppler_version() -> Option<(PathBuf, String)> {
    let path = std::env::var_os("PATH")?;
    let program = std::env::split_paths(&path)
        .map(|dir| dir.join("pdftotext"))
        .find(|p| p.is_file())?;
    let out = Command::new(&program)
        .arg("-v")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let version = text.lines().next()?.trim().to_string();
    version.contains("pdftotext").then_some((program, version))
}

/// What reading a PDF gave.
#[derive(Debug)]
pub enum PdfText {
    /// Its text.
    Text(Extracted),
    /// Pages without text: a scan.
    Scanned {
        /// How many pages it has.
        pages: u32,
    },
}

/// Reads a PDF's text layer; an error says why the file cannot be read.
pub fn read(bytes: &[u8], extractor: &PdfExtractor) -> Result<PdfText, String> {
    Ok(classify(&extract_checked(bytes, extractor)?))
}

/// The pages' text, once the bytes are known to be a PDF.
pub fn extract_checked(bytes: &[u8], extractor: &PdfExtractor) -> Result<Vec<String>, String> {
    check_is_pdf(bytes)?;
    extractor.extract(bytes)
}

/// Text, or a scan when the pages hold next to no text.
pub fn classify(pages: &[String]) -> PdfText {
    let extracted = Extracted::from_pages(pages);
    let count = extracted.pages.max(1);
    if !extracted.has_text(MIN_CHARS_PER_PAGE * count as usize) {
        return PdfText::Scanned { pages: count };
    }
    PdfText::Text(extracted)
}

/// Whether the bytes are a PDF at all (its `%PDF-` header near the start).
fn check_is_pdf(bytes: &[u8]) -> Result<(), String> {
    let head = &bytes[..bytes.len().min(1024)];
    if memchr::memmem::find(head, b"%PDF-").is_some() {
        Ok(())
    } else {
        Err("is not a PDF file (no %PDF- header): is the extension right?".into())
    }
}

/// Extracts the pages' text in this process; a panic in the extractor is an error.
pub fn extract_pages(bytes: &[u8]) -> Result<Vec<String>, String> {
    check_is_pdf(bytes)?;
    if is_encrypted(bytes) {
        return Err(
            "is encrypted: tipdex cannot read its text (decrypt it, e.g. `qpdf --decrypt`)".into(),
        );
    }
    let result = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem_by_pages(bytes));
    match result {
        Ok(Ok(pages)) => Ok(pages),
        Ok(Err(e)) => Err(format!("is damaged or unreadable as PDF: {e}")),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("no message");
            Err(format!(
                "is damaged or unreadable as PDF (the extractor failed: {what})"
            ))
        }
    }
}

/// Whether the trailer names an encryption dictionary.
fn is_encrypted(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(64 << 10)..];
    memchr::memmem::find(tail, b"/Encrypt").is_some()
}

/// The child's side: reads a PDF on standard input and writes its pages as JSON
/// (`{"pages": [...]}` or `{"error": "..."}`) on standard output.
pub fn serve_child(input: impl Read, mut output: impl Write) -> std::io::Result<()> {
    let mut bytes = Vec::new();
    input
        .take(super::walk::DEFAULT_MAX_FILE_BYTES)
        .read_to_end(&mut bytes)?;
    let answer = match extract_pages(&bytes) {
        Ok(pages) => serde_json::json!({ "pages": pages }),
        Err(e) => serde_json::json!({ "error": e }),
    };
    serde_json::to_writer(&mut output, &answer)?;
    output.flush()
}

/// What a limited child process gave: how it ended, its output and its error output.
struct Ran {
    waited: Waited,
    out: Vec<u8>,
    err: Vec<u8>,
}

/// Runs `command` with `bytes` on its standard input, killed past `timeout`, its address
/// space limited to `memory_bytes`.
fn run_limited(
    mut command: Command,
    bytes: &[u8],
    timeout: Duration,
    memory_bytes: u64,
) -> Result<Ran, String> {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    limit_memory(&mut command, memory_bytes);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start the PDF extractor: {e}"))?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    Ok(std::thread::scope(|scope| {
        let writer = scope.spawn(move || {
            if let Some(mut stdin) = stdin {
                // A child that stops reading (it failed) closes the pipe: not an error here.
                let _ = stdin.write_all(bytes);
            }
        });
        let read = |pipe: Option<Box<dyn Read + Send>>, max: u64| {
            scope.spawn(move || {
                let mut out = Vec::new();
                if let Some(pipe) = pipe {
                    let _ = pipe.take(max).read_to_end(&mut out);
                }
                out
            })
        };
        let out = read(
            stdout.map(|p| Box::new(p) as Box<dyn Read + Send>),
            MAX_OUTPUT_BYTES,
        );
        let err = read(
            stderr.map(|p| Box::new(p) as Box<dyn Read + Send>),
            64 << 10,
        );
        let waited = wait_with_timeout(&mut child, timeout);
        let _ = writer.join();
        Ran {
            waited,
            out: out.join().unwrap_or_default(),
            err: err.join().unwrap_or_default(),
        }
    }))
}

fn timed_out(timeout: Duration) -> String {
    format!(
        "took longer than {} s to extract and was skipped (TIPDEX_EXTRACT_TIMEOUT_SECS)",
        timeout.as_secs()
    )
}

fn extract_in_child(
    program: &Path,
    bytes: &[u8],
    timeout: Duration,
    memory_bytes: u64,
) -> Result<Vec<String>, String> {
    let mut command = Command::new(program);
    command.arg("extract-pdf");
    let Ran { waited, out, .. } = run_limited(command, bytes, timeout, memory_bytes)?;
    match waited {
        Waited::TimedOut => return Err(timed_out(timeout)),
        Waited::Exited(false) if out.is_empty() => {
            return Err(
                "made the PDF extractor fail (out of memory, or a crash): the file is damaged or hostile"
                    .into(),
            )
        }
        _ => {}
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(default)]
        pages: Option<Vec<String>>,
        #[serde(default)]
        error: Option<String>,
    }
    let answer: Answer = serde_json::from_slice(&out)
        .map_err(|e| format!("made the PDF extractor fail (its answer was cut: {e})"))?;
    match (answer.pages, answer.error) {
        (_, Some(error)) => Err(error),
        (Some(pages), None) => Ok(pages),
        (None, None) => Err("made the PDF extractor fail (empty answer)".into()),
    }
}

/// Poppler's `pdftotext - -`: UTF-8 text, pages ended by form feeds.
fn extract_with_poppler(
    program: &Path,
    bytes: &[u8],
    timeout: Duration,
    memory_bytes: u64,
) -> Result<Vec<String>, String> {
    let mut command = Command::new(program);
    command.args(["-q", "-enc", "UTF-8", "-eol", "unix", "-", "-"]);
    let Ran { waited, out, err } = run_limited(command, bytes, timeout, memory_bytes)?;
    match waited {
        Waited::TimedOut => Err(timed_out(timeout)),
        Waited::Exited(false) => {
            let why = String::from_utf8_lossy(&err);
            let why = why.lines().next().unwrap_or("it failed").trim();
            Err(format!(
                "is damaged or unreadable as PDF (pdftotext: {why})"
            ))
        }
        Waited::Exited(true) => {
            let text = String::from_utf8_lossy(&out);
            let mut pages: Vec<String> = text.split('\u{c}').map(str::to_string).collect();
            if pages.len() > 1 && pages.last().is_some_and(|p| p.trim().is_empty()) {
                pages.pop();
            }
            Ok(pages)
        }
    }
}

enum Waited {
    Exited(bool),
    TimedOut,
}

fn wait_with_timeout(child: &mut std::process::Child, timeout: Duration) -> Waited {
    let start = Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Waited::Exited(status.success()),
            Ok(None) if start.elapsed() >= timeout => {
                kill_group(child);
                let _ = child.wait();
                return Waited::TimedOut;
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(_) => {
                kill_group(child);
                let _ = child.wait();
                return Waited::Exited(false);
            }
        }
    }
}

/// Kills the child and whatever it started (it leads its own process group), so that
/// nothing keeps its output pipes open.
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: signalling a process group this process created.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
}

#[cfg(unix)]
fn limit_memory(command: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes as libc::rlim_t,
                rlim_max: bytes as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(unix))]
fn limit_memory(_: &mut Command, _: u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_pdf_is_said() {
        let e = read(b"<html>hello</html>", &PdfExtractor::InProcess).unwrap_err();
        assert!(e.contains("not a PDF"), "{e}");
    }

    #[test]
    fn garbage_after_the_header_is_an_error_not_a_panic() {
        for bytes in [
            &b"%PDF-1.4\n garbage"[..],
            b"%PDF-",
            b"%PDF-1.7\n1 0 obj << /Type /Catalog",
        ] {
            assert!(extract_pages(bytes).is_err());
        }
    }
}
