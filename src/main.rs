//! The `tipdex` binary: parse flags, call the library, print, map errors to exit codes.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Failures are reported as one line by the code that catches them; a panic that
    // escapes is still named, on one line, instead of a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("tipdex: internal error: {info}");
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
