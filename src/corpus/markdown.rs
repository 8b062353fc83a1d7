//! Loader for Markdown corpus files: one section per heading.

use super::section::{normalize_whitespace, Kind, Section, Source};
use super::symbol::{find_symbols, symbol_info};
use super::text::{find_acronyms, first_year, split_name, strip_honorific};

/// Parses Markdown into one section per `#` heading; text before the first heading is an overview.
pub fn parse(file: &str, text: &str) -> Vec<Section> {
    let mut sections = Vec::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut current: Option<(Section, Vec<String>)> = None;
    let mut in_fence = false;
    for (i, line) in text.lines().enumerate() {
        let no = i + 1;
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
        }
        let heading = (!in_fence).then(|| heading_of(trimmed)).flatten();
        if let Some((level, title)) = heading {
            if let Some(done) = current.take() {
                sections.push(finish(done));
            }
            stack.retain(|(l, _)| *l < level);
            let path = stack.iter().map(|(_, t)| t.clone()).collect();
            let mut section = Section::new(Kind::Overview, title.clone(), "");
            section.path = path;
            section.source = Source {
                file: file.to_string(),
                lines: [no, no],
                page: None,
            };
            current = Some((section, Vec::new()));
            stack.push((level, title));
            continue;
        }
        if trimmed.is_empty() && current.is_none() {
            continue;
        }
        let (section, lines) = current.get_or_insert_with(|| {
            let mut s = Section::new(Kind::Overview, String::new(), "");
            s.source = Source {
                file: file.to_string(),
                lines: [no, no],
                page: None,
            };
            (s, Vec::new())
        });
        if !trimmed.is_empty() {
            section.source.lines[1] = no;
            lines.push(strip_markup(trimmed));
        }
    }
    if let Some(done) = current.take() {
        sections.push(finish(done));
    }
    sections
}

/// `## Title` → (2, "Title").
fn heading_of(line: &str) -> Option<(usize, String)> {
    let level = line.chars().take_while(|&c| c == '#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &line[level..];
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    let title = normalize_whitespace(rest.trim().trim_end_matches('#'));
    Some((level, title))
}

/// Drops list markers and emphasis so the body reads as text.
fn strip_markup(line: &str) -> String {
    let line = line
        .trim_start_matches(['-', '*', '+', '>'])
        .trim_start()
        .replace("**", "")
        .replace("__", "");
    normalize_whitespace(&line)
}

/// Classifies the section from its title and body and fills the derived fields.
fn finish((mut section, lines): (Section, Vec<String>)) -> Section {
    section.body = normalize_whitespace(&lines.join(" "));
    if section.title.is_empty() {
        section.title = super::text::paragraph_title(&section.body, 12);
    }
    let head = format!(
        "{} {}",
        section.title,
        lines.first().cloned().unwrap_or_default()
    );
    section.symbols = find_symbols(&section.title);
    if section.symbols.is_empty() {
        section.symbols = find_symbols(&section.body);
    }
    section.acronyms = find_acronyms(&head);
    if !find_symbols(&section.title).is_empty() {
        section.kind = Kind::Report;
        section.year = first_year(&section.title).or_else(|| first_year(&section.body));
        // As the other parsers do: a UN symbol names the organ the report went to (and
        // `tipdex sections` output read back as JSONL gives the same section).
        section.venue = section
            .symbols
            .first()
            .and_then(|s| symbol_info(s))
            .map(|i| i.organ_name.to_string());
    } else if let Some(after) = strip_honorific(&section.title) {
        let (person, role) = split_name(after);
        section.kind = Kind::Mandate;
        section.person = Some(person);
        section.role = (!role.is_empty()).then_some(role);
    } else if !section.acronyms.is_empty() && !section.body.is_empty() {
        section.kind = Kind::Organization;
        section.org = Some(section.title.clone());
    }
    section
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_section_per_heading_with_path() {
        let text = "# Bodies\n\nIntro text.\n\n## Council of Europe (CoE)\n\n- Runs **GRETA**.\n\n## Report A/HRC/50/1, 2022\n\nOn labour.\n";
        let s = parse("x.md", text);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].title, "Bodies");
        assert_eq!(s[0].body, "Intro text.");
        assert_eq!(s[1].kind, Kind::Organization);
        assert_eq!(s[1].path, vec!["Bodies"]);
        assert_eq!(s[1].body, "Runs GRETA.");
        assert_eq!(s[2].kind, Kind::Report);
        assert_eq!(s[2].symbols, vec!["A/HRC/50/1"]);
        assert_eq!(s[2].year, Some(2022));
        assert_eq!(s[2].venue.as_deref(), Some("Human Rights Council"));
        assert_eq!(s[2].source.lines, [9, 11]);
    }

    #[test]
    fn text_before_any_heading_and_fenced_hashes() {
        let s = parse("x.md", "Preface line.\n\n```\n# not a heading\n```\n");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].kind, Kind::Overview);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_markdown_never_panics(text in "(?s)[#\\-* a-zA-Z\n`]{0,300}") {
            let _ = super::parse("p.md", &text);
        }
    }
}
