#!/usr/bin/env bash
# make bench, webhooks: WEBHOOK_BENCH_CALLS (20,000) outbox rows delivered by the job runner to a
# fast local HTTP receiver (Tests/bench/webhook_bench.py), on a stack of its own in .run/webhook-bench
# (release build, its own MariaDB and ports, rate limit off). Prints calls a second.
# Stopped at the end.
#
# WEBHOOK_BENCH_CALLS (20000), WEBHOOK_BENCH_SUBSCRIPTIONS (4), BENCH_BIN (the binary; default the release build).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
STACK="$ROOT/scripts/stack.sh"

for v in $(compgen -v ENTERCRM_); do unset "$v"; done
export RUN_DIR="$ROOT/.run/webhook-bench"
export ENTERCRM_BIN=${BENCH_BIN:-$ROOT/.build/release/entercrm}
export ENTERCRM_HTTP_PORT=40180 ENTERCRM_HTTPS_PORT=40543 ENTERCRM_DB_PORT=3341
export ENTERCRM_BIND_ADDRESS=127.0.0.1 ENTERCRM_RATE_LIMIT=off ENTERCRM_SCRYPT_LOG_N=14
# The receiver listens on the one address the outbound guard allows (Tests/e2e/support.py SINK_HOST).
export ENTERCRM_OUTBOUND_ALLOW=127.77.0.1/32
# The delivery loops are threads of their own (ENTERCRM_WEBHOOK_THREADS, 8), beside these.
export ENTERCRM_JOB_CONCURRENCY=${ENTERCRM_JOB_CONCURRENCY:-2}

[[ -x $ENTERCRM_BIN ]] || { echo "webhook bench: no binary at $ENTERCRM_BIN (make build)" >&2; exit 1; }

cleanup() {
  local rc=$?
  "$STACK" down >/dev/null 2>&1 || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$RUN_DIR"
"$STACK" db-start
"$STACK" migrate
"$STACK" services-start
"$STACK" wait-health 60 >/dev/null
python3 "$ROOT/Tests/bench/webhook_bench.py" | tee "$RUN_DIR/webhook.txt"

# make bench's closing table (Tests/bench/summary.py): an absolute target, no ceiling.
result() { "$ROOT/Tests/bench/result.sh" webhook_bench.sh "$@"; }
rate=$(sed -n 's/.* in [0-9.]* s: \([0-9.]*\) calls\/s.*/\1/p' "$RUN_DIR/webhook.txt")
result "webhook delivery to a local receiver" "${rate:-none}" calls/s "" "" ">= 1000"
