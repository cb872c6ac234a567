#!/usr/bin/env bash
# make bench, automations: the engine's two targets on a stack of its own (.run/automations-bench).
#   1. AUTOMATIONS_BENCH_ENROLMENTS (100,000) customers enrolled in a three-step flow (add a
#      tag, set a property, exit), advanced by AUTOMATIONS_BENCH_THREADS engine threads
#      (`entercrm bench-automations`, before the job runner starts): enrolments a second
#      (target ≥ 2,000).
#   2. With the stack running (nginx, the pool, `entercrm jobs`): AUTOMATIONS_BENCH_EVENTS (40)
#      events tracked through nginx, one at a time, each by a new customer, into an active
#      event_performed automation; the time from the 2xx of the track call until the
#      enrolment has taken its first step, p50 and p95 (target: p95 ≤ 5 s).
# BENCH_BIN (release binary), AUTOMATIONS_BENCH_KEEP=1 leaves the stack running.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
STACK="$ROOT/scripts/stack.sh"
ENROLMENTS=${AUTOMATIONS_BENCH_ENROLMENTS:-100000}
THREADS=${AUTOMATIONS_BENCH_THREADS:-2}
EVENTS=${AUTOMATIONS_BENCH_EVENTS:-40}
KEEP=${AUTOMATIONS_BENCH_KEEP:-0}

for v in $(compgen -v ENTERCRM_); do unset "$v"; done
export RUN_DIR="$ROOT/.run/automations-bench"
export ENTERCRM_BIN=${BENCH_BIN:-$ROOT/.build/release/entercrm}
read -r ENTERCRM_HTTP_PORT ENTERCRM_HTTPS_PORT ENTERCRM_DB_PORT <<<"$("$STACK" free-ports 39280 39643 3359)"
export ENTERCRM_HTTP_PORT ENTERCRM_HTTPS_PORT ENTERCRM_DB_PORT
export ENTERCRM_BIND_ADDRESS=127.0.0.1 ENTERCRM_RATE_LIMIT=off ENTERCRM_SCRYPT_LOG_N=14

step() { printf '==> %s\n' "$*" >&2; }
die() { echo "automations bench: $*" >&2; exit 1; }
[[ -x $ENTERCRM_BIN ]] || die "no binary at $ENTERCRM_BIN (make build)"

cleanup() {
  local rc=$?
  if [[ $KEEP = 1 ]]; then step "leaving the stack running in $RUN_DIR"; else "$STACK" down >/dev/null 2>&1 || true; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -f $RUN_DIR/entercrm.env ]]; then "$STACK" down >/dev/null 2>&1 || true; fi
rm -rf "$RUN_DIR"
"$STACK" db-start
set -a
# shellcheck disable=SC1091
. "$RUN_DIR/entercrm.env"
set +a
"$STACK" migrate

step "engine throughput: $ENROLMENTS enrolments, $THREADS threads"
"$ENTERCRM_BIN" bench-automations --enrolments "$ENROLMENTS" --threads "$THREADS" | tee "$RUN_DIR/throughput.txt"

step "event-triggered enrolment latency through nginx and entercrm jobs ($EVENTS events)"
"$STACK" services-start
env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE python3 "$ROOT/Tests/bench/automations_latency.py" \
  "https://localhost:$ENTERCRM_HTTPS_PORT" "$EVENTS" | tee "$RUN_DIR/latency.txt"

# make bench's closing table (Tests/bench/summary.py): absolute targets, no ceiling.
result() { "$ROOT/Tests/bench/result.sh" automations_bench.sh "$@"; }
rate=$(sed -n 's/.* \([0-9.]*\) enrolments\/s.*/\1/p' "$RUN_DIR/throughput.txt" | tail -n 1)
result "automation engine, $ENROLMENTS enrolments" "${rate:-none}" enrolments/s "" "" ">= 2000"
complete=yes
grep -q "not every enrolment advanced once" "$RUN_DIR/throughput.txt" && complete=no
result "  every enrolment advanced once" "$complete" "" "" "" "== yes"
p95=$(sed -n 's/.* p95 \([0-9.]*\) s.*/\1/p' "$RUN_DIR/latency.txt" | tail -n 1)
result "event-triggered enrolment started, p95" "${p95:-none}" s "" "" "<= 5"
