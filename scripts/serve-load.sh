#!/usr/bin/env bash
# `tipdex serve` under load: the benchmark query mix against /api/search with wrk
# (Debian package `wrk`), at 1, 8 and 64 connections, 15 s each, loopback.
#   scripts/serve-load.sh INDEX_DIR [QUERIES]
# Prints requests, failed requests, requests/s, p50 and p99 per connection count.
set -euo pipefail
index=${1:?usage: scripts/serve-load.sh INDEX_DIR [QUERIES]}
queries=${2:-../shared/bench/queries.txt}
here=$(cd "$(dirname "$0")" && pwd)
bin=${TIPDEX_BIN:-target/release/tipdex}
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 2; }
log=$(mktemp)
# shellcheck source=serve-lib.sh
. "$here/serve-lib.sh"
trap 'kill ${server:-} 2>/dev/null; rm -f "$log"' EXIT
start_serve "$bin" "$index" "$log"
for c in 1 8 64; do
  threads=$(( c < 2 ? 1 : 2 ))
  echo "== $c connection(s)"
  QUERIES=$(realpath "$queries") wrk -t"$threads" -c"$c" -d15s --timeout 10s \
    -s "$here/wrk-mix.lua" "$addr" | tail -2
done
