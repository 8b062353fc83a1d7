//! The shape of a word: folding accents, cutting the words of a glossary term or query
//! (French elisions dropped), capitals that mark an acronym, and edit distance.

/// Folds the accented Latin letters of the corpus to ASCII (`á` → `a`); others pass through.
pub fn fold_char(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ā' => 'a',
        'Á' | 'À' | 'Â' | 'Ä' | 'Ã' | 'Å' | 'Ā' => 'A',
        'é' | 'è' | 'ê' | 'ë' | 'ē' => 'e',
        'É' | 'È' | 'Ê' | 'Ë' | 'Ē' => 'E',
        'í' | 'ì' | 'î' | 'ï' | 'ī' => 'i',
        'Í' | 'Ì' | 'Î' | 'Ï' | 'Ī' => 'I',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' | 'ō' => 'o',
        'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' | 'Ø' | 'Ō' => 'O',
        'ú' | 'ù' | 'û' | 'ü' | 'ū' => 'u',
        'Ú' | 'Ù' | 'Û' | 'Ü' | 'Ū' => 'U',
        'ç' => 'c',
        'Ç' => 'C',
        'ñ' => 'n',
        'Ñ' => 'N',
        'ý' | 'ÿ' => 'y',
        'Ý' => 'Y',
        _ => c,
    }
}

/// Lowercased, accent-folded words of `text` (split on anything but letters and digits).
///
/// French elisions are dropped (`l'Europe` → `europe`, `qu'il` → `il`), as the query
/// parser drops them, so "Conseil de l'Europe" matches however it is typed.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace())
        .map(strip_elision)
        .map(strip_clitic)
        .flat_map(|w| w.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().map(fold_char).collect::<String>().to_lowercase())
        .collect()
}

/// `Children’s` → `Children`, `don't` → `don`: an English clitic after an apostrophe
/// dropped (as the analyzers drop it); other words unchanged.
pub fn strip_clitic(word: &str) -> &str {
    let trimmed = word.trim_end_matches(|c: char| !c.is_alphanumeric());
    let Some(at) = trimmed.rfind(['\'', '\u{2019}']) else {
        return word;
    };
    let apostrophe = trimmed[at..].chars().next().map_or(1, char::len_utf8);
    let clitic = trimmed[at + apostrophe..].to_ascii_lowercase();
    let head = &trimmed[..at];
    let joined = head.chars().last().is_some_and(char::is_alphanumeric);
    if joined && ["s", "t", "ll", "re", "ve", "d", "m"].contains(&clitic.as_str()) {
        head
    } else {
        word
    }
}

/// `l'Europe` → `Europe`, `d’enfants` → `enfants`, `qu'il` → `il`; other words unchanged.
pub fn strip_elision(word: &str) -> &str {
    let bytes = word.as_bytes();
    let head = if bytes.len() > 2 && bytes[..2].eq_ignore_ascii_case(b"qu") {
        2
    } else {
        1
    };
    if bytes.len() <= head || !bytes[..head].iter().all(u8::is_ascii_alphabetic) {
        return word;
    }
    let elidable = head == 2
        || matches!(
            bytes[0].to_ascii_lowercase(),
            b'l' | b'd' | b'j' | b'n' | b's' | b'c' | b'm' | b't'
        );
    let rest = &word[head..];
    let after = rest.strip_prefix('\'').or_else(|| rest.strip_prefix('’'));
    match after {
        Some(r) if elidable && r.chars().next().is_some_and(char::is_alphabetic) => r,
        _ => word,
    }
}

/// `WHO`, `IOM`, `CoE`: two or more capitals and no lowercase-only spelling.
pub fn is_written_in_capitals(word: &str) -> bool {
    let upper = word.chars().filter(|c| c.is_uppercase()).count();
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    upper >= 2 && upper * 2 >= letters
}

/// Whether `a` and `b` are within `max` edits (insert, delete, substitute, transpose).
pub fn within_edits(a: &str, b: &str, max: u8) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let max = max as usize;
    if a.len().abs_diff(b.len()) > max {
        return false;
    }
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        if cur.iter().min().copied().unwrap_or(0) > max {
            return false;
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()] <= max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_elisions_are_dropped() {
        assert_eq!(
            words("Conseil de l'Europe"),
            vec!["conseil", "de", "europe"]
        );
        assert_eq!(words("traite d’enfants"), vec!["traite", "enfants"]);
        assert_eq!(strip_elision("l'OIT"), "OIT");
        assert_eq!(strip_elision("ll'x"), "ll'x");
    }

    #[test]
    fn english_clitics_are_dropped() {
        assert_eq!(
            words("United Nations Children’s Fund"),
            vec!["united", "nations", "children", "fund"]
        );
        assert_eq!(
            words("GRETA'S report, don't"),
            vec!["greta", "report", "don"]
        );
        assert_eq!(words("O'Brien 's"), vec!["o", "brien", "s"]);
        assert_eq!(strip_clitic("rock'n'roll"), "rock'n'roll");
    }

    #[test]
    fn edit_distance_with_transpositions() {
        assert!(within_edits("trafiking", "trafficking", 2));
        assert!(within_edits("mullaly", "mullally", 1));
        assert!(within_edits("slavrey", "slavery", 1));
        assert!(!within_edits("slave", "salary", 1));
    }

    #[test]
    fn capitals_mark_acronyms() {
        assert!(is_written_in_capitals("WHO"));
        assert!(is_written_in_capitals("CoE"));
        assert!(!is_written_in_capitals("Who"));
        assert!(!is_written_in_capitals("who"));
    }
}
