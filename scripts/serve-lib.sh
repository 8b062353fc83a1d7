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
