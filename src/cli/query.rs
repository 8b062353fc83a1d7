//! `tipdex query`: search the index and print ranked results as text or JSON.

use super::IndexLocation;
use anyhow::Context;
use std::io::{IsTerminal, Write};
use tipdex::search::filter::{self, Filter};
use tipdex::search::present::Style;
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
    /// Only sections of this kind (organization, mandate, report, overview); repeatable.
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
    /// What to search for (words, "phrases", -excluded, OR, field:term).
    #[arg(value_name = "QUERY", required = true, num_args = 1..)]
    pub query: Vec<String>,
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    s.parse()
}

/// Runs the search and prints it.
pub fn run(args: Args) -> anyhow::Result<()> {
    let index = args.location.ensure()?;
    let mut request = SearchRequest {
        limit: args.limit,
        offset: args.offset,
        explain: args.explain,
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
        print_text(&mut out, &response, color)?;
    }
    out.flush()?;
    // The process ends here: freeing the index, glossary and answer piece by piece
    // would only cost time (a tenth of `tipdex query`'s instructions).
    std::mem::forget(engine);
    std::mem::forget(response);
    Ok(())
}

fn print_text(out: &mut impl Write, r: &SearchResponse, color: bool) -> std::io::Result<()> {
    let (bold, dim, reset) = if color {
        ("\x1b[1m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "")
    };
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
    for hit in &r.hits {
        let s = &hit.section;
        let year = s.year.map(|y| format!(" ({y})")).unwrap_or_default();
        writeln!(
            out,
            "{:>2}. [{}] {bold}{}{reset}{year}",
            hit.rank, s.kind, s.title
        )?;
        let mut facts: Vec<String> = Vec::new();
        if !s.symbols.is_empty() {
            facts.push(s.symbols.join(", "));
        }
        facts.extend(s.role.clone().filter(|r| !s.title.contains(r.as_str())));
        facts.extend(s.person.clone().filter(|p| !s.title.contains(p.as_str())));
        if !facts.is_empty() {
            writeln!(out, "    {dim}{}{reset}", facts.join(" · "))?;
        }
        writeln!(out, "    {}", hit.snippet.render(&Style::terminal(color)))?;
        if let Some(e) = &hit.explanation {
            writeln!(out, "    score {:.3}: {}", hit.score, e)?;
        }
    }
    writeln!(
        out,
        "{dim}{}–{} of {} results in {:.1} ms{reset}",
        r.offset + 1,
        r.offset + r.hits.len(),
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
