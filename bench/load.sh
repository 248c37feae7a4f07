#!/usr/bin/env bash
# Load measurement of GET /contact: examples/server (testcrm, SQLite) against
# a bare net/http handler that writes the same JSON body, back to back, with
# wrk -t2 -c32 -d10s on loopback. Prints requests/s, p99 latency, the ratios,
# and the server's peak RSS under load. Each side runs ROUNDS times (default
# 3), alternating, and the medians are compared.
#
#   bash bench/load.sh            # needs wrk (apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }

DUR=${DUR:-10s}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/server" ./examples/server
go build -o "$work/bare" ./bench/bare

PORT=16066 LOG_LEVEL=${LOG_LEVEL:-info} DATABASE_URL="$work/data/crmbridge.db" "$work/server" 2>"$work/server.log" &
pids+=($!); server_pid=$!
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:16066/isAlive >/dev/null && break; sleep 0.1; done

jwt=$(curl -fs -X POST http://127.0.0.1:16066/apiKeyLogin -H 'Content-Type: application/json' \
  -d '{"platform":"testcrm","apiKey":"load-test-key"}' | sed -E 's/.*"jwtToken":"([^"]+)".*/\1/')
path="/contact?jwtToken=$jwt&phoneNumber=+16505551212&overridingFormat=(***)%20***-****,***-***-****"
curl -fs "http://127.0.0.1:16066$path" >"$work/body.json"
grep -q '"id":"1001"' "$work/body.json" || { echo "unexpected answer: $(cat "$work/body.json")" >&2; exit 1; }

"$work/bare" -addr 127.0.0.1:16067 -body "$work/body.json" &
pids+=($!)
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:16067/ >/dev/null && break; sleep 0.1; done

run() { # url -> "rps p99_ms"
  wrk -t2 -c32 -d"$DUR" --latency "$1" >"$work/wrk.out"
  rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' "$work/wrk.out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.out")
  [ -z "$non2xx" ] || { echo "non-2xx answers: $non2xx" >&2; cat "$work/wrk.out" >&2; exit 1; }
  echo "$rps $p99"
}

# The machine is shared and noisy: run ROUNDS rounds, alternating the two
# servers, and compare the medians.
ROUNDS=${ROUNDS:-3}
: >"$work/bare.txt"; : >"$work/srv.txt"
for _ in $(seq 1 "$ROUNDS"); do
  run "http://127.0.0.1:16067$path" >>"$work/bare.txt"
  run "http://127.0.0.1:16066$path" >>"$work/srv.txt"
done
median() { sort -n -k"$2" "$1" | awk -v c="$2" '{v[NR]=$c} END {print v[int((NR+1)/2)]}'; }
bare_rps=$(median "$work/bare.txt" 1); bare_p99=$(median "$work/bare.txt" 2)
srv_rps=$(median "$work/srv.txt" 1); srv_p99=$(median "$work/srv.txt" 2)
echo "rounds (req/s p99_ms): bare: $(tr '\n' ';' <"$work/bare.txt") server: $(tr '\n' ';' <"$work/srv.txt")"
rss_kb=$(awk '/VmHWM/ {print $2}' /proc/$server_pid/status)

printf 'bare net/http   : %10.0f req/s  p99 %7.2f ms (medians of %s rounds)\n' "$bare_rps" "$bare_p99" "$ROUNDS"
printf 'crmbridge server: %10.0f req/s  p99 %7.2f ms\n' "$srv_rps" "$srv_p99"
awk -v a="$srv_rps" -v b="$bare_rps" -v c="$srv_p99" -v d="$bare_p99" -v r="$rss_kb" 'BEGIN {
  printf "throughput ratio: %.0f%% of bare (goal >= 50%%)\n", 100*a/b
  printf "p99 ratio       : %.2fx bare (goal <= 2x)\n", c/d
  printf "server peak RSS : %.1f MB (goal <= 64 MB)\n", r/1024 }'
