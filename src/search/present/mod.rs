//! Presenting what a search found: the best window of a text with its matches, as data
//! ([`Snippet`]: text and match spans), and the one highlighter ([`highlight`]), cropper
//! ([`crop`]) and renderer ([`render`]) that every front end uses — HTML for the native
//! API and the page, Meilisearch's `_formatted` with its tags, crop length and marker,
//! colours for a terminal.

pub mod crop;
pub mod group;
pub mod highlight;
pub mod links;
pub mod render;

pub use highlight::{Highlighter, Matcher, Span};
pub use render::Style;

use serde::{Serialize, Serializer};

/// Characters a snippet keeps around the best matches.
pub const SNIPPET_CHARS: usize = 220;

/// A window of a text and the query's matches in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The text of the window.
    text: String,
    /// The matches, in order, not overlapping (byte ranges of `text`).
    spans: Vec<Span>,
    /// Whether the text was cut before the window, and after it.
    cropped: (bool, bool),
}

impl Snippet {
    /// No snippet: an empty text without matches.
    pub fn none() -> Snippet {
        Snippet {
            text: String::new(),
            spans: Vec::new(),
            cropped: (false, false),
        }
    }

    /// The window of about `chars` characters of `text` holding the most distinct
    /// matches of `highlighter` (all of `text` when it is that short).
    pub fn of(highlighter: &Highlighter, text: &str, chars: usize) -> Snippet {
        let spans = highlighter.spans(text);
        let window = crop::by_chars(text, &spans, chars);
        Snippet::new(text, &spans, window)
    }

    /// The snippet of `text` over the byte range `window`, with the spans inside it.
    pub fn new(text: &str, spans: &[Span], (from, to): (usize, usize)) -> Snippet {
        let spans = spans
            .iter()
            .filter(|s| s.start >= from && s.end <= to)
            .map(|s| Span {
                start: s.start - from,
                end: s.end - from,
                matcher: s.matcher,
            })
            .collect();
        Snippet {
            text: text[from..to].to_string(),
            spans,
            cropped: (from > 0, to < text.len()),
        }
    }

    /// The text of the window.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The matches as byte ranges of [`Snippet::text`].
    pub fn matches(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.spans.iter().map(|s| (s.start, s.end))
    }

    /// Whether text was cut before and after the window.
    pub fn cropped(&self) -> (bool, bool) {
        self.cropped
    }

    /// The window rendered in `style`.
    pub fn render(&self, style: &Style) -> String {
        let mut out = String::with_capacity(self.text.len() + 32);
        if self.cropped.0 {
            out.push_str(style.marker);
        }
        out.push_str(&render::render(
            &self.text,
            &self.spans,
            (0, self.text.len()),
            style,
        ));
        if self.cropped.1 {
            out.push_str(style.marker);
        }
        out
    }

    /// Bytes the snippet adds to an answer (its window).
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// Whether the window is empty.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// In JSON a snippet is its HTML rendering (`<mark>` around matches, `…` at cut ends):
/// what a web page shows as it is.
impl Serialize for Snippet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.render(&Style::HTML))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_is_data_rendered_by_each_front_end() {
        let h = Highlighter::new(vec![Matcher::Exact("needle".into())]);
        let text = format!(
            "{} needle & <b> {}",
            "filler ".repeat(60),
            "tail ".repeat(60)
        );
        let s = Snippet::of(&h, &text, 80);
        assert_eq!(s.cropped(), (true, true));
        let (from, to) = s.matches().next().unwrap();
        assert_eq!(&s.text()[from..to], "needle");
        let html = s.render(&Style::HTML);
        assert!(html.starts_with('…') && html.contains("<mark>needle</mark> &amp; &lt;b&gt;"));
        let plain = s.render(&Style::terminal(false));
        assert!(plain.contains("needle & <b>") && !plain.contains("<mark>"));
        let colour = s.render(&Style::terminal(true));
        assert!(colour.contains("\x1b[1;33mneedle\x1b[0m"));
        assert_eq!(serde_json::to_value(&s).unwrap(), serde_json::json!(html));
    }
}
