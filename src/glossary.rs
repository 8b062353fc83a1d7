//! The field's vocabulary as data: synonyms, abbreviations, French names, word forms and
//! intent phrases, read from `glossary.toml` in the corpus directory.
//!
//! Pure Rust, no search engine here: the search module decides how expansions rank.

use crate::error::{Error, Result};
use crate::words::words;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

/// File name of the glossary inside a corpus directory (and inside an index generation).
pub const FILE_NAME: &str = "glossary.toml";
/// File name of the compiled glossary inside an index generation (read at every open).
pub const COMPILED_FILE_NAME: &str = "glossary.json";
/// Name of the compiled glossary stored with each generation, one JSON object per line
/// ([`Glossary::to_lines`]); read in preference to [`COMPILED_FILE_NAME`].
pub const COMPILED_LINES_FILE_NAME: &str = "glossary.lines.json";

/// The glossary shipped with tipdex, used when a corpus has none of its own.
pub const BUILTIN: &str = include_str!("../corpus/glossary.toml");

/// A term of the glossary: as written, and as the words a query is matched on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    /// As written in the glossary.
    pub text: String,
    /// Lowercased, accent-folded words.
    pub words: Vec<String>,
}

impl Term {
    fn new(text: &str) -> Term {
        Term {
            text: text.trim().to_string(),
            words: words(text),
        }
    }
}

/// Phrases that change the ranking instead of driving the match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Intents {
    /// Prefer documents.
    pub reports: Vec<Term>,
    /// Newest documents first.
    pub newest: Vec<Term>,
    /// Questions about people: prefer mandate holders (matched at the start of a query).
    pub people: Vec<Term>,
    /// Questions asking for a body ("which agency …"): prefer organizations (matched
    /// anywhere in a query).
    #[serde(default)]
    pub bodies: Vec<Term>,
    /// Names of posts ("coordinator", "rapporteuse"): a query naming one asks for its
    /// holder (matched anywhere, kept in the query).
    #[serde(default)]
    pub roles: Vec<Term>,
}

/// The parsed glossary (stored compiled, as JSON, with each index generation).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Glossary {
    /// Abbreviations that are also ordinary words (folded): they expand only when typed in capitals.
    pub ambiguous: HashSet<String>,
    /// Groups of terms meaning the same thing.
    pub synonyms: Vec<Vec<Term>>,
    /// Groups of forms of one word the stemmer does not join.
    pub forms: Vec<Vec<Term>>,
    /// Intent phrases.
    pub intents: Intents,
    /// Organs whose symbols carry a session: symbol prefix and the organ's names.
    pub sessions: Vec<SessionOrgan>,
    /// Words with a grammatical part in a query: stop, question and auxiliary words.
    #[serde(default = "builtin_function_words")]
    pub function_words: FunctionWords,
    /// Neighbouring concepts: what is searched in place of terms no section mentions.
    #[serde(default)]
    pub neighbours: Vec<Neighbour>,
}

/// A concept next to another one, which a specialist links to it or keeps apart from it
/// (child soldiers / children and armed conflict, smuggling / trafficking): when no
/// section mentions one of its terms, the neighbour is searched in its place, and the
/// user is told so, with why they differ. Never searched together with the terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Neighbour {
    /// The ways of writing the concept that may go unmatched.
    pub terms: Vec<Term>,
    /// What is searched instead.
    pub instead: Term,
    /// How the two concepts relate, told with the results.
    pub note: String,
}

/// Words of a query that play a grammatical part rather than name a topic (folded).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionWords {
    /// Words that carry no meaning on their own: optional in a query, never required.
    pub stop: HashSet<String>,
    /// Question words: they ask, they do not describe what is sought.
    pub question: HashSet<String>,
    /// Auxiliaries dropped from questions ("what does WHO do", "who is ...").
    pub auxiliary: HashSet<String>,
}

impl FunctionWords {
    /// Whether `word` (lowercased) is a stop word.
    pub fn is_stop(&self, word: &str) -> bool {
        self.stop.contains(word)
    }
}

/// The function words of the shipped glossary: those of a glossary (or a compiled one
/// of an earlier tipdex) that lists none.
fn builtin_function_words() -> FunctionWords {
    static BUILTIN_WORDS: std::sync::OnceLock<FunctionWords> = std::sync::OnceLock::new();
    BUILTIN_WORDS
        .get_or_init(|| {
            let raw: RawGlossary = toml::from_str(BUILTIN).expect("the shipped glossary parses");
            raw.words
                .expect("the shipped glossary lists its function words")
                .compile()
        })
        .clone()
}

/// An organ whose document symbols carry a session number (`A/HRC/49/...`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionOrgan {
    /// Symbol prefix before the session number (`A/HRC`, `A`).
    pub symbol: String,
    /// Names of the organ.
    pub names: Vec<Term>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGlossary {
    version: u32,
    #[serde(default)]
    ambiguous: Vec<String>,
    #[serde(default)]
    synonyms: Vec<RawGroup>,
    #[serde(default)]
    forms: Vec<RawGroup>,
    #[serde(default)]
    intents: RawIntents,
    #[serde(default)]
    sessions: Vec<RawSession>,
    #[serde(default)]
    words: Option<RawWords>,
    #[serde(default)]
    neighbours: Vec<RawNeighbour>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNeighbour {
    terms: Vec<String>,
    instead: String,
    #[serde(default)]
    note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWords {
    #[serde(default)]
    stop: Vec<String>,
    #[serde(default)]
    question: Vec<String>,
    #[serde(default)]
    auxiliary: Vec<String>,
}

impl RawWords {
    fn compile(self) -> FunctionWords {
        let set = |list: Vec<String>| list.iter().map(|w| words(w).join(" ")).collect();
        FunctionWords {
            stop: set(self.stop),
            question: set(self.question),
            auxiliary: set(self.auxiliary),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSession {
    symbol: String,
    names: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    terms: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIntents {
    #[serde(default)]
    reports: Vec<String>,
    #[serde(default)]
    newest: Vec<String>,
    #[serde(default)]
    people: Vec<String>,
    #[serde(default)]
    bodies: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
}

/// The glossary format version this tipdex reads.
pub const VERSION: u32 = 1;

impl Glossary {
    /// Parses glossary text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Glossary> {
        let error = |message: String| Error::Glossary {
            file: file.to_string(),
            message,
        };
        let raw: RawGlossary = toml::from_str(text).map_err(|e| error(e.to_string()))?;
        if raw.version != VERSION {
            return Err(error(format!(
                "version {} is not supported (this tipdex reads version {VERSION})",
                raw.version
            )));
        }
        let groups = |groups: Vec<RawGroup>, table: &str| -> Result<Vec<Vec<Term>>> {
            groups
                .into_iter()
                .enumerate()
                .map(|(i, g)| {
                    let terms: Vec<Term> = g.terms.iter().map(|t| Term::new(t)).collect();
                    if terms.len() < 2 {
                        return Err(error(format!(
                            "[[{table}]] entry {} needs at least two terms",
                            i + 1
                        )));
                    }
                    if let Some(empty) = terms.iter().find(|t| t.words.is_empty()) {
                        return Err(error(format!(
                            "[[{table}]] entry {} has a term without letters or digits: {:?}",
                            i + 1,
                            empty.text
                        )));
                    }
                    Ok(terms)
                })
                .collect()
        };
        let intents = |list: Vec<String>| -> Vec<Term> {
            list.iter()
                .map(|t| Term::new(t))
                .filter(|t| !t.words.is_empty())
                .collect()
        };
        let neighbours = raw
            .neighbours
            .into_iter()
            .enumerate()
            .map(|(i, n)| neighbour(i + 1, n).map_err(error))
            .collect::<Result<Vec<Neighbour>>>()?;
        Ok(Glossary {
            neighbours,
            ambiguous: raw.ambiguous.iter().map(|a| words(a).join(" ")).collect(),
            synonyms: groups(raw.synonyms, "synonyms")?,
            forms: groups(raw.forms, "forms")?,
            intents: Intents {
                reports: intents(raw.intents.reports),
                newest: intents(raw.intents.newest),
                people: intents(raw.intents.people),
                bodies: intents(raw.intents.bodies),
                roles: intents(raw.intents.roles),
            },
            sessions: raw
                .sessions
                .into_iter()
                .map(|s| SessionOrgan {
                    symbol: s.symbol.trim().to_string(),
                    names: intents(s.names),
                })
                .collect(),
            function_words: raw
                .words
                .map_or_else(builtin_function_words, RawWords::compile),
        })
    }

    /// The glossary shipped with tipdex.
    pub fn builtin() -> Glossary {
        Glossary::parse(BUILTIN, "built-in glossary.toml").expect("the shipped glossary parses")
    }

    /// The glossary text of a corpus directory: its `glossary.toml` (a regular file
    /// inside it, at most 16 MiB), else the built-in one.
    pub fn text_for_corpus(dir: &Path) -> Result<String> {
        let path = dir.join(FILE_NAME);
        let read = crate::files::open_regular(&path, false)
            .and_then(|(file, _)| crate::files::read_bounded(file, 16 << 20));
        match read {
            Ok(bytes) => String::from_utf8(bytes).map_err(|_| Error::Glossary {
                file: path.display().to_string(),
                message: "not valid UTF-8 text".into(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BUILTIN.to_string()),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// The glossary as JSON Lines: first the parts always loaded whole (abbreviations,
    /// intents, sessions), then one line per synonym or form group, so that a reader
    /// can skip the groups a query cannot use without parsing them.
    pub fn to_lines(&self) -> String {
        let head = Head {
            ambiguous: self.ambiguous.clone(),
            intents: self.intents.clone(),
            sessions: self.sessions.clone(),
            function_words: self.function_words.clone(),
        };
        let mut out = serde_json::to_string(&head).expect("a glossary serializes");
        for (tag, table) in [("s", &self.synonyms), ("f", &self.forms)] {
            for group in table {
                out.push('\n');
                out.push_str(tag);
                out.push_str(&serde_json::to_string(group).expect("a glossary serializes"));
            }
        }
        for neighbour in &self.neighbours {
            out.push_str("\nn");
            out.push_str(&serde_json::to_string(neighbour).expect("a glossary serializes"));
        }
        out.push('\n');
        out
    }

    /// Reads [`Glossary::to_lines`]. With `query`, only the groups it can use are kept
    /// (as [`Glossary::restricted`]); the other lines are skipped unparsed, which is
    /// what makes a one-shot `tipdex query` cheap.
    pub fn from_lines(text: &str, query: Option<&str>) -> serde_json::Result<Glossary> {
        let mut lines = text.lines();
        let head: Head = serde_json::from_str(lines.next().unwrap_or_default())?;
        let wanted = query.map(|q| words(q).into_iter().collect::<HashSet<String>>());
        let needles: Option<Vec<String>> = wanted.as_ref().map(|w| {
            w.iter()
                .map(|word| serde_json::to_string(word).expect("a string serializes"))
                .collect()
        });
        let mut glossary = Glossary {
            ambiguous: head.ambiguous,
            intents: head.intents,
            sessions: head.sessions,
            function_words: head.function_words,
            ..Glossary::default()
        };
        for line in lines.filter(|l| !l.is_empty()) {
            let (tag, json) = line.split_at(1);
            if let Some(needles) = &needles {
                if !needles.iter().any(|n| json.contains(n.as_str())) {
                    continue;
                }
            }
            let table = match tag {
                "s" => &mut glossary.synonyms,
                "f" => &mut glossary.forms,
                "n" => {
                    let neighbour: Neighbour = serde_json::from_str(json)?;
                    if wanted
                        .as_ref()
                        .is_none_or(|w| shares_word(&neighbour.terms, w))
                    {
                        glossary.neighbours.push(neighbour);
                    }
                    continue;
                }
                _ => continue,
            };
            let group: Vec<Term> = serde_json::from_str(json)?;
            if wanted.as_ref().is_none_or(|w| shares_word(&group, w)) {
                table.push(group);
            }
        }
        Ok(glossary)
    }

    /// Only the synonym and form groups with a term sharing a word with `query`: a group
    /// can only expand a query that contains all the words of one of its terms.
    pub fn restricted(&self, query: &str) -> Glossary {
        let wanted: HashSet<String> = words(query).into_iter().collect();
        let keep = |table: &Vec<Vec<Term>>| -> Vec<Vec<Term>> {
            table
                .iter()
                .filter(|g| shares_word(g, &wanted))
                .cloned()
                .collect()
        };
        Glossary {
            synonyms: keep(&self.synonyms),
            forms: keep(&self.forms),
            neighbours: self
                .neighbours
                .iter()
                .filter(|n| shares_word(&n.terms, &wanted))
                .cloned()
                .collect(),
            ..self.clone()
        }
    }

    /// Whether a folded term is an abbreviation that is also an ordinary word.
    pub fn is_ambiguous(&self, folded: &str) -> bool {
        self.ambiguous.contains(folded)
    }
}

/// A `[[neighbours]]` entry checked: terms with words, an `instead` with words that is
/// none of the terms.
fn neighbour(entry: usize, raw: RawNeighbour) -> std::result::Result<Neighbour, String> {
    let terms: Vec<Term> = raw.terms.iter().map(|t| Term::new(t)).collect();
    let instead = Term::new(&raw.instead);
    if terms.is_empty() {
        return Err(format!(
            "[[neighbours]] entry {entry} needs at least one term"
        ));
    }
    if let Some(empty) = terms.iter().find(|t| t.words.is_empty()) {
        return Err(format!(
            "[[neighbours]] entry {entry} has a term without letters or digits: {:?}",
            empty.text
        ));
    }
    if instead.words.is_empty() {
        return Err(format!(
            "[[neighbours]] entry {entry}: `instead` needs letters or digits"
        ));
    }
    if terms.iter().any(|t| t.words == instead.words) {
        return Err(format!(
            "[[neighbours]] entry {entry}: `instead` ({:?}) is one of its own terms",
            instead.text
        ));
    }
    Ok(Neighbour {
        terms,
        instead,
        note: raw.note.trim().to_string(),
    })
}

/// The parts of a glossary always loaded whole (first line of [`Glossary::to_lines`]).
#[derive(Serialize, Deserialize)]
struct Head {
    ambiguous: HashSet<String>,
    intents: Intents,
    sessions: Vec<SessionOrgan>,
    #[serde(default = "builtin_function_words")]
    function_words: FunctionWords,
}

/// Whether a term of `group` has a word in `wanted`.
fn shares_word(group: &[Term], wanted: &HashSet<String>) -> bool {
    group
        .iter()
        .any(|t| t.words.iter().any(|w| wanted.contains(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
version = 1
ambiguous = ["WHO"]
[[synonyms]]
terms = ["traite des êtres humains", "trafficking in human beings", "THB"]
[[forms]]
terms = ["child", "children"]
[intents]
newest = ["most recent"]
"#;

    #[test]
    fn parses_terms_into_folded_words() {
        let g = Glossary::parse(SAMPLE, "g.toml").unwrap();
        assert_eq!(
            g.synonyms[0][0].words,
            vec!["traite", "des", "etres", "humains"]
        );
        assert!(g.is_ambiguous("who"));
        assert_eq!(g.intents.newest[0].words, vec!["most", "recent"]);
    }

    #[test]
    fn neighbours_are_read_checked_and_kept_in_the_compiled_lines() {
        let text = "version = 1\n[[neighbours]]\nterms = [\"Smuggling\", \"people smuggling\"]\ninstead = \"UNODC\"\nnote = \" not trafficking \"\n";
        let g = Glossary::parse(text, "g.toml").unwrap();
        assert_eq!(g.neighbours[0].terms[1].words, ["people", "smuggling"]);
        assert_eq!(g.neighbours[0].instead.text, "UNODC");
        assert_eq!(g.neighbours[0].note, "not trafficking");
        let lines = g.to_lines();
        assert_eq!(Glossary::from_lines(&lines, None).unwrap(), g);
        let wanted = Glossary::from_lines(&lines, Some("smuggling routes")).unwrap();
        assert_eq!(wanted.neighbours.len(), 1);
        assert!(Glossary::from_lines(&lines, Some("routes"))
            .unwrap()
            .neighbours
            .is_empty());
        assert!(g.restricted("routes").neighbours.is_empty());
        for (bad, says) in [
            ("terms = []\ninstead = \"x\"", "at least one term"),
            ("terms = [\"--\"]\ninstead = \"x\"", "without letters"),
            ("terms = [\"a\"]\ninstead = \" \"", "`instead` needs"),
            (
                "terms = [\"UNODC\"]\ninstead = \"unodc\"",
                "one of its own terms",
            ),
            ("terms = [\"a\"]", "missing field `instead`"),
        ] {
            let text = format!("version = 1\n[[neighbours]]\n{bad}\n");
            let e = Glossary::parse(&text, "g.toml").unwrap_err().to_string();
            assert!(e.contains("g.toml") && e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn errors_name_the_file_and_the_problem() {
        let e = Glossary::parse("version = 1\n[[synonyms]]\nterms = [\"alone\"]\n", "g.toml")
            .unwrap_err();
        assert!(
            e.to_string().contains("g.toml") && e.to_string().contains("two terms"),
            "{e}"
        );
        let e = Glossary::parse("version = 9\n", "g.toml").unwrap_err();
        assert!(e.to_string().contains("version 9"), "{e}");
        let e = Glossary::parse("version = 1\n[[synonym]]\nterms=[]\n", "g.toml").unwrap_err();
        assert!(e.to_string().contains("synonym"), "{e}");
    }

    #[test]
    fn shipped_glossary_parses_and_every_entry_resolves() {
        let g = Glossary::builtin();
        assert!(g.synonyms.len() >= 50, "a thorough glossary");
        for group in g.synonyms.iter().chain(g.forms.iter()) {
            for term in group {
                assert!(!term.words.is_empty(), "{:?}", term.text);
            }
        }
    }
}
