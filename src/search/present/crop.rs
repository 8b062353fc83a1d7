//! Cropping: the window of a text to show around its matches — about so many
//! characters holding the most distinct matches (snippets), or so many words
//! (Meilisearch's `cropLength`).

use super::Span;

/// The byte range of about `chars` characters holding the most distinct matchers.
pub fn by_chars(text: &str, spans: &[Span], chars: usize) -> (usize, usize) {
    let ascii = text.is_ascii();
    let byte_budget = |start: usize| {
        if ascii {
            return (start + chars).min(text.len());
        }
        text[start..]
            .char_indices()
            .nth(chars)
            .map_or(text.len(), |(i, _)| start + i)
    };
    let length = if ascii {
        text.len()
    } else {
        text.chars().count()
    };
    if length <= chars {
        return (0, text.len());
    }
    let mut best = (0usize, usize::MAX);
    for (i, first) in spans.iter().enumerate() {
        let end = byte_budget(first.start);
        let mut seen: Vec<usize> = spans[i..]
            .iter()
            .take_while(|s| s.end <= end)
            .map(|s| s.matcher)
            .collect();
        seen.sort_unstable();
        seen.dedup();
        if best.1 == usize::MAX || seen.len() > best.0 {
            best = (seen.len(), first.start);
        }
    }
    let anchor = if best.1 == usize::MAX { 0 } else { best.1 };
    // Start a little before the first match, at a word boundary.
    let lead = chars / 5;
    let mut start = text[..anchor]
        .char_indices()
        .rev()
        .nth(lead)
        .map_or(0, |(i, _)| i);
    if start > 0 {
        start = text[start..]
            .find(char::is_whitespace)
            .map_or(anchor, |i| (start + i + 1).min(anchor));
    }
    let mut end = byte_budget(start);
    if end < text.len() {
        end = text[..end]
            .rfind(char::is_whitespace)
            .filter(|&i| i > start)
            .unwrap_or(end);
    }
    (start, end)
}

/// The byte range of `words` whitespace-separated words holding the most distinct
/// matches, the matches centred in it; the whole text when it is that short.
pub fn by_words(text: &str, spans: &[Span], words: usize) -> (usize, usize) {
    let bounds: Vec<(usize, usize)> = word_bounds(text);
    let words = words.max(1);
    if bounds.len() <= words {
        return (0, text.len());
    }
    // The word each span starts and ends in.
    let word_of = |byte: usize| {
        bounds
            .partition_point(|&(_, end)| end <= byte)
            .min(bounds.len() - 1)
    };
    let located: Vec<(usize, usize, usize)> = spans
        .iter()
        .map(|s| {
            (
                word_of(s.start),
                word_of(s.end.saturating_sub(1)),
                s.matcher,
            )
        })
        .collect();
    let mut best: Option<(usize, usize, usize, usize)> = None; // (distinct, count, first, last)
    for (i, &(first, _, _)) in located.iter().enumerate() {
        let inside: Vec<&(usize, usize, usize)> = located[i..]
            .iter()
            .take_while(|(_, last, _)| *last < first + words)
            .collect();
        let mut distinct: Vec<usize> = inside.iter().map(|(_, _, m)| *m).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let last = inside.iter().map(|(_, l, _)| *l).max().unwrap_or(first);
        let candidate = (distinct.len(), inside.len(), first, last);
        if best.is_none_or(|b| (candidate.0, candidate.1) > (b.0, b.1)) {
            best = Some(candidate);
        }
    }
    let start = match best {
        Some((_, _, first, last)) => {
            let slack = words.saturating_sub(last - first + 1);
            first.saturating_sub(slack / 2).min(bounds.len() - words)
        }
        None => 0,
    };
    (bounds[start].0, bounds[start + words - 1].1)
}

/// Byte ranges of the whitespace-separated words of `text`.
fn word_bounds(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::render::{render, Style};
    use super::*;

    #[test]
    fn crops_to_words_around_the_matches() {
        let text = "one two three four five six seven eight nine ten eleven twelve";
        let s = text.find("eight").unwrap();
        let range = by_words(text, &[Span::new(s, s + 5, 0)], 3);
        assert_eq!(&text[range.0..range.1], "seven eight nine");
        let out = render(
            text,
            &[Span::new(s, s + 5, 0)],
            range,
            &Style::new("[", "]", "…"),
        );
        assert_eq!(out, "…seven [eight] nine…");
        assert_eq!(by_words(text, &[], 2), (0, 7));
        assert_eq!(by_words("short text", &[], 10), (0, 10));
    }
}
