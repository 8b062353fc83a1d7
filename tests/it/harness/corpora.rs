//! Generated corpora: JSON Lines sections written from a fixed vocabulary of the field
//! and a seeded generator, as large as a test needs.

use super::Rng;
use std::path::Path;

/// Words of the field the generated sections are written with.
pub const WORDS: &[&str] = &[
    "trafficking",
    "persons",
    "children",
    "labour",
    "exploitation",
    "rapporteur",
    "council",
    "europe",
    "report",
    "victims",
    "protection",
    "migrants",
    "slavery",
    "forced",
    "marriage",
    "sexual",
    "violence",
    "conflict",
    "justice",
    "police",
    "border",
    "asylum",
    "prosecution",
    "prevention",
    "cooperation",
    "convention",
    "protocol",
    "mandate",
    "session",
    "assembly",
];

/// A JSON Lines corpus of `n` generated sections (about 100 words each), plus, with
/// `marker`, one more section about the made-up word "zebracorn".
pub fn write_generated_corpus(dir: &Path, n: usize, marker: bool) {
    std::fs::create_dir_all(dir).unwrap();
    let mut rng = Rng::new(0x5eed_0000 + n as u64);
    let mut out = String::with_capacity(n * 800);
    for i in 0..n {
        let word = |rng: &mut Rng| -> String {
            if rng.below(4) == 0 {
                format!("w{}", rng.below(5000))
            } else {
                WORDS[rng.below(WORDS.len() as u64) as usize].to_string()
            }
        };
        let title: Vec<String> = (0..4).map(|_| word(&mut rng)).collect();
        let body: Vec<String> = (0..100).map(|_| word(&mut rng)).collect();
        let kind = ["organization", "mandate", "report", "overview"][i % 4];
        let line = serde_json::json!({
            "id": format!("gen-{i}"),
            "kind": kind,
            "title": title.join(" "),
            "body": body.join(" "),
            "year": 2000 + (i % 23) as i64,
            "symbols": if kind == "report" { vec![format!("A/HRC/{}/{}", 20 + i % 40, i)] } else { vec![] },
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    if marker {
        out.push_str(
            &serde_json::json!({
                "id": "marker",
                "kind": "report",
                "title": "The zebracorn report",
                "body": "zebracorn trafficking persons children",
                "year": 2024,
            })
            .to_string(),
        );
        out.push('\n');
    }
    let path = dir.join("sections.jsonl");
    let tmp = dir.join(".sections.jsonl.tmp");
    std::fs::write(&tmp, out).unwrap();
    std::fs::rename(tmp, path).unwrap();
}
