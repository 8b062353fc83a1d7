//! Opening files defensively: what tipdex creates is created anew (never written through
//! a link someone planted), and what it reads is a regular file of bounded size (never a
//! FIFO that blocks forever, a device that never ends, or a link it was not asked to follow).

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// Opens `path` for reading without blocking (a FIFO or device opens at once instead of
/// waiting for a writer) and without following a link at its last component when
/// `follow_links` is false; fails unless it is a regular file. Returns the file and its
/// metadata as of the open (the snapshot a caller records).
pub fn open_regular(path: &Path, follow_links: bool) -> io::Result<(File, Metadata)> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut flags = libc::O_NONBLOCK;
        if !follow_links {
            flags |= libc::O_NOFOLLOW;
        }
        options.custom_flags(flags);
    }
    let file = options.open(path).map_err(explain_link_error)?;
    let meta = regular_file_metadata(&file)?;
    Ok((file, meta))
}

/// The metadata of an open file, or an error unless it is a regular file.
fn regular_file_metadata(file: &File) -> io::Result<Metadata> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a regular file ({})", describe_type(&meta)),
        ));
    }
    Ok(meta)
}

/// Reads all of `file`, failing with a clear message past `max` bytes.
pub fn read_bounded(file: File, max: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than the limit of {}", human_bytes(max)),
        ));
    }
    Ok(bytes)
}

/// Reads a small regular file tipdex wrote itself (never through a link, never blocking).
pub fn read_own_file(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let (file, _) = open_regular(path, false)?;
    read_bounded(file, max)
}

/// Creates `path` as a new file for writing: fails if anything exists there, a link
/// included, so nothing is ever written through a planted link or over a stranger's file.
pub fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// [`create_new`] for a name tipdex reserves in its own directory (a temporary file it
/// renames into place): what a killed run left there, a link included, is removed first
/// (removing a link never touches what it points to).
pub fn create_replacing_own(path: &Path) -> io::Result<File> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "a directory is in the way",
            ))
        }
        Ok(_) => std::fs::remove_file(path)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    create_new(path)
}

/// Opens (creating if needed) a lock file tipdex owns: never through a link, never
/// blocking on a FIFO, never truncating; fails unless it is a regular file.
pub fn open_lock_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(explain_link_error)?;
    regular_file_metadata(&file)?;
    Ok(file)
}

/// What kind of file system entry `meta` describes, for messages.
pub fn describe_type(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    if t.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    if t.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

/// `O_NOFOLLOW` on a link fails with ELOOP, whose text ("too many levels of symbolic
/// links") misleads: say what happened.
fn explain_link_error(e: io::Error) -> io::Error {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return io::Error::new(
            io::ErrorKind::InvalidInput,
            "a symbolic link, which tipdex does not follow here",
        );
    }
    e
}

/// `64 MiB`, `1.5 GiB`: a byte count for messages.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_refuses_links_fifos_and_oversized_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        std::fs::write(&file, b"hello").unwrap();
        let (f, meta) = open_regular(&file, false).unwrap();
        assert_eq!(meta.len(), 5);
        assert_eq!(read_bounded(f, 5).unwrap(), b"hello");
        let (f, _) = open_regular(&file, false).unwrap();
        let e = read_bounded(f, 4).unwrap_err().to_string();
        assert!(e.contains("larger than the limit of 4 bytes"), "{e}");
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&file, &link).unwrap();
            let e = open_regular(&link, false).unwrap_err().to_string();
            assert!(e.contains("symbolic link"), "{e}");
            assert!(open_regular(&link, true).is_ok());
            let fifo = dir.path().join("fifo");
            let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            // SAFETY: a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            let e = open_regular(&fifo, false).unwrap_err().to_string();
            assert!(e.contains("a FIFO"), "{e}");
            let e = open_lock_file(&fifo).unwrap_err().to_string();
            assert!(e.contains("a FIFO"), "{e}");
        }
    }

    #[test]
    fn creating_never_goes_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        #[cfg(unix)]
        {
            let planted = dir.path().join("planted");
            std::os::unix::fs::symlink(&victim, &planted).unwrap();
            assert!(create_new(&planted).is_err());
            let lock = dir.path().join("lock");
            std::os::unix::fs::symlink(&victim, &lock).unwrap();
            assert!(open_lock_file(&lock).is_err());
            create_replacing_own(&planted).unwrap();
            assert!(!std::fs::symlink_metadata(&planted)
                .unwrap()
                .file_type()
                .is_symlink());
        }
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    }

    #[test]
    fn byte_counts_read_well() {
        assert_eq!(human_bytes(12), "12 bytes");
        assert_eq!(human_bytes(64 << 20), "64 MiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }
}
