#!/usr/bin/env bash
# make bench: wrk through nginx, measuring GET /v1/health beside two ceilings measured in
# the same run and through the same nginx:
#   static  nginx serving a file of the same size as the health body
#   C hello a minimal multi-threaded libfcgi responder (hello.c) on an upstream like ours
# It starts a stack of its own in .run/bench (release build, its own MariaDB and ports,
# rate limit off), measures, prints req/s, p99 latency, the ratios and the pool's resident
# memory, and stops everything it started. A `make up` stack is left as it is.
#
# BENCH_SECONDS (10), BENCH_RUNS (3, the median is shown), BENCH_WARMUP (2), BENCH_BIN (the binary),
# BENCH_CONNECTIONS (64), BENCH_THREADS (2); ENTERCRM_WORKERS / ENTERCRM_THREADS size the pool.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
STACK="$ROOT/scripts/stack.sh"

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
RUNS=${BENCH_RUNS:-3}
WARMUP=${BENCH_WARMUP:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_THREADS:-2}

workers=${ENTERCRM_WORKERS:-$(nproc)}
threads=${ENTERCRM_THREADS:-8}
for v in $(compgen -v ENTERCRM_); do unset "$v"; done
export RUN_DIR="$ROOT/.run/bench"
export ENTERCRM_BIN=${BENCH_BIN:-$ROOT/.build/release/entercrm}
export ENTERCRM_BIND_ADDRESS=127.0.0.1 ENTERCRM_RATE_LIMIT=off
export ENTERCRM_WORKERS=$workers ENTERCRM_THREADS=$threads
HELLO_SOCKET="$RUN_DIR/c-hello.sock"
HELLO_PID=""

step() { printf '==> %s\n' "$*" >&2; }

[[ -x $ENTERCRM_BIN ]] || { echo "bench: no release binary at $ENTERCRM_BIN (make build)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: wrk is missing (scripts/deps.sh)" >&2; exit 1; }

if [[ -f $RUN_DIR/entercrm.env ]]; then "$STACK" down >/dev/null 2>&1 || true; fi
rm -rf "$RUN_DIR"

# Ports 38080, 38443, 3337 and 38081 (plain HTTP for wrk), or the next free set.
ports=$("$STACK" free-ports 38080 38443 3337 38081)
read -r ENTERCRM_HTTP_PORT ENTERCRM_HTTPS_PORT ENTERCRM_DB_PORT PLAIN_PORT <<<"$ports"
export ENTERCRM_HTTP_PORT ENTERCRM_HTTPS_PORT ENTERCRM_DB_PORT
BASE="http://127.0.0.1:$PLAIN_PORT"
mkdir -p "$RUN_DIR/nginx/extra" "$RUN_DIR/static" "$RUN_DIR/log"

cleanup() {
  local rc=$?
  step "stopping the bench stack"
  if [[ -n $HELLO_PID ]]; then kill "$HELLO_PID" 2>/dev/null || true; wait "$HELLO_PID" 2>/dev/null || true; fi
  "$STACK" down >/dev/null 2>&1 || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "building the C responder"
gcc -O2 -pthread -o "$RUN_DIR/c-hello" Tests/bench/hello.c -lfcgi

step "starting the bench stack in $RUN_DIR"
"$STACK" db-start
"$STACK" migrate
"$STACK" seed

# The static ceiling: a file with the very bytes of the health body.
printf '%s' '{"status":"ok","database":"ok","version":"0.1.0"}' >"$RUN_DIR/static/health.json"
# The same upstream settings as the pool's (as stack.sh renders them), on the C responder's socket.
"$STACK" nginx-test
keepalive=$(sed -n 's/^ *keepalive \([0-9]*\);.*/\1/p' "$RUN_DIR/nginx/nginx.conf")
[[ -n $keepalive ]] || { echo "bench: no keepalive in nginx.conf" >&2; exit 1; }
cat >"$RUN_DIR/nginx/extra/http-bench.conf" <<EOF
upstream bench_c_hello {
    server unix:$HELLO_SOCKET;
    keepalive $keepalive;
    keepalive_timeout 60s;
}
EOF
cat >"$RUN_DIR/nginx/extra/server-bench.conf" <<EOF
# make bench only: plain HTTP on loopback, so that TLS is not what is measured.
listen 127.0.0.1:$PLAIN_PORT;

location = /bench/static.json {
    default_type application/json;
    alias $RUN_DIR/static/health.json;
}

location = /bench/c-hello {
    fastcgi_pass bench_c_hello;
    fastcgi_keep_conn on;
    include fastcgi-params.conf;
}
EOF

setsid "$RUN_DIR/c-hello" "$HELLO_SOCKET" $((workers * threads)) </dev/null >>"$RUN_DIR/log/c-hello.log" 2>&1 &
HELLO_PID=$!
"$STACK" services-start

for path in /bench/static.json /bench/c-hello /v1/health; do
  body=$(curl -sf --max-time 5 "$BASE$path") || { echo "bench: $BASE$path does not answer" >&2; exit 1; }
  [[ $body = '{"status":"ok","database":"ok","version":"0.1.0"}' ]] ||
    echo "bench: note: $path answers ${#body} bytes: $body" >&2
done

pool_rss_kib() { # master + workers, from /proc
  local master total=0 pid kib
  master=$(cat "$RUN_DIR/serve.pid")
  for pid in "$master" $(pgrep -P "$master"); do
    kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${kib:-0}))
  done
  echo "$total"
}
pool_processes() { echo $(( $(pgrep -P "$(cat "$RUN_DIR/serve.pid")" | wc -l) + 1 )); }

sleep 1
rss_idle=$(pool_rss_kib)

to_ms() { # wrk latency (12.3us, 1.2ms, 1.1s) -> milliseconds
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.3f", n }'
}

declare -A rps p99 errors
measure() { # name path
  local name=$1 url=$BASE$2 out
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$url" >/dev/null
  out=$(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$url")
  rps[$name]+="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out") "
  p99[$name]+="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")") "
  local bad
  bad=$(awk '/Non-2xx or 3xx responses:/ {print $NF} /Socket errors:/ {print "socket errors:" $0}' <<<"$out")
  [[ -z $bad ]] || errors[$name]+="$bad; "
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

step "wrk: $CONNECTIONS connections, $WRK_THREADS threads, ${SECONDS_PER_RUN}s per run after ${WARMUP}s warm-up, $RUNS runs"
for ((run = 1; run <= RUNS; run++)); do
  step "run $run of $RUNS"
  measure static /bench/static.json
  measure c_hello /bench/c-hello
  measure health /v1/health
done
sleep 2
rss_after=$(pool_rss_kib)

declare -A med_rps med_p99
for name in static c_hello health; do
  med_rps[$name]=$(median <<<"${rps[$name]}")
  med_p99[$name]=$(median <<<"${p99[$name]}")
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo
echo "EnterCRM bench: $(nproc) cores, $(nginx -v 2>&1 | sed 's/.*: //'), pool ${workers} workers x ${threads} threads,"
echo "wrk -t$WRK_THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s over plain HTTP on loopback, median of $RUNS run(s)"
echo
printf '  %-28s %12s %12s\n' "" "req/s" "p99 (ms)"
printf '  %-28s %12.0f %12s\n' "nginx static file (49 B)" "${med_rps[static]}" "${med_p99[static]}"
printf '  %-28s %12.0f %12s\n' "C FastCGI hello" "${med_rps[c_hello]}" "${med_p99[c_hello]}"
printf '  %-28s %12.0f %12s\n' "GET /v1/health" "${med_rps[health]}" "${med_p99[health]}"
echo
echo "  health / C hello:  $(ratio "${med_rps[health]}" "${med_rps[c_hello]}")"
echo "  health / static:   $(ratio "${med_rps[health]}" "${med_rps[static]}")"
echo "  pool resident memory (master + workers, $(pool_processes) processes): idle $((rss_idle / 1024)) MiB, after the runs $((rss_after / 1024)) MiB"
for name in "${!errors[@]}"; do
  echo "  WARNING: $name had errors: ${errors[$name]}"
done
