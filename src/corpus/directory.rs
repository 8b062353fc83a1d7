//! Parser for the directory text format: headings, `→` paragraphs, `•` items and the
//! NAME / TITLE / RECENT REPORTS table of mandate holders and their reports.
//!
//! Every non-blank line ends up in some section's `source.lines`; what cannot be
//! classified is kept in the nearest section and reported as a [`Warning`].

use super::section::{normalize_whitespace, Kind, Section, Source, Warning};
use super::symbol::{find_symbols, symbol_info};
use super::text::{
    find_acronyms, first_year, is_acronym, last_year, paragraph_title, sentences, split_name,
    starts_anaphoric, strip_honorific,
};
use regex::Regex;
use std::sync::LazyLock;

static IN_TEXT_MANDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:\b(?:its|the|their|his|her)\s+)?((?:Special|Chief|Executive|High|Deputy|Independent)?\s*(?:Representative|Rapporteur|Advis[oe]r|Coordinator|Co-ordinator|Commissioner|Director|Expert|Chair(?:person)?|President|Secretary[- ]General)\b[^,.:;()]*),\s+(?:Mr|Ms|Mrs|Dr|Prof)\.\s+((?:[A-Z][\p{L}’'\-]+)(?:\s+[A-Z][\p{L}’'\-]+){0,3})",
    )
    .expect("valid regex")
});
static PUBLICATION_IN_PARENS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\(([^()]*\b(?:Report|Action Plan|Strategic Plan|Strategy)\b[^()]*)\)")
        .expect("valid regex")
});
static PUBLICATION_NAMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"((?:[A-Z][\w’'\-]*\s+){1,6}(?:Strategy|Strategic Plan|Action Plan|Report)(?::)?\s+\d{4}(?:[/\-]\d{2,4})*)",
    )
    .expect("valid regex")
});
static REFERENCE_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:document\s+)?ref(?:erence)?\.?\s*(?:no|number|n°)\.?\s*:?\s*([A-Za-z0-9][\w/.\-]*)")
        .expect("valid regex")
});
static FUNCTION_PHRASE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:is|as)\s+(?:a|an|the)\s+(?:only\s+)?((?:[\p{L}’'“”\-]+\s+){0,5}?(?:organization|organisation|agency|body|institution|office|fund|programme|forum))\b",
    )
    .expect("valid regex")
});
static LIST_HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9]{1,3}[).]\s+\S").expect("valid regex"));

/// The result of parsing one file.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Sections in document order, ids not yet made unique across files.
    pub sections: Vec<Section>,
    /// What could not be classified.
    pub warnings: Vec<Warning>,
}

/// What one line of the directory format is.
#[derive(Debug, Clone, PartialEq)]
enum LineKind {
    Blank,
    Heading,
    Arrow,
    Bullet,
    Dash,
    Residue,
    TableHeader,
    Venue(String),
    Person,
    Text,
}

/// A classified block: one line, or a wrapped line joined with its continuation.
#[derive(Debug, Clone)]
struct Block {
    kind: LineKind,
    text: String,
    first: usize,
    last: usize,
}

/// Parses a directory-format text file into sections.
pub fn parse(file: &str, text: &str) -> Parsed {
    let blocks = blocks(text);
    let mut parser = Parser::new(file);
    for block in blocks {
        parser.block(block);
    }
    parser.finish()
}

/// Classifies a normalized, non-empty line.
fn classify(text: &str) -> LineKind {
    let first = text.chars().next();
    match first {
        None => return LineKind::Blank,
        Some('→') => return LineKind::Arrow,
        Some('•' | '◦' | '▪' | '‣' | '●') => return LineKind::Bullet,
        Some('–' | '—') => return LineKind::Dash,
        Some('+') if text.len() < 60 => return LineKind::Residue,
        _ => {}
    }
    if text.starts_with("- ") {
        return LineKind::Dash;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() <= 3 && text.chars().all(|c| c.is_uppercase() || c == ' ') && text.len() <= 30 {
        return LineKind::TableHeader;
    }
    if let Some(venue) = venue_heading(text) {
        return LineKind::Venue(venue);
    }
    if strip_honorific(text).is_some() && text.len() <= 80 && !text.contains(':') {
        return LineKind::Person;
    }
    if LIST_HEADING.is_match(text) && text.len() <= 100 && !text.ends_with('.') {
        return LineKind::Heading;
    }
    LineKind::Text
}

/// "Reports to the Human Rights Council:" → "Human Rights Council".
fn venue_heading(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    if !(lower.starts_with("report to ") || lower.starts_with("reports to ")) {
        return None;
    }
    if !text.ends_with(':') || text.len() > 80 {
        return None;
    }
    let rest = text.split_once(" to ")?.1.trim_end_matches(':').trim();
    let rest = rest.strip_prefix("the ").unwrap_or(rest);
    Some(rest.to_string())
}

/// The start of a venue heading split over two lines ("Reports to the" / "General Assembly:").
fn is_split_venue_start(text: &str) -> bool {
    let lower = text.to_lowercase();
    (lower.starts_with("report to") || lower.starts_with("reports to"))
        && !text.ends_with(':')
        && text.len() <= 30
}

/// Splits the text into classified blocks, joining split headings and wrapped lines.
fn blocks(text: &str) -> Vec<Block> {
    let lines: Vec<(usize, String)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, normalize_whitespace(l)))
        .collect();
    let mut out: Vec<Block> = Vec::new();
    let mut previous_blank = true;
    let mut i = 0;
    while i < lines.len() {
        let (no, ref line) = lines[i];
        if line.is_empty() {
            previous_blank = true;
            i += 1;
            continue;
        }
        if is_split_venue_start(line) {
            if let Some((next_no, next)) = lines.get(i + 1) {
                let joined = format!("{line} {next}");
                if let Some(venue) = venue_heading(&joined) {
                    out.push(Block {
                        kind: LineKind::Venue(venue),
                        text: joined,
                        first: no,
                        last: *next_no,
                    });
                    previous_blank = false;
                    i += 2;
                    continue;
                }
            }
        }
        let kind = classify(line);
        let wraps_previous = !previous_blank
            && kind == LineKind::Text
            && out
                .last()
                .is_some_and(|b| matches!(b.kind, LineKind::Bullet | LineKind::Arrow));
        if wraps_previous {
            let last = out.last_mut().expect("checked");
            last.text.push(' ');
            last.text.push_str(line);
            last.last = no;
        } else {
            out.push(Block {
                kind,
                text: line.clone(),
                first: no,
                last: no,
            });
        }
        previous_blank = false;
        i += 1;
    }
    out
}

/// Parser state while walking the blocks of one file.
struct Parser<'f> {
    file: &'f str,
    sections: Vec<Section>,
    warnings: Vec<Warning>,
    /// The document heading, outermost path entry.
    root: Option<String>,
    /// The current group heading (an arrow or top-level paragraph).
    group: Option<String>,
    /// The item whose text ended with ':' and whose children follow.
    parent: Option<usize>,
    /// The last organization or mandate item (target of continuation paragraphs).
    last_item: Option<usize>,
    /// Inside the NAME / TITLE / RECENT REPORTS table.
    in_table: bool,
    /// The mandate of the current table row.
    mandate: Option<usize>,
    /// The venue heading in force for the current row.
    venue: Option<String>,
}

impl<'f> Parser<'f> {
    fn new(file: &'f str) -> Self {
        Parser {
            file,
            sections: Vec::new(),
            warnings: Vec::new(),
            root: None,
            group: None,
            parent: None,
            last_item: None,
            in_table: false,
            mandate: None,
            venue: None,
        }
    }

    fn block(&mut self, block: Block) {
        match block.kind.clone() {
            LineKind::Blank => {}
            LineKind::Heading => self.heading(&block),
            LineKind::Arrow => self.group_paragraph(&block, true),
            LineKind::Bullet => self.item(&block),
            LineKind::TableHeader => self.table_header(&block),
            LineKind::Person if self.in_table => self.table_person(&block),
            LineKind::Person => self.item(&block),
            LineKind::Venue(venue) => self.venue_heading(&block, venue),
            LineKind::Dash => self.report_line(&block),
            LineKind::Residue => self.residue(&block),
            LineKind::Text => self.text(&block),
        }
    }

    fn warn(&mut self, line: usize, message: impl Into<String>) {
        self.warnings.push(Warning {
            file: self.file.to_string(),
            line,
            message: message.into(),
        });
    }

    fn source(&self, block: &Block) -> Source {
        Source {
            file: self.file.to_string(),
            lines: [block.first, block.last],
            page: None,
        }
    }

    fn base_path(&self) -> Vec<String> {
        self.root.iter().chain(self.group.iter()).cloned().collect()
    }

    fn push(&mut self, section: Section) -> usize {
        self.sections.push(section);
        self.sections.len() - 1
    }

    fn extend_lines(&mut self, index: usize, block: &Block) {
        let lines = &mut self.sections[index].source.lines;
        lines[0] = lines[0].min(block.first);
        lines[1] = lines[1].max(block.last);
    }

    fn append_body(&mut self, index: usize, text: &str) {
        let body = &mut self.sections[index].body;
        if !body.is_empty() {
            body.push(' ');
        }
        body.push_str(text);
    }

    fn end_table(&mut self) {
        self.in_table = false;
        self.mandate = None;
        self.venue = None;
    }

    fn heading(&mut self, block: &Block) {
        self.end_table();
        let title = LIST_HEADING
            .find(&block.text)
            .map(|m| {
                // The match ends with the title's first character, which may take
                // more than one byte (`a) “Quoted”`, `b) → …`).
                let first = block.text[..m.end()]
                    .chars()
                    .next_back()
                    .map_or(0, char::len_utf8);
                block.text[m.end() - first..].to_string()
            })
            .unwrap_or_else(|| block.text.clone());
        let mut section = Section::new(Kind::Overview, title.clone(), block.text.clone());
        section.source = self.source(block);
        self.push(section);
        self.root = Some(title);
        self.group = None;
        self.parent = None;
        self.last_item = None;
    }

    /// An arrow paragraph or a top-level paragraph: an overview that heads what follows.
    fn group_paragraph(&mut self, block: &Block, arrow: bool) {
        self.end_table();
        let text = if arrow {
            block.text.trim_start_matches('→').trim().to_string()
        } else {
            block.text.clone()
        };
        let title = paragraph_title(&text, 12);
        let mut section = Section::new(Kind::Overview, title.clone(), text.clone());
        section.path = self.root.iter().cloned().collect();
        section.source = self.source(block);
        section.acronyms = find_acronyms(&text);
        self.push(section);
        self.group = Some(title);
        self.parent = None;
        self.last_item = None;
    }

    /// A `•` item (or a person line outside the table): an organization or a mandate.
    fn item(&mut self, block: &Block) {
        self.end_table();
        let text = block
            .text
            .trim_start_matches(['•', '◦', '▪', '‣', '●'])
            .trim();
        let mut parts = text.split('→').map(str::trim).filter(|p| !p.is_empty());
        let head = parts.next().unwrap_or("").to_string();
        let rest: Vec<String> = parts.map(str::to_string).collect();
        let index = if let Some(after) = strip_honorific(&head) {
            let index = self.person_mandate(block, after, text);
            for entry in &rest {
                self.report_entry(block, index, entry, None);
            }
            index
        } else {
            let (lead, _) = split_lead(&head);
            let index = match person_in_parentheses(lead) {
                Some((role, person)) => self.titled_mandate(block, &role, &person, text),
                None => self.organization(block, lead, text),
            };
            self.parent = None;
            index
        };
        if text.ends_with(':') {
            self.parent = Some(index);
        }
        self.last_item = Some(index);
    }

    /// "Ms. Virginia Gamba, Special Representative for ..." → a mandate.
    fn person_mandate(&mut self, block: &Block, after_honorific: &str, text: &str) -> usize {
        let (person, role) = split_name(after_honorific);
        let mut section = Section::new(Kind::Mandate, mandate_title(&person, &role), text);
        section.person = Some(person);
        section.role = (!role.is_empty()).then_some(role);
        section.source = self.source(block);
        section.path = self.base_path();
        if let Some(parent) = self.parent {
            let p = &self.sections[parent];
            section.path.push(p.title.clone());
            section.org = p.org.clone();
        }
        section.acronyms = find_acronyms(text);
        self.push(section)
    }

    /// "Secretary-General of the United Nations (Mr. António Guterres): ..." → a mandate.
    fn titled_mandate(&mut self, block: &Block, role: &str, person: &str, text: &str) -> usize {
        let mut section = Section::new(Kind::Mandate, mandate_title(person, role), text);
        section.person = Some(person.to_string());
        section.role = Some(role.to_string());
        section.org = org_in_role(role);
        section.source = self.source(block);
        section.path = self.base_path();
        section.acronyms = find_acronyms(text);
        self.push(section)
    }

    fn organization(&mut self, block: &Block, lead: &str, text: &str) -> usize {
        let (name, acronym) = organization_name(lead, text);
        let title = match &acronym {
            Some(a) if !name.contains(a.as_str()) => format!("{name} ({a})"),
            _ => name.clone(),
        };
        let mut section = Section::new(Kind::Organization, title, text);
        section.org = Some(name);
        section.source = self.source(block);
        section.path = self.base_path();
        section.acronyms = acronym.into_iter().collect();
        self.push(section)
    }

    fn table_header(&mut self, block: &Block) {
        match self.last_item {
            Some(index) => {
                self.in_table = true;
                self.mandate = None;
                self.extend_lines(index, block);
            }
            None => self.unclassified(block, "table header outside any item"),
        }
    }

    /// A NAME cell: opens a mandate row of the table.
    fn table_person(&mut self, block: &Block) {
        let after = strip_honorific(&block.text).unwrap_or(&block.text);
        let (person, _) = split_name(after);
        let mut section = Section::new(Kind::Mandate, person.clone(), block.text.clone());
        section.person = Some(person);
        section.source = self.source(block);
        section.path = self.base_path();
        if let Some(parent) = self.last_item {
            let p = &self.sections[parent];
            section.path.push(p.title.clone());
            section.org = p.org.clone();
        }
        self.mandate = Some(self.push(section));
        self.venue = None;
    }

    fn venue_heading(&mut self, block: &Block, venue: String) {
        match self.mandate {
            Some(index) => {
                self.extend_lines(index, block);
                self.append_body(index, &block.text);
                self.venue = Some(venue);
            }
            None => self.unclassified(block, "report heading outside a mandate"),
        }
    }

    /// A `– Title, 2021 (A/HRC/47/34)` line of the table.
    fn report_line(&mut self, block: &Block) {
        let entry = block
            .text
            .trim_start_matches(['–', '—', '-'])
            .trim()
            .to_string();
        match self.mandate.or(self.last_item) {
            Some(index) => {
                self.extend_lines(index, block);
                self.append_body(index, &format!("{entry}."));
                let venue = self.venue.clone();
                self.report_entry(block, index, &entry, venue);
            }
            None => self.unclassified(block, "report line outside a mandate"),
        }
    }

    /// Creates the report section for one entry written by the section at `author`.
    fn report_entry(&mut self, block: &Block, author: usize, entry: &str, venue: Option<String>) {
        let parsed = parse_report_entry(entry);
        if parsed.unclosed {
            self.warn(
                block.first,
                format!("closing parenthesis missing after symbol in `{entry}`"),
            );
        }
        if parsed.symbols.is_empty() {
            self.warn(
                block.first,
                format!("report without a document symbol: `{entry}`"),
            );
        }
        let a = &self.sections[author];
        let mut section = Section::new(Kind::Report, parsed.title.clone(), entry);
        section.year = parsed.year;
        section.role = a.role.clone();
        section.person = a.person.clone();
        section.org = a.org.clone();
        section.path = a.path.clone();
        section.path.push(a.title.clone());
        if let Some(v) = &venue {
            section.path.push(format!("Reports to the {v}"));
        }
        section.venue = venue.or_else(|| {
            parsed
                .symbols
                .first()
                .and_then(|s| symbol_info(s))
                .map(|i| i.organ_name.to_string())
        });
        for symbol in &parsed.symbols {
            if !self.sections[author].symbols.contains(symbol) {
                self.sections[author].symbols.push(symbol.clone());
            }
        }
        section.symbols = parsed.symbols;
        section.acronyms = find_acronyms(entry);
        section.source = self.source(block);
        self.push(section);
    }

    fn residue(&mut self, block: &Block) {
        match self
            .mandate
            .or(self.last_item)
            .or(self.sections.len().checked_sub(1))
        {
            Some(index) => self.extend_lines(index, block),
            None => self.unclassified(block, "link residue before any section"),
        }
    }

    fn text(&mut self, block: &Block) {
        if self.in_table {
            if let Some(index) = self.mandate {
                if self.sections[index].role.is_none() && self.venue.is_none() {
                    return self.table_title(index, block);
                }
            }
            return self.unclassified(block, "unrecognised line inside the mandate table");
        }
        if REFERENCE_NUMBER.is_match(&block.text) {
            return self.reference(block);
        }
        match self.last_item {
            Some(index) if starts_anaphoric(&block.text) => {
                self.extend_lines(index, block);
                self.append_body(index, &block.text);
            }
            _ => self.group_paragraph(block, false),
        }
    }

    /// The TITLE cell of a table row: the mandate's role.
    fn table_title(&mut self, index: usize, block: &Block) {
        let role = block.text.trim_end_matches('.').to_string();
        let section = &mut self.sections[index];
        let person = section.person.clone().unwrap_or_default();
        section.title = mandate_title(&person, &role);
        section.role = Some(role);
        section.body = format!("{}. {}.", section.body, block.text.trim_end_matches('.'));
        self.extend_lines(index, block);
    }

    /// A footnote-style reference: "Europol, Situation report: ..., October 2018, document ref no: 1001370".
    fn reference(&mut self, block: &Block) {
        self.end_table();
        let text = &block.text;
        let fields: Vec<&str> = text.split(", ").collect();
        let author = fields
            .first()
            .filter(|f| f.split_whitespace().count() <= 4 && fields.len() > 2)
            .map(|f| f.to_string());
        let title = match &author {
            Some(_) => fields[1].to_string(),
            None => paragraph_title(text, 16),
        };
        let mut section = Section::new(Kind::Report, title, text.clone());
        section.symbols = REFERENCE_NUMBER
            .captures(text)
            .and_then(|c| c.get(1))
            .map(|m| vec![m.as_str().trim_end_matches('.').to_string()])
            .unwrap_or_default();
        section.year = last_year(text);
        section.role = author.as_deref().map(|a| self.resolve_org_title(a));
        section.org = author;
        section.path = self.root.iter().cloned().collect();
        section.source = self.source(block);
        section.acronyms = find_acronyms(text);
        self.push(section);
    }

    /// "Europol" → "European Police Office (EUROPOL)" when an organization of that name exists.
    fn resolve_org_title(&self, name: &str) -> String {
        self.sections
            .iter()
            .filter(|s| s.kind == Kind::Organization)
            .find(|s| {
                s.acronyms.iter().any(|a| a.eq_ignore_ascii_case(name))
                    || s.org
                        .as_deref()
                        .is_some_and(|o| o.eq_ignore_ascii_case(name))
            })
            .map(|s| s.title.clone())
            .unwrap_or_else(|| name.to_string())
    }

    fn unclassified(&mut self, block: &Block, why: &str) {
        self.warn(
            block.first,
            format!("{why}: kept in the nearest section: `{}`", block.text),
        );
        let index = match self
            .mandate
            .or(self.last_item)
            .or(self.sections.len().checked_sub(1))
        {
            Some(index) => index,
            None => {
                let mut section =
                    Section::new(Kind::Overview, paragraph_title(&block.text, 12), "");
                section.source = self.source(block);
                self.push(section)
            }
        };
        self.extend_lines(index, block);
        self.append_body(index, &block.text);
    }

    /// Derives what needs the whole text of a section: acronyms, roles, in-text mandates, publications.
    fn finish(mut self) -> Parsed {
        let parsed = std::mem::take(&mut self.sections);
        for mut section in parsed {
            if section.kind != Kind::Organization {
                self.sections.push(section);
                continue;
            }
            self.complete_organization(&mut section);
            let extra: Vec<Section> = in_text_mandates(&section)
                .into_iter()
                .chain(publications(&section))
                .collect();
            self.sections.push(section);
            self.sections.extend(extra);
        }
        for section in &mut self.sections {
            // Titles too: read back from `tipdex sections` output, JSONL normalizes them.
            section.title = normalize_whitespace(&section.title);
            section.body = normalize_whitespace(&section.body);
        }
        Parsed {
            sections: self.sections,
            warnings: self.warnings,
        }
    }

    fn complete_organization(&self, section: &mut Section) {
        let level = section.path.last().and_then(|g| level_of(g));
        for a in find_acronyms(&section.body) {
            if !section.acronyms.contains(&a) {
                section.acronyms.push(a);
            }
        }
        section.role = function_of(&section.body).or(level);
    }
}

/// Splits an item into its lead (the name) and its description.
fn split_lead(head: &str) -> (&str, &str) {
    if let Some(i) = head.find(':') {
        let lead = &head[..i];
        if lead.len() <= 150 && !lead.contains(" is ") && !lead.contains(" are ") {
            return (lead.trim(), head[i + 1..].trim());
        }
    }
    let first_word = head.split_whitespace().next().unwrap_or("");
    if is_acronym(first_word) {
        if let Some(close) = head
            .find(')')
            .filter(|_| head[first_word.len()..].trim_start().starts_with('('))
        {
            return (head[..=close].trim(), head[close + 1..].trim());
        }
    }
    for verb in [" is ", " are ", " was ", " has "] {
        if let Some(i) = head.find(verb).filter(|&i| i <= 150) {
            return (head[..i].trim(), head[i..].trim());
        }
    }
    let title = paragraph_title(head, 10);
    let cut = title.trim_end_matches('…').len().min(head.len());
    (&head[..cut], &head[cut..])
}

/// "Secretary-General of the United Nations (Mr. António Guterres)" → (role, person).
fn person_in_parentheses(lead: &str) -> Option<(String, String)> {
    let open = lead.find('(')?;
    let inner = lead[open + 1..].trim_end_matches(')');
    let after = strip_honorific(inner.trim())?;
    let (person, _) = split_name(after);
    Some((lead[..open].trim().to_string(), person))
}

/// "Secretary-General of the United Nations" → "United Nations".
fn org_in_role(role: &str) -> Option<String> {
    let (_, org) = role.rsplit_once(" of the ")?;
    org.chars()
        .next()
        .is_some_and(char::is_uppercase)
        .then(|| org.trim().to_string())
}

/// The name and acronym of an organization from the lead of its item.
fn organization_name(lead: &str, text: &str) -> (String, Option<String>) {
    let lead = lead.trim();
    // "Full Name (ACR)" or "ACR (Full Name)"
    if let (Some(open), true) = (lead.find('('), lead.ends_with(')')) {
        let outside = lead[..open].trim();
        let inside = lead[open + 1..lead.len() - 1].trim();
        if is_acronym(inside) {
            return (outside.to_string(), Some(inside.to_string()));
        }
        if is_acronym(outside) {
            return (inside.to_string(), Some(outside.to_string()));
        }
    }
    // "UNICEF: United Nations Children’s Fund (UNICEF) is ..."
    if is_acronym(lead) && !lead.contains(' ') {
        let pattern = format!("({lead})");
        if let Some(end) = text.find(&pattern) {
            let before = &text[..end];
            let start = before.rfind(": ").map_or(0, |i| i + 2);
            let name = before[start..].trim();
            if !name.is_empty() && name.split_whitespace().count() <= 10 {
                return (name.to_string(), Some(lead.to_string()));
            }
        }
        return (lead.to_string(), Some(lead.to_string()));
    }
    // "The Commonwealth or Commonwealth of Nations"
    let lead = lead.strip_prefix("The ").unwrap_or(lead);
    let name = lead.rsplit(" or ").next().unwrap_or(lead).trim();
    (name.to_string(), None)
}

fn mandate_title(person: &str, role: &str) -> String {
    match (person.is_empty(), role.is_empty()) {
        (false, false) => format!("{person}, {role}"),
        (false, true) => person.to_string(),
        _ => role.to_string(),
    }
}

/// A report entry split into title, year and symbols.
#[derive(Debug, PartialEq)]
struct ReportEntry {
    title: String,
    year: Option<i64>,
    symbols: Vec<String>,
    unclosed: bool,
}

/// "Application of the principle of non-punishment, 2021 (A/HRC/47/34)".
fn parse_report_entry(entry: &str) -> ReportEntry {
    let symbols = find_symbols(entry);
    let mut head = entry;
    let mut unclosed = false;
    if let Some(first) = symbols.first() {
        if let Some(pos) = entry.find(first.as_str()) {
            if let Some(open) = entry[..pos].rfind('(') {
                head = &entry[..open];
                unclosed = !entry[pos..].contains(')');
            }
        }
    }
    let head = head.trim().trim_end_matches([',', ';', ' ']);
    let (title, year) = match head.rsplit_once(", ") {
        Some((t, y)) if y.trim().len() == 4 && y.trim().parse::<i64>().is_ok() => {
            (t.to_string(), y.trim().parse().ok())
        }
        _ => (head.to_string(), last_year(entry)),
    };
    ReportEntry {
        title: title.trim().to_string(),
        year,
        symbols,
        unclosed,
    }
}

/// "… its Special Representative and Coordinator for …, Mr. Valiant Richey." → a mandate.
fn in_text_mandates(org: &Section) -> Vec<Section> {
    let mut out = Vec::new();
    let org_name = org.org.clone().unwrap_or_else(|| org.title.clone());
    let sentences = sentences(&org.body);
    for caps in IN_TEXT_MANDATE.captures_iter(&org.body) {
        let role = normalize_whitespace(&caps[1]);
        let person = caps[2].to_string();
        let mut body = Vec::new();
        let mut following = false;
        for s in &sentences {
            if s.contains(person.as_str()) {
                body.push(*s);
                following = true;
            } else if following && mentions_pronoun(s) {
                body.push(*s);
            } else if following {
                break;
            }
        }
        let mut section =
            Section::new(Kind::Mandate, mandate_title(&person, &role), body.join(" "));
        section.person = Some(person);
        section.role = Some(role);
        section.org = Some(org_name.clone());
        section.path = org.path.clone();
        section.path.push(org.title.clone());
        section.source = org.source.clone();
        out.push(section);
    }
    out
}

fn mentions_pronoun(sentence: &str) -> bool {
    sentence.split(|c: char| !c.is_alphabetic()).any(|w| {
        matches!(
            w,
            "he" | "she" | "his" | "her" | "He" | "She" | "His" | "Her"
        )
    })
}

/// Publications named in an organization's text: "(World Migration Report 2022)".
fn publications(org: &Section) -> Vec<Section> {
    let body = &org.body;
    let mut spans: Vec<(usize, usize, String)> = Vec::new();
    for caps in PUBLICATION_IN_PARENS.captures_iter(body) {
        let m = caps.get(1).expect("group 1");
        spans.push((m.start(), m.end(), m.as_str().trim().to_string()));
    }
    for caps in PUBLICATION_NAMED.captures_iter(body) {
        let m = caps.get(1).expect("group 1");
        if !spans.iter().any(|(a, b, _)| m.start() < *b && *a < m.end()) {
            let name = m.as_str().trim();
            let name = name
                .strip_prefix("The ")
                .or_else(|| name.strip_prefix("the "))
                .unwrap_or(name);
            spans.push((m.start(), m.end(), name.to_string()));
        }
    }
    spans.sort();
    let sentences = sentences(body);
    spans
        .into_iter()
        .map(|(_, _, title)| {
            let sentence = sentences
                .iter()
                .find(|s| s.contains(title.as_str()))
                .copied()
                .unwrap_or(title.as_str());
            let mut section = Section::new(Kind::Report, title.clone(), sentence);
            section.year = first_year(&title);
            section.role = Some(org.title.clone());
            section.org = org.org.clone();
            section.path = org.path.clone();
            section.path.push(org.title.clone());
            section.acronyms = find_acronyms(&title);
            section.source = org.source.clone();
            section
        })
        .collect()
}

/// An organization's function as its text states it ("is a European police agency").
fn function_of(body: &str) -> Option<String> {
    let caps = FUNCTION_PHRASE.captures(body)?;
    let phrase = caps[1].replace(['“', '”'], "");
    Some(normalize_whitespace(&phrase))
}

/// The level an organization sits at, from the heading of its group.
fn level_of(group: &str) -> Option<String> {
    let lower = group.to_lowercase();
    let level = if lower.contains("not belonging") || lower.starts_with("other international") {
        "international organization outside the United Nations system"
    } else if lower.contains("united nations system") || lower.contains("un system") {
        "United Nations system body"
    } else if lower.contains("regional") {
        "regional organization"
    } else if lower.contains("law enforcement") || lower.contains("police") {
        "international law enforcement agency"
    } else {
        return None;
    };
    Some(level.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Parsed {
        parse("t.txt", text)
    }

    fn find<'a>(p: &'a Parsed, title_part: &str) -> &'a Section {
        p.sections
            .iter()
            .find(|s| s.title.contains(title_part))
            .unwrap_or_else(|| panic!("no section titled {title_part}: {:#?}", p.sections))
    }

    #[test]
    fn nbsp_lines_are_blank_and_nbsp_inside_names_is_a_space() {
        let p = parse_str("\u{a0}\n\nNAME\n\nMs. Siobhán\u{a0}Mullally\n");
        assert!(p
            .sections
            .iter()
            .any(|s| s.person.as_deref() == Some("Siobhán Mullally")));
    }

    #[test]
    fn arrow_as_list_marker_and_as_separator() {
        let p = parse_str(
            "→ Within the United Nations system many bodies are involved:\n\n  \
             • Ms. Virginia Gamba, Special Representative for Children and Armed Conflict → Report for the 49th session of the HRC, 2022 (A/HRC/49/58)\n",
        );
        let overview = find(&p, "Within the United Nations system");
        assert_eq!(overview.kind, Kind::Overview);
        let mandate = find(&p, "Virginia Gamba");
        assert_eq!(mandate.kind, Kind::Mandate);
        assert_eq!(
            mandate.role.as_deref(),
            Some("Special Representative for Children and Armed Conflict")
        );
        let report = find(&p, "49th session");
        assert_eq!(report.kind, Kind::Report);
        assert_eq!(report.symbols, vec!["A/HRC/49/58"]);
        assert_eq!(report.year, Some(2022));
        assert_eq!(report.person.as_deref(), Some("Virginia Gamba"));
        assert_eq!(report.venue.as_deref(), Some("Human Rights Council"));
    }

    #[test]
    fn symbol_without_closing_parenthesis_is_parsed_and_warned() {
        let p = parse_str(
            "• Ms. Najat Maalla, Special Representative on violence against children → Report for the 49th session of the HRC, 2022 (A/HRC/49/57\n",
        );
        let report = find(&p, "49th session");
        assert_eq!(report.symbols, vec!["A/HRC/49/57"]);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, 1);
    }

    #[test]
    fn name_separated_by_period() {
        let p = parse_str(
            "• Ms. Alice Wairimu\u{a0}Nderitu. Special Advisor for the Prevention of Genocide.\n",
        );
        let m = find(&p, "Nderitu");
        assert_eq!(m.person.as_deref(), Some("Alice Wairimu Nderitu"));
        assert_eq!(
            m.role.as_deref(),
            Some("Special Advisor for the Prevention of Genocide")
        );
    }

    const TABLE: &str = "• United Nations Human Rights Council (UNHRC): experts, among which:\u{a0}\n\n\u{a0}\n\nNAME\n\nTITLE\n\nRECENT REPORTS\n\n\
Mr. Tomoya\u{a0}Obokata\u{a0}\n\nSpecial Rapporteur on contemporary forms of slavery, including its causes and consequences\n\n\
Report to the Human Rights Council:\n\n– Link between displacement and contemporary forms of slavery, 2021 (A/HRC/48/52)\n\
\u{a0}Reports to the\nGeneral Assembly:\n\n– Role of organized criminal groups in contemporary forms of slavery, 2021 (A/76/170)\n\n+ Previous reports\n";

    #[test]
    fn flattened_table_becomes_mandate_and_reports() {
        let p = parse_str(TABLE);
        let org = find(&p, "Human Rights Council (UNHRC)");
        assert_eq!(org.kind, Kind::Organization);
        assert_eq!(org.source.lines, [1, 9]);
        let m = find(&p, "Tomoya Obokata");
        assert_eq!(m.kind, Kind::Mandate);
        assert!(m
            .role
            .as_deref()
            .unwrap()
            .starts_with("Special Rapporteur on contemporary"));
        assert_eq!(
            m.org.as_deref(),
            Some("United Nations Human Rights Council")
        );
        assert_eq!(
            m.source.lines,
            [11, 23],
            "mandate spans its rows and the residue"
        );
        assert!(!m.body.contains("Previous reports"));
        let hrc = find(&p, "Link between displacement");
        assert_eq!(hrc.venue.as_deref(), Some("Human Rights Council"));
        assert_eq!(hrc.year, Some(2021));
        assert_eq!(hrc.role, m.role);
        assert_eq!(hrc.person.as_deref(), Some("Tomoya Obokata"));
        let ga = find(&p, "Role of organized criminal groups");
        assert_eq!(
            ga.venue.as_deref(),
            Some("General Assembly"),
            "heading split over two lines"
        );
        assert_eq!(ga.symbols, vec!["A/76/170"]);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn heading_followed_by_empty_list_stays_an_overview() {
        let p = parse_str(
            "→ Other organizations have publications. For example:\n\n\u{a0}\n\n→At the regional level, organizations work:\n\n  • Council of Europe: The Council acts.\n",
        );
        assert_eq!(p.sections.len(), 3);
        assert_eq!(p.sections[0].kind, Kind::Overview);
        assert_eq!(
            p.sections[1].title,
            "At the regional level, organizations work"
        );
        assert_eq!(
            p.sections[2].path,
            vec!["At the regional level, organizations work"]
        );
    }

    #[test]
    fn continuation_paragraph_joins_its_organization() {
        let p = parse_str(
            "  • Council of Europe: The Council of Europe Convention (GRETA) acts.\n\nThis mechanism, as well as the European Court of Human Rights (ECHR), shows it.\n",
        );
        assert_eq!(p.sections.len(), 1);
        let org = &p.sections[0];
        assert_eq!(org.source.lines, [1, 3]);
        assert_eq!(org.acronyms, vec!["GRETA", "ECHR"]);
    }

    #[test]
    fn footnote_reference_is_a_report_with_its_number() {
        let p = parse_str(
            "Europol, Situation report: Criminal networks involved in the trafficking of underage victims, The Hague, October 2018, document ref no: 1001370",
        );
        let r = &p.sections[0];
        assert_eq!(r.kind, Kind::Report);
        assert_eq!(r.symbols, vec!["1001370"]);
        assert_eq!(r.year, Some(2018));
        assert_eq!(r.org.as_deref(), Some("Europol"));
        assert!(r.title.starts_with("Situation report"));
    }

    #[test]
    fn in_text_mandate_and_publications_of_an_organization() {
        let p = parse_str(
            "  • Organization for Security and Co-operation in Europe (OSCE): It acts (Decision No. 557 OSCE Action Plan to Combat Trafficking in Human Beings). The OSCE is active through its Special Representative and Coordinator for Combating Trafficking in Human Beings, Mr. Valiant Richey. Each year, he organizes a conference.\n",
        );
        let m = find(&p, "Valiant Richey");
        assert_eq!(m.kind, Kind::Mandate);
        assert_eq!(
            m.role.as_deref(),
            Some(
                "Special Representative and Coordinator for Combating Trafficking in Human Beings"
            )
        );
        assert_eq!(
            m.org.as_deref(),
            Some("Organization for Security and Co-operation in Europe")
        );
        assert!(m.body.contains("Each year, he organizes"));
        let plan = find(&p, "Action Plan");
        assert_eq!(plan.kind, Kind::Report);
    }

    #[test]
    fn organization_name_forms() {
        assert_eq!(
            organization_name("INTERPOL (International Criminal Police Organization)", ""),
            (
                "International Criminal Police Organization".into(),
                Some("INTERPOL".into())
            )
        );
        assert_eq!(
            organization_name(
                "UNICEF",
                "UNICEF: United Nations Children’s Fund (UNICEF) is"
            ),
            (
                "United Nations Children’s Fund".into(),
                Some("UNICEF".into())
            )
        );
        assert_eq!(
            organization_name("The Commonwealth or Commonwealth of Nations", ""),
            ("Commonwealth of Nations".into(), None)
        );
    }

    #[test]
    fn unknown_line_in_table_is_kept_and_warned() {
        let p = parse_str(
            "• Council (HRC): list:\n\nNAME\n\nMs. A Person\n\nTitle\n\nsome stray line\n",
        );
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, 9);
        let m = find(&p, "A Person");
        assert!(m.body.contains("some stray line"));
        assert_eq!(m.source.lines, [5, 9]);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "(?s).{0,400}") {
            let _ = parse("p.txt", &text);
        }

        #[test]
        fn directory_like_text_never_panics_and_keeps_lines(
            lines in proptest::collection::vec(
                prop_oneof![
                    Just("NAME".to_string()),
                    Just("\u{a0}".to_string()),
                    Just(String::new()),
                    Just("+ Previous reports".to_string()),
                    Just("Reports to the".to_string()),
                    "[•→–] ?[A-Za-z(): ,./0-9\u{a0}]{0,40}",
                    "(Mr|Ms)\\. [A-Z][a-z]{1,8}[,.] [A-Za-z ]{0,30}",
                    "[A-Za-z ()/0-9:,]{0,60}",
                ],
                0..30,
            )
        ) {
            let text = lines.join("\n");
            let parsed = parse("p.txt", &text);
            for (i, line) in text.lines().enumerate() {
                let no = i + 1;
                if line.trim().is_empty() { continue; }
                prop_assert!(parsed.sections.iter().any(|s| s.source.lines[0] <= no && no <= s.source.lines[1]),
                    "line {} lost: {:?}", no, line);
            }
        }
    }
}
