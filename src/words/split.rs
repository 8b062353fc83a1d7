//! Splitting text into words: tantivy's `SimpleTokenizer`, `RemoveLongFilter`,
//! `LowerCaser` and `AsciiFoldingFilter` in one pass over the bytes, with the same tokens
//! (texts, offsets and positions). A quarter of indexing went to those four stages, which
//! decode every character, test it, and copy each word three times.

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, TextAnalyzer, Token, TokenStream, Tokenizer,
};

/// Words: maximal runs of alphanumeric characters, lowercased and folded to ASCII where a
/// letter has an ASCII form; words of `max_bytes` bytes or more (as written) are skipped
/// but keep their position.
///
/// An apostrophe inside a word keeps it whole: an English clitic after it is dropped
/// (`GRETA’s` → `greta`, `don't` → `don`) and a French elided article before it is
/// dropped too (`l’ONU` → `onu`, `d'enfants` → `enfants`), so that neither becomes a
/// word of one letter. Without that ([`FoldedWords::plain`]), the tokens are exactly
/// those of tantivy's stages.
#[derive(Clone)]
pub struct FoldedWords {
    max_bytes: usize,
    /// Apostrophes keep words whole.
    apostrophes: bool,
    token: Token,
    /// Lowercases and folds a word with a non-ASCII character (tantivy's own filters, so
    /// that the rare words they change come out exactly as tantivy makes them).
    non_ascii: Option<TextAnalyzer>,
}

impl FoldedWords {
    /// Words shorter than `max_bytes` bytes (tantivy's `RemoveLongFilter::limit`).
    pub fn new(max_bytes: usize) -> FoldedWords {
        FoldedWords {
            max_bytes,
            apostrophes: true,
            token: Token::default(),
            non_ascii: None,
        }
    }

    /// Words as tantivy's stages cut them: an apostrophe separates like any punctuation.
    pub fn plain(max_bytes: usize) -> FoldedWords {
        FoldedWords {
            apostrophes: false,
            ..FoldedWords::new(max_bytes)
        }
    }
}

impl Tokenizer for FoldedWords {
    type TokenStream<'a> = FoldedWordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> FoldedWordStream<'a> {
        self.token.reset();
        FoldedWordStream {
            text,
            at: 0,
            max_bytes: self.max_bytes,
            apostrophes: self.apostrophes,
            token: &mut self.token,
            non_ascii: &mut self.non_ascii,
        }
    }
}

/// The words of one text.
pub struct FoldedWordStream<'a> {
    text: &'a str,
    /// Where the search for the next word starts.
    at: usize,
    max_bytes: usize,
    apostrophes: bool,
    token: &'a mut Token,
    non_ascii: &'a mut Option<TextAnalyzer>,
}

impl TokenStream for FoldedWordStream<'_> {
    fn advance(&mut self) -> bool {
        let bytes = self.text.as_bytes();
        loop {
            let Some(from) = next_word_start(self.text, self.at) else {
                self.at = bytes.len();
                return false;
            };
            self.token.position = self.token.position.wrapping_add(1);
            // The word is lowercased into the token as it is scanned; one with a character
            // outside ASCII is scanned again and folded.
            // SAFETY: only ASCII bytes are ever pushed, so the text stays UTF-8.
            let out = unsafe { self.token.text.as_mut_vec() };
            out.clear();
            let mut at = from;
            let mut ascii = true;
            while let Some(&b) = bytes.get(at) {
                match FOLD[usize::from(b)] {
                    SEPARATOR => break,
                    NON_ASCII => match alphanumeric_char_at(self.text, at) {
                        (true, len) => {
                            ascii = false;
                            at += len;
                        }
                        (false, _) => break,
                    },
                    lower => {
                        out.push(lower);
                        at += 1;
                    }
                }
            }
            self.at = at;
            if self.apostrophes {
                match apostrophe_after(self.text, at, out) {
                    Apostrophe::None => {}
                    Apostrophe::Clitic(end) => self.at = end,
                    Apostrophe::Elision(next) => {
                        // The article is no word: the next one takes its position.
                        self.at = next;
                        self.token.position = self.token.position.wrapping_sub(1);
                        continue;
                    }
                }
            }
            if at - from >= self.max_bytes {
                continue;
            }
            self.token.offset_from = from;
            self.token.offset_to = at;
            if !ascii {
                fold_non_ascii(self.non_ascii, &self.text[from..at], &mut self.token.text);
            }
            return true;
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// What an apostrophe right after a word does to it.
pub(crate) enum Apostrophe {
    /// None there, or one that separates words (`O'Brien`).
    None,
    /// An English clitic follows (`’s`, `'t`, `'ll`, `'re`, `'ve`, `'d`, `'m`), ending at
    /// this byte: it is dropped.
    Clitic(usize),
    /// The word is a French elided article (`l'`, `d’`, `qu'`…); the next word starts at
    /// this byte: the article is dropped.
    Elision(usize),
}

/// French articles and conjunctions written elided before a vowel.
const ELIDED: [&str; 12] = [
    "l", "d", "j", "n", "s", "c", "m", "t", "qu", "jusqu", "lorsqu", "puisqu",
];
/// English clitics written after an apostrophe.
const CLITICS: [&str; 7] = ["s", "t", "ll", "re", "ve", "d", "m"];

/// Whether the word `lowered` (as lowercased so far) ending at byte `at` of `text` is
/// followed by an apostrophe that joins it to a clitic or makes it an elided article.
pub(crate) fn apostrophe_after(text: &str, at: usize, lowered: &[u8]) -> Apostrophe {
    let rest = &text[at..];
    let after = if rest.starts_with('\'') {
        at + 1
    } else if rest.starts_with('\u{2019}') {
        at + '\u{2019}'.len_utf8()
    } else {
        return Apostrophe::None;
    };
    if !text[after..]
        .chars()
        .next()
        .is_some_and(char::is_alphabetic)
    {
        return Apostrophe::None;
    }
    let end = crate::words::scan::word_end(text, after);
    let word = std::str::from_utf8(lowered).unwrap_or_default();
    if ELIDED.contains(&word) {
        return Apostrophe::Elision(after);
    }
    let clitic = text[after..end].to_ascii_lowercase();
    if CLITICS.contains(&clitic.as_str()) {
        Apostrophe::Clitic(end)
    } else {
        Apostrophe::None
    }
}

/// `word` lowercased and folded by tantivy's filters, into `out` (emptied first).
#[cold]
#[inline(never)]
fn fold_non_ascii(analyzer: &mut Option<TextAnalyzer>, word: &str, out: &mut String) {
    let analyzer = analyzer.get_or_insert_with(|| {
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build()
    });
    out.clear();
    let mut stream = analyzer.token_stream(word);
    if stream.advance() {
        out.push_str(&stream.token().text);
    }
}

/// What a byte is: an ASCII letter or digit (given lowercased), another ASCII character,
/// or part of a character outside ASCII.
const SEPARATOR: u8 = 0;
const NON_ASCII: u8 = 0x80;

static FOLD: [u8; 256] = {
    let mut table = [SEPARATOR; 256];
    let mut b = 0;
    while b < 256 {
        if b >= 0x80 {
            table[b] = NON_ASCII;
        } else if (b as u8).is_ascii_alphanumeric() {
            table[b] = (b as u8).to_ascii_lowercase();
        }
        b += 1;
    }
    table
};

/// Where the next word starts, at or after byte `at`.
fn next_word_start(text: &str, mut at: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    loop {
        let &b = bytes.get(at)?;
        match FOLD[usize::from(b)] {
            SEPARATOR => at += 1,
            NON_ASCII => match alphanumeric_char_at(text, at) {
                (true, _) => return Some(at),
                (false, len) => at += len,
            },
            _ => return Some(at),
        }
    }
}

/// Whether the non-ASCII character at byte `at` of `text` is alphanumeric, and its length.
#[cold]
#[inline(never)]
fn alphanumeric_char_at(text: &str, at: usize) -> (bool, usize) {
    let c = text[at..]
        .chars()
        .next()
        .unwrap_or(char::REPLACEMENT_CHARACTER);
    (c.is_alphanumeric(), c.len_utf8())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::token_details as tokens;
    use proptest::prelude::*;
    use tantivy::tokenizer::{RemoveLongFilter, SimpleTokenizer};

    /// The four tantivy stages the tokenizer stands for.
    fn tantivy_chain(max_bytes: usize) -> TextAnalyzer {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(max_bytes))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build()
    }

    fn assert_same(text: &str, max_bytes: usize) {
        let mut ours = TextAnalyzer::from(FoldedWords::plain(max_bytes));
        assert_eq!(
            tokens(&mut ours, text),
            tokens(&mut tantivy_chain(max_bytes), text),
            "{text:?}"
        );
    }

    #[test]
    fn gives_the_tokens_of_tantivys_four_stages() {
        for text in [
            "",
            "   ,;  ",
            "Hello, happy tax payer!",
            "Siobhán\u{a0}Mullally, A/HRC/47/34 (2021) — GRETA’s 3rd report",
            "İstanbul ΣΊΣΥΦΟΣ straße ǅemal ﬁne Ⅻ ½ ١٢٣ 東京都 naïve-café",
            "e\u{301}cole combining\u{300}marks",
            "short aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa next",
            "ééééééééééééééééééééééé long ÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉ end",
        ] {
            for max_bytes in [3, 5, 48] {
                assert_same(text, max_bytes);
            }
        }
    }

    #[test]
    fn the_shipped_corpus_splits_as_with_tantivys_stages() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let mut words = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
            let mut ours = TextAnalyzer::from(FoldedWords::plain(48));
            let found = tokens(&mut ours, &text);
            assert_eq!(found, tokens(&mut tantivy_chain(48), &text));
            words += found.len();
        }
        assert!(words > 5_000, "{words} words");
    }

    /// Characters where splitting and folding differ: ASCII letters, digits and
    /// punctuation, accented and special-cased letters, other scripts, marks, spaces.
    fn text_strategy() -> impl Strategy<Value = String> {
        let chars = prop::sample::select(vec![
            'a', 'Z', 'q', '0', '9', ' ', '.', '-', '/', '\'', '_', '\n', 'é', 'É', 'ß', 'İ', 'Σ',
            'ς', 'ǅ', 'ﬁ', 'Ⅻ', '½', '١', '東', '\u{301}', '\u{a0}', '\u{2019}', 'ø', 'Œ', 'ÿ',
            '🙂',
        ]);
        prop::collection::vec(chars, 0..80).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn any_text_splits_as_with_tantivys_stages(text in text_strategy(), max_bytes in 1usize..12) {
            assert_same(&text, max_bytes);
        }
    }

    fn words_of(text: &str) -> Vec<(String, usize)> {
        tokens(&mut TextAnalyzer::from(FoldedWords::new(48)), text)
            .into_iter()
            .map(|(t, position, _, _)| (t, position))
            .collect()
    }

    #[test]
    fn an_apostrophe_inside_a_word_keeps_it_whole() {
        let texts =
            |text: &str| -> Vec<String> { words_of(text).into_iter().map(|(t, _)| t).collect() };
        assert_eq!(
            texts("United Nations Children’s Fund"),
            ["united", "nations", "children", "fund"]
        );
        assert_eq!(
            texts("GRETA's 3rd report, don't"),
            ["greta", "3rd", "report", "don"]
        );
        assert_eq!(
            texts("l’ONU et d'enfants, qu'il"),
            ["onu", "et", "enfants", "il"]
        );
        assert_eq!(texts("jusqu’à Côte d’Ivoire"), ["a", "cote", "ivoire"]);
        // Not a clitic nor an elision: the apostrophe separates (the "n" of rock'n'roll
        // reads as an elided French "ne").
        assert_eq!(
            texts("O'Brien's 'quoted' rock'n'roll"),
            ["o", "brien", "quoted", "rock", "roll"]
        );
        assert_eq!(texts("trailing' s"), ["trailing", "s"]);
        // Positions stay consecutive: a phrase across a dropped article still matches.
        let positions: Vec<usize> = words_of("la traite d’êtres humains")
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        assert_eq!(positions, [0, 1, 2, 3]);
    }
}
