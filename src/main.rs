//! The `tipdex` binary: parse flags, call the library, print, map errors to exit codes.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    ignore_file_size_signal();
    // Failures are reported as one line by the code that catches them; a panic that
    // escapes is still named, on one line, instead of a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("tipdex: internal error: {info}");
        if std::env::var_os("TIPDEX_BACKTRACE").is_some() {
            eprintln!("{}", std::backtrace::Backtrace::force_capture());
        }
    }));
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tipdex: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// A closed pipe (`tipdex query … | head`) is a normal end, not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Writing past a file-size limit (`ulimit -f`) raises SIGXFSZ, which kills the process
/// without a word; ignored, the write fails with EFBIG and the build reports it like a
/// full disk (one line, exit code 2, the previous index kept).
#[cfg(all(
    target_os = "linux",
    not(any(target_arch = "mips", target_arch = "mips64"))
))]
fn ignore_file_size_signal() {
    // The C library is linked by std already; no crate is needed for one call.
    unsafe extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
    }
    const SIGXFSZ: i32 = 25;
    const SIG_IGN: usize = 1;
    // SAFETY: sets the disposition of one signal to "ignore", at startup, before any
    // other thread exists; no handler code runs.
    unsafe {
        signal(SIGXFSZ, SIG_IGN);
    }
}

#[cfg(not(all(
    target_os = "linux",
    not(any(target_arch = "mips", target_arch = "mips64"))
)))]
fn ignore_file_size_signal() {}
