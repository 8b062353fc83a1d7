//! English stemming that remembers recent words: a tantivy token filter giving exactly
//! the tokens of tantivy's `Stemmer`, without running the Snowball algorithm again for a
//! word it has just stemmed (a fifth of indexing time went to stemming the same words).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use tantivy::tokenizer::{
    Language, RawTokenizer, Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// Distinct words remembered by one analyzer before it starts afresh (about 2 MB).
const MEMO_WORDS: usize = 32_768;
/// Longer words are stemmed every time (they are rare, and keys stay small).
const MEMO_WORD_BYTES: usize = 24;

/// Token filter stemming lowercased English words, remembering recent stems.
#[derive(Clone, Copy, Debug, Default)]
pub struct MemoStemmer;

impl TokenFilter for MemoStemmer {
    type Tokenizer<T: Tokenizer> = MemoStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> MemoStemmerFilter<T> {
        MemoStemmerFilter {
            inner: tokenizer,
            memo: Memo::default(),
        }
    }
}

/// A tokenizer whose tokens are stemmed, with its own memo.
pub struct MemoStemmerFilter<T> {
    inner: T,
    memo: Memo,
}

/// A clone starts with an empty memo: analyzers are cloned per thread and per use, and
/// copying a full memo would cost more than it saves.
impl<T: Clone> Clone for MemoStemmerFilter<T> {
    fn clone(&self) -> Self {
        MemoStemmerFilter {
            inner: self.inner.clone(),
            memo: Memo::default(),
        }
    }
}

impl<T: Tokenizer> Tokenizer for MemoStemmerFilter<T> {
    type TokenStream<'a> = MemoStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MemoStemmerStream {
            tail: self.inner.token_stream(text),
            memo: &mut self.memo,
        }
    }
}

/// Word-to-stem memo with the Snowball stemmer behind it.
pub(crate) struct Memo {
    stems: HashMap<String, String, BuildHasherDefault<WordHasher>>,
    /// tantivy's Snowball stemmer over the whole word.
    stemmer: TextAnalyzer,
}

impl Default for Memo {
    fn default() -> Self {
        Memo {
            stems: HashMap::default(),
            stemmer: TextAnalyzer::builder(RawTokenizer::default())
                .filter(Stemmer::new(Language::English))
                .build(),
        }
    }
}

impl Memo {
    /// Replaces `word` (lowercased, folded) by its stem.
    pub(crate) fn stem_in_place(&mut self, word: &mut String) {
        if let Some(stem) = self.stems.get(word.as_str()) {
            word.clear();
            word.push_str(stem);
            return;
        }
        let stem = {
            let mut stream = self.stemmer.token_stream(word);
            match stream.advance() {
                true => stream.token().text.clone(),
                false => return,
            }
        };
        if word.len() <= MEMO_WORD_BYTES {
            if self.stems.len() >= MEMO_WORDS {
                self.stems.clear();
            }
            self.stems.insert(word.clone(), stem.clone());
        }
        *word = stem;
    }
}

/// A fast multiplicative hash for short words (the FxHash step, eight bytes at a time):
/// the memo's keys come from the indexed text itself and the memo is bounded, so the
/// default hasher's flooding resistance buys nothing and costs a third of a lookup.
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// The token stream of [`MemoStemmerFilter`].
pub struct MemoStemmerStream<'a, T> {
    tail: T,
    memo: &'a mut Memo,
}

impl<T: TokenStream> TokenStream for MemoStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        self.memo.stem_in_place(&mut self.tail.token_mut().text);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::{LowerCaser, SimpleTokenizer};

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut out = Vec::new();
        let mut stream = analyzer.token_stream(text);
        while let Some(t) = stream.next() {
            out.push((t.text.clone(), t.position, t.offset_from, t.offset_to));
        }
        out
    }

    #[test]
    fn gives_the_tokens_of_tantivys_stemmer_however_often_a_word_comes_back() {
        let mut plain = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(Stemmer::new(Language::English))
            .build();
        let mut memo = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(MemoStemmer)
            .build();
        let texts = [
            "Trafficking in persons, especially women and children: trafficked, traffickers.",
            "The Special Rapporteur on trafficking in persons reported on trafficking again.",
            "internationalization antidisestablishmentarianism running runs ran runner",
            "",
            "Ünïcödé wörds and generously generous generosity, generously",
        ];
        for _ in 0..3 {
            for text in texts {
                assert_eq!(tokens(&mut memo, text), tokens(&mut plain, text), "{text}");
            }
        }
    }

    #[test]
    fn a_full_memo_starts_afresh_and_stays_correct() {
        let mut memo = Memo::default();
        let mut plain = Memo::default();
        for i in 0..MEMO_WORDS + 10 {
            let mut word = format!("runn{i}ings");
            memo.stem_in_place(&mut word);
            let original = format!("runn{i}ings");
            let mut stream = plain.stemmer.token_stream(&original);
            assert!(stream.advance());
            assert_eq!(word, stream.token().text);
        }
        assert!(memo.stems.len() <= MEMO_WORDS);
        let mut word = "nations".to_string();
        memo.stem_in_place(&mut word);
        assert_eq!(word, "nation");
    }
}
