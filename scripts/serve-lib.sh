# Sourced by the load scripts of scripts/: starting `tipdex serve` on loopback.

# start_serve BIN INDEX LOG: starts `BIN serve` on INDEX at a free loopback port, its
# stderr in LOG; sets `server` (its pid) and `addr` (http://HOST:PORT) once it listens,
# or prints LOG and exits 2.
start_serve() {
  "$1" serve --index "$2" --addr 127.0.0.1:0 2>"$3" &
  server=$!
  addr=""
  for _ in $(seq 100); do
    addr=$(sed -n 's/^listening on //p' "$3")
    [ -n "$addr" ] && return 0
    sleep 0.1
  done
  cat "$3" >&2
  exit 2
}

# serve_under_wrk BIN INDEX LOG QUERIES SECS: `BIN serve` on INDEX under wrk with the
# search box's request (scripts/wrk-mix.lua cycling QUERIES) at 1, 8 and 64
# connections, SECS s each, one line per count, then the server's peak memory; the
# server is stopped afterwards.
serve_under_wrk() {
  local lib_dir c threads
  lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  start_serve "$1" "$2" "$3"
  for c in 1 8 64; do
    threads=$(( c < 2 ? 1 : 2 ))
    printf '%-3s connections: ' "$c"
    QUERIES="$4" wrk -t"$threads" -c"$c" -d"${5}s" --timeout 10s \
      -s "$lib_dir/wrk-mix.lua" "$addr" | tail -2 | tr '\n' ' '
    echo
  done
  echo "server peak memory: $(awk '/VmHWM/ {print $2, $3}' "/proc/$server/status")"
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=""
}
