//! `tipdex query`: search the index and print ranked results as text or JSON.

use super::IndexLocation;
use anyhow::Context;
use std::io::{IsTerminal, Write};
use tipdex::search::filter::{self, Filter};
use tipdex::search::present::group::{group_by_document, Grouped};
use tipdex::search::present::Style;
use tipdex::search::request::Hit;
use tipdex::{Engine, Kind, SearchRequest, SearchResponse};

/// Flags of `tipdex query`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub location: IndexLocation,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Results to show.
    #[arg(long, default_value_t = tipdex::search::DEFAULT_LIMIT, allow_negative_numbers = true)]
    pub limit: usize,
    /// Results to skip.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub offset: usize,
    /// Only sections of this kind (organization, mandate, report, overview, document,
    /// passage); repeatable. `--kind passage` lists passages one by one, ungrouped.
    #[arg(long = "kind", value_name = "KIND", value_parser = parse_kind)]
    pub kinds: Vec<Kind>,
    /// Only sections of this year.
    #[arg(long)]
    pub year: Option<i64>,
    /// Only sections meeting this filter expression over kind, year and org, as the
    /// Meilisearch API takes it: `kind = report AND year >= 2021`.
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// Show how the query was understood and the score of each hit.
    #[arg(long)]
    pub explain: bool,
    /// Order by year before relevance: `year:desc` (newest first) or `year:asc`;
    /// sections without a year come last.
    #[arg(long, value_name = "year:desc|year:asc", value_parser = parse_sort)]
    pub sort: Option<tipdex::search::Sort>,
    /// Search as a search box does while keys are pressed: the last word is unfinished
    /// and also matches as a prefix, even when it is a complete word.
    #[arg(long)]
    pub typing: bool,
    /// What to search for (words, "phrases", -excluded, OR, field:term).
    #[arg(value_name = "QUERY", required = true, num_args = 1..)]
    pub query: Vec<String>,
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    s.parse()
}

fn parse_sort(s: &str) -> Result<tipdex::search::Sort, String> {
    tipdex::search::Sort::parse(s)
}

/// Runs the search and prints it.
pub fn run(args: Args) -> anyhow::Result<()> {
    let index = args.location.ensure()?;
    // Text output groups a document's passages under it: fetch enough to fill the page.
    let grouped = !args.json && !args.kinds.contains(&Kind::Passage);
    // Explanations are bounded per page: an explained page is not widened.
    let fetch = if grouped && !args.explain {
        args.limit
            .saturating_mul(GROUP_FETCH)
            .clamp(args.limit, MAX_GROUP_FETCH.max(args.limit))
    } else {
        args.limit
    };
    let mut request = SearchRequest {
        limit: fetch,
        offset: args.offset,
        explain: args.explain,
        sort: args.sort,
        typing: args.typing,
        ..SearchRequest::new(args.query.join(" "))
    };
    if let Some(text) = &args.filter {
        if let Some(parsed) =
            filter::parse(text).map_err(|e| anyhow::anyhow!("invalid --filter: {e}"))?
        {
            request = request.and_filter(parsed);
        }
    }
    if !args.kinds.is_empty() {
        request = request.and_filter(Filter::kinds(&args.kinds));
    }
    if let Some(year) = args.year {
        request = request.and_filter(Filter::years(&[year]));
    }
    request.validate()?;
    let backend = args.location.backend()?;
    let engine = Engine::open_for_query(&index, backend.as_ref(), &request.query)?;
    let response = engine
        .search(&request)
        .with_context(|| format!("search failed for {:?}", request.query))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &response)?;
        writeln!(out)?;
    } else {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        print_text(&mut out, &response, color, grouped.then_some(args.limit))?;
    }
    out.flush()?;
    // The process ends here: freeing the index, glossary and answer piece by piece
    // would only cost time (a tenth of `tipdex query`'s instructions).
    std::mem::forget(engine);
    std::mem::forget(response);
    Ok(())
}

/// Sections fetched per result shown when passages are grouped, and at most.
const GROUP_FETCH: usize = 6;
const MAX_GROUP_FETCH: usize = 200;
/// Passages shown under a document.
const PASSAGES_PER_DOCUMENT: usize = 2;

fn print_text(
    out: &mut impl Write,
    r: &SearchResponse,
    color: bool,
    group_limit: Option<usize>,
) -> std::io::Result<()> {
    let (dim, reset) = if color {
        ("\x1b[2m", "\x1b[0m")
    } else {
        ("", "")
    };
    // Said first: what follows matches only the rest of the query.
    for word in &r.unmatched {
        writeln!(out, "no section mentions: {word}")?;
    }
    for told in &r.searched_instead {
        let why = if told.note.is_empty() {
            String::new()
        } else {
            format!(" ({})", told.note)
        };
        writeln!(
            out,
            "searched instead of \"{}\": {}{why}",
            told.words, told.instead
        )?;
    }
    if r.hits.is_empty() {
        writeln!(out, "No results for {:?}.", r.query)?;
        if r.total_hits > 0 {
            writeln!(
                out,
                "({} results in all; try a smaller --offset)",
                r.total_hits
            )?;
        }
        return Ok(());
    }
    let groups = match group_limit {
        Some(limit) => group_by_document(&r.hits, PASSAGES_PER_DOCUMENT, limit),
        None => (0..r.hits.len())
            .map(|lead| Grouped {
                lead,
                passages: Vec::new(),
                more: 0,
            })
            .collect(),
    };
    let shown = groups.len();
    for (n, group) in groups.iter().enumerate() {
        let hit = &r.hits[group.lead];
        print_hit(out, hit, r.offset + n + 1, color)?;
        for &p in &group.passages {
            print_passage(out, &r.hits[p], color)?;
        }
        if group.more > 0 {
            writeln!(
                out,
                "    {dim}… {} more passage(s) in this document{reset}",
                group.more
            )?;
        }
    }
    writeln!(
        out,
        "{dim}{}–{} of {} results in {:.1} ms{reset}",
        r.offset + 1,
        r.offset + shown,
        r.total_hits,
        r.took_ms
    )?;
    if let Some(x) = &r.explain {
        writeln!(out, "query terms: {}", x.terms.join(" "))?;
        writeln!(out, "order: {}", x.order)?;
        for n in &x.notes {
            writeln!(out, "note: {n}")?;
        }
    }
    Ok(())
}

/// One result: kind, title and year, its symbols and people, its snippet.
fn print_hit(out: &mut impl Write, hit: &Hit, rank: usize, color: bool) -> std::io::Result<()> {
    let (bold, dim, reset) = if color {
        ("\x1b[1m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "")
    };
    let s = &hit.section;
    let year = s.year.map(|y| format!(" ({y})")).unwrap_or_default();
    writeln!(
        out,
        "{rank:>2}. [{}] {bold}{}{reset}{year}",
        s.kind, s.title
    )?;
    let mut facts: Vec<String> = Vec::new();
    if let Some(citation) = s.citation.as_ref().filter(|_| s.kind == Kind::Passage) {
        facts.push(passage_place(hit, citation));
    } else if !s.symbols.is_empty() {
        facts.push(s.symbols.join(", "));
    }
    facts.extend(s.role.clone().filter(|r| !s.title.contains(r.as_str())));
    facts.extend(s.person.clone().filter(|p| !s.title.contains(p.as_str())));
    if !facts.is_empty() {
        writeln!(out, "    {dim}{}{reset}", facts.join(" · "))?;
    }
    writeln!(out, "    {}", hit.snippet.render(&Style::terminal(color)))?;
    if let Some(url) = &hit.url {
        writeln!(out, "    {dim}{url}{reset}")?;
    }
    if let Some(e) = &hit.explanation {
        writeln!(
            out,
            "    score {:.3} (engine {:.3}): {}",
            hit.score, hit.relevance, e
        )?;
    }
    Ok(())
}

/// A passage under its document: its citation and page, then its snippet.
fn print_passage(out: &mut impl Write, hit: &Hit, color: bool) -> std::io::Result<()> {
    let (dim, reset) = if color {
        ("\x1b[2m", "\x1b[0m")
    } else {
        ("", "")
    };
    let citation = hit
        .section
        .citation
        .as_deref()
        .unwrap_or(&hit.section.title);
    writeln!(out, "    ¶ {dim}{}{reset}", passage_place(hit, citation))?;
    writeln!(out, "      {}", hit.snippet.render(&Style::terminal(color)))?;
    Ok(())
}

/// "A/HRC/47/34, para. 12 (p. 3, fr)".
fn passage_place(hit: &Hit, citation: &str) -> String {
    let s = &hit.section;
    let mut details: Vec<String> = Vec::new();
    if let Some(page) = s
        .page
        .filter(|_| !citation.ends_with(&format!("p. {}", s.page.unwrap_or(0))))
    {
        details.push(format!("p. {page}"));
    }
    details.extend(s.language.clone());
    if details.is_empty() {
        citation.to_string()
    } else {
        format!("{citation} ({})", details.join(", "))
    }
}
