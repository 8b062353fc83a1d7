//! The real Meilisearch JS client (npm `meilisearch`, run by Node) against
//! `tipdex serve` (issue 4): tests/js/meili.mjs searches with filters, facets,
//! highlighting and match positions, multi-search, and an unknown index.
//! Skipped, with a message, only where Node is not installed (or its packages cannot be).

use crate::harness::server::*;
use std::path::Path;
use std::process::Command;

#[test]
fn the_meilisearch_js_client_works_unchanged() {
    if !have("node") {
        eprintln!("SKIPPED the_meilisearch_js_client_works_unchanged: `node` is not installed");
        return;
    }
    if !js_packages() {
        eprintln!(
            "SKIPPED the_meilisearch_js_client_works_unchanged: cannot install tests/js packages (npm ci)"
        );
        return;
    }
    let ix = crate::harness::Indexed::new();
    let server = Server::start(ix.dir.path(), &ix.index(), &[]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js/meili.mjs");
    let out = Command::new("node")
        .arg(&script)
        .arg(server.url())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "meili.mjs failed:\n{stdout}\n{stderr}\nserver:\n{}",
        server.stderr()
    );
    assert!(stdout.contains("ok - unknown index"), "{stdout}");
    assert!(!stdout.contains("not ok"), "{stdout}");
}
