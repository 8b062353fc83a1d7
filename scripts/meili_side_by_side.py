#!/usr/bin/env python3
"""tipdex beside Meilisearch, one run, one machine (issue 20's search-box targets).

    MEILI_BIN=/path/to/meilisearch scripts/meili_side_by_side.py CORPUS.jsonl [QUERIES]

CORPUS.jsonl: sections as `../shared/bench/make-corpus 100000 /tmp/100k.jsonl` writes
them; QUERIES: `class<TAB>query` lines (default `../shared/bench/queries.txt`).
MEILI_BIN: a Meilisearch binary built from its public source with
`cargo build --release --no-default-features` (no bundled dashboard). Without it the
run prints SKIPPED and exits 0.

Both engines index the same JSONL file (tipdex with `tipdex index`, Meilisearch with its
default settings through its documents route); both servers run at once on loopback
and wrk sends the same requests — `POST /indexes/sections/search` with
`{"q": QUERY, "limit": 10}`, the benchmark queries in turn — to Meilisearch, to
tipdex's Meilisearch route, and the search page's request (`GET /api/search`, which also
counts facets) to tipdex's native route; engines alternate within each round, at 1, 8 and
64 connections, ROUNDS rounds (default 2) of SECS seconds (default 10) each; medians.

Writes the table and the verdicts to stdout and, with --write, into BENCHMARKS.md
between `<!-- meili:begin -->` and `<!-- meili:end -->`. Environment: TIPDEX_BIN
(default target/release/tipdex), ROUNDS, SECS, WORK (a directory to keep the indexes
in between runs; default a temporary one, removed).
"""

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONNECTIONS = (1, 8, 64)
UID = "sections"
UPLOAD_LINES = 20_000


def fail(message):
    print(f"meili_side_by_side: {message}", file=sys.stderr)
    sys.exit(2)


def http(method, url, body=None, content_type="application/json", timeout=600):
    request = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def wait_listening(url, log, process, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            fail(f"server exited ({process.returncode}): {Path(log).read_text()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            time.sleep(0.2)
    fail(f"server did not answer {url} within {seconds} s")


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def start_meilisearch(meili, work):
    port = free_port()
    log = work / "meili.log"
    process = subprocess.Popen(
        [meili, "--db-path", str(work / "meili-db"), "--http-addr", f"127.0.0.1:{port}",
         "--no-analytics", "--env", "development"],
        stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_listening(f"{url}/health", log, process)
    return process, url


def load_meilisearch(url, corpus):
    """Creates the index and adds the documents in batches; returns the indexing time."""
    started = time.time()
    try:
        http("GET", f"{url}/indexes/{UID}")
        stats = http("GET", f"{url}/indexes/{UID}/stats")
        if stats.get("numberOfDocuments"):
            return None  # kept from an earlier run (WORK)
    except urllib.error.HTTPError:
        pass
    tasks = []
    with open(corpus, "rb") as f:
        while True:
            batch = [line for _, line in zip(range(UPLOAD_LINES), f)]
            if not batch:
                break
            task = http("POST", f"{url}/indexes/{UID}/documents?primaryKey=id",
                        b"".join(batch), "application/x-ndjson")
            tasks.append(task["taskUid"])
    for uid in tasks:
        while True:
            task = http("GET", f"{url}/tasks/{uid}")
            if task["status"] in ("succeeded", "failed", "canceled"):
                if task["status"] != "succeeded":
                    fail(f"Meilisearch task {uid}: {task}")
                break
            time.sleep(0.2)
    return time.time() - started


def start_tipdex(tipdex, index, work):
    log = work / "tipdex.log"
    process = subprocess.Popen(
        [tipdex, "serve", "--index", str(index), "--addr", "127.0.0.1:0"],
        stdout=subprocess.DEVNULL, stderr=open(log, "w"), start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        m = re.search(r"listening on (\S+)", log.read_text())
        if m:
            url = m.group(1)
            url = url if url.startswith("http") else f"http://{url}"
            wait_listening(f"{url}/health", log, process)
            return process, url
        if process.poll() is not None:
            break
        time.sleep(0.1)
    fail(f"tipdex serve did not start: {log.read_text()[-2000:]}")


def run_wrk(url, script, connections, seconds, queries):
    threads = 1 if connections < 2 else 2
    env = dict(os.environ, QUERIES=str(queries), INDEX_UID=UID)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(script), url],
        capture_output=True, text=True, env=env, check=True).stdout
    m = re.search(r"req/s (\d+)\s+p50 ([\d.]+) ms\s+p99 ([\d.]+) ms", out)
    e = re.search(r"errors\(status\) (\d+)\s+errors\(connect/read/write/timeout\) (\d+)/(\d+)/(\d+)/(\d+)", out)
    if not m or not e:
        fail(f"unexpected wrk output:\n{out}")
    failed = sum(int(x) for x in e.groups())
    return {"rps": int(m.group(1)), "p50": float(m.group(2)), "p99": float(m.group(3)),
            "failed": failed}


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def fmt_ms(ms):
    return f"{ms * 1000:.0f} µs" if ms < 1 else f"{ms:.1f} ms"


# Seconds of untimed requests each engine answers before the timed rounds.
WARM_UP_SECONDS = 5


def main(argv):
    write = "--write" in argv
    args = [a for a in argv if a != "--write"]
    if not args:
        fail(__doc__)
    corpus = Path(args[0]).resolve()
    queries = Path(args[1] if len(args) > 1 else ROOT.parent / "shared/bench/queries.txt").resolve()
    meili = os.environ.get("MEILI_BIN")
    if not meili or not os.access(meili, os.X_OK):
        print("SKIPPED: MEILI_BIN is not set to a Meilisearch binary "
              "(build one from its public source: cargo build --release --no-default-features)")
        return 0
    if not shutil.which("wrk"):
        fail("wrk is missing (apt-get install wrk)")
    if not corpus.is_file():
        fail(f"{corpus}: no such corpus file")
    tipdex = Path(os.environ.get("TIPDEX_BIN", ROOT / "target/release/tipdex")).resolve()
    rounds = int(os.environ.get("ROUNDS", "2"))
    seconds = int(os.environ.get("SECS", "10"))
    keep = os.environ.get("WORK")
    work = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="meili-side-"))
    work.mkdir(parents=True, exist_ok=True)
    processes = []
    try:
        corpus_dir = work / "corpus"
        corpus_dir.mkdir(exist_ok=True)
        link = corpus_dir / "sections.jsonl"
        if not link.exists():
            link.symlink_to(corpus)
        index = work / "tipdex-index"
        started = time.time()
        subprocess.run([tipdex, "index", "--corpus", str(corpus_dir), "--index", str(index),
                        "--follow-links", "-q"], check=True)
        tipdex_index_s = time.time() - started
        meili_process, meili_url = start_meilisearch(meili, work)
        processes.append(meili_process)
        meili_index_s = load_meilisearch(meili_url, corpus)
        tipdex_process, tipdex_url = start_tipdex(tipdex, index, work)
        processes.append(tipdex_process)
        version = http("GET", f"{meili_url}/version").get("pkgVersion", "?")
        engines = {
            "tipdex-meili": (tipdex_url, HERE / "wrk-meili.lua"),
            "meilisearch": (meili_url, HERE / "wrk-meili.lua"),
            "tipdex-native": (tipdex_url, HERE / "wrk-mix.lua"),
        }
        results = {(e, c): [] for e in engines for c in CONNECTIONS}
        order = list(engines)
        # Untimed: every engine answers the query set once over before the rounds (the
        # first searches after indexing read cold pages: Meilisearch's p99 at one
        # connection was 600 ms in a first round without this, 3.4 ms in the second).
        for engine in order:
            url, script = engines[engine]
            run_wrk(url, script, 1, WARM_UP_SECONDS, queries)
        for r in range(rounds):
            for c in CONNECTIONS:
                for engine in (order if r % 2 == 0 else order[::-1]):
                    url, script = engines[engine]
                    res = run_wrk(url, script, c, seconds, queries)
                    results[(engine, c)].append(res)
                    print(f"round {r + 1} {engine:14} {c:>2} conns: {res['rps']:>6} req/s "
                          f"p50 {res['p50']:.3f} ms p99 {res['p99']:.3f} ms failed {res['failed']}",
                          file=sys.stderr)
        rss = {"tipdex": peak_rss_mb(tipdex_process.pid), "meilisearch": peak_rss_mb(meili_process.pid)}
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        text = report(results, rounds, seconds, version, commit, corpus, rss,
                      tipdex_index_s, meili_index_s)
        print(text)
        if write:
            write_into_benchmarks(text)
    finally:
        for p in processes:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def report(results, rounds, seconds, version, commit, corpus, rss, tipdex_index_s, meili_index_s):
    sections = sum(1 for _ in open(corpus, "rb"))
    lines = [
        f"Run of {time.strftime('%Y-%m-%d')}: tipdex at `{commit}`, Meilisearch {version} "
        f"(default settings), {sections:,} sections, `scripts/meili_side_by_side.py`; "
        f"{rounds} rounds of {seconds} s per engine and connection count, engines alternating; "
        "medians.",
        "",
        "| | 1 conn | 8 conns | 64 conns |",
        "|---|--:|--:|--:|",
    ]
    names = {
        "tipdex-meili": "tipdex, Meilisearch route",
        "meilisearch": f"Meilisearch {version}",
        "tipdex-native": "tipdex native `/api/search` with facets",
    }
    for engine, name in names.items():
        cells = [f"{median_of(results[(engine, c)], 'rps'):,.0f} req/s, p99 "
                 f"{fmt_ms(median_of(results[(engine, c)], 'p99'))}" for c in CONNECTIONS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    verdicts = []
    for engine in ("tipdex-meili", "tipdex-native"):
        ratios = [median_of(results[(engine, c)], "rps") / max(median_of(results[("meilisearch", c)], "rps"), 1)
                  for c in CONNECTIONS]
        p99s = [median_of(results[(engine, c)], "p99") / max(median_of(results[("meilisearch", c)], "p99"), 1e-9)
                for c in CONNECTIONS]
        lines.append(f"| **{names[engine]} ÷ Meilisearch** | " + " | ".join(
            f"{r:.1f}× req/s, p99 {p:.2f}×" for r, p in zip(ratios, p99s)) + " |")
        met = all(r >= 5 for r in ratios) and all(p <= 1 / 3 for p in p99s)
        verdicts.append(f"- {names[engine]}: ≥ 5× Meilisearch's req/s and p99 ≤ ⅓ at 1, 8 and 64 "
                        f"connections: **{'met' if met else 'missed'}** (req/s "
                        + ", ".join(f"{r:.1f}×" for r in ratios) + "; p99 "
                        + ", ".join(f"{p:.2f}×" for p in p99s) + ").")
    failed = sum(r["failed"] for runs in results.values() for r in runs)
    lines += ["", *verdicts,
              f"- Failed requests: {failed}. Peak RSS of the servers after the run: tipdex "
              f"{rss['tipdex']:.0f} MB, Meilisearch {rss['meilisearch']:.0f} MB.",
              f"- Indexing the file: `tipdex index` {tipdex_index_s:.1f} s; Meilisearch "
              + (f"{meili_index_s:.1f} s (documents route, batches of {UPLOAD_LINES:,})."
                 if meili_index_s is not None else "kept from an earlier run.")]
    return "\n".join(lines)


def write_into_benchmarks(text):
    path = ROOT / "BENCHMARKS.md"
    doc = path.read_text()
    begin, end = "<!-- meili:begin -->", "<!-- meili:end -->"
    if begin not in doc or end not in doc:
        fail(f"{path} has no {begin} … {end} markers")
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{begin}\n{text}\n{end}{tail}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
