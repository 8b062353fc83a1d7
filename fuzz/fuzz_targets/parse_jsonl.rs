//! Arbitrary bytes as a `.jsonl` corpus file: the parser never panics, and the sections
//! it gives keep their promises (normalized body, source lines inside the file, a
//! lossless round trip through `tipdex sections` JSON Lines).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::parse_and_check("fuzz.jsonl", data);
});
