//! Rendering matches, the one renderer of every front end: a window of a text with its
//! matches wrapped in marks and cropped ends marked — as HTML (the text escaped, the
//! marks inserted as given: `<mark>` for the native API and the page, Meilisearch's
//! `highlightPreTag`/`highlightPostTag`/`cropMarker`), or as plain text for a terminal
//! (colours or nothing).

use super::Span;

/// How matches and cropped ends are marked, and whether the text is HTML-escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style<'a> {
    /// Inserted before a match.
    pub pre: &'a str,
    /// Inserted after a match.
    pub post: &'a str,
    /// Inserted where the text was cropped.
    pub marker: &'a str,
    /// Whether the text is HTML (escaped) or plain.
    pub html: bool,
}

impl<'a> Style<'a> {
    /// The native API's and the page's: `<mark>…</mark>`, `…` at cropped ends.
    pub const HTML: Style<'static> = Style::new("<mark>", "</mark>", "…");

    /// HTML with these marks.
    pub const fn new(pre: &'a str, post: &'a str, marker: &'a str) -> Style<'a> {
        Style {
            pre,
            post,
            marker,
            html: true,
        }
    }

    /// Plain text for a terminal: matches in bold yellow when `color`, else unmarked.
    pub const fn terminal(color: bool) -> Style<'static> {
        let (pre, post) = if color {
            ("\x1b[1;33m", "\x1b[0m")
        } else {
            ("", "")
        };
        Style {
            pre,
            post,
            marker: "…",
            html: false,
        }
    }

    /// Appends `text` as this style writes text.
    fn push_text(&self, out: &mut String, text: &str) {
        if self.html {
            push_escaped(out, text);
        } else {
            out.push_str(text);
        }
    }
}

/// `text[from..to]` HTML-escaped, spans inside it wrapped in `pre`/`post`, `marker` at
/// cropped ends.
pub fn render(text: &str, spans: &[Span], (from, to): (usize, usize), style: &Style) -> String {
    let mut out = String::with_capacity(to - from + 16);
    if from > 0 {
        out.push_str(style.marker);
    }
    let mut at = from;
    for span in spans.iter().filter(|s| s.start >= from && s.end <= to) {
        if span.start < at {
            continue;
        }
        style.push_text(&mut out, &text[at..span.start]);
        out.push_str(style.pre);
        style.push_text(&mut out, &text[span.start..span.end]);
        out.push_str(style.post);
        at = span.end;
    }
    style.push_text(&mut out, &text[at..to]);
    if to < text.len() {
        out.push_str(style.marker);
    }
    out
}

/// Escapes `& < > " '` for HTML text and attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

/// Appends `text` to `out`, HTML-escaped; runs without special characters are copied whole.
pub fn push_escaped(out: &mut String, text: &str) {
    let mut copied = 0;
    for (at, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[copied..at]);
        out.push_str(entity);
        copied = at + 1;
    }
    out.push_str(&text[copied..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_escaped_text_with_marks() {
        let text = "a <b> & trafficking";
        let s = text.find("trafficking").unwrap();
        assert_eq!(
            render(
                text,
                &[Span::new(s, text.len(), 0)],
                (0, text.len()),
                &Style::new("<em>", "</em>", "…")
            ),
            "a &lt;b&gt; &amp; <em>trafficking</em>"
        );
    }

    #[test]
    fn escapes_every_special_character_and_keeps_the_rest() {
        assert_eq!(
            escape_html(r#"<a href="x">Côte d'Ivoire & co</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Côte d&#39;Ivoire &amp; co&lt;/a&gt;"
        );
        assert_eq!(escape_html(""), "");
        assert_eq!(escape_html("&&"), "&amp;&amp;");
        assert_eq!(escape_html("plain ünïcödé"), "plain ünïcödé");
    }
}
