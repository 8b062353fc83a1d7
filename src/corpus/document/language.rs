//! The language of a document: its script, then the commonest short words of the
//! United Nations' Latin-script languages.

/// The commonest function words of English, French and Spanish.
const WORDS: [(&str, &[&str]); 3] = [
    (
        "en",
        &[
            "the", "of", "and", "to", "in", "is", "that", "for", "with", "on", "by", "are",
        ],
    ),
    (
        "fr",
        &[
            "le", "la", "les", "des", "et", "du", "est", "une", "dans", "pour", "que", "aux",
        ],
    ),
    (
        "es",
        &[
            "el", "los", "las", "del", "y", "que", "por", "para", "una", "con", "se", "al",
        ],
    ),
];

/// Fewer words than this tell nothing.
const MIN_WORDS: usize = 20;

/// The language (ISO 639-1) of a text given as lines, or `None` when it cannot be told.
pub fn detect_language<'a>(lines: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut counts = [0usize; WORDS.len()];
    let mut scripts = [0usize; 4]; // Cyrillic, Arabic, Han, Latin
    let mut words = 0usize;
    for line in lines.take(2_000) {
        for word in line.split(|c: char| !c.is_alphabetic()) {
            if word.is_empty() {
                continue;
            }
            words += 1;
            if let Some(first) = word.chars().next() {
                let script = match first {
                    '\u{0400}'..='\u{04FF}' => 0,
                    '\u{0600}'..='\u{06FF}' => 1,
                    '\u{4E00}'..='\u{9FFF}' => 2,
                    _ => 3,
                };
                scripts[script] += 1;
            }
            let lower = word.to_lowercase();
            for (i, (_, list)) in WORDS.iter().enumerate() {
                if list.contains(&lower.as_str()) {
                    counts[i] += 1;
                }
            }
        }
    }
    if words < MIN_WORDS {
        return None;
    }
    let (script, &most) = scripts.iter().enumerate().max_by_key(|(_, n)| **n)?;
    if script < 3 && most * 2 > words {
        return Some(["ru", "ar", "zh"][script].to_string());
    }
    let (best, &hits) = counts.iter().enumerate().max_by_key(|(_, n)| **n)?;
    (hits * 20 >= words).then(|| WORDS[best].0.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_and_french_are_told_apart() {
        let en = "The Special Rapporteur is concerned that the victims of trafficking are \
                  punished for offences they were compelled to commit in the course of it.";
        let fr = "La Rapporteuse spéciale est préoccupée par le fait que les victimes de la \
                  traite sont punies pour des infractions qu'elles ont été contraintes de commettre.";
        assert_eq!(detect_language([en].into_iter()).as_deref(), Some("en"));
        assert_eq!(detect_language([fr].into_iter()).as_deref(), Some("fr"));
        assert_eq!(detect_language(["too short"].into_iter()), None);
    }
}
