//! Build script: links the `tipdex` executable as a fixed-address (non-PIE) executable on
//! Linux with the GNU toolchain.
//!
//! `tipdex query` is a whole process per search, so its start-up is part of every answer.
//! A position-independent executable has its loader apply some 28,000 relocations at each
//! start and copy the ~130 pages of tables they land in (vtables, string tables): 0.6 ms
//! of a 2.6 ms `tipdex query` on the shipped corpus. Linked at a fixed address, the
//! linker resolves them once. Shared libraries, stack, heap and memory maps keep their
//! randomized addresses; only the executable's own code and data no longer move (the
//! default of Go executables on Linux, for the same reason). Measured with
//! `perf stat -r 100 target/release/tipdex query --index IX trafficking`.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
