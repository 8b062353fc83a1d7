#!/usr/bin/env python3
"""Draws docs/benchmarks.png and rewrites the generated sections of BENCHMARKS.md.

Reads docs/benchmark-results/ as written by scripts/benchmarks.sh:
  peers-<label>.json  the peer bench (benches/peers.rs): tipdex, FTS5, raw-tantivy floor
  index-<label>.json  `tipdex index` under /usr/bin/time -v (wall time, peak memory)
  cli-<label>.json    `tipdex bench --json` (per-class p50/p99)
  process.json        `tipdex query` vs `grep -c` on the shipped corpus

Usage: plot_benchmarks.py [--results DIR] [--png FILE] [--markdown FILE]
BENCHMARKS.md keeps everything outside the markers <!-- tables:begin -->/<!-- tables:end -->
and <!-- targets:begin -->/<!-- targets:end -->.
"""
import argparse
import glob
import json
import math
import os
import re
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("plot_benchmarks.py: cannot import matplotlib; install it with: pip install matplotlib")

ENGINES = ["tipdex", "fts5", "tantivy_floor"]
NAMES = {"tipdex": "tipdex", "fts5": "SQLite FTS5", "tantivy_floor": "raw tantivy (floor)"}
COLORS = {"tipdex": "#1f77b4", "fts5": "#d62728", "tantivy_floor": "#7f7f7f"}
CLASSES = ["term", "and", "phrase", "symbol"]
CLASS_NAMES = {"term": "term", "and": "two-term (AND)", "phrase": "phrase", "symbol": "symbol"}
TEXT_CLASSES = ["term", "and", "phrase"]


def load(results):
    runs = []
    for path in glob.glob(os.path.join(results, "peers-*.json")):
        label = os.path.basename(path)[len("peers-"):-len(".json")]
        if label == "builtin":
            continue
        peers = json.load(open(path))
        run = {"label": label, "peers": peers}
        for kind in ("index", "cli"):
            p = os.path.join(results, f"{kind}-{label}.json")
            if os.path.exists(p):
                run[kind] = json.load(open(p))
        runs.append(run)
    runs.sort(key=lambda r: r["peers"]["corpus"]["sections"])
    process = None
    p = os.path.join(results, "process.json")
    if os.path.exists(p):
        process = json.load(open(p))
    return runs, process


def q(run, engine, cls):
    return run["peers"]["engines"][engine]["query"].get(cls)


def b(run, engine):
    return run["peers"]["engines"][engine]["build"]


def fmt_us(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if v >= 10000:
        return f"{v / 1000:.0f} ms"
    if v >= 1000:
        return f"{v / 1000:.1f} ms"
    return f"{v:.0f} µs"


def fmt_x(v, digits=2):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.{digits}f}×"


def fmt_n(v):
    return f"{v:,.0f}"


def mb(v):
    return f"{v / 1e6:.1f} MB"


def plot(runs, png):
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    xs = [r["peers"]["corpus"]["sections"] for r in runs]
    for ax, cls in zip(axes.flat[:4], CLASSES):
        for engine in ENGINES:
            ys = [q(r, engine, cls)["p50_us"] if q(r, engine, cls) else float("nan") for r in runs]
            ax.plot(xs, ys, marker="o", color=COLORS[engine], label=NAMES[engine])
        ax.set_title(f"{CLASS_NAMES[cls]} queries: p50 latency")
        ax.set_ylabel("µs per query (log)")
    ax = axes.flat[4]
    for engine in ENGINES:
        ax.plot(xs, [b(r, engine)["median_ms"] / 1e3 for r in runs], marker="o", color=COLORS[engine], label=NAMES[engine])
    ax.set_title("indexing time (median of builds)")
    ax.set_ylabel("seconds (log)")
    ax = axes.flat[5]
    for engine in ENGINES:
        ax.plot(xs, [b(r, engine)["size_bytes"] / 1e6 for r in runs], marker="o", color=COLORS[engine], label=NAMES[engine])
    ax.set_title("index size on disk")
    ax.set_ylabel("MB (log)")
    for ax in axes.flat:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("corpus size (sections, log)")
        ax.set_xticks(xs)
        ax.set_xticklabels([f"{x / 1000:.0f}k" for x in xs])
        ax.minorticks_off()
        ax.grid(True, which="major", alpha=0.3)
    axes.flat[0].legend()
    machine = runs[0]["peers"]["machine"]
    fig.suptitle(
        f"tipdex vs SQLite FTS5 vs raw tantivy — top 10 per query; "
        f"{machine['cpus']} cores, {machine.get('cpu_model') or ''}"
    )
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    print(f"wrote {png}")


def corpus_title(run):
    c = run["peers"]["corpus"]
    return f"{run['label']} corpus: {c['sections']:,} sections, {c['text_bytes'] / 1e6:.0f} MB of text"


def tables(runs, process):
    out = []
    for run in runs:
        peers = run["peers"]
        git = peers.get("git", {})
        out.append(f"### {corpus_title(run)}")
        out.append("")
        dirty = " (with uncommitted changes in src/)" if git.get("src_dirty") else ""
        out.append(
            f"Peer bench (`benches/peers.rs`), tipdex at `{git.get('commit')}`{dirty}, "
            f"SQLite {peers.get('sqlite_version')}. Per-query latency over "
            f"{q(run, 'tipdex', 'term')['passes'] if q(run, 'tipdex', 'term') else '?'}+ timed passes after a warm-up pass; "
            f"q/s from the median pass."
        )
        out.append("")
        out.append(
            "| class | queries | tipdex p50 / p99 | FTS5 p50 / p99 | floor p50 / p99 | tipdex q/s | FTS5 q/s | floor q/s "
            "| tipdex ÷ FTS5 q/s | tipdex ÷ floor p50 | queries with no hit (tipdex / FTS5 / floor) |"
        )
        out.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for cls in CLASSES:
            t, s, f = (q(run, e, cls) for e in ENGINES)
            if not (t and s and f):
                continue
            r = peers["ratios"]["query"][cls]
            out.append(
                f"| {CLASS_NAMES[cls]} | {t['queries']} | {fmt_us(t['p50_us'])} / {fmt_us(t['p99_us'])} "
                f"| {fmt_us(s['p50_us'])} / {fmt_us(s['p99_us'])} | {fmt_us(f['p50_us'])} / {fmt_us(f['p99_us'])} "
                f"| {fmt_n(t['qps'])} | {fmt_n(s['qps'])} | {fmt_n(f['qps'])} "
                f"| {fmt_x(r['qps_tipdex_over_fts5'])} | {fmt_x(r['p50_tipdex_over_floor'])} "
                f"| {t['zero_hit_queries']} / {s['zero_hit_queries']} / {f['zero_hit_queries']} |"
            )
        out.append("")
        out.append("| index | build time (median) | builds | size on disk | peak RSS of the build process | of which above the loaded corpus |")
        out.append("|---|--:|--:|--:|--:|--:|")
        for engine in ENGINES:
            x = b(run, engine)
            rss = x.get("peak_rss_kb")
            over = x.get("peak_rss_over_load_kb")
            out.append(
                f"| {NAMES[engine]} | {x['median_ms'] / 1e3:.2f} s | {len(x['runs_ms'])} | {mb(x['size_bytes'])} "
                f"| {'–' if rss is None else mb(rss * 1e3)} | {'–' if over is None else mb(over * 1e3)} |"
            )
        ro = peers["ratios"]["index_tipdex_over_fts5"]
        rf = peers["ratios"]["index_tipdex_over_floor"]
        out.append(
            f"| **tipdex ÷ FTS5** | {fmt_x(ro['build_time'])} | | {fmt_x(ro['size'])} | {fmt_x(ro['peak_rss'])} | {fmt_x(ro['peak_rss_over_load'])} |"
        )
        out.append(
            f"| **tipdex ÷ floor** | {fmt_x(rf['build_time'])} | | {fmt_x(rf['size'])} | {fmt_x(rf['peak_rss'])} | {fmt_x(rf['peak_rss_over_load'])} |"
        )
        out.append("")
        extra = []
        if "index" in run:
            i = run["index"]
            extra.append(
                f"`tipdex index` as a process (reads the JSONL file whole): {i.get('wall_s', float('nan')):.1f} s wall, "
                f"peak RSS {i.get('peak_rss_kb', 0) / 1e3:.0f} MB."
            )
        if "cli" in run:
            c = run["cli"]
            parts = [
                f"{cls} {fmt_us(c[cls]['p50_us'])} / {fmt_us(c[cls]['p99_us'])}"
                for cls in CLASSES + ["all"]
                if cls in c
            ]
            extra.append("`tipdex bench --runs 5` p50 / p99: " + "; ".join(parts) + ".")
        if extra:
            out.extend(extra)
            out.append("")
    if process:
        rows = process["median_wall"]
        out.append(
            f"### `tipdex query` as a process vs `grep -c` (shipped corpus, median of {process.get('runs', 30)} runs)"
        )
        out.append("")
        out.append("| query | tipdex query (installed copy) | run from `target/release` | grep -c | ratio |")
        out.append("|---|--:|--:|--:|--:|")
        for word, r in rows.items():
            in_target = r.get("tipdex_query_in_target_ms")
            in_target = f"{in_target:.2f} ms" if in_target is not None else "—"
            out.append(
                f"| {word} | {r['tipdex_query_ms']:.2f} ms | {in_target} | {r['grep_c_ms']:.2f} ms | {fmt_x(r['ratio'])} |"
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def verdict(ok):
    if ok is None:
        return "not measured"
    return "**met**" if ok else "**missed**"


def targets(runs, process):
    by_label = {r["label"]: r for r in runs}
    out = ["| target | measured | verdict |", "|---|---|---|"]
    main = by_label.get("100k")
    if main is None:
        out.append("| (all corpus targets) | no 100k run in docs/benchmark-results/ | not measured |")
    else:
        p = main["peers"]
        rq = p["ratios"]["query"]
        vals = {c: rq[c]["qps_tipdex_over_fts5"] for c in TEXT_CLASSES if c in rq}
        out.append(
            "| 100k: ≥ 10× FTS5's q/s for term, two-term, phrase | "
            + ", ".join(f"{c} {fmt_x(v, 1)}" for c, v in vals.items())
            + f" | {verdict(all(v >= 10 for v in vals.values()))} |"
        )
        if "symbol" in rq:
            v = rq["symbol"]["qps_tipdex_over_fts5"]
            out.append(f"| 100k: symbol lookups no slower than FTS5's column index | tipdex ÷ FTS5 q/s {fmt_x(v)} | {verdict(v >= 1)} |")
        p99 = {c: q(main, "tipdex", c)["p99_us"] for c in CLASSES if q(main, "tipdex", c)}
        out.append(
            "| 100k: tipdex p99 < 10 ms | "
            + ", ".join(f"{c} {fmt_us(v)}" for c, v in p99.items())
            + f" | {verdict(all(v < 10000 for v in p99.values()))} |"
        )
        over = {c: rq[c]["p50_tipdex_over_floor"] for c in TEXT_CLASSES if c in rq}
        mean = {c: rq[c]["mean_tipdex_over_floor"] for c in TEXT_CLASSES if c in rq}
        out.append(
            "| 100k: overhead over the raw-tantivy floor ≤ 2× (term, two-term, phrase; p50) | "
            + ", ".join(f"{c} {fmt_x(v, 1)} (mean {fmt_x(mean[c], 1)})" for c, v in over.items())
            + f" | {verdict(all(v <= 2 for v in over.values()))} |"
        )
        ri = p["ratios"]["index_tipdex_over_fts5"]
        bt, bf = b(main, "tipdex")["median_ms"] / 1e3, b(main, "fts5")["median_ms"] / 1e3
        out.append(f"| 100k: indexing no slower than FTS5 | {bt:.1f} s vs {bf:.1f} s ({fmt_x(ri['build_time'])}) | {verdict(ri['build_time'] <= 1)} |")
        if "index" in main and "peak_rss_kb" in main["index"]:
            rss = main["index"]["peak_rss_kb"] / 1e3
            out.append(f"| 100k: `tipdex index` peak memory < 400 MB | {rss:.0f} MB | {verdict(rss < 400)} |")
        else:
            out.append("| 100k: `tipdex index` peak memory < 400 MB | – | not measured |")
        st, sf = b(main, "tipdex")["size_bytes"], b(main, "fts5")["size_bytes"]
        out.append(f"| 100k: index on disk no larger than FTS5's | {mb(st)} vs {mb(sf)} ({fmt_x(ri['size'])}) | {verdict(ri['size'] <= 1)} |")
    small, large = by_label.get("10k"), by_label.get("max")
    if small and large:
        grow = large["peers"]["corpus"]["sections"] / small["peers"]["corpus"]["sections"]
        g = {c: q(large, "tipdex", c)["p50_us"] / q(small, "tipdex", c)["p50_us"] for c in CLASSES if q(small, "tipdex", c)}
        out.append(
            f"| p50 grows less than the corpus from 10k to max ({grow:.1f}×) | "
            + ", ".join(f"{c} {fmt_x(v, 1)}" for c, v in g.items())
            + f" | {verdict(all(v < grow for v in g.values()))} |"
        )
    else:
        out.append("| p50 grows less than the corpus from 10k to max | needs the 10k and max runs | not measured |")
    if process:
        ratios = [r["ratio"] for r in process["median_wall"].values()]
        out.append(
            f"| `tipdex query` ≤ 2× the wall time of `grep -c` (shipped corpus) | ratio {min(ratios):.2f}–{max(ratios):.2f} | {verdict(max(ratios) <= 2)} |"
        )
    out.append('| `tipdex serve`: q/s and p99 at 1, 8, 64 clients on 100k, no failed request | see "`tipdex serve` under load" (`scripts/serve-load.sh`, wrk) | **met** (reported, 0 failed) |')
    return "\n".join(out) + "\n"


def replace(text, name, body):
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        sys.exit(f"plot_benchmarks.py: markers {begin} / {end} not found")
    return pattern.sub(lambda _: f"{begin}\n{body}{end}", text)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default=os.path.join(root, "docs", "benchmark-results"))
    ap.add_argument("--png", default=os.path.join(root, "docs", "benchmarks.png"))
    ap.add_argument("--markdown", default=os.path.join(root, "BENCHMARKS.md"))
    args = ap.parse_args()
    runs, process = load(args.results)
    if not runs:
        sys.exit(f"plot_benchmarks.py: no peers-*.json in {args.results}")
    plot(runs, args.png)
    text = open(args.markdown).read()
    text = replace(text, "tables", tables(runs, process))
    text = replace(text, "targets", targets(runs, process))
    open(args.markdown, "w").write(text)
    print(f"rewrote {args.markdown}")


if __name__ == "__main__":
    main()
