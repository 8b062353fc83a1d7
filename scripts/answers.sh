#!/usr/bin/env bash
# Prints, for every query of the public relevance cases and of a benchmark query set, the
# ids of the hits `tipdex query --json` returns, in order, one line a query: run before
# and after a change that must not change answers, and diff the two outputs.
#
#   scripts/answers.sh BIN INDEX [QUERIES.txt ...] > answers.txt
#
# BIN: the tipdex binary; INDEX: an index of the corpus the cases are written for.
# Relevance cases (tests/relevance/*.tsv: query, flags) run with their flags; query
# files (class<TAB>query or query) with none. Scores are printed to 3 decimals.
set -euo pipefail
bin=$1 index=$2
shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
run() {
  local flags=$1 query=$2
  # shellcheck disable=SC2086
  "$bin" query --json --limit 20 --index "$index" $flags -- "$query" 2>/dev/null \
    | python3 -c 'import json,sys
r=json.load(sys.stdin)
print(r["total_hits"], " ".join("%s:%.3f" % (h["id"], h["score"]) for h in r["hits"]))' \
    || echo "ERROR"
}
for tsv in "$here"/tests/relevance/*.tsv; do
  grep -v '^#' "$tsv" | while IFS=$'\t' read -r query flags _; do
    [ -n "$query" ] || continue
    [ "$flags" = "-" ] && flags=""
    printf '%s\t%s\t%s\n' "$query" "$flags" "$(run "$flags" "$query")"
  done
done
for file in "$@"; do
  while IFS= read -r line; do
    query=${line#*$'\t'}
    [ -n "$query" ] || continue
    printf '%s\t\t%s\n' "$query" "$(run "" "$query")"
  done < "$file"
done
