//! A report's cover page: its symbols, title, date, language, session, agenda item and
//! author; else what the file name says.

use super::{Block, BlockRole};
use crate::corpus::symbol::{find_symbols, looks_like_symbol};
use regex::Regex;
use std::sync::LazyLock;

/// Lines of the first page read as the cover.
const COVER_LINES: usize = 40;
/// The symbol is printed among the top lines.
const SYMBOL_LINES: usize = 12;

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(\d{1,2})(?:er)?\s+(january|february|march|april|may|june|july|august|september|october|november|december|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)\s+((?:19|20)\d{2})\b",
    )
    .expect("valid regex")
});
static SESSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:[\p{L}-]+\s+)?(?:session|período de sesiones)(?:\s+\(?\p{L}.*)?$|^\p{L}+-\p{L}+\s+session$")
        .expect("valid regex")
});
static AGENDA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:agenda items?\s+\d.*|point\s+\d+.*ordre du jour.*|points\s+\d.*ordre du jour.*|tema\s+\d+.*programa.*)$")
        .expect("valid regex")
});
static AUTHOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:Report of the|Report by the|Rapport de la|Rapport du|Rapport de l’|Rapport de l'|Informe de la|Informe del)\s+(.+)$")
        .expect("valid regex")
});
static SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:summary|résumé|resumen|note by the secretariat|note du secrétariat)$")
        .expect("valid regex")
});
static NUMBERED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{1,3}\.\s+\S").expect("valid regex"));
/// A language suffix of a file name: `-EN`, `_F`, `-fr`.
static FILE_LANGUAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)[-_.](en|fr|es|ar|ru|zh|e|f|s|r|c)$").expect("valid regex"));

/// What a cover page (or the file name) says about a document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cover {
    /// UN symbols, the main one first.
    pub symbols: Vec<String>,
    /// The title.
    pub title: Option<String>,
    /// The date as printed ("17 April 2021").
    pub date: Option<String>,
    /// The year of the date.
    pub year: Option<i64>,
    /// The language of this version (ISO 639-1), from the cover's own words or the file name.
    pub language: Option<String>,
    /// The session line ("Forty-seventh session").
    pub session: Option<String>,
    /// The agenda item line ("Agenda item 3").
    pub agenda: Option<String>,
    /// The line naming the author ("Report of the Special Rapporteur on …, NAME").
    pub author_line: Option<String>,
    /// The author's mandate or office ("Special Rapporteur on trafficking in persons, …").
    pub role: Option<String>,
    /// The author's name.
    pub person: Option<String>,
    /// Where the text after the cover starts, as an index into the blocks.
    pub body_start: usize,
}

impl Cover {
    /// Reads the cover from the first page's blocks; the file name fills in symbols and
    /// language when the cover has none.
    pub fn read(file: &str, blocks: &[Block], declared_title: Option<&str>) -> Cover {
        let mut cover = Cover::default();
        let first_page: Vec<(usize, &Block)> = blocks
            .iter()
            .enumerate()
            .take_while(|(_, b)| b.page == 1)
            .take(COVER_LINES)
            .collect();
        let text_lines: Vec<(usize, &str)> = first_page
            .iter()
            .filter(|(_, b)| b.role != BlockRole::Gap)
            .map(|(i, b)| (*i, b.text.as_str()))
            .collect();
        cover.symbols = cover_symbols(&text_lines);
        cover.language = cover_language(&text_lines);
        for (_, line) in &text_lines {
            if cover.date.is_none() {
                if let Some(m) = DATE.captures(line) {
                    cover.date = Some(m[0].to_string());
                    cover.year = m[3].parse().ok();
                }
            }
            if cover.session.is_none() && SESSION.is_match(line) {
                cover.session = Some(line.to_string());
            }
            if cover.agenda.is_none() && AGENDA.is_match(line) {
                cover.agenda = Some(line.to_string());
            }
        }
        let is_un_cover = !cover.symbols.is_empty();
        if is_un_cover {
            cover.read_author_and_title(blocks, &first_page);
        }
        if cover.symbols.is_empty() {
            cover.symbols = symbols_from_file_name(file);
        }
        if cover.language.is_none() {
            cover.language = language_from_file_name(file);
        }
        if cover.title.is_none() {
            cover.title = declared_title
                .map(crate::corpus::normalize_whitespace)
                .filter(|t| !t.is_empty())
                .or_else(|| first_heading(blocks));
        }
        cover
    }

    /// The author line (with its continuation lines), the title printed just above it,
    /// and where the body starts.
    fn read_author_and_title(&mut self, blocks: &[Block], first_page: &[(usize, &Block)]) {
        let Some(&(at, _)) = first_page
            .iter()
            .find(|(_, b)| b.role != BlockRole::Gap && AUTHOR.is_match(&b.text))
        else {
            self.body_start = first_page
                .iter()
                .find(|(_, b)| SUMMARY.is_match(&b.text) || NUMBERED.is_match(&b.text))
                .map_or(0, |(i, _)| *i);
            return;
        };
        let mut end = at + 1;
        let mut author = blocks[at].text.clone();
        while let Some(next) = blocks.get(end) {
            let stop = next.role == BlockRole::Gap
                || next.page != 1
                || SUMMARY.is_match(&next.text)
                || NUMBERED.is_match(&next.text)
                || author.ends_with('*');
            if stop {
                break;
            }
            author.push(' ');
            author.push_str(&next.text);
            end += 1;
        }
        let (role, person) = split_author(&author);
        self.role = role;
        self.person = person;
        self.author_line = Some(author);
        self.title = title_above(blocks, at);
        self.body_start = end;
    }
}

/// The run of lines just above the author line, back to a gap or the agenda and session
/// lines: the title.
fn title_above(blocks: &[Block], author_at: usize) -> Option<String> {
    let mut lines: Vec<&str> = Vec::new();
    for block in blocks[..author_at].iter().rev() {
        let furniture = block.role == BlockRole::Gap
            || AGENDA.is_match(&block.text)
            || SESSION.is_match(&block.text)
            || DATE.is_match(&block.text)
            || block.text.starts_with("Original");
        if furniture {
            if lines.is_empty() && block.role == BlockRole::Gap {
                continue;
            }
            break;
        }
        lines.push(&block.text);
        if lines.len() == 3 {
            break;
        }
    }
    lines.reverse();
    let title = lines.join(" ");
    let title = title.trim_end_matches('*').trim();
    (!title.is_empty()).then(|| title.to_string())
}

/// "Report of the Special Rapporteur on trafficking in persons, especially women and
/// children, Siobhán Mullally" → the office and the name (the part after the last comma
/// when it reads as a name).
fn split_author(line: &str) -> (Option<String>, Option<String>) {
    let Some(caps) = AUTHOR.captures(line) else {
        return (None, None);
    };
    let rest = caps[1].trim().trim_end_matches(['*', '.']).trim();
    if let Some((office, name)) = rest.rsplit_once(',') {
        let name = name.trim();
        let words: Vec<&str> = name.split_whitespace().collect();
        let is_name = (2..=6).contains(&words.len())
            && words.iter().all(|w| {
                w.chars().next().is_some_and(char::is_uppercase)
                    || matches!(*w, "de" | "da" | "van" | "von" | "del" | "bin" | "al")
            });
        if is_name {
            return (Some(office.trim().to_string()), Some(name.to_string()));
        }
    }
    (Some(rest.to_string()), None)
}

/// Symbols printed alone (or beside the organization's name) on the top lines.
fn cover_symbols(lines: &[(usize, &str)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, line) in lines.iter().take(SYMBOL_LINES) {
        let found = find_symbols(line);
        let rest = found
            .iter()
            .fold(line.to_string(), |rest, s| rest.replacen(s.as_str(), "", 1));
        let alone = rest.split_whitespace().all(|w| {
            [
                "United", "Nations", "Nations", "Unies", "Naciones", "Unidas",
            ]
            .contains(&w)
        });
        if alone {
            for symbol in found {
                if !out.contains(&symbol) {
                    out.push(symbol);
                }
            }
        }
    }
    out
}

/// The language of the cover's own words ("United Nations", "Nations Unies").
fn cover_language(lines: &[(usize, &str)]) -> Option<String> {
    for (_, line) in lines.iter().take(SYMBOL_LINES) {
        let lower = line.to_lowercase();
        let language = if lower.contains("nations unies") || lower.contains("assemblée générale")
        {
            "fr"
        } else if lower.contains("naciones unidas") || lower.contains("asamblea general") {
            "es"
        } else if lower.contains("united nations") || lower.contains("general assembly") {
            "en"
        } else {
            continue;
        };
        return Some(language.to_string());
    }
    None
}

/// The first heading the reader marked, as a title.
fn first_heading(blocks: &[Block]) -> Option<String> {
    blocks
        .iter()
        .find(|b| b.role == BlockRole::Heading)
        .map(|b| b.text.clone())
}

/// Symbols a file name spells with `_` or `-` for `/`: `A_HRC_47_34-EN.pdf`,
/// `A-HRC-47-34_F.pdf`, `A_HRC_49_51_Add.1.pdf`; none for a job number (`G2105291.pdf`).
pub fn symbols_from_file_name(file: &str) -> Vec<String> {
    let stem = super::file_stem(file);
    let stem = FILE_LANGUAGE
        .find(stem)
        .filter(|m| m.start() > 0)
        .map_or(stem, |m| &stem[..m.start()]);
    let symbol = stem.replace(['_', '-'], "/");
    let first_part = symbol.split('/').next().unwrap_or("");
    let organ = first_part.len() <= 8 && first_part.chars().all(|c| c.is_ascii_uppercase());
    if organ && symbol.contains('/') && looks_like_symbol(&symbol) {
        vec![symbol]
    } else {
        Vec::new()
    }
}

/// The language a file name's suffix names.
fn language_from_file_name(file: &str) -> Option<String> {
    let stem = super::file_stem(file);
    let m = FILE_LANGUAGE.captures(stem)?;
    let language = match m[1].to_ascii_lowercase().as_str() {
        "en" | "e" => "en",
        "fr" | "f" => "fr",
        "es" | "s" => "es",
        "ar" => "ar",
        "ru" | "r" => "ru",
        "zh" | "c" => "zh",
        _ => return None,
    };
    Some(language.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(lines: &[&str]) -> Vec<Block> {
        lines
            .iter()
            .map(|t| Block {
                text: t.to_string(),
                page: 1,
                role: if t.is_empty() {
                    BlockRole::Gap
                } else {
                    BlockRole::Line
                },
            })
            .collect()
    }

    #[test]
    fn a_un_cover_is_read() {
        let b = blocks(&[
            "United Nations A/HRC/47/34",
            "General Assembly",
            "Distr.: General",
            "17 April 2021",
            "Original: English",
            "Human Rights Council",
            "Forty-seventh session",
            "21 June–9 July 2021",
            "Agenda item 3",
            "Promotion and protection of all human rights",
            "",
            "Implementation of the non-punishment principle",
            "Report of the Special Rapporteur on trafficking in persons,",
            "especially women and children, Siobhán Mullally",
            "Summary",
            "The Special Rapporteur examines ...",
        ]);
        let cover = Cover::read("reports/G2105291.pdf", &b, None);
        assert_eq!(cover.symbols, ["A/HRC/47/34"]);
        assert_eq!(cover.date.as_deref(), Some("17 April 2021"));
        assert_eq!(cover.year, Some(2021));
        assert_eq!(cover.language.as_deref(), Some("en"));
        assert_eq!(cover.session.as_deref(), Some("Forty-seventh session"));
        assert_eq!(cover.agenda.as_deref(), Some("Agenda item 3"));
        assert_eq!(
            cover.title.as_deref(),
            Some("Implementation of the non-punishment principle")
        );
        assert_eq!(
            cover.role.as_deref(),
            Some("Special Rapporteur on trafficking in persons, especially women and children")
        );
        assert_eq!(cover.person.as_deref(), Some("Siobhán Mullally"));
        assert_eq!(b[cover.body_start].text, "Summary");
    }

    #[test]
    fn file_names_give_symbols_and_languages() {
        assert_eq!(
            symbols_from_file_name("A_HRC_47_34-EN.pdf"),
            ["A/HRC/47/34"]
        );
        assert_eq!(
            symbols_from_file_name("x/A-HRC-47-34_F.pdf"),
            ["A/HRC/47/34"]
        );
        assert_eq!(
            symbols_from_file_name("A_HRC_49_51_Add.1.pdf"),
            ["A/HRC/49/51/Add.1"]
        );
        assert!(symbols_from_file_name("G2105291.pdf").is_empty());
        assert!(symbols_from_file_name("annual-report-2020.pdf").is_empty());
        assert_eq!(
            language_from_file_name("A-HRC-47-34_F.pdf").as_deref(),
            Some("fr")
        );
        assert_eq!(language_from_file_name("G2105291.pdf"), None);
    }
}
