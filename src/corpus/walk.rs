//! Which files of a corpus directory are read: regular files inside the corpus tree,
//! found recursively in sorted order. FIFOs, sockets and devices are skipped with a
//! warning (reading them blocks or never ends), as are symbolic links that lead outside
//! the tree unless links are followed on purpose; hidden entries are not read.
//!
//! The same walk gives the corpus fingerprint: a stamp (path, size, modification time)
//! per file, taken from the open file just before it is read, so that a file changed
//! during a build is recorded as changed and the next query rebuilds.

use super::Warning;
use crate::error::{Error, Result};
use std::collections::HashSet;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// Deepest directory nesting read below the corpus directory.
const MAX_DEPTH: usize = 64;

/// How a corpus directory is read.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Follow symbolic links that lead outside the corpus tree (links inside it are
    /// always followed).
    pub follow_links: bool,
    /// Largest file read, in bytes; a larger one is an error naming it.
    pub max_file_bytes: u64,
    /// Largest section body kept, in bytes; a longer body is cut there, with a warning.
    pub max_section_bytes: usize,
    /// How PDF text is extracted (in a child process from the `tipdex` binary).
    pub pdf_extractor: super::pdf::PdfExtractor,
    /// Where extracted document text is kept between builds, if anywhere.
    pub extraction_cache: Option<super::cache::ExtractionCache>,
}

/// Largest corpus file read by default (a JSON Lines corpus of a million sections fits).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;
/// Longest section body kept by default (about 150,000 words).
pub const DEFAULT_MAX_SECTION_BYTES: usize = 1 << 20;

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            follow_links: false,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_section_bytes: DEFAULT_MAX_SECTION_BYTES,
            pdf_extractor: super::pdf::PdfExtractor::default(),
            extraction_cache: None,
        }
    }
}

/// A file to read.
#[derive(Debug, Clone)]
pub struct CorpusFile {
    /// Where to open it (a link inside the tree resolved to its target).
    pub path: PathBuf,
    /// Path relative to the corpus directory, `/`-separated (the link's own name).
    pub rel: String,
    /// Whether opening it may follow a link (only when links are followed on purpose).
    pub follow: bool,
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// The files to read, sorted by relative path.
    pub files: Vec<CorpusFile>,
    /// Entries skipped, with why.
    pub warnings: Vec<Warning>,
}

impl Walk {
    /// The files' size in bytes, as they are now (a file gone since counts nothing).
    pub fn bytes(&self) -> u64 {
        self.files
            .iter()
            .filter_map(|f| std::fs::metadata(&f.path).ok())
            .map(|m| m.len())
            .sum()
    }
}

/// Lists the files of the corpus at `dir` that tipdex reads.
pub fn walk(dir: &Path, options: &LoadOptions) -> Result<Walk> {
    let root = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
    if !root.is_dir() {
        return Err(Error::CorpusDir {
            path: dir.to_path_buf(),
            message: "not a directory".into(),
        });
    }
    let mut walker = Walker {
        visited: HashSet::from([root.clone()]),
        root,
        options,
        shown_root: dir,
        walk: Walk::default(),
    };
    let root = walker.root.clone();
    walker.visit(&root, "", 0)?;
    walker.walk.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(walker.walk)
}

/// One walk of a corpus tree.
struct Walker<'a> {
    /// The corpus directory, canonical.
    root: PathBuf,
    options: &'a LoadOptions,
    /// The directory as named, for messages.
    shown_root: &'a Path,
    /// Directories already read (canonical), against link loops.
    visited: HashSet<PathBuf>,
    walk: Walk,
}

impl Walker<'_> {
    /// Visits the entries of `dir` (`prefix` its path relative to the corpus) in order.
    fn visit(&mut self, dir: &Path, prefix: &str, depth: usize) -> Result<()> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| Error::io(self.shown_root.join(prefix), e))?;
        let mut names: Vec<(String, PathBuf)> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') {
                names.push((name, entry.path()));
            }
        }
        names.sort();
        for (name, path) in names {
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            self.entry(&path, rel, depth)?;
        }
        Ok(())
    }

    /// Takes one entry: a file to read, a directory to visit, or a skip with why.
    fn entry(&mut self, path: &Path, rel: String, depth: usize) -> Result<()> {
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            self.skip(rel, "it vanished while the corpus was read".into());
            return Ok(());
        };
        let (target, target_meta, follow) = if meta.file_type().is_symlink() {
            match resolve_link(&self.root, path, self.options.follow_links) {
                Ok(resolved) => resolved,
                Err(why) => {
                    self.skip(rel, why);
                    return Ok(());
                }
            }
        } else {
            (path.to_path_buf(), meta, false)
        };
        if target_meta.is_dir() {
            if depth + 1 > MAX_DEPTH {
                self.skip(
                    rel,
                    format!("nested more than {MAX_DEPTH} directories deep"),
                );
            } else if self.visited.insert(target.clone()) {
                self.visit(&target, &rel, depth + 1)?;
            } else {
                self.skip(rel, "a directory already read (a link loop)".into());
            }
        } else if target_meta.is_file() {
            self.walk.files.push(CorpusFile {
                path: target,
                rel,
                follow,
            });
        } else {
            let what = crate::files::describe_type(&target_meta);
            self.skip(rel, format!("{what}, not a regular file"));
        }
        Ok(())
    }

    fn skip(&mut self, rel: String, message: String) {
        self.walk.warnings.push(Warning {
            file: rel,
            line: 0,
            message: format!("skipped: {message}"),
        });
    }
}

/// Where the link at `path` leads: its target inside the corpus tree (opened without
/// following links), or anywhere when `follow_links`; else why it is skipped.
fn resolve_link(
    root: &Path,
    path: &Path,
    follow_links: bool,
) -> std::result::Result<(PathBuf, Metadata, bool), String> {
    let target = path
        .canonicalize()
        .map_err(|e| format!("a symbolic link that leads nowhere ({e})"))?;
    let meta = std::fs::metadata(&target)
        .map_err(|e| format!("a symbolic link whose target cannot be read ({e})"))?;
    if target.starts_with(root) {
        return Ok((target, meta, false));
    }
    if follow_links {
        return Ok((target, meta, true));
    }
    Err(format!(
        "a symbolic link leading outside the corpus (to {}); pass --follow-links to read it",
        target.display()
    ))
}

/// The stamp of one file in a fingerprint.
pub fn stamp(rel: &str, meta: &Metadata) -> String {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{rel}\0{}\0{mtime}", meta.len())
}

/// A fingerprint of stamps (order-independent).
pub fn fingerprint(mut stamps: Vec<String>) -> String {
    stamps.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for s in stamps {
        for b in s.bytes().chain([0xff]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// The fingerprint of the corpus at `dir` as it is now: changes when a file tipdex
/// reads is added, removed, resized or touched. `None` when it cannot be read.
pub fn corpus_fingerprint(dir: &Path, options: &LoadOptions) -> Option<String> {
    let walk = walk(dir, options).ok()?;
    let stamps = walk
        .files
        .iter()
        .map(|f| {
            let meta = if f.follow {
                std::fs::metadata(&f.path)
            } else {
                std::fs::symlink_metadata(&f.path)
            };
            meta.map(|m| stamp(&f.rel, &m))
                .unwrap_or_else(|_| format!("{}\0gone", f.rel))
        })
        .collect();
    Some(fingerprint(stamps))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn mkfifo(path: &Path) {
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    #[test]
    fn special_files_and_outside_links_are_skipped_with_a_warning() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("a.md"), "# A\ntext").unwrap();
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/b.md"), "# B\ntext").unwrap();
        mkfifo(&d.join("pipe.md"));
        std::os::unix::fs::symlink("/dev/zero", d.join("zero.md")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.txt"), d.join("secret.txt"))
            .unwrap();
        std::os::unix::fs::symlink(d.join("sub/b.md"), d.join("inside.md")).unwrap();
        std::os::unix::fs::symlink(d, d.join("sub/loop")).unwrap();
        let w = walk(d, &LoadOptions::default()).unwrap();
        let rels: Vec<&str> = w.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, ["a.md", "inside.md", "sub/b.md"]);
        let warned = |name: &str, what: &str| {
            w.warnings
                .iter()
                .any(|x| x.file == name && x.message.contains(what))
        };
        assert!(
            warned("pipe.md", "a FIFO, not a regular file"),
            "{:?}",
            w.warnings
        );
        assert!(warned("zero.md", "outside the corpus"), "{:?}", w.warnings);
        assert!(
            warned("secret.txt", "outside the corpus"),
            "{:?}",
            w.warnings
        );
        assert!(warned("sub/loop", "link loop"), "{:?}", w.warnings);
        let followed = walk(
            d,
            &LoadOptions {
                follow_links: true,
                ..LoadOptions::default()
            },
        )
        .unwrap();
        assert!(followed
            .files
            .iter()
            .any(|f| f.rel == "secret.txt" && f.follow));
        assert!(followed
            .warnings
            .iter()
            .any(|x| x.file == "zero.md" && x.message.contains("a device, not a regular file")));
    }

    #[test]
    fn the_fingerprint_follows_the_files_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("a.md"), "# A\ntext").unwrap();
        let options = LoadOptions::default();
        let before = corpus_fingerprint(d, &options).unwrap();
        assert_eq!(corpus_fingerprint(d, &options).unwrap(), before);
        std::fs::write(d.join(".hidden"), "x").unwrap();
        assert_eq!(corpus_fingerprint(d, &options).unwrap(), before);
        std::fs::write(d.join("a.md"), "# A\nother text").unwrap();
        assert_ne!(corpus_fingerprint(d, &options).unwrap(), before);
    }
}
