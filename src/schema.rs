//! The index schema: every field and analyzer, declared here and nowhere else.
//!
//! Analyzers:
//! - `en`: words, lowercased, ASCII-folded, English-stemmed (title, role, body, org, path);
//! - `name`: words, lowercased, ASCII-folded, not stemmed (person, acronyms, and the
//!   `words` field that prefix and typo matching run on);
//! - `symbol`: one token per value, lowercased: each symbol is indexed whole (marked
//!   with [`EXACT_MARK`]) and as each of its hierarchical prefixes.

use crate::corpus::symbol::symbol_keywords;
use crate::corpus::{Kind, Section};
use crate::stemming::MemoStemmer;
use crate::words::FoldedWords;
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, FAST, STORED,
    STRING,
};
use tantivy::tokenizer::{LowerCaser, RawTokenizer, TextAnalyzer};
use tantivy::{Index, TantivyDocument};

/// Name of the stemmed English analyzer.
pub const EN: &str = "tipdex_en";
/// Name of the folded, unstemmed analyzer for names, acronyms and raw words.
pub const NAME: &str = "tipdex_name";
/// Name of the symbol analyzer.
pub const SYMBOL: &str = "tipdex_symbol";
/// Prefix of the token that marks a whole symbol (as opposed to one of its prefixes).
pub const EXACT_MARK: &str = "=";
/// Words this long (in bytes) or longer are not indexed.
pub const MAX_WORD_BYTES: usize = 48;
/// Version of the schema and analyzers; an index of another version must be rebuilt.
pub const FORMAT_VERSION: u32 = 6;

/// Handles to every field of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Section id, untokenized.
    pub id: Field,
    /// Kind name, untokenized (filters).
    pub kind: Field,
    /// Kind as a number, fast (ranking priors).
    pub kind_code: Field,
    /// Position of the section in the corpus, fast (stable tie-break).
    pub ord: Field,
    /// Year, indexed and fast (filters, facets, "latest").
    pub year: Field,
    /// Title, stemmed.
    pub title: Field,
    /// Role, stemmed.
    pub role: Field,
    /// Body, stemmed.
    pub body: Field,
    /// Headings the section sits under, stemmed.
    pub path: Field,
    /// Organization, stemmed.
    pub org: Field,
    /// Organization, whole and lowercased (filters).
    pub org_exact: Field,
    /// Organization as written, fast (facet counts).
    pub org_facet: Field,
    /// Person, folded.
    pub person: Field,
    /// Acronyms, folded.
    pub acronyms: Field,
    /// Symbols, whole and hierarchical prefixes.
    pub symbol: Field,
    /// What a report's symbols mean (organ, session, addendum), folded.
    pub session: Field,
    /// A document's or passage's language (ISO 639-1), untokenized, fast (filters, priors).
    pub language: Field,
    /// A passage's document id, untokenized, fast (grouping passages by document).
    pub document: Field,
    /// A passage's paragraph number as printed, lowercased, untokenized (citations).
    pub paragraph: Field,
    /// Every word of the section unstemmed; only its dictionary is read (prefix and typo
    /// expansion), so it keeps no frequencies or positions.
    pub words: Field,
    /// The whole section, stored (see [`crate::stored`]).
    pub doc: Field,
}

/// The text fields a plain word is searched in, with their boosts.
pub fn text_fields(f: &Fields) -> [(Field, f32); 5] {
    [
        (f.title, 3.0),
        (f.role, 2.0),
        (f.org, 1.5),
        (f.body, 1.0),
        (f.path, 0.5),
    ]
}

/// The unstemmed name fields a plain word is searched in, with their boosts.
pub fn name_fields(f: &Fields) -> [(Field, f32); 3] {
    [(f.person, 3.0), (f.acronyms, 3.0), (f.session, 1.5)]
}

/// Builds the schema.
pub fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |analyzer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fast_u64 = NumericOptions::default().set_fast();
    let fields = Fields {
        id: b.add_text_field("id", STRING),
        kind: b.add_text_field("kind", STRING),
        kind_code: b.add_u64_field("kind_code", fast_u64.clone()),
        ord: b.add_u64_field("ord", fast_u64),
        year: b.add_i64_field("year", NumericOptions::default().set_indexed().set_fast()),
        title: b.add_text_field("title", text(EN)),
        role: b.add_text_field("role", text(EN)),
        body: b.add_text_field("body", text(EN)),
        path: b.add_text_field("path", text(EN)),
        org: b.add_text_field("org", text(EN)),
        org_exact: b.add_text_field("org_exact", STRING | FAST),
        org_facet: b.add_text_field("org_facet", FAST),
        person: b.add_text_field("person", text(NAME)),
        acronyms: b.add_text_field("acronyms", text(NAME)),
        symbol: b.add_text_field(
            "symbol",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(SYMBOL)
                    .set_index_option(IndexRecordOption::WithFreqs),
            ),
        ),
        session: b.add_text_field("session", text(NAME)),
        language: b.add_text_field("language", STRING | FAST),
        document: b.add_text_field("document", STRING | FAST),
        paragraph: b.add_text_field("paragraph", STRING),
        words: b.add_text_field(
            "words",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(NAME)
                    .set_index_option(IndexRecordOption::Basic),
            ),
        ),
        doc: b.add_text_field("doc", STORED),
    };
    (b.build(), fields)
}

/// Looks the fields up in an opened index's schema.
pub fn fields_of(schema: &Schema) -> std::result::Result<Fields, String> {
    let get = |name: &str| {
        schema
            .get_field(name)
            .map_err(|_| format!("field `{name}` missing from the index schema"))
    };
    Ok(Fields {
        id: get("id")?,
        kind: get("kind")?,
        kind_code: get("kind_code")?,
        ord: get("ord")?,
        year: get("year")?,
        title: get("title")?,
        role: get("role")?,
        body: get("body")?,
        path: get("path")?,
        org: get("org")?,
        org_exact: get("org_exact")?,
        org_facet: get("org_facet")?,
        person: get("person")?,
        acronyms: get("acronyms")?,
        symbol: get("symbol")?,
        session: get("session")?,
        language: get("language")?,
        document: get("document")?,
        paragraph: get("paragraph")?,
        words: get("words")?,
        doc: get("doc")?,
    })
}

/// The stemmed English analyzer: words (see [`FoldedWords`]), stemmed.
pub fn en_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(FoldedWords::new(MAX_WORD_BYTES))
        .filter(MemoStemmer)
        .build()
}

thread_local! {
    /// This thread's stemmed and folded analyzers for queries and snippets, kept between
    /// searches: building one (and its stem memo) costs more than analyzing a query.
    static QUERY_ANALYZERS: std::cell::RefCell<(TextAnalyzer, TextAnalyzer)> =
        std::cell::RefCell::new((en_analyzer(), name_analyzer()));
}

/// Runs `f` with this thread's [`en_analyzer`] and [`name_analyzer`] (fresh ones when
/// `f` is already inside a call).
pub fn with_query_analyzers<R>(f: impl FnOnce(&mut TextAnalyzer, &mut TextAnalyzer) -> R) -> R {
    let mut f = Some(f);
    let kept = QUERY_ANALYZERS.try_with(|cell| {
        cell.try_borrow_mut().ok().map(|mut pair| {
            let (en, name) = &mut *pair;
            (f.take().expect("called once"))(en, name)
        })
    });
    match kept {
        Ok(Some(result)) => result,
        _ => (f.take().expect("not called yet"))(&mut en_analyzer(), &mut name_analyzer()),
    }
}

/// The folded, unstemmed analyzer: alphanumeric runs under [`MAX_WORD_BYTES`],
/// lowercased and ASCII-folded (tantivy's simple tokenizer, long-word filter, lowercaser
/// and ASCII folding, in one pass).
pub fn name_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(FoldedWords::new(MAX_WORD_BYTES)).build()
}

/// The symbol analyzer: the value as one lowercased token.
pub fn symbol_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .build()
}

/// The analyzer registered under `name` (the name analyzer for any other name).
pub fn analyzer(name: &str) -> TextAnalyzer {
    match name {
        EN => en_analyzer(),
        SYMBOL => symbol_analyzer(),
        _ => name_analyzer(),
    }
}

/// An empty in-memory index with tipdex's schema and analyzers, and a one-thread writer
/// (for unit tests of query compilation).
#[cfg(test)]
pub fn test_index() -> (Index, Fields, tantivy::IndexWriter) {
    let (schema, fields) = build_schema();
    let index = Index::create_in_ram(schema);
    register_analyzers(&index);
    let writer = index
        .writer_with_num_threads(1, 15_000_000)
        .expect("an in-memory writer");
    (index, fields, writer)
}

/// Registers tipdex's analyzers on an index (needed after every open).
pub fn register_analyzers(index: &Index) {
    let manager = index.tokenizers();
    manager.register(EN, en_analyzer());
    manager.register(NAME, name_analyzer());
    manager.register(SYMBOL, symbol_analyzer());
}

/// Tokens of `text` under `analyzer`, in order.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

/// Each token of `text` under `analyzer` with its position and byte offsets (for tests
/// comparing analyzers).
#[cfg(test)]
pub fn token_details(
    analyzer: &mut TextAnalyzer,
    text: &str,
) -> Vec<(String, usize, usize, usize)> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        out.push((t.text.clone(), t.position, t.offset_from, t.offset_to));
    }
    out
}

/// Normalizes a symbol for the index and queries: trimmed, lowercased, no trailing dot.
pub fn normalize_symbol(symbol: &str) -> String {
    symbol
        .trim()
        .trim_end_matches(['.', ')', ',', ';'])
        .trim_start_matches('(')
        .to_lowercase()
}

/// The values indexed for one symbol: the marked whole symbol and every prefix of two or more parts.
pub fn symbol_values(symbol: &str) -> Vec<String> {
    let norm = normalize_symbol(symbol);
    let mut out = vec![format!("{EXACT_MARK}{norm}")];
    // Prefixes end where a `/` starts the next part; the first one holds two parts
    // (`a/hrc`), or the whole symbol when it has a single part.
    let ends = norm.match_indices('/').map(|(at, _)| at).skip(1);
    out.extend(ends.map(|end| norm[..end].to_string()));
    out.push(norm);
    out
}

/// Numeric code of a kind, for fast-field priors.
pub fn kind_code(kind: Kind) -> u64 {
    match kind {
        Kind::Organization => 0,
        Kind::Mandate => 1,
        Kind::Report => 2,
        Kind::Overview => 3,
        Kind::Document => 4,
        Kind::Passage => 5,
    }
}

/// Turns a section into the document the index stores.
pub fn to_document(f: &Fields, section: &Section, ord: u64) -> TantivyDocument {
    // The texts are written about three times (fields, `words`, the stored section).
    let text_bytes =
        section.title.len() + section.body.len() + section.role.as_ref().map_or(0, String::len);
    let mut doc = TantivyDocument::with_capacity(3 * text_bytes + 512);
    doc.add_text(f.id, &section.id);
    doc.add_text(f.kind, section.kind.as_str());
    doc.add_u64(f.kind_code, kind_code(section.kind));
    doc.add_u64(f.ord, ord);
    if let Some(year) = section.year {
        doc.add_i64(f.year, year);
    }
    // A passage carries its document's title and mandate (shown, filtered on), but is
    // found by its own text: the document section answers for its title and role, and
    // its passages do not each match them again.
    let passage = section.kind == Kind::Passage;
    if !passage {
        doc.add_text(f.title, &section.title);
        if let Some(role) = &section.role {
            doc.add_text(f.role, role);
        }
    }
    let optional = [(f.org, &section.org), (f.person, &section.person)];
    for (field, value) in optional {
        if let Some(v) = value {
            doc.add_text(field, v);
        }
    }
    if let Some(org) = &section.org {
        doc.add_text(f.org_exact, org.to_lowercase());
        doc.add_text(f.org_facet, org);
    }
    doc.add_text(f.body, &section.body);
    for heading in &section.path {
        doc.add_text(f.path, heading);
    }
    for acronym in &section.acronyms {
        doc.add_text(f.acronyms, acronym);
    }
    for symbol in &section.symbols {
        for value in symbol_values(symbol) {
            doc.add_text(f.symbol, value);
        }
    }
    if matches!(section.kind, Kind::Report | Kind::Document) {
        for symbol in &section.symbols {
            doc.add_text(f.session, symbol_keywords(symbol));
        }
    }
    let untokenized = [
        (f.language, &section.language),
        (f.document, &section.document),
    ];
    for (field, value) in untokenized {
        if let Some(v) = value {
            doc.add_text(field, v);
        }
    }
    if let Some(paragraph) = &section.paragraph {
        doc.add_text(f.paragraph, paragraph.to_lowercase());
    }
    for text in searchable_texts(section) {
        doc.add_text(f.words, text);
    }
    doc.add_text(f.doc, crate::stored::encode(section));
    doc
}

/// Every text of a section a user might type a word of (a passage's own: its
/// document's title and role are its document's).
pub fn searchable_texts(section: &Section) -> Vec<&str> {
    if section.kind == Kind::Passage {
        let mut out: Vec<&str> = vec![&section.body];
        out.extend(section.person.as_deref());
        out.extend(section.path.iter().map(String::as_str));
        return out;
    }
    let mut out: Vec<&str> = vec![&section.title, &section.body];
    out.extend(section.role.as_deref());
    out.extend(section.person.as_deref());
    out.extend(section.org.as_deref());
    out.extend(section.acronyms.iter().map(String::as_str));
    out.extend(section.path.iter().map(String::as_str));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_values_are_whole_and_prefixes() {
        assert_eq!(
            symbol_values("A/HRC/49/51/Add.1"),
            vec![
                "=a/hrc/49/51/add.1",
                "a/hrc",
                "a/hrc/49",
                "a/hrc/49/51",
                "a/hrc/49/51/add.1"
            ]
        );
        assert_eq!(symbol_values("1001370"), vec!["=1001370", "1001370"]);
    }

    #[test]
    fn en_analyzer_folds_stems_and_breaks_on_nbsp() {
        let mut a = en_analyzer();
        assert_eq!(
            tokens(&mut a, "Siobhán\u{a0}Mullally"),
            vec!["siobhan", "mullal"]
        );
        assert_eq!(
            tokens(&mut a, "trafficking Children"),
            vec!["traffick", "children"]
        );
    }

    #[test]
    fn name_analyzer_does_not_stem() {
        let mut a = name_analyzer();
        assert_eq!(tokens(&mut a, "Mullally WHO"), vec!["mullally", "who"]);
    }
}
