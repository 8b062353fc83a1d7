//! The document readers on arbitrary bytes: the first byte picks the reader, the rest is
//! the file. 0: an HTML page; 1: the text of PDF pages (split at form feeds), through the
//! structure analysis (cover, furniture, contents, paragraphs, footnotes); 2: a PDF file
//! through the in-process extractor. No input may panic or hang, and every passage
//! keeps its promises (its document's id, a page within the document, a citation).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tipdex::corpus::document::{self, Extracted};
use tipdex::corpus::{html, pdf, Kind};

fn check(file: &str, extracted: &Extracted) {
    let analyzed = document::analyze(file, extracted);
    let sections = document::sections(file, extracted, &analyzed);
    let Some((doc, passages)) = sections.split_first() else {
        panic!("a document gives at least its own section");
    };
    assert_eq!(doc.kind, Kind::Document);
    for p in passages {
        assert_eq!(p.kind, Kind::Passage);
        assert_eq!(p.document.as_deref(), Some(doc.id.as_str()));
        assert!(p.citation.is_some());
        if let Some(page) = p.page {
            assert!(page >= 1 && page <= extracted.pages.max(1), "page {page}");
        }
        assert!(!p.body.trim().is_empty());
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => check("page.html", &html::read(&String::from_utf8_lossy(rest))),
        1 => {
            let text = String::from_utf8_lossy(rest);
            let pages: Vec<&str> = text.split('\u{c}').collect();
            check("A_HRC_47_34-EN.pdf", &Extracted::from_pages(&pages));
        }
        _ => {
            // The extractor is a dependency; tipdex runs it in a child process and turns
            // its panics into errors. Here the panic must not escape `extract_pages`.
            let hook = std::panic::take_hook();
            std::panic::set_hook(Box::new(|_| {}));
            let pages = pdf::extract_pages(rest);
            std::panic::set_hook(hook);
            if let Ok(pages) = pages {
                check("G2105291.pdf", &Extracted::from_pages(&pages));
            }
        }
    }
});
