//! Documents linked to the directory: a document whose symbol is a report of the
//! directory attaches to it, and its passages take the report's mandate, person,
//! organization and year.
//!
//! Linking works as sections arrive in corpus order ([`Linker`]): the reports' symbols
//! are known beforehand ([`ReportTable`], from a survey of the files that can hold
//! reports), so a document or passage is linked when it arrives and only the reports
//! (which gather their documents) and passages whose document comes later wait.

use super::section::{DocumentLink, Kind, Section};
use crate::schema::normalize_symbol;
use std::collections::{HashMap, HashSet};

/// What a report passes on to its documents: the directory knows the mandate, the
/// holder and the organization better than a cover page.
#[derive(Debug, Clone, PartialEq)]
struct Inherited {
    role: Option<String>,
    person: Option<String>,
    org: Option<String>,
    year: Option<i64>,
    venue: Option<String>,
    symbols: Vec<String>,
}

impl Inherited {
    fn of(report: &Section) -> Inherited {
        Inherited {
            role: report.role.clone(),
            person: report.person.clone(),
            org: report.org.clone(),
            year: report.year,
            venue: report.venue.clone(),
            symbols: report.symbols.clone(),
        }
    }

    fn pass_on(&self, section: &mut Section) {
        if self.role.is_some() {
            section.role.clone_from(&self.role);
        }
        if self.person.is_some() {
            section.person.clone_from(&self.person);
        }
        if self.org.is_some() {
            section.org.clone_from(&self.org);
        }
        if section.year.is_none() {
            section.year = self.year;
        }
        if section.venue.is_none() {
            section.venue.clone_from(&self.venue);
        }
        for symbol in &self.symbols {
            if !section.symbols.contains(symbol) {
                section.symbols.push(symbol.clone());
            }
        }
    }
}

/// The corpus's reports in corpus order, and which report each symbol names (the last
/// report with it, as a later entry of the directory overrides an earlier one).
#[derive(Debug, Default)]
pub struct ReportTable {
    reports: Vec<Inherited>,
    by_symbol: HashMap<String, usize>,
}

impl ReportTable {
    /// Records the next report of the corpus.
    pub fn add(&mut self, report: &Section) {
        let n = self.reports.len();
        self.reports.push(Inherited::of(report));
        for symbol in &report.symbols {
            self.by_symbol.insert(normalize_symbol(symbol), n);
        }
    }

    /// The table of every report among `sections`.
    #[cfg(test)]
    pub fn of(sections: &[Section]) -> ReportTable {
        let mut table = ReportTable::default();
        for report in sections.iter().filter(|s| s.kind == Kind::Report) {
            table.add(report);
        }
        table
    }

    /// Reports recorded.
    pub fn len(&self) -> usize {
        self.reports.len()
    }

    /// Whether no report was recorded.
    pub fn is_empty(&self) -> bool {
        self.reports.is_empty()
    }

    fn report_of(&self, section: &Section) -> Option<usize> {
        if self.by_symbol.is_empty() {
            return None;
        }
        section
            .symbols
            .iter()
            .find_map(|sym| self.by_symbol.get(&normalize_symbol(sym)).copied())
    }
}

/// What became of an arriving section.
#[derive(Debug)]
pub enum Arrival {
    /// Linked (or nothing to link): it can be written now.
    Ready(Section),
    /// The `n`th report: it waits until every document has arrived ([`Linker::finish_report`]).
    Report(usize, Section),
    /// A passage whose document has not arrived yet ([`Linker::finish_passage`]).
    Waiting(Section),
}

/// Links sections as they arrive in corpus order.
#[derive(Debug)]
pub struct Linker {
    table: ReportTable,
    reports_seen: usize,
    /// Per report, the documents attached to it, in corpus order.
    links: Vec<Vec<DocumentLink>>,
    /// Document id → its report.
    owner: HashMap<String, usize>,
    /// Ids of every document that arrived (linked or not).
    documents: HashSet<String>,
}

impl Linker {
    /// A linker for a corpus whose reports are `table`.
    pub fn new(table: ReportTable) -> Linker {
        Linker {
            links: vec![Vec::new(); table.len()],
            table,
            reports_seen: 0,
            owner: HashMap::new(),
            documents: HashSet::new(),
        }
    }

    /// Links the next section of the corpus (its id as the file gave it).
    pub fn arrive(&mut self, mut section: Section) -> Arrival {
        match section.kind {
            Kind::Report => {
                let n = self.reports_seen;
                self.reports_seen += 1;
                Arrival::Report(n, section)
            }
            _ if self.table.is_empty() => Arrival::Ready(section),
            Kind::Document => {
                if let Some(report) = self.table.report_of(&section) {
                    let link = DocumentLink {
                        id: section.id.clone(),
                        language: section.language.clone(),
                        file: section.source.file.clone(),
                    };
                    if !self.links[report].contains(&link) {
                        self.links[report].push(link);
                    }
                    self.owner.insert(section.id.clone(), report);
                    self.table.reports[report].pass_on(&mut section);
                }
                self.documents.insert(section.id.clone());
                Arrival::Ready(section)
            }
            Kind::Passage => match section.document.as_deref() {
                Some(document) if !self.documents.contains(document) => Arrival::Waiting(section),
                Some(document) => {
                    if let Some(&report) = self.owner.get(document) {
                        self.table.reports[report].pass_on(&mut section);
                    }
                    Arrival::Ready(section)
                }
                None => Arrival::Ready(section),
            },
            _ => Arrival::Ready(section),
        }
    }

    /// Whether the `n`th report to arrive is the one the table was made from (what it
    /// passes on included): a file changed since the table was made may differ.
    pub fn is_consistent(&self, n: usize, report: &Section) -> bool {
        self.table
            .reports
            .get(n)
            .is_some_and(|known| *known == Inherited::of(report))
    }

    /// Whether as many reports arrived as the table holds.
    pub fn every_report_arrived(&self) -> bool {
        self.reports_seen == self.table.len()
    }

    /// Attaches its documents to the `n`th report, once every document has arrived.
    pub fn finish_report(&self, n: usize, report: &mut Section) {
        for link in self.links.get(n).into_iter().flatten() {
            if !report.documents.contains(link) {
                report.documents.push(link.clone());
            }
        }
    }

    /// Links a passage that waited for its document, once every document has arrived.
    pub fn finish_passage(&self, passage: &mut Section) {
        let report = passage
            .document
            .as_deref()
            .and_then(|document| self.owner.get(document));
        if let Some(&report) = report {
            self.table.reports[report].pass_on(passage);
        }
    }
}

/// Links every document (and its passages) to the directory's report with its symbol.
#[cfg(test)]
pub fn link_documents(sections: &mut Vec<Section>) {
    let mut linker = Linker::new(ReportTable::of(sections));
    let (mut reports, mut waiting) = (Vec::new(), Vec::new());
    for (i, section) in std::mem::take(sections).into_iter().enumerate() {
        let section = match linker.arrive(section) {
            Arrival::Ready(section) => section,
            Arrival::Report(n, section) => {
                reports.push((i, n));
                section
            }
            Arrival::Waiting(section) => {
                waiting.push(i);
                section
            }
        };
        sections.push(section);
    }
    for (i, n) in reports {
        linker.finish_report(n, &mut sections[i]);
    }
    for i in waiting {
        linker.finish_passage(&mut sections[i]);
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

    #[test]
    fn order_does_not_matter_reports_after_documents_and_passages_before_theirs() {
        let mut passage = Section::new(Kind::Passage, "Non-punishment", "3. Text");
        passage.document = Some("document-en".into());
        let mut doc = Section::new(Kind::Document, "Non-punishment", "");
        doc.id = "document-en".into();
        doc.symbols = vec!["a/hrc/47/34".into()];
        doc.source.file = "reports/A_HRC_47_34-EN.pdf".into();
        let mut report = Section::new(Kind::Report, "Non-punishment, 2021", "");
        report.symbols = vec!["A/HRC/47/34".into()];
        report.person = Some("Siobhán Mullally".into());
        report.year = Some(2021);
        let mut sections = vec![passage, doc, report];
        link_documents(&mut sections);
        assert_eq!(sections[0].person.as_deref(), Some("Siobhán Mullally"));
        assert_eq!(sections[0].year, Some(2021));
        assert_eq!(sections[1].person.as_deref(), Some("Siobhán Mullally"));
        assert_eq!(sections[2].documents.len(), 1);
        assert_eq!(sections[2].documents[0].id, "document-en");
    }

    #[test]
    fn a_later_report_with_the_same_symbol_is_the_one_linked() {
        let report = |person: &str| {
            let mut r = Section::new(Kind::Report, "Report", "");
            r.symbols = vec!["A/76/263".into()];
            r.person = Some(person.into());
            r
        };
        let mut doc = Section::new(Kind::Document, "Report", "");
        doc.id = "d".into();
        doc.symbols = vec!["A/76/263".into()];
        let mut sections = vec![report("First"), doc, report("Second")];
        link_documents(&mut sections);
        assert_eq!(sections[1].person.as_deref(), Some("Second"));
        assert!(sections[0].documents.is_empty());
        assert_eq!(sections[2].documents.len(), 1);
    }

    #[test]
    fn a_report_other_than_the_surveyed_one_is_told() {
        let mut surveyed = Section::new(Kind::Report, "Report", "");
        surveyed.symbols = vec!["A/76/263".into()];
        surveyed.person = Some("Before".into());
        let mut linker = Linker::new(ReportTable::of(std::slice::from_ref(&surveyed)));
        assert!(!linker.every_report_arrived());
        let mut changed = surveyed.clone();
        changed.person = Some("After".into());
        let Arrival::Report(n, arrived) = linker.arrive(changed) else {
            panic!("a report arrives as a report")
        };
        assert!(!linker.is_consistent(n, &arrived));
        assert!(linker.is_consistent(n, &surveyed));
        assert!(linker.every_report_arrived());
    }
}
