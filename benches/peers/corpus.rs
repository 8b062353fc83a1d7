//! The corpus and the queries of the comparison: a JSON Lines corpus read as `tipdex
//! index` reads it, or the shipped corpus with generated sections; the query set by class.

use crate::*;

/// Query classes of `queries.txt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Class {
    Term,
    And,
    Phrase,
    Symbol,
}

impl Class {
    pub(crate) fn parse(s: &str) -> Option<Class> {
        match s {
            "term" => Some(Class::Term),
            "and" => Some(Class::And),
            "phrase" => Some(Class::Phrase),
            "symbol" => Some(Class::Symbol),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Class::Term => "term",
            Class::And => "and",
            Class::Phrase => "phrase",
            Class::Symbol => "symbol",
        }
    }
}

/// One query of the set, written once per engine.
pub(crate) struct BenchQuery {
    pub(crate) class: Class,
    /// The words (a phrase without its quotes) or the symbol.
    pub(crate) text: String,
    /// What a user types into tipdex's search box.
    pub(crate) tipdex: SearchRequest,
    /// FTS5 `MATCH` expression (text classes).
    pub(crate) fts5: String,
    /// tantivy `QueryParser` input (text classes).
    pub(crate) floor: String,
}

impl BenchQuery {
    pub(crate) fn new(class: Class, raw: &str) -> BenchQuery {
        let text = raw.trim().trim_matches('"').trim().to_string();
        let words: Vec<String> = text
            .split_whitespace()
            .map(|w| w.replace('"', ""))
            .filter(|w| !w.is_empty())
            .collect();
        let quoted = |w: &str| format!("\"{w}\"");
        let (tipdex, fts5, floor) = match class {
            Class::Term | Class::And => (
                words.join(" "),
                words
                    .iter()
                    .map(|w| quoted(w))
                    .collect::<Vec<_>>()
                    .join(" "),
                words
                    .iter()
                    .map(|w| quoted(w))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Class::Phrase => (
                quoted(&words.join(" ")),
                quoted(&words.join(" ")),
                quoted(&words.join(" ")),
            ),
            Class::Symbol => (text.clone(), String::new(), String::new()),
        };
        BenchQuery {
            class,
            text,
            tipdex: SearchRequest::new(tipdex),
            fts5,
            floor,
        }
    }
}

/// Queries used when no query file is found (they match the built-in corpus).
pub(crate) const FALLBACK_QUERIES: &str = "term\ttrafficking
term\trapporteur
term\tchildren
term\tvictims
term\tcouncil
term\tlabour
and\ttrafficking children
and\tspecial rapporteur
and\tvictims protection
and\thuman rights
phrase\thuman trafficking
phrase\tspecial rapporteur
phrase\tsecurity council
phrase\tunited nations
symbol\tA/HRC/47/34
symbol\tA/HRC/49/51
symbol\tA/76/263
symbol\tA/75/166
";

pub(crate) fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn env_flag(name: &str, default: bool) -> bool {
    match std::env::var(name) {
        Ok(v) => !matches!(v.trim(), "0" | "false" | "no" | ""),
        Err(_) => default,
    }
}

pub(crate) fn env_number(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// The query set and where it came from.
pub(crate) fn load_queries() -> (Vec<BenchQuery>, String) {
    let path = std::env::var_os("TIPDEX_BENCH_QUERIES")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("../shared/bench/queries.txt"));
    let (text, origin) = match std::fs::read_to_string(&path) {
        Ok(t) => (t, path.display().to_string()),
        Err(e) => {
            if std::env::var_os("TIPDEX_BENCH_QUERIES").is_some() {
                panic!("cannot read TIPDEX_BENCH_QUERIES {}: {e}", path.display());
            }
            (FALLBACK_QUERIES.to_string(), "built-in".to_string())
        }
    };
    let mut queries = Vec::new();
    let mut ignored = 0;
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        match line
            .split_once('\t')
            .and_then(|(c, q)| Some((Class::parse(c.trim())?, q)))
        {
            Some((class, q)) if !q.trim().is_empty() => queries.push(BenchQuery::new(class, q)),
            _ => ignored += 1,
        }
    }
    if ignored > 0 {
        eprintln!("peers: ignored {ignored} query lines of an unknown class");
    }
    assert!(!queries.is_empty(), "no queries in {origin}");
    (queries, origin)
}

/// The corpus: its name (for the JSON file), where it came from, and its sections.
pub(crate) struct Corpus {
    pub(crate) name: String,
    pub(crate) origin: String,
    pub(crate) sections: Vec<Section>,
}

pub(crate) fn load_corpus() -> Corpus {
    match std::env::var_os("TIPDEX_BENCH_CORPUS") {
        Some(path) => {
            let path = PathBuf::from(path);
            let name = path
                .file_stem()
                .map_or("corpus".into(), |s| s.to_string_lossy().into_owned());
            Corpus {
                name,
                origin: path.display().to_string(),
                sections: read_jsonl(&path),
            }
        }
        None => Corpus {
            name: "builtin".into(),
            origin: format!("corpus/ + {GENERATED} generated sections"),
            sections: builtin_corpus(),
        },
    }
}

/// Reads a JSON Lines corpus as `tipdex index` does (a line at a time: the whole text is
/// never held in memory, so a child's peak memory is the sections plus what its engine
/// uses), ids assigned as a corpus directory's are.
pub(crate) fn read_jsonl(path: &Path) -> Vec<Section> {
    let options = tipdex::corpus::LoadOptions {
        follow_links: true,
        ..Default::default()
    };
    let (mut sections, _) = tipdex::corpus::load_file(path, &options)
        .unwrap_or_else(|e| panic!("cannot load corpus {}: {e}", path.display()));
    tipdex::corpus::assign_ids(&mut sections);
    assert!(!sections.is_empty(), "{} has no sections", path.display());
    sections
}

/// The tests' seeded generator: the built-in corpus never changes.
#[path = "../../tests/it/harness/rng.rs"]
mod rng;
use rng::Rng;

/// The shipped corpus plus [`GENERATED`] sections written from its words, the query
/// set's words and phrases, and its symbols, so that most queries have hits.
pub(crate) fn builtin_corpus() -> Vec<Section> {
    let mut sections = tipdex::corpus::load(&manifest_dir().join("corpus"))
        .map(|c| c.sections)
        .unwrap_or_default();
    let (queries, _) = load_queries();
    let mut vocab: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for s in &sections {
        for w in s.title.split_whitespace().chain(s.body.split_whitespace()) {
            let w: String = w
                .chars()
                .filter(|c| c.is_alphabetic())
                .collect::<String>()
                .to_lowercase();
            if w.len() >= 2 && seen.insert(w.clone()) {
                vocab.push(w);
            }
        }
    }
    let mut query_words = Vec::new();
    for q in queries
        .iter()
        .filter(|q| matches!(q.class, Class::Term | Class::And))
    {
        query_words.extend(q.text.split_whitespace().map(str::to_string));
    }
    let phrases: Vec<&str> = queries
        .iter()
        .filter(|q| q.class == Class::Phrase)
        .map(|q| q.text.as_str())
        .collect();
    let symbols: Vec<&str> = queries
        .iter()
        .filter(|q| q.class == Class::Symbol)
        .map(|q| q.text.as_str())
        .collect();
    if vocab.is_empty() {
        vocab = ["report", "council", "rights", "trafficking", "children"]
            .map(String::from)
            .to_vec();
    }
    if query_words.is_empty() {
        query_words = vocab.clone();
    }
    let roles = [
        "Special Rapporteur on trafficking in persons, especially women and children",
        "Secretary-General",
        "Human Rights Committee",
        "Working Group on Contemporary Forms of Slavery",
        "Group of Experts on Action against Trafficking in Human Beings",
    ];
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    let word = |rng: &mut Rng| -> String {
        if rng.index(3) == 0 {
            query_words[rng.index(query_words.len())].clone()
        } else {
            vocab[rng.skewed(vocab.len())].clone()
        }
    };
    for i in 0..GENERATED {
        let title_len = 3 + rng.index(4);
        let title: Vec<String> = (0..title_len).map(|_| word(&mut rng)).collect();
        let mut body = String::new();
        let body_len = 60 + rng.index(200);
        for j in 0..body_len {
            if j > 0 {
                body.push(if j % 17 == 0 { '.' } else { ' ' });
                if j % 17 == 0 {
                    body.push(' ');
                }
            }
            if !phrases.is_empty() && rng.index(40) == 0 {
                body.push_str(phrases[rng.index(phrases.len())]);
            } else {
                body.push_str(&word(&mut rng));
            }
        }
        body.push('.');
        let symbol = if !symbols.is_empty() && i % 4 == 0 {
            symbols[(i / 4) % symbols.len()].to_string()
        } else {
            format!("A/HRC/{}/{}", 30 + i % 30, 1 + i % 97)
        };
        let mut s = Section::new(Kind::Report, title.join(" "), body);
        s.id = format!("bench-{i:05}");
        s.role = Some(roles[i % roles.len()].to_string());
        s.symbols = vec![symbol];
        s.source.file = "generated.jsonl".into();
        s.source.lines = [i + 1, i + 1];
        sections.push(s);
    }
    sections
}
