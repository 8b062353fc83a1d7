//! English stemming that remembers recent words: a tantivy token filter giving exactly
//! the tokens of tantivy's `Stemmer`, without running the Snowball algorithm again for a
//! word it has just stemmed (a fifth of indexing time went to stemming the same words).

use tantivy::tokenizer::{
    Language, RawTokenizer, Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// Sets of a memo when it starts (2 KB: enough for a query, cheap to make per use).
const FIRST_SETS: usize = 32;
/// Most sets of one memo (2 MB); it doubles up to this while words keep evicting others.
/// Measured on the 100k benchmark corpus, half of it (one indexing thread, 5.6 M words of
/// 79 k distinct ones): 322 k words missed the 32 k slots of a direct-mapped table, 118 k
/// miss these 32 k sets of two.
const MAX_SETS: usize = 32_768;
/// Words this short are their own stem: English Snowball leaves words of under three
/// characters as they are ("of", "in", "un"), the most common words of all.
const UNSTEMMED_BYTES: usize = 2;
/// Longer words are stemmed every time (they are rare).
const MEMO_WORD_BYTES: usize = 24;
/// A stem is remembered as a prefix of its word and up to this many other bytes (English
/// stemming rewrites a short suffix: "-ational" → "-ate").
const STEM_TAIL_BYTES: usize = 5;

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

/// Word-to-stem memo with the Snowball stemmer behind it: a table of sets of two 32-byte
/// slots holding the word and its stem inline, so that a lookup reads one cache line; the
/// more recently used word of a set comes first.
pub(crate) struct Memo {
    sets: Vec<Set>,
    /// Words that took a slot from another word since the table last grew.
    evictions: usize,
    /// tantivy's Snowball stemmer over the whole word.
    stemmer: TextAnalyzer,
}

/// Two slots sharing a cache line: where a word can be.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Set {
    ways: [Slot; 2],
}

impl Set {
    const EMPTY: Set = Set {
        ways: [Slot::EMPTY; 2],
    };
}

/// One remembered word, zero-padded, and its stem: the first `kept` bytes of the word
/// followed by `tail`. An empty slot has `word_len` 0.
#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct Slot {
    word: [u8; MEMO_WORD_BYTES],
    word_len: u8,
    kept: u8,
    tail_len: u8,
    tail: [u8; STEM_TAIL_BYTES],
}

impl Slot {
    const EMPTY: Slot = Slot {
        word: [0; MEMO_WORD_BYTES],
        word_len: 0,
        kept: 0,
        tail_len: 0,
        tail: [0; STEM_TAIL_BYTES],
    };

    fn holds(&self, word: &[u8; MEMO_WORD_BYTES], len: usize) -> bool {
        usize::from(self.word_len) == len && self.word == *word
    }

    /// The slot for `word` and its `stem`, if the stem can be written in one.
    fn new(word: &[u8; MEMO_WORD_BYTES], len: usize, stem: &str) -> Option<Slot> {
        let kept = word[..len]
            .iter()
            .zip(stem.as_bytes())
            .take_while(|(a, b)| a == b)
            .count();
        // Cut the stem at a character boundary, so that the tail is whole characters.
        let kept = (0..=kept).rev().find(|&k| stem.is_char_boundary(k))?;
        let tail = &stem.as_bytes()[kept..];
        if tail.len() > STEM_TAIL_BYTES {
            return None;
        }
        let mut slot = Slot {
            word: *word,
            word_len: len as u8,
            kept: kept as u8,
            tail_len: tail.len() as u8,
            tail: [0; STEM_TAIL_BYTES],
        };
        slot.tail[..tail.len()].copy_from_slice(tail);
        Some(slot)
    }

    /// Turns the slot's word, in `word`, into its stem.
    fn stem_in_place(&self, word: &mut String) -> bool {
        let kept = usize::from(self.kept);
        match std::str::from_utf8(&self.tail[..usize::from(self.tail_len)]) {
            Ok(tail) if word.is_char_boundary(kept) => {
                word.truncate(kept);
                word.push_str(tail);
                true
            }
            _ => false,
        }
    }
}

impl Default for Memo {
    fn default() -> Self {
        Memo {
            sets: Vec::new(),
            evictions: 0,
            stemmer: TextAnalyzer::builder(RawTokenizer::default())
                .filter(Stemmer::new(Language::English))
                .build(),
        }
    }
}

impl Memo {
    /// Replaces `word` (lowercased, folded) by its stem.
    pub(crate) fn stem_in_place(&mut self, word: &mut String) {
        let len = word.len();
        if len <= UNSTEMMED_BYTES {
            return;
        }
        if len > MEMO_WORD_BYTES {
            self.stem_with_snowball(word);
            return;
        }
        let mut key = [0u8; MEMO_WORD_BYTES];
        key[..len].copy_from_slice(word.as_bytes());
        if self.sets.is_empty() {
            self.sets = vec![Set::EMPTY; FIRST_SETS];
        }
        let at = set_of(&key, self.sets.len());
        let set = &mut self.sets[at];
        if set.ways[0].holds(&key, len) {
            if set.ways[0].stem_in_place(word) {
                return;
            }
        } else if set.ways[1].holds(&key, len) && set.ways[1].stem_in_place(word) {
            set.ways.swap(0, 1);
            return;
        }
        self.stem_with_snowball(word);
        if let Some(slot) = Slot::new(&key, len, word) {
            self.remember(at, slot);
        }
    }

    fn stem_with_snowball(&mut self, word: &mut String) {
        let mut stream = self.stemmer.token_stream(word);
        if stream.advance() {
            let stem = std::mem::take(&mut stream.token_mut().text);
            drop(stream);
            *word = stem;
        }
    }

    /// Puts `slot` first in set `at`, the other word of the set second; doubles the table
    /// (empty) once words have evicted others as many times as it has sets.
    fn remember(&mut self, at: usize, slot: Slot) {
        if self.sets[at].ways[1].word_len != 0 {
            self.evictions += 1;
            if self.evictions >= self.sets.len() && self.sets.len() < MAX_SETS {
                self.sets = vec![Set::EMPTY; self.sets.len() * 2];
                self.evictions = 0;
                return;
            }
        }
        let set = &mut self.sets[at];
        set.ways[1] = set.ways[0];
        set.ways[0] = slot;
    }
}

/// The set of a zero-padded word in a table of `sets` (a power of two): the FxHash
/// step over its three eight-byte words, the top bits taken. The keys come from the
/// indexed text and the table is bounded, so flooding resistance would buy nothing.
fn set_of(word: &[u8; MEMO_WORD_BYTES], sets: usize) -> usize {
    let mut hash = 0u64;
    for chunk in word.chunks_exact(8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(bytes))
            .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    (hash >> (64 - sets.trailing_zeros())) as usize
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
    use crate::schema::token_details as tokens;
    use tantivy::tokenizer::{LowerCaser, SimpleTokenizer};

    /// tantivy's stemming analyzer, and the same with the memo.
    fn plain_and_memo_analyzers() -> (TextAnalyzer, TextAnalyzer) {
        let plain = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(Stemmer::new(Language::English))
            .build();
        let memo = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(MemoStemmer)
            .build();
        (plain, memo)
    }

    #[test]
    fn gives_the_tokens_of_tantivys_stemmer_however_often_a_word_comes_back() {
        let (mut plain, mut memo) = plain_and_memo_analyzers();
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
    fn a_memo_under_pressure_grows_to_its_bound_and_stays_correct() {
        let mut memo = Memo::default();
        let mut plain = Memo::default();
        for i in 0..8 * MAX_SETS {
            let mut word = format!("runn{i}ings");
            memo.stem_in_place(&mut word);
            let original = format!("runn{i}ings");
            let mut stream = plain.stemmer.token_stream(&original);
            assert!(stream.advance());
            assert_eq!(word, stream.token().text);
        }
        assert_eq!(memo.sets.len(), MAX_SETS);
        let mut word = "nations".to_string();
        memo.stem_in_place(&mut word);
        assert_eq!(word, "nation");
    }

    #[test]
    fn two_words_sharing_a_set_are_both_remembered_the_last_used_first() {
        let key = |w: &str| {
            let mut k = [0u8; MEMO_WORD_BYTES];
            k[..w.len()].copy_from_slice(w.as_bytes());
            k
        };
        let words: Vec<String> = (0..1000).map(|i| format!("nations{i}")).collect();
        let first = &words[0];
        let set = set_of(&key(first), FIRST_SETS);
        let second = words[1..]
            .iter()
            .find(|w| set_of(&key(w), FIRST_SETS) == set)
            .expect("a word in the same set");
        let mut memo = Memo::default();
        for word in [first, second, first] {
            let mut w = word.clone();
            memo.stem_in_place(&mut w);
        }
        let held = |way: usize| {
            let slot = &memo.sets[set].ways[way];
            String::from_utf8(slot.word[..usize::from(slot.word_len)].to_vec()).unwrap()
        };
        assert_eq!((held(0), held(1)), (first.clone(), second.clone()));
    }

    #[test]
    fn the_shipped_corpus_stems_as_with_tantivys_stemmer() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let (mut plain, mut memo) = plain_and_memo_analyzers();
        let mut words = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
            // Twice: the second pass reads the stems back from the memo.
            for _ in 0..2 {
                let ours = tokens(&mut memo, &text);
                assert_eq!(ours, tokens(&mut plain, &text));
                words += ours.len();
            }
        }
        assert!(words > 10_000, "{words} words");
    }

    #[test]
    fn words_of_under_three_characters_are_their_own_stems() {
        let mut plain = Memo::default();
        let alphabet: Vec<char> = ('a'..='z')
            .chain('0'..='9')
            .chain(['é', 'ß', 'ø'])
            .collect();
        let mut words: Vec<String> = alphabet.iter().map(|c| c.to_string()).collect();
        for a in &alphabet {
            for b in &alphabet {
                words.push(format!("{a}{b}"));
            }
        }
        for word in words.iter().filter(|w| w.len() <= UNSTEMMED_BYTES) {
            let mut stream = plain.stemmer.token_stream(word);
            assert!(stream.advance());
            assert_eq!(&stream.token().text, word);
        }
    }
}
