#!/usr/bin/env bash
# Two or more tipdex binaries on one index, one after the other in one run (issue 20):
# `tipdex bench` in process (plain, then as the search page asks: --facets --typing),
# then `tipdex serve` under wrk with the search box's request (/api/search, facets
# counted; scripts/wrk-mix.lua) at 1, 8 and 64 connections, and the server's peak memory.
#
#   scripts/serve-ab.sh INDEX BIN [BIN...]
#
# Environment: QUERIES (default ../shared/bench/queries.txt), RUNS (default 3), SECS
# (default 10). Needs wrk (apt-get install wrk).
set -euo pipefail
index=${1:?usage: scripts/serve-ab.sh INDEX BIN [BIN...]}
shift
[ $# -ge 1 ] || { echo "usage: scripts/serve-ab.sh INDEX BIN [BIN...]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
queries=$(realpath "${QUERIES:-$here/../../shared/bench/queries.txt}")
runs=${RUNS:-3}
secs=${SECS:-10}
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 2; }
# shellcheck source=serve-lib.sh
. "$here/serve-lib.sh"
trap 'kill ${server:-} 2>/dev/null || true' EXIT
log=$(mktemp)
for bin in "$@"; do
  echo "== $bin"
  "$bin" bench --index "$index" --queries "$queries" --runs "$runs" 2>/dev/null
  "$bin" bench --index "$index" --queries "$queries" --runs "$runs" --facets --typing 2>/dev/null \
    | sed -n 2p | sed 's/^all /all-page/'
  serve_under_wrk "$bin" "$index" "$log" "$queries" "$secs"
done
