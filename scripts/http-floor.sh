#!/usr/bin/env bash
# The HTTP path against its floor (issue 20): `tipdex serve` answering the search page's
# request (GET /api/search, facets counted, as the page asks; and with facets=false)
# cycling the public relevance queries, beside nginx serving a static 2 KB JSON file,
# alternating, at 1 and 8 connections, ROUNDS rounds (default 3) of SECS s (default 10).
#   scripts/http-floor.sh [INDEX_DIR]       # default: an index of the shipped corpus, built
# Needs wrk and nginx (Debian packages wrk, nginx-light); prints one line per run and a
# median summary.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin=${TIPDEX_BIN:-$root/target/release/tipdex}
rounds=${ROUNDS:-3}
secs=${SECS:-10}
for tool in wrk nginx; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install wrk nginx-light)" >&2; exit 2; }
done
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
index=${1:-$work/index}
[ -n "${1:-}" ] || "$bin" index --corpus "$root/corpus" --index "$index" -q 2>/dev/null
# The public relevance queries, one per line.
grep -hv '^#' "$root"/../shared/relevance/queries.tsv "$root"/../shared/relevance/domain.tsv 2>/dev/null \
  | cut -f1 | sed '/^$/d' > "$work/queries.txt" || true
[ -s "$work/queries.txt" ] || grep -hv '^#' "$root"/tests/relevance/*.tsv | cut -f1 | sed '/^$/d' > "$work/queries.txt"

# nginx: one worker per core, a 2 KB JSON body, access log off.
mkdir -p "$work/www" "$work/nginx"
python3 -c 'import json; print(json.dumps({"hits": [{"id": "x%03d" % i, "title": "t" * 60} for i in range(22)]})[:2047])' \
  > "$work/www/static.json"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/nginx/nginx.conf" <<EOF
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$port;
    location / { root $work/www; default_type application/json; }
  }
}
EOF
nginx -c "$work/nginx/nginx.conf" -g 'daemon off;' &
pids+=($!)
# shellcheck source=serve-lib.sh
. "$here/serve-lib.sh"
start_serve "$bin" "$index" "$work/serve.log"
pids+=("$server")
sleep 0.5

cat > "$work/static.lua" <<EOF
request = function() return wrk.format("GET", "/static.json") end
dofile("$here/wrk-report.lua")
EOF
sed 's|/api/search?limit=10&q=|/api/search?limit=10\&facets=false\&q=|' "$here/wrk-mix.lua" > "$work/nofacets.lua"
export WRK_REPORT=$here/wrk-report.lua
results=$work/results.txt
: > "$results"
run() { # name url script connections
  local threads=$(( $4 < 2 ? 1 : 2 ))
  local line
  line=$(QUERIES="$work/queries.txt" wrk -t"$threads" -c"$4" -d"${secs}s" --timeout 10s -s "$3" "$2" | tail -1)
  echo "$1 $4 $line" | tee -a "$results"
}
for r in $(seq "$rounds"); do
  for c in 1 8; do
    run nginx "http://127.0.0.1:$port" "$work/static.lua" "$c"
    run tipdex-facets "$addr" "$here/wrk-mix.lua" "$c"
    run tipdex-nofacets "$addr" "$work/nofacets.lua" "$c"
  done
done
echo "== medians over $rounds rounds (req/s, p50 ms, p99 ms)"
python3 - "$results" <<'EOF'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\S+) (\d+) req/s (\d+)\s+p50 ([\d.]+) ms\s+p99 ([\d.]+) ms", line)
    if m:
        rows.setdefault((m.group(1), int(m.group(2))), []).append(tuple(map(float, m.groups()[2:])))
med = {k: tuple(statistics.median(x[i] for x in v) for i in range(3)) for k, v in rows.items()}
for (name, c), (rps, p50, p99) in sorted(med.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    line = f"{name:16} {c:>2} conns: {rps:>7,.0f} req/s  p50 {p50 * 1000:>6.0f} µs  p99 {p99 * 1000:>6.0f} µs"
    floor = med.get(("nginx", c))
    if floor and name != "nginx":
        line += f"   p50 {p50 / floor[1]:.1f}× the floor's, {rps / floor[0] * 100:.0f} % of its req/s"
    print(line)
f, n = med.get(("tipdex-facets", 1)), med.get(("tipdex-nofacets", 1))
if f and n:
    print(f"facets' share of a request at 1 connection: {(1 - f[0] / n[0]) * 100:.0f} % of req/s")
EOF
