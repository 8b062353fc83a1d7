//! Documents linked to the directory: a document whose symbol is a report of the
//! directory attaches to it, and its passages take the report's mandate, person,
//! organization and year.

use super::section::{DocumentLink, Kind, Section};
use crate::schema::normalize_symbol;
use std::collections::HashMap;

/// Links every document (and its passages) to the directory's report with its symbol.
pub fn link_documents(sections: &mut [Section]) {
    let reports: HashMap<String, usize> = sections
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == Kind::Report)
        .flat_map(|(i, s)| s.symbols.iter().map(move |sym| (normalize_symbol(sym), i)))
        .collect();
    if reports.is_empty() {
        return;
    }
    // Document id → the report it belongs to.
    let mut owner: HashMap<String, usize> = HashMap::new();
    for i in 0..sections.len() {
        if sections[i].kind != Kind::Document {
            continue;
        }
        let Some(&report) = sections[i]
            .symbols
            .iter()
            .find_map(|sym| reports.get(&normalize_symbol(sym)))
        else {
            continue;
        };
        let link = DocumentLink {
            id: sections[i].id.clone(),
            language: sections[i].language.clone(),
            file: sections[i].source.file.clone(),
        };
        if !sections[report].documents.contains(&link) {
            sections[report].documents.push(link);
        }
        owner.insert(sections[i].id.clone(), report);
    }
    for i in 0..sections.len() {
        let own_id = match sections[i].kind {
            Kind::Document => Some(sections[i].id.clone()),
            Kind::Passage => sections[i].document.clone(),
            _ => None,
        };
        let Some(&report) = own_id.as_ref().and_then(|id| owner.get(id)) else {
            continue;
        };
        let from = sections[report].clone();
        inherit(&mut sections[i], &from);
    }
}

/// What a document's section takes from its report: the directory knows the mandate,
/// the holder and the organization better than a cover page.
fn inherit(section: &mut Section, report: &Section) {
    if report.role.is_some() {
        section.role.clone_from(&report.role);
    }
    if report.person.is_some() {
        section.person.clone_from(&report.person);
    }
    if report.org.is_some() {
        section.org.clone_from(&report.org);
    }
    if section.year.is_none() {
        section.year = report.year;
    }
    if section.venue.is_none() {
        section.venue.clone_from(&report.venue);
    }
    for symbol in &report.symbols {
        if !section.symbols.contains(symbol) {
            section.symbols.push(symbol.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_versions_attach_to_their_report() {
        let mut report = Section::new(Kind::Report, "Non-punishment, 2021", "");
        report.symbols = vec!["A/HRC/47/34".into()];
        report.person = Some("Siobhán Mullally".into());
        report.org = Some("United Nations".into());
        report.year = Some(2021);
        let mut sections = vec![report];
        for (lang, file) in [("en", "A_HRC_47_34-EN.pdf"), ("fr", "A_HRC_47_34-FR.pdf")] {
            let mut doc = Section::new(Kind::Document, "Non-punishment", "");
            doc.id = format!("document-{lang}");
            doc.symbols = vec!["A/HRC/47/34".into()];
            doc.language = Some(lang.into());
            doc.source.file = file.into();
            let mut passage = Section::new(Kind::Passage, "Non-punishment", "12. Text");
            passage.document = Some(doc.id.clone());
            passage.symbols = doc.symbols.clone();
            sections.push(doc);
            sections.push(passage);
        }
        let mut unknown = Section::new(Kind::Document, "Other", "");
        unknown.symbols = vec!["A/HRC/50/1".into()];
        sections.push(unknown);
        link_documents(&mut sections);
        let languages: Vec<_> = sections[0]
            .documents
            .iter()
            .map(|d| d.language.as_deref().unwrap())
            .collect();
        assert_eq!(languages, ["en", "fr"]);
        assert_eq!(sections[2].person.as_deref(), Some("Siobhán Mullally"));
        assert_eq!(sections[4].org.as_deref(), Some("United Nations"));
        assert_eq!(sections[5].person, None);
    }
}
