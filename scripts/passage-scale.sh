#!/usr/bin/env bash
# Passage scale (issue 20): tipdex over about a million passages, and a tenth of it.
#
#   scripts/passage-scale.sh WORK PASSAGES.jsonl REPORTS_DIR [QUERIES]
#
# PASSAGES.jsonl: documents and passages from scripts/passage-corpus.py (the benchmark
# corpus's bodies split into paragraphs, `make-corpus max` gives 505,920 of them);
# REPORTS_DIR: generated UN-style report PDFs (`TIPDEX_DOC_BENCH_FILES=2600
# TIPDEX_DOC_BENCH_KEEP=DIR cargo bench --bench documents` leaves them in DIR/corpus/reports,
# about 190 passages each). Each point (POINTS, default "10 100": percent of both) gets a
# corpus in WORK (the JSONL cut to that share of its passages, that share of the PDFs
# linked), a cold `tipdex index` timed with its peak memory (/usr/bin/time -v), the index
# size, `tipdex bench` in process (RUNS, default 3), and `tipdex serve` under wrk at 1, 8
# and 64 connections (SECS each, default 10; the search box's request, /api/search with
# facets) with the server's peak memory after the 64-connection run.
# Environment: TIPDEX_BIN (default target/release/tipdex), POINTS, RUNS, SECS.
set -euo pipefail
work=${1:?usage: scripts/passage-scale.sh WORK PASSAGES.jsonl REPORTS_DIR [QUERIES]}
passages=$(realpath "${2:?passages JSONL}")
reports=$(realpath "${3:?directory of report PDFs}")
here=$(cd "$(dirname "$0")" && pwd)
queries=$(realpath "${4:-$here/../../shared/bench/queries.txt}")
bin=$(realpath "${TIPDEX_BIN:-target/release/tipdex}")
runs=${RUNS:-3}
secs=${SECS:-10}
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
mkdir -p "$work"
# shellcheck source=serve-lib.sh
. "$here/serve-lib.sh"
trap 'kill ${server:-} 2>/dev/null || true' EXIT
total_passages=$(grep -c '"kind": "passage"' "$passages")
mapfile -t pdfs < <(find "$reports" -maxdepth 1 -name '*.pdf' | sort)
for point in ${POINTS:-10 100}; do
  corpus="$work/corpus-$point"
  index="$work/index-$point"
  rm -rf "$corpus" "$index"
  mkdir -p "$corpus/reports"
  want=$(( total_passages * point / 100 ))
  python3 "$here/passage-corpus.py" --cut "$passages" "$corpus/passages.jsonl" "$want" >/dev/null
  n=$(( ${#pdfs[@]} * point / 100 ))
  for pdf in "${pdfs[@]:0:$n}"; do ln -s "$pdf" "$corpus/reports/"; done
  echo "== point $point%: $(grep -c '"kind": "passage"' "$corpus/passages.jsonl") JSONL passages, $n report PDFs"
  /usr/bin/time -v "$bin" index --corpus "$corpus" --index "$index" --follow-links \
    2> "$work/index-$point.log" >/dev/null
  grep -E 'sections|passages' "$work/index-$point.log" | grep -v '^\s' | tail -2 || true
  grep -E 'Elapsed \(wall|Maximum resident' "$work/index-$point.log"
  echo "index size: $(du -sh "$index" | cut -f1)"
  "$bin" bench --index "$index" --queries "$queries" --runs "$runs" 2>/dev/null
  log="$work/serve-$point.log"
  serve_under_wrk "$bin" "$index" "$log" "$queries" "$secs"
done
