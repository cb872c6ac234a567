#!/usr/bin/env bash
# make bench, campaigns and webhooks: a 100,000-recipient email campaign delivered by the job
# runner to a local SMTP sink (Tests/bench/campaign_bench.py), then 20,000 webhook calls
# delivered to a local HTTP receiver (Tests/bench/webhook_bench.py), on a stack of its own in
# .run/campaign-bench (release build, its own MariaDB and ports, rate limit off). Prints
# messages and calls a second and the job runner's memory (start, peak, end). Stopped at the end.
#
# CAMPAIGN_BENCH_RECIPIENTS (100000), WEBHOOK_BENCH_CALLS (20000), WEBHOOK_BENCH_SUBSCRIPTIONS (4),
# BENCH_BIN (the binary; default the release build).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
STACK="$ROOT/scripts/stack.sh"

for v in $(compgen -v ENTERCRM_); do unset "$v"; done
export RUN_DIR="$ROOT/.run/campaign-bench"
export ENTERCRM_BIN=${BENCH_BIN:-$ROOT/.build/release/entercrm}
export ENTERCRM_HTTP_PORT=40080 ENTERCRM_HTTPS_PORT=40443 ENTERCRM_DB_PORT=3340
export ENTERCRM_BIND_ADDRESS=127.0.0.1 ENTERCRM_RATE_LIMIT=off ENTERCRM_SCRYPT_LOG_N=14
# The SMTP sink and the webhook receiver listen on the one address the outbound guard allows (Tests/e2e/support.py SINK_HOST).
export ENTERCRM_OUTBOUND_ALLOW=127.77.0.1/32
# One delivery thread is what a campaign uses (one campaign of a workspace sends at a time).
export ENTERCRM_JOB_CONCURRENCY=${ENTERCRM_JOB_CONCURRENCY:-2}

[[ -x $ENTERCRM_BIN ]] || { echo "campaign bench: no binary at $ENTERCRM_BIN (make build)" >&2; exit 1; }

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
python3 "$ROOT/Tests/bench/campaign_bench.py" | tee "$RUN_DIR/campaign.txt"
python3 "$ROOT/Tests/bench/webhook_bench.py" | tee "$RUN_DIR/webhook.txt" || true

# make bench's closing table (Tests/bench/summary.py): an absolute target, no ceiling; the job
# runner's memory at the end against its start (flat: about 1).
result() { "$ROOT/Tests/bench/result.sh" campaign_bench.sh "$@"; }
rate=$(sed -n 's/.* delivered .* in [0-9.]* s: \([0-9.]*\) messages\/s.*/\1/p' "$RUN_DIR/campaign.txt")
result "campaign delivery to the SMTP sink" "${rate:-none}" messages/s "" "" ">= 500"
read -r rss_start rss_end < <(sed -n 's/.* RSS start \([0-9]*\) MiB, .* end \([0-9]*\) MiB.*/\1 \2/p' "$RUN_DIR/campaign.txt")  || true
result "  job runner memory at the end" "${rss_end:-none}" MiB "${rss_start:-}" "at the start"
rate=$(sed -n 's/.* in [0-9.]* s: \([0-9.]*\) calls\/s.*/\1/p' "$RUN_DIR/webhook.txt")
result "webhook delivery to a local HTTP receiver" "${rate:-none}" calls/s "" "" ">= 1000"
