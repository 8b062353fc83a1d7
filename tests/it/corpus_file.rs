//! The shipped corpus file parses into sections that lose nothing (issue 2).

use std::path::Path;
use tipdex::corpus::{self, symbol::find_symbols, Kind, Section};

const FILE: &str = "international-and-regional-organizations.txt";

fn load() -> Vec<Section> {
    let c = corpus::load(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .as_path(),
    )
    .unwrap();
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    c.sections
}

fn text() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .join(FILE),
    )
    .unwrap()
}

#[test]
fn shipped_corpus_is_the_shared_file_byte_for_byte() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(FILE);
    if let Ok(original) = std::fs::read(&shared) {
        assert_eq!(original, text().into_bytes());
    }
}

#[test]
fn every_non_blank_line_belongs_to_a_section() {
    let sections = load();
    for (i, line) in text().lines().enumerate() {
        let no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        assert!(
            sections.iter().any(|s| s.source.file == FILE
                && s.source.lines[0] <= no
                && no <= s.source.lines[1]),
            "line {no} is in no section: {line}"
        );
    }
}

#[test]
fn every_un_symbol_has_its_own_report_with_year_and_author_role() {
    let sections = load();
    let symbols = find_symbols(&text());
    assert_eq!(symbols.len(), 12, "{symbols:?}");
    for symbol in symbols {
        let own: Vec<&Section> = sections
            .iter()
            .filter(|s| s.kind == Kind::Report && s.symbols == vec![symbol.clone()])
            .collect();
        assert_eq!(own.len(), 1, "{symbol}");
        let report = own[0];
        assert!(report.year.is_some(), "{symbol} has no year");
        let role = report.role.as_deref().unwrap_or_default();
        assert!(role.starts_with("Special R"), "{symbol}: role {role}");
        let author = sections
            .iter()
            .find(|s| s.kind == Kind::Mandate && s.symbols.contains(&symbol))
            .unwrap_or_else(|| panic!("no mandate lists {symbol}"));
        assert_eq!(author.role.as_deref(), Some(role));
        assert_eq!(author.person, report.person);
    }
}

#[test]
fn known_years_and_venues() {
    let sections = load();
    let get = |sym: &str| {
        sections
            .iter()
            .find(|s| s.kind == Kind::Report && s.symbols.iter().any(|x| x == sym))
            .unwrap()
    };
    assert_eq!(get("A/HRC/47/34").year, Some(2021));
    assert_eq!(get("A/75/210").year, Some(2020));
    assert_eq!(get("A/HRC/49/51/Add.1").year, Some(2022));
    assert_eq!(get("A/76/170").venue.as_deref(), Some("General Assembly"));
    assert_eq!(
        get("A/HRC/48/52").venue.as_deref(),
        Some("Human Rights Council")
    );
    assert_eq!(get("1001370").year, Some(2018));
    assert_eq!(get("1001370").org.as_deref(), Some("Europol"));
}

#[test]
fn organizations_mandates_and_acronyms_are_present() {
    let sections = load();
    for acronym in [
        "UNHRC", "OHCHR", "UNODC", "UNICEF", "UNHCR", "IOM", "WTO", "IBRD", "ILO", "WHO", "UNESCO",
        "EU", "OSCE", "INTERPOL", "EUROPOL", "EUROJUST",
    ] {
        assert!(
            sections
                .iter()
                .any(|s| s.kind == Kind::Organization && s.acronyms.iter().any(|a| a == acronym)),
            "organization {acronym}"
        );
    }
    for name in ["Council of Europe", "Commonwealth of Nations"] {
        assert!(
            sections
                .iter()
                .any(|s| s.kind == Kind::Organization && s.title == name),
            "{name}"
        );
    }
    let coe = sections
        .iter()
        .find(|s| s.title == "Council of Europe")
        .unwrap();
    assert!(coe.acronyms.contains(&"GRETA".to_string()));
    for person in [
        "António Guterres",
        "Virginia Gamba",
        "Pramila Patten",
        "Najat Maalla",
        "Alice Wairimu Nderitu",
        "Siobhán Mullally",
        "Tomoya Obokata",
        "Mama Fatima Singhateh",
        "Valiant Richey",
    ] {
        let m = sections
            .iter()
            .find(|s| s.kind == Kind::Mandate && s.person.as_deref() == Some(person))
            .unwrap_or_else(|| panic!("mandate of {person}"));
        assert!(m.role.is_some(), "{person} has a role");
    }
    assert_eq!(
        sections
            .iter()
            .filter(|s| s.kind == Kind::Organization)
            .count(),
        18
    );
}

#[test]
fn ids_are_unique_and_stable() {
    let a = load();
    let b = load();
    let ids: Vec<&str> = a.iter().map(|s| s.id.as_str()).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len());
    assert_eq!(a, b);
    assert!(ids.contains(&"report-a-hrc-47-34"));
    assert!(ids.contains(&"mandate-siobhan-mullally"));
}
