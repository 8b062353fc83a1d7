//! Finding words in a text as the name analyzer cuts them (runs of letters and digits,
//! lowercased and folded), with their byte offsets: the highlighter's scans, which skip
//! the words no matcher can accept without copying them.

use crate::schema::MAX_WORD_BYTES;
use crate::words::split::{apostrophe_after, Apostrophe};
use tantivy::tokenizer::TextAnalyzer;

/// Calls `each(from, to, Some(word))`, as [`for_each_word`] does, for the words of
/// `text` that may begin with one of `letters` (lowercase letters or digits) once
/// folded: those beginning with one in either case, found with `memchr` rather than by
/// looking at every byte, and those beginning with a non-ASCII letter, which folding may
/// turn into one ("Éducation"). Words come in no particular order.
pub fn for_each_word_starting_with(
    name: &mut TextAnalyzer,
    text: &str,
    letters: &[u8],
    mut each: impl FnMut(usize, usize, Option<&str>),
) {
    let bytes = text.as_bytes();
    let mut word = String::new();
    let mut give = |from: usize, to: usize| {
        let found = &text[from..to];
        if found.is_ascii() {
            if found.len() < MAX_WORD_BYTES {
                word.clear();
                word.push_str(found);
                word.make_ascii_lowercase();
                each(from, to, Some(&word));
            }
        } else if let Some(token) = name.token_stream(found).next() {
            each(from, to, Some(&token.text));
        }
    };
    for &letter in letters {
        let upper = letter.to_ascii_uppercase();
        let mut at = 0;
        while let Some(found) = memchr::memchr2(letter, upper, &bytes[at..]) {
            let from = at + found;
            let to = word_end(text, from);
            at = to.max(from + 1);
            if starts_word(text, from) {
                give(from, to);
            }
        }
    }
    let mut at = 0;
    while let Some(from) = next_non_ascii(bytes, at) {
        let c = text[from..].chars().next().unwrap_or(' ');
        at = from + c.len_utf8();
        if c.is_alphanumeric() && starts_word(text, from) {
            let to = word_end(text, from);
            at = to;
            give(from, to);
        }
    }
}

/// Whether `c` belongs to a word, as [`for_each_word`] cuts them.
pub fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || (!c.is_ascii() && c.is_alphanumeric())
}

/// Whether a word starts at `from` (a character boundary): no word character before it.
pub fn starts_word(text: &str, from: usize) -> bool {
    match text.as_bytes()[..from].last() {
        None => true,
        Some(b) if b.is_ascii() => !b.is_ascii_alphanumeric(),
        Some(_) => !text[..from].chars().next_back().is_some_and(is_word_char),
    }
}

/// The end of the word starting at `from`.
pub fn word_end(text: &str, from: usize) -> usize {
    let bytes = text.as_bytes();
    let mut at = from;
    while at < bytes.len() {
        let b = bytes[at];
        if b.is_ascii() {
            if !b.is_ascii_alphanumeric() {
                break;
            }
            at += 1;
        } else {
            let c = text[at..].chars().next().unwrap_or(' ');
            if !c.is_alphanumeric() {
                break;
            }
            at += c.len_utf8();
        }
    }
    at
}

/// The first byte at or after `at` that begins a non-ASCII character, read eight
/// bytes at a time.
pub fn next_non_ascii(bytes: &[u8], mut at: usize) -> Option<usize> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while at + 8 <= bytes.len() {
        let mut chunk = [0u8; 8];
        chunk.copy_from_slice(&bytes[at..at + 8]);
        let high = u64::from_le_bytes(chunk) & HIGH;
        if high != 0 {
            return Some(at + (high.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    (at..bytes.len()).find(|&i| !bytes[i].is_ascii())
}

/// The end of the run of ASCII letters and digits starting at `from`.
pub fn ascii_word_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|b| !b.is_ascii_alphanumeric())
        .map_or(bytes.len(), |n| from + n)
}

/// The next word of an ASCII text at or after `at`, as [`for_each_word`] cuts words
/// (words of [`MAX_WORD_BYTES`] or more are no words).
pub fn next_ascii_word(bytes: &[u8], mut at: usize) -> Option<(usize, usize)> {
    loop {
        let from = at + bytes[at..].iter().position(u8::is_ascii_alphanumeric)?;
        let to = ascii_word_end(bytes, from);
        if to - from < MAX_WORD_BYTES {
            return Some((from, to));
        }
        at = to;
    }
}

/// Calls `each(from, to, word)` for every word of `text` as the name analyzer cuts and
/// folds it: runs of letters and digits, lowercased and folded, words of
/// [`MAX_WORD_BYTES`] or more dropped. ASCII words (nearly all of them) are lowercased
/// here without the analyzer's per-token work, and given as `None` (not copied) when
/// `first_bytes` rejects their first letter; any other word goes through the analyzer.
pub fn for_each_word(
    name: &mut TextAnalyzer,
    text: &str,
    first_bytes: &[bool; 256],
    mut each: impl FnMut(usize, usize, Option<&str>),
) {
    let bytes = text.as_bytes();
    let char_at = |at: usize| text[at..].chars().next().unwrap_or(' ');
    let mut word = String::new();
    let mut at = 0;
    while at < bytes.len() {
        let b = bytes[at];
        if b.is_ascii() {
            if !b.is_ascii_alphanumeric() {
                at += 1;
                continue;
            }
        } else {
            let c = char_at(at);
            if !c.is_alphanumeric() {
                at += c.len_utf8();
                continue;
            }
        }
        let from = at;
        let end = word_end(text, from);
        // Where the next word is looked for: an apostrophe keeps a word whole, as the
        // analyzers cut it — a clitic after it is no word, nor is an elided article
        // before it.
        at = end;
        if bytes.get(end) == Some(&b'\'') || text[end..].starts_with('\u{2019}') {
            let lowered = text[from..end].to_ascii_lowercase();
            match apostrophe_after(text, end, lowered.as_bytes()) {
                Apostrophe::None => {}
                Apostrophe::Clitic(stop) => at = stop,
                Apostrophe::Elision(next) => {
                    at = next;
                    continue;
                }
            }
        }
        if !text[from..end].is_ascii() {
            let mut stream = name.token_stream(&text[from..end]);
            if let Some(token) = stream.next() {
                each(from, end, Some(&token.text));
            }
        } else if end - from < MAX_WORD_BYTES {
            if !first_bytes[usize::from(bytes[from].to_ascii_lowercase())] {
                each(from, end, None);
                continue;
            }
            word.clear();
            word.push_str(&text[from..end]);
            word.make_ascii_lowercase();
            each(from, end, Some(&word));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::name_analyzer;

    #[test]
    fn words_are_cut_and_folded_exactly_as_the_name_analyzer_does() {
        let long = "x".repeat(MAX_WORD_BYTES);
        let almost = "y".repeat(MAX_WORD_BYTES - 1);
        let texts = [
            String::new(),
            "A/HRC/47/34, Add.1 -- GRETA's 2nd report (2021)!".to_string(),
            "  leading and trailing\tspaces\n\r ".to_string(),
            format!("{long} {almost} mid{long}end"),
            "MiXeD CaSe_with_underscores and-hyphens x1y2z3".to_string(),
            "Ünïcödé text goes through the analyzer: Côte d'Ivoire".to_string(),
            "naïve façade 東京 İstanbul Straße ﬁne x² 3½ Ωmega—dash “quoted” end".to_string(),
            format!("{} {}", "é".repeat(24), "é".repeat(23)),
            "trailing multibyte é".to_string(),
            "<b>Trafficked</b> &amp; 1,000 persons; e.g. U.N.".to_string(),
        ];
        let mut name = name_analyzer();
        for text in &texts {
            let mut ours = Vec::new();
            for_each_word(&mut name, text, &[true; 256], |from, to, word| {
                ours.push((
                    from,
                    to,
                    word.expect("every first byte accepted").to_string(),
                ))
            });
            let mut skipped = Vec::new();
            for_each_word(&mut name, text, &[false; 256], |from, to, word| {
                skipped.push((from, to, word.map(str::to_string)))
            });
            let ascii_skipped = ours
                .iter()
                .map(|(from, to, word)| {
                    let kept = !text[*from..*to].is_ascii();
                    (*from, *to, kept.then(|| word.clone()))
                })
                .collect::<Vec<_>>();
            assert_eq!(skipped, ascii_skipped, "{text:?}");
            let mut theirs = Vec::new();
            let mut reference = name_analyzer();
            let mut stream = reference.token_stream(text);
            while let Some(t) = stream.next() {
                theirs.push((t.offset_from, t.offset_to, t.text.clone()));
            }
            assert_eq!(ours, theirs, "{text:?}");
        }
    }

    /// Words `for_each_word` gives that begin with one of `letters`, sorted.
    fn wanted_words(text: &str, letters: &[u8]) -> Vec<(usize, usize, String)> {
        let mut table = [false; 256];
        for &l in letters {
            table[usize::from(l)] = true;
        }
        let mut out = Vec::new();
        for_each_word(&mut name_analyzer(), text, &table, |from, to, word| {
            if let Some(word) = word.filter(|w| letters.contains(&w.as_bytes()[0])) {
                out.push((from, to, word.to_string()));
            }
        });
        out.sort();
        out
    }

    proptest::proptest! {
        #[test]
        fn searching_for_wanted_letters_finds_the_words_a_full_scan_finds(
            text in "[abAB1 ,.x-]{0,60}|[a-zA-Z0-9 ]{0,120}|[aAbéÉàÀß1 ,.\u{a0}’-]{0,60}",
            letters in proptest::sample::subsequence(vec![b'a', b'b', b'e', b'1', b'x'], 1..=3),
        ) {
            let mut fast = Vec::new();
            let mut name = name_analyzer();
            for_each_word_starting_with(&mut name, &text, &letters, |from, to, word| {
                let word = word.unwrap();
                if letters.contains(&word.as_bytes()[0]) {
                    fast.push((from, to, word.to_string()));
                }
            });
            fast.sort();
            proptest::prop_assert_eq!(fast, wanted_words(&text, &letters));
        }
    }

    #[test]
    fn long_words_and_words_inside_words_are_not_found() {
        let long = "a".repeat(MAX_WORD_BYTES);
        let text = format!("{long} xab ab Ab, b1a");
        let mut found = Vec::new();
        for_each_word_starting_with(&mut name_analyzer(), &text, b"a", |from, to, word| {
            found.push((from, to, word.unwrap().to_string()));
        });
        let start = long.len() + 5;
        assert_eq!(next_non_ascii("abcdefghé".as_bytes(), 0), Some(8));
        assert_eq!(next_non_ascii("ébcdefghijé".as_bytes(), 2), Some(11));
        assert_eq!(next_non_ascii(b"abcdefghijkl", 0), None);
        assert_eq!(
            found,
            vec![
                (start, start + 2, "ab".to_string()),
                (start + 3, start + 5, "ab".to_string())
            ]
        );
    }
}
