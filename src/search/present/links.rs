//! Links a hit carries: its UN symbol at the official resolver, and its document's file
//! as `tipdex serve` serves it, opened at the passage's page.

use crate::corpus::{Kind, Section};

/// The United Nations' document resolver.
pub const RESOLVER: &str = "https://undocs.org/";

/// `https://undocs.org/` + the first symbol (with the language when known).
pub fn resolver_url(section: &Section) -> Option<String> {
    let symbol = section.symbols.first()?;
    Some(symbol_url(symbol, section.language.as_deref()))
}

/// The resolver's address of `symbol`, in `language` when given.
pub fn symbol_url(symbol: &str, language: Option<&str>) -> String {
    let symbol = symbol.trim();
    match language.filter(|l| l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase())) {
        Some(language) => format!("{RESOLVER}{language}/{symbol}"),
        None => format!("{RESOLVER}{symbol}"),
    }
}

/// `/documents/ID`, with `#page=N` for a passage (browsers' PDF viewers follow it).
pub fn source_url(section: &Section) -> Option<String> {
    let id = match section.kind {
        Kind::Document => section.id.as_str(),
        Kind::Passage => section.document.as_deref()?,
        _ => return None,
    };
    let id = form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>();
    Some(
        match section.page.filter(|_| section.kind == Kind::Passage) {
            Some(page) => format!("/documents/{id}#page={page}"),
            None => format!("/documents/{id}"),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_name_the_language_and_the_page() {
        let mut s = Section::new(Kind::Passage, "T", "b");
        s.symbols = vec!["A/HRC/47/34".into()];
        s.language = Some("fr".into());
        s.document = Some("document-a".into());
        s.page = Some(3);
        assert_eq!(
            resolver_url(&s).unwrap(),
            "https://undocs.org/fr/A/HRC/47/34"
        );
        assert_eq!(source_url(&s).unwrap(), "/documents/document-a#page=3");
        s.language = None;
        assert_eq!(resolver_url(&s).unwrap(), "https://undocs.org/A/HRC/47/34");
        s.kind = Kind::Report;
        assert_eq!(source_url(&s), None);
    }
}
