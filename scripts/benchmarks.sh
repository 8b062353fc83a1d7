#!/usr/bin/env bash
# Regenerates the measurements of BENCHMARKS.md (issue 5): its tables and docs/benchmarks.png.
#
#   scripts/benchmarks.sh [SIZE...]          # SIZE: a section count or "max"; default 10000 100000 max
#
# For each size it builds the corpus with ../shared/bench/make-corpus (cached), runs the
# peer bench (tipdex vs SQLite FTS5 vs raw tantivy, `cargo bench --bench peers`), then
# `tipdex index` under /usr/bin/time -v (wall time, peak memory) and `tipdex bench`
# (per-class p50/p99); it times `tipdex query` against `grep -c` on the shipped corpus;
# the JSON results go to docs/benchmark-results/, then scripts/plot_benchmarks.py draws
# docs/benchmarks.png and rewrites the generated sections of BENCHMARKS.md from every
# result there (so sizes can be run separately).
#
# Environment:
#   TIPDEX_BENCH_DATA     corpus cache (default target/bench-data; files <label>.jsonl, e.g. 10k.jsonl)
#   TIPDEX_BENCH_QUERIES  query set (default ../shared/bench/queries.txt)
#   MAKE_CORPUS           corpus generator (default ../shared/bench/make-corpus)
#   PLOT_ONLY=1           only redraw the plot and the tables from docs/benchmark-results/
#   PROCESS_ONLY=1        only time `tipdex query` against `grep -c`, then redraw
# Needs python3 with matplotlib (pip install matplotlib) and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
data=${TIPDEX_BENCH_DATA:-$repo/target/bench-data}
queries=${TIPDEX_BENCH_QUERIES:-$repo/../shared/bench/queries.txt}
make_corpus=${MAKE_CORPUS:-$repo/../shared/bench/make-corpus}
target=${CARGO_TARGET_DIR:-$repo/target}
results=$repo/docs/benchmark-results
work=$target/benchmarks
if [ $# -gt 0 ]; then sizes=("$@"); else sizes=(10000 100000 max); fi

label() {
    case $1 in
    max) echo max ;;
    *000) echo "$(($1 / 1000))k" ;;
    *) echo "$1" ;;
    esac
}

plot() {
    python3 scripts/plot_benchmarks.py --results "$results" --png docs/benchmarks.png \
        --markdown BENCHMARKS.md
}

if ! python3 -c 'import matplotlib' 2>/dev/null; then
    echo "benchmarks.sh: python3 cannot import matplotlib; install it with: pip install matplotlib" >&2
    exit 1
fi
if [ "${PLOT_ONLY:-0}" = 1 ]; then
    plot
    exit 0
fi
[ -x /usr/bin/time ] || { echo "benchmarks.sh: /usr/bin/time (GNU time) is missing: apt-get install time" >&2; exit 1; }
[ -r "$queries" ] || { echo "benchmarks.sh: no query set at $queries (set TIPDEX_BENCH_QUERIES)" >&2; exit 1; }
mkdir -p "$data" "$results" "$work"

echo "== cargo build --release --bin tipdex"
cargo build --release --bin tipdex
tipdex=$target/release/tipdex

# `tipdex query` as a whole process against `grep -c` over the same text file (shipped corpus),
# run as installed (a copy, as `cargo install` makes) and straight from target/release: on
# recent Linux kernels a file written by the linker is mapped in small pages where a copied
# one gets large folios, which alone moves process start by ~0.3 ms.
echo "== tipdex query vs grep -c (shipped corpus)"
installed=$work/bin/tipdex
install -D -m 755 "$tipdex" "$installed"
rm -rf "$work/index-shipped"
"$tipdex" index --corpus corpus --index "$work/index-shipped" >/dev/null
python3 - "$installed" "$tipdex" "$work/index-shipped" "$results/process.json" <<'PY'
import json, statistics, subprocess, sys, time, glob
installed, built, index, out = sys.argv[1:5]
runs = 100
text = sorted(glob.glob("corpus/*.txt"))
def wall(cmd):
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False)  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False)
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)
rows = {}
for word in ["trafficking", "rapporteur", "GRETA"]:
    q = wall([installed, "query", "--index", index, word])
    b = wall([built, "query", "--index", index, word])
    g = wall(["grep", "-c", word] + text)
    rows[word] = {"tipdex_query_ms": q, "tipdex_query_in_target_ms": b, "grep_c_ms": g, "ratio": q / g}
json.dump({"files": text, "runs": runs, "median_wall": rows}, open(out, "w"), indent=1)
for w, r in rows.items():
    print(f"{w:<12} tipdex query {r['tipdex_query_ms']:.2f} ms (from target/release {r['tipdex_query_in_target_ms']:.2f} ms), "
          f"grep -c {r['grep_c_ms']:.2f} ms, ratio {r['ratio']:.2f}")
PY
if [ "${PROCESS_ONLY:-0}" = 1 ]; then sizes=(); fi

for n in "${sizes[@]}"; do
    l=$(label "$n")
    corpus=$data/$l.jsonl
    if [ ! -s "$corpus" ]; then
        echo "== make-corpus $n -> $corpus"
        "$make_corpus" "$n" "$data/$l.partial.jsonl"
        mv "$data/$l.partial.jsonl" "$corpus"
    fi

    echo "== peers bench on $l"
    TIPDEX_BENCH_CORPUS=$corpus TIPDEX_BENCH_QUERIES=$queries \
        cargo bench --bench peers 2>&1 | tee "$work/peers-$l.log"
    cp "$target/peers-$l.json" "$results/peers-$l.json"

    echo "== tipdex index on $l (/usr/bin/time -v)"
    dir=$work/corpus-$l
    rm -rf "$dir" "$work/index-$l"
    mkdir -p "$dir"
    ln -s "$(cd "$(dirname "$corpus")" && pwd)/$(basename "$corpus")" "$dir/$l.jsonl"
    /usr/bin/time -v "$tipdex" index --corpus "$dir" --index "$work/index-$l" \
        >"$work/index-$l.out" 2>"$work/time-index-$l.txt"
    python3 - "$work/time-index-$l.txt" "$results/index-$l.json" <<'PY'
import json, sys
src, out = sys.argv[1:3]
facts = {}
for line in open(src):
    key, _, value = line.strip().rpartition(": ")
    if key == "Maximum resident set size (kbytes)":
        facts["peak_rss_kb"] = int(value)
    elif key.startswith("Elapsed (wall clock) time"):
        secs = 0.0
        for part in value.split(":"):
            secs = secs * 60 + float(part)
        facts["wall_s"] = secs
    elif key == "User time (seconds)":
        facts["user_s"] = float(value)
    elif key == "System time (seconds)":
        facts["system_s"] = float(value)
json.dump(facts, open(out, "w"), indent=1)
print(facts)
PY

    echo "== tipdex bench on $l"
    "$tipdex" bench --index "$work/index-$l" --queries "$queries" --runs 5 --json >"$results/cli-$l.json"
    cat "$results/cli-$l.json"
done

echo "== plot and tables"
plot
