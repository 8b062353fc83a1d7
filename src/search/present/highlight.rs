//! Highlighting: finds every word a query matched in a text (exact, stemmed, prefix,
//! typo, phrase, symbol), as byte spans.

use crate::schema::MAX_WORD_BYTES;
use crate::stemming::Memo;
use crate::words::scan::{
    ascii_word_end, for_each_word, for_each_word_starting_with, next_ascii_word,
};
use crate::words::within_edits;
use tantivy::tokenizer::TextAnalyzer;

/// How one query term matches a word of the text.
#[derive(Debug, Clone, PartialEq)]
pub enum Matcher {
    /// The word's English stem equals this stem.
    Stem(String),
    /// The word (folded, lowercased) equals this exactly.
    Exact(String),
    /// The word starts with this.
    Prefix(String),
    /// The word is within this many edits.
    Fuzzy(String, u8),
    /// A run of words whose stems are these.
    Phrase(Vec<String>),
    /// A document symbol, matched case-insensitively in the raw text.
    Symbol(String),
}

/// A match in a text: byte offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Start byte.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// Index of the matcher.
    pub matcher: usize,
}

impl Span {
    /// The span of matcher `matcher` over bytes `start..end`.
    pub fn new(start: usize, end: usize, matcher: usize) -> Span {
        Span {
            start,
            end,
            matcher,
        }
    }
}

/// A word of a text for the phrases: its byte range, and its stem when one was wanted.
type Word = (usize, usize, Option<String>);

/// Finds and marks query matches in texts.
pub struct Highlighter {
    matchers: Vec<Matcher>,
    /// First three letters of every stem wanted (words not starting so are not stemmed).
    stem_heads: Vec<String>,
    /// First bytes a matching word can begin with (every byte when a matcher allows any).
    first_bytes: [bool; 256],
    /// Stems of words already seen by this highlighter.
    stems: std::sync::Mutex<Option<Memo>>,
}

impl Clone for Highlighter {
    fn clone(&self) -> Self {
        Highlighter::new(self.matchers.clone())
    }
}

impl std::fmt::Debug for Highlighter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Highlighter")
            .field("matchers", &self.matchers)
            .finish()
    }
}

impl Highlighter {
    /// A highlighter for these matchers.
    pub fn new(matchers: Vec<Matcher>) -> Highlighter {
        let stem_heads = matchers
            .iter()
            .flat_map(|m| match m {
                Matcher::Stem(s) => vec![s.clone()],
                Matcher::Phrase(p) => p.clone(),
                _ => Vec::new(),
            })
            .map(|s| s.chars().take(3).collect())
            .collect();
        let first_bytes = first_bytes(&matchers);
        Highlighter {
            matchers,
            stem_heads,
            first_bytes,
            stems: std::sync::Mutex::new(None),
        }
    }

    /// The matchers.
    pub fn matchers(&self) -> &[Matcher] {
        &self.matchers
    }

    /// The matches of a query made only of phrases in an ASCII `text`, found from the
    /// words beginning like each phrase's first stem (searched for with `memchr`) and
    /// the words right after them, rather than by stemming the whole text. `None` for
    /// any other query. The same matches as the scan of every word in [`Self::spans`].
    fn ascii_phrase_spans(&self, text: &str, memo: &mut Option<Memo>) -> Option<Vec<Span>> {
        let phrases: Vec<(usize, &[String])> = self
            .matchers
            .iter()
            .enumerate()
            .map(|(m, matcher)| match matcher {
                Matcher::Phrase(stems)
                    if !stems.is_empty() && stems.iter().all(|s| s.is_ascii() && !s.is_empty()) =>
                {
                    Some((m, stems.as_slice()))
                }
                _ => None,
            })
            .collect::<Option<_>>()?;
        let bytes = text.as_bytes();
        let mut stem_of = |from: usize, to: usize| -> Option<String> {
            // English stems keep a word's first three letters: a word whose head no stem
            // has is not lowercased nor stemmed.
            let head = &bytes[from..to.min(from + 3)];
            if !self
                .stem_heads
                .iter()
                .any(|h| h.as_bytes().eq_ignore_ascii_case(head))
            {
                return None;
            }
            let mut word = text[from..to].to_ascii_lowercase();
            memo.get_or_insert_with(Memo::default)
                .stem_in_place(&mut word);
            Some(word)
        };
        let mut spans = Vec::new();
        for (m, stems) in phrases {
            let first = stems[0].as_bytes()[0];
            let mut at = 0;
            while let Some(found) = memchr::memchr2(first, first.to_ascii_uppercase(), &bytes[at..])
            {
                let from = at + found;
                let to = ascii_word_end(bytes, from);
                at = to.max(from + 1);
                if from > 0 && bytes[from - 1].is_ascii_alphanumeric()
                    || to - from >= MAX_WORD_BYTES
                {
                    continue;
                }
                if stem_of(from, to).as_deref() != Some(stems[0].as_str()) {
                    continue;
                }
                // The next words, as the full scan cuts them (too long ones are no words).
                let mut end = to;
                let mut next = to;
                let mut matched = true;
                for stem in &stems[1..] {
                    let Some((word_from, word_to)) = next_ascii_word(bytes, next) else {
                        matched = false;
                        break;
                    };
                    next = word_to;
                    end = word_to;
                    if stem_of(word_from, word_to).as_deref() != Some(stem.as_str()) {
                        matched = false;
                        break;
                    }
                }
                if matched {
                    spans.push(Span {
                        start: from,
                        end,
                        matcher: m,
                    });
                }
            }
        }
        Some(spans)
    }

    /// Every match in `text`, in order.
    pub fn spans(&self, text: &str) -> Vec<Span> {
        // Stems of the words seen, remembered across the texts of one search (the hits
        // of a query share their words). A poisoned memo is only a cache: start afresh.
        let mut stems = self
            .stems
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let has_phrases = self
            .matchers
            .iter()
            .any(|m| matches!(m, Matcher::Phrase(_)));
        if has_phrases && text.is_ascii() {
            if let Some(spans) = self.ascii_phrase_spans(text, &mut stems) {
                return merge(spans);
            }
        }
        let (mut spans, words) = self.word_spans(text, has_phrases, &mut stems);
        spans.extend(self.phrase_spans(&words));
        spans.extend(self.symbol_spans(text));
        merge(spans)
    }

    /// The matches of the word matchers in `text`, and, with `keep_words`, every word
    /// with its stem (when wanted) for the phrases to look at.
    fn word_spans(
        &self,
        text: &str,
        keep_words: bool,
        stems: &mut Option<Memo>,
    ) -> (Vec<Span>, Vec<Word>) {
        crate::schema::with_query_analyzers(|en, name| {
            self.word_spans_with(text, keep_words, stems, en, name)
        })
    }

    /// [`Highlighter::word_spans`] with the analyzers to use.
    fn word_spans_with(
        &self,
        text: &str,
        keep_words: bool,
        stems: &mut Option<Memo>,
        en: &mut TextAnalyzer,
        name: &mut TextAnalyzer,
    ) -> (Vec<Span>, Vec<Word>) {
        let mut words: Vec<Word> = Vec::new();
        let mut spans = Vec::new();
        let word_matchers = self
            .matchers
            .iter()
            .any(|m| !matches!(m, Matcher::Symbol(_)));
        // Symbols are found apart, in the whole text; words only if something wants them.
        let word_text = if word_matchers { text } else { "" };
        let visit = |from: usize, to: usize, word: Option<&str>| {
            // No matcher accepts a word beginning so (nor would its stem be wanted).
            let word = word.filter(|w| self.first_bytes[usize::from(w.as_bytes()[0])]);
            let Some(word) = word else {
                if keep_words {
                    words.push((from, to, None));
                }
                return;
            };
            let stem = self.wanted_stem(word, en, stems);
            if let Some(m) = self.word_matcher(word, stem.as_deref()) {
                spans.push(Span {
                    start: from,
                    end: to,
                    matcher: m,
                });
            }
            if keep_words {
                words.push((from, to, stem));
            }
        };
        // Phrases look at every word; otherwise only words that may begin with a wanted
        // letter are visited, found by searching for that letter.
        match (keep_words, wanted_first_letters(&self.first_bytes)) {
            (false, Some(letters)) => {
                for_each_word_starting_with(name, word_text, &letters, visit);
            }
            _ => for_each_word(name, word_text, &self.first_bytes, visit),
        }
        (spans, words)
    }

    /// The stem of `word` when some matcher may want it. Stemming every word is the
    /// cost of a snippet: only words that begin like a wanted stem are stemmed (English
    /// stems keep a word's first three letters).
    fn wanted_stem(
        &self,
        word: &str,
        en: &mut TextAnalyzer,
        stems: &mut Option<Memo>,
    ) -> Option<String> {
        let head_end = if word.is_ascii() {
            word.len().min(3)
        } else {
            word.char_indices().nth(3).map_or(word.len(), |(i, _)| i)
        };
        if !self.stem_heads.iter().any(|h| h == &word[..head_end]) {
            return None;
        }
        if word.bytes().all(|b| b.is_ascii_alphanumeric()) {
            let mut stem = word.to_string();
            stems
                .get_or_insert_with(Memo::default)
                .stem_in_place(&mut stem);
            Some(stem)
        } else {
            let mut s = en.token_stream(word);
            s.next().map(|x| x.text.clone())
        }
    }

    /// The first word matcher that accepts `word` (with its stem, if computed).
    fn word_matcher(&self, word: &str, stem: Option<&str>) -> Option<usize> {
        self.matchers.iter().position(|matcher| match matcher {
            Matcher::Stem(s) => stem == Some(s.as_str()),
            Matcher::Exact(w) => word == w,
            Matcher::Prefix(p) => word.starts_with(p.as_str()),
            Matcher::Fuzzy(w, d) => {
                word.len().abs_diff(w.len()) <= usize::from(*d) * 4 && within_edits(word, w, *d)
            }
            Matcher::Phrase(_) | Matcher::Symbol(_) => false,
        })
    }

    /// The runs of `words` whose stems are a phrase matcher's.
    fn phrase_spans(&self, words: &[Word]) -> Vec<Span> {
        let mut spans = Vec::new();
        for (m, matcher) in self.matchers.iter().enumerate() {
            let Matcher::Phrase(stems) = matcher else {
                continue;
            };
            let n = stems.len();
            if n == 0 || words.len() < n {
                continue;
            }
            for i in 0..=words.len() - n {
                let matches = words[i..i + n]
                    .iter()
                    .zip(stems)
                    .all(|(w, s)| w.2.as_deref() == Some(s.as_str()));
                if matches {
                    spans.push(Span {
                        start: words[i].0,
                        end: words[i + n - 1].1,
                        matcher: m,
                    });
                }
            }
        }
        spans
    }

    /// The document symbols of the symbol matchers in `text`, found case-insensitively.
    fn symbol_spans(&self, text: &str) -> Vec<Span> {
        let mut spans = Vec::new();
        let mut lower: Option<String> = None;
        for (m, matcher) in self.matchers.iter().enumerate() {
            let Matcher::Symbol(sym) = matcher else {
                continue;
            };
            let starts: Vec<usize> = if sym.is_ascii() {
                ascii_case_insensitive_matches(text, sym)
            } else {
                let lower = lower.get_or_insert_with(|| text.to_lowercase());
                if lower.len() != text.len() {
                    continue;
                }
                lower
                    .match_indices(sym.as_str())
                    .map(|(at, _)| at)
                    .collect()
            };
            for start in starts {
                spans.push(Span {
                    start,
                    end: start + sym.len(),
                    matcher: m,
                });
            }
        }
        spans
    }
}

/// Starts of the non-overlapping occurrences of `pattern` (ASCII, lowercase) in `text`,
/// ASCII letters compared without case. Candidates are found by the pattern's rarest
/// kind of byte (a symbol's `/` or `.`, else a digit, else its first letter in either
/// case): prose has few of the first two, where a letter like `a` comes every few bytes.
fn ascii_case_insensitive_matches(text: &str, pattern: &str) -> Vec<usize> {
    let (hay, needle) = (text.as_bytes(), pattern.as_bytes());
    let mut found = Vec::new();
    if needle.is_empty() || hay.len() < needle.len() {
        return found;
    }
    let anchor = needle
        .iter()
        .position(u8::is_ascii_punctuation)
        .or_else(|| needle.iter().position(u8::is_ascii_digit))
        .unwrap_or(0);
    let (lower, upper) = (
        needle[anchor].to_ascii_lowercase(),
        needle[anchor].to_ascii_uppercase(),
    );
    let last_start = hay.len() - needle.len();
    // `at`: the first start still allowed (matches do not overlap).
    let mut at = 0;
    while at <= last_start {
        let window = &hay[at + anchor..=last_start + anchor];
        let next = if lower == upper {
            memchr::memchr(lower, window)
        } else {
            memchr::memchr2(lower, upper, window)
        };
        let Some(skip) = next else {
            break;
        };
        let start = at + skip;
        if hay[start..start + needle.len()].eq_ignore_ascii_case(needle) {
            found.push(start);
            at = start + needle.len();
        } else {
            at = start + 1;
        }
    }
    found
}

/// Which first bytes a word must have for one of `matchers` to accept it: a typo match
/// or an empty pattern may begin with anything; stems begin like their words.
fn first_bytes(matchers: &[Matcher]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut allow = |pattern: &str| match pattern.as_bytes().first() {
        Some(&b) => table[usize::from(b)] = true,
        None => table = [true; 256],
    };
    for matcher in matchers {
        match matcher {
            Matcher::Stem(p) | Matcher::Exact(p) | Matcher::Prefix(p) => allow(p),
            Matcher::Phrase(stems) => stems.iter().for_each(|p| allow(p)),
            Matcher::Fuzzy(..) => allow(""),
            Matcher::Symbol(_) => {}
        }
    }
    table
}

/// The first bytes `first_bytes` wants, when they are at most three ASCII letters or
/// digits (one search of the text each).
fn wanted_first_letters(first_bytes: &[bool; 256]) -> Option<Vec<u8>> {
    let wanted: Vec<u8> = (0..=u8::MAX)
        .filter(|&b| first_bytes[usize::from(b)])
        .collect();
    let searchable = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    (wanted.len() <= 3 && wanted.iter().all(searchable)).then_some(wanted)
}

/// Sorts spans and drops those overlapping an earlier one.
fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        if out.last().is_none_or(|l| s.start >= l.end) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::present::{Snippet, Style, SNIPPET_CHARS};

    /// `text` with every match marked in HTML, uncropped.
    fn marked(h: &Highlighter, text: &str) -> String {
        Snippet::new(text, &h.spans(text), (0, text.len())).render(&Style::HTML)
    }

    #[test]
    fn symbols_are_found_whatever_their_case_and_the_text_around() {
        let text = "See A/HRC/47/34 and a/hrc/47/34/Add.1 — also Ünïcödé A/HRC/47/3";
        let starts = ascii_case_insensitive_matches(text, "a/hrc/47/34");
        assert_eq!(starts.len(), 2);
        for at in starts {
            assert!(text[at..at + 11].eq_ignore_ascii_case("a/hrc/47/34"));
        }
        assert!(ascii_case_insensitive_matches(text, "a/76/263").is_empty());
        assert!(ascii_case_insensitive_matches("", "a/1").is_empty());
        assert_eq!(ascii_case_insensitive_matches("aaa", "aa"), vec![0]);
        assert_eq!(ascii_case_insensitive_matches("a//a//a", "a//a"), vec![0]);
        assert_eq!(ascii_case_insensitive_matches("x/1/1/1", "/1/1"), vec![1]);
        assert_eq!(
            ascii_case_insensitive_matches("E/CN.4/2005/78", "e/cn.4/2005/78"),
            vec![0]
        );
        let h = Highlighter::new(vec![Matcher::Symbol("a/hrc/47/34".into())]);
        assert_eq!(
            marked(&h, "Ünïcödé: A/HRC/47/34."),
            "Ünïcödé: <mark>A/HRC/47/34</mark>."
        );
    }

    #[test]
    fn marks_stem_prefix_and_typo_matches_and_escapes() {
        let h = Highlighter::new(vec![
            Matcher::Stem("traffick".into()),
            Matcher::Prefix("mulla".into()),
            Matcher::Fuzzy("montenegro".into(), 2),
        ]);
        let out = marked(&h, "<b>Trafficked</b> by Mullally in Montenegro");
        assert_eq!(
            out,
            "&lt;b&gt;<mark>Trafficked</mark>&lt;/b&gt; by <mark>Mullally</mark> in <mark>Montenegro</mark>"
        );
    }

    #[test]
    fn phrase_and_symbol_matches() {
        let h = Highlighter::new(vec![
            Matcher::Phrase(vec!["sale".into(), "of".into(), "children".into()]),
            Matcher::Symbol("a/hrc/49/51".into()),
        ]);
        assert_eq!(
            marked(&h, "Sale of children (A/HRC/49/51)"),
            "<mark>Sale of children</mark> (<mark>A/HRC/49/51</mark>)"
        );
    }

    #[test]
    fn crops_around_the_best_window() {
        let text = format!("{} needle {}", "filler ".repeat(100), "tail ".repeat(100));
        let h = Highlighter::new(vec![Matcher::Exact("needle".into())]);
        let out = Snippet::of(&h, &text, SNIPPET_CHARS).render(&Style::HTML);
        assert!(out.starts_with('…') && out.ends_with('…'), "{out}");
        assert!(out.contains("<mark>needle</mark>"));
        assert!(out.chars().count() < 260);
    }

    /// The plain left-to-right scan the anchored search must agree with.
    fn naive_matches(text: &str, pattern: &str) -> Vec<usize> {
        let (hay, needle) = (text.as_bytes(), pattern.as_bytes());
        let mut found = Vec::new();
        let mut at = 0;
        while !needle.is_empty() && at + needle.len() <= hay.len() {
            if hay[at..at + needle.len()].eq_ignore_ascii_case(needle) {
                found.push(at);
                at += needle.len();
            } else {
                at += 1;
            }
        }
        found
    }

    proptest::proptest! {
        #[test]
        fn anchored_symbol_search_finds_what_a_plain_scan_finds(
            text in "[aA1/. x]{0,40}",
            pattern in "[a1/. ]{1,6}",
        ) {
            proptest::prop_assert_eq!(
                ascii_case_insensitive_matches(&text, &pattern),
                naive_matches(&text, &pattern)
            );
        }
    }

    #[test]
    fn a_typo_matcher_accepts_words_beginning_with_anything() {
        assert_eq!(
            wanted_first_letters(&first_bytes(&[Matcher::Fuzzy("x".into(), 1)])),
            None
        );
    }

    proptest::proptest! {
        #[test]
        fn phrases_found_from_their_first_word_are_those_a_full_scan_finds(
            words in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Trafficking", "trafficked", "in", "IN", "persons", "person", ",", ".",
                    "child", "children", "x", "-", "é",
                    "averyveryveryveryveryveryveryverylongwordthatisdropped",
                ]),
                0..40,
            ),
            separators in proptest::collection::vec(proptest::sample::select(vec![" ", "", "  "]), 40),
            phrase in proptest::collection::vec(
                proptest::sample::select(vec!["traffick", "in", "person", "child"]),
                1..4,
            ),
        ) {
            let text: String = words
                .iter()
                .zip(&separators)
                .map(|(w, s)| format!("{w}{s}"))
                .collect();
            let phrase: Vec<String> = phrase.iter().map(|s| s.to_string()).collect();
            let fast = Highlighter::new(vec![Matcher::Phrase(phrase.clone())]);
            // Another kind of matcher sends the search through the scan of every word.
            let full = Highlighter::new(vec![
                Matcher::Phrase(phrase),
                Matcher::Exact("zzzz".into()),
            ]);
            proptest::prop_assert_eq!(fast.spans(&text), full.spans(&text));
        }
    }
}
