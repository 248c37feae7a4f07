#!/usr/bin/env bash
# Load measurement of GET /contact: examples/server (testcrm, SQLite) against
# a bare net/http handler that writes the same JSON body, back to back, with
# wrk -t2 -c32 -d10s on loopback. The server runs twice: "ops off" (no
# metrics, no tracing) and "ops on" (Prometheus metrics, and tracing
# configured with OTEL_TRACES_EXPORTER=none: spans made and propagated, not
# exported). Prints requests/s, p99 latency, the ratios to bare, and each
# server's peak RSS under load. Each runs ROUNDS times (default 3),
# alternating, and the medians are compared.
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

start_server() { # port dir env... -> pid on stdout
  local port=$1 dir=$2; shift 2
  env "$@" PORT="$port" LOG_LEVEL=${LOG_LEVEL:-info} DATABASE_URL="$work/$dir/crmbridge.db" "$work/server" >/dev/null 2>"$work/$dir.log" &
  echo $!
}
off_pid=$(start_server 16066 off METRICS_ADDR=off OTEL_TRACES_EXPORTER= OTEL_EXPORTER_OTLP_ENDPOINT=)
pids+=("$off_pid")
on_pid=$(start_server 16068 on METRICS_ADDR= OTEL_TRACES_EXPORTER=none)
pids+=("$on_pid")
for port in 16066 16068; do
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/isAlive" >/dev/null && break; sleep 0.1; done
done
for _ in $(seq 1 50); do grep -q 'tracing="on, no exporter' "$work/on.log" && break; sleep 0.1; done
grep -q 'tracing="on, no exporter' "$work/on.log" || { echo "ops-on server did not turn tracing on: $(cat "$work/on.log")" >&2; exit 1; }
curl -fs http://127.0.0.1:16068/metrics >"$work/metrics.txt" || true
grep -q crmbridge_cache_requests_total "$work/metrics.txt" || { echo "ops-on server serves no metrics" >&2; exit 1; }
! curl -fs http://127.0.0.1:16066/metrics >/dev/null 2>&1 || { echo "ops-off server serves metrics" >&2; exit 1; }

login() { # port -> jwt
  curl -fs -X POST "http://127.0.0.1:$1/apiKeyLogin" -H 'Content-Type: application/json' \
    -d '{"platform":"testcrm","apiKey":"load-test-key"}' | sed -E 's/.*"jwtToken":"([^"]+)".*/\1/'
}
query="phoneNumber=+16505551212&overridingFormat=(***)%20***-****,***-***-****"
off_path="/contact?jwtToken=$(login 16066)&$query"
on_path="/contact?jwtToken=$(login 16068)&$query"
curl -fs "http://127.0.0.1:16066$off_path" >"$work/body.json"
grep -q '"id":"1001"' "$work/body.json" || { echo "unexpected answer: $(cat "$work/body.json")" >&2; exit 1; }
curl -fs "http://127.0.0.1:16068$on_path" >"$work/body-on.json" || true
grep -q '"id":"1001"' "$work/body-on.json" || { echo "ops-on server answers differently" >&2; exit 1; }

"$work/bare" -addr 127.0.0.1:16067 -body "$work/body.json" &
pids+=($!)
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:16067/ >/dev/null && break; sleep 0.1; done

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
run() { # url [pid] -> "rps p99_ms cpu_us_per_request"
  local before=0
  [ -z "${2:-}" ] || before=$(cpu_ticks "$2")
  wrk -t2 -c32 -d"$DUR" --latency "$1" >"$work/wrk.out"
  rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' "$work/wrk.out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.out")
  [ -z "$non2xx" ] || { echo "non-2xx answers: $non2xx" >&2; cat "$work/wrk.out" >&2; exit 1; }
  # CPU time the server process spent per request: unlike req/s, it hardly
  # depends on what else the machine runs, so it compares ops on and off.
  cpu=0
  if [ -n "${2:-}" ]; then
    reqs=$(awk '/requests in/ {print $1}' "$work/wrk.out")
    cpu=$(awk -v a="$before" -v b="$(cpu_ticks "$2")" -v n="$reqs" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", (b-a)/hz*1e6/n}')
  fi
  echo "$rps $p99 $cpu"
}

# The machine is shared and noisy: run ROUNDS rounds, alternating the
# three, and compare the medians.
ROUNDS=${ROUNDS:-3}
: >"$work/bare.txt"; : >"$work/off.txt"; : >"$work/on.txt"
for _ in $(seq 1 "$ROUNDS"); do
  run "http://127.0.0.1:16067$off_path" >>"$work/bare.txt"
  run "http://127.0.0.1:16066$off_path" "$off_pid" >>"$work/off.txt"
  run "http://127.0.0.1:16068$on_path" "$on_pid" >>"$work/on.txt"
done
median() { sort -n -k"$2" "$1" | awk -v c="$2" '{v[NR]=$c} END {print v[int((NR+1)/2)]}'; }
bare_rps=$(median "$work/bare.txt" 1); bare_p99=$(median "$work/bare.txt" 2)
off_rps=$(median "$work/off.txt" 1); off_p99=$(median "$work/off.txt" 2)
on_rps=$(median "$work/on.txt" 1); on_p99=$(median "$work/on.txt" 2)
off_cpu=$(median "$work/off.txt" 3); on_cpu=$(median "$work/on.txt" 3)
echo "rounds (req/s p99_ms [server CPU us/request]): bare: $(tr '\n' ';' <"$work/bare.txt") ops off: $(tr '\n' ';' <"$work/off.txt") ops on: $(tr '\n' ';' <"$work/on.txt")"
off_rss=$(awk '/VmHWM/ {print $2}' /proc/$off_pid/status)
on_rss=$(awk '/VmHWM/ {print $2}' /proc/$on_pid/status)
curl -fs http://127.0.0.1:16068/metrics >"$work/metrics.txt"
spans=$(awk '/^crmbridge_http_request_duration_seconds_count\{.*GET \/contact/ {print $NF}' "$work/metrics.txt")

printf 'bare net/http            : %10.0f req/s  p99 %7.2f ms (medians of %s rounds)\n' "$bare_rps" "$bare_p99" "$ROUNDS"
printf 'crmbridge server, ops off: %10.0f req/s  p99 %7.2f ms  %6.1f us CPU/request\n' "$off_rps" "$off_p99" "$off_cpu"
printf 'crmbridge server, ops on : %10.0f req/s  p99 %7.2f ms  %6.1f us CPU/request (%s GET /contact counted by its metrics)\n' "$on_rps" "$on_p99" "$on_cpu" "$spans"
awk -v a="$off_rps" -v o="$on_rps" -v b="$bare_rps" -v c="$off_p99" -v q="$on_p99" -v d="$bare_p99" -v r="$off_rss" -v s="$on_rss" -v x="$off_cpu" -v y="$on_cpu" 'BEGIN {
  printf "throughput ratio: ops off %.0f%%, ops on %.0f%% of bare (goal: ops on >= 60%%)\n", 100*a/b, 100*o/b
  if (x > 0) printf "ops CPU cost    : %+.0f%% CPU per request with metrics and tracing on\n", 100*(y-x)/x
  printf "p99 ratio       : ops off %.2fx, ops on %.2fx bare (goal <= 2x)\n", c/d, q/d
  printf "server peak RSS : ops off %.1f MB, ops on %.1f MB (goal <= 64 MB)\n", r/1024, s/1024 }'
