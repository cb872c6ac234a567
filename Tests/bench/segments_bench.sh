#!/usr/bin/env bash
# make bench, segments part: issue 7's targets on a workspace of SEG_BENCH_CUSTOMERS customers
# (default 1,000,000, made by customers.sql) and SEG_BENCH_EVENTS_PER_CUSTOMER events each
# (default 10: 10,000,000 events, made inside MariaDB from the sequence engine).
#
# Starts a stack of its own in .run/seg-bench (release build, its own MariaDB and ports, rate
# limit off, plain HTTP on loopback), then measures:
#   1. POST /v1/segments with three conditions, one of them an event condition, until the
#      background rebuild reports ready (target: 60 s or less);
#   2. POST /v1/track/event throughput with wrk (wrk.lua event mode, purchases for
#      SEG_BENCH_HOT customers) with no segment, then with SEG_BENCH_SEGMENTS (50) defined
#      and the evaluator of `entercrm jobs` keeping them current (target: a fall of 20 % or
#      less); afterwards, how long the evaluator takes to drain what the run left dirty;
#   3. re-evaluating one customer after an event (`entercrm bench-segments --after-event`:
#      the segments tracking can change; SEG_BENCH_SAMPLES customers, each its own
#      transaction; target: p95 5 ms or less), and against every segment (a profile change).
# Everything it started is stopped at the end.
#
# SEG_BENCH_CUSTOMERS (1000000), SEG_BENCH_EVENTS_PER_CUSTOMER (10), SEG_BENCH_SEGMENTS (50),
# SEG_BENCH_HOT (10000), SEG_BENCH_SAMPLES (1000), BENCH_SECONDS (10), BENCH_CONNECTIONS (64),
# BENCH_THREADS (2), BENCH_BIN (the binary), SEG_BENCH_BUFFER_POOL (3G).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
STACK="$ROOT/scripts/stack.sh"
BENCH_DIR="$ROOT/Tests/bench"

CUSTOMERS=${SEG_BENCH_CUSTOMERS:-1000000}
PER_CUSTOMER=${SEG_BENCH_EVENTS_PER_CUSTOMER:-10}
SEGMENTS=${SEG_BENCH_SEGMENTS:-50}
HOT=${SEG_BENCH_HOT:-10000}
SAMPLES=${SEG_BENCH_SAMPLES:-1000}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_THREADS:-2}
BUFFER_POOL=${SEG_BENCH_BUFFER_POOL:-3G}
EVENTS=$((CUSTOMERS * PER_CUSTOMER))

for v in $(compgen -v ENTERCRM_); do unset "$v"; done
export RUN_DIR="$ROOT/.run/seg-bench"
export ENTERCRM_BIN=${BENCH_BIN:-$ROOT/.build/release/entercrm}
read -r ENTERCRM_HTTP_PORT ENTERCRM_HTTPS_PORT ENTERCRM_DB_PORT <<<"$("$STACK" free-ports 39580 39943 3369)"
export ENTERCRM_HTTP_PORT ENTERCRM_HTTPS_PORT ENTERCRM_DB_PORT
export ENTERCRM_BIND_ADDRESS=127.0.0.1 ENTERCRM_RATE_LIMIT=off ENTERCRM_SCRYPT_LOG_N=14
PLAIN_PORT=$((ENTERCRM_HTTP_PORT + 1))
BASE="http://127.0.0.1:$PLAIN_PORT"

step() { printf '==> %s\n' "$*" >&2; }
die() { echo "segments bench: $*" >&2; exit 1; }

[[ -x $ENTERCRM_BIN ]] || die "no binary at $ENTERCRM_BIN (make build)"
command -v wrk >/dev/null || die "wrk is missing (scripts/deps.sh)"

cleanup() {
  local rc=$?
  step "stopping the segments bench stack"
  "$STACK" down >/dev/null 2>&1 || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load_start=$(cut -d' ' -f1 /proc/loadavg)
if [[ -f $RUN_DIR/entercrm.env ]]; then "$STACK" down >/dev/null 2>&1 || true; fi
rm -rf "$RUN_DIR"
"$STACK" db-start
mkdir -p "$RUN_DIR/nginx/extra" "$RUN_DIR/log" "$RUN_DIR/data"
cat >"$RUN_DIR/nginx/extra/server-seg-bench.conf" <<EOF
# The segments bench only: plain HTTP on loopback, so that TLS is not what is measured.
listen 127.0.0.1:$PLAIN_PORT;
EOF
set -a
# shellcheck disable=SC1091
. "$RUN_DIR/entercrm.env"
set +a
"$STACK" migrate
"$STACK" services-start

sql() { mariadb --no-defaults --protocol=socket --socket="$ENTERCRM_DB_SOCKET" -u "$(id -un)" "$ENTERCRM_DB_NAME" "$@"; }
sql -e "SET GLOBAL innodb_buffer_pool_size = $(numfmt --from=iec "$BUFFER_POOL")" 2>/dev/null || true
# A bigger redo log for the bulk load only (dynamic since MariaDB 10.9): fewer forced checkpoints.
sql -e "SET GLOBAL innodb_log_file_size = 1073741824" 2>/dev/null || true

TOKEN=""
api() { # method path [json] -> body; fails on a status >= 400
  local out code
  out=$(curl -s -w '\n%{http_code}' -X "$1" "$BASE$2" -H 'Content-Type: application/json' \
    ${TOKEN:+-H "Authorization: Bearer $TOKEN"} ${3:+-d "$3"})
  code=${out##*$'\n'}
  ((code < 400)) || die "$1 $2 answered $code: ${out%$'\n'*}"
  printf '%s' "${out%$'\n'*}"
}
field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
now() { date +%s.%N; }

step "a workspace and a secret key through the API"
reply=$(api POST /v1/auth/register '{"name":"Bench Owner","email":"segbench@entercrm.io","password":"bench-password","workspace_name":"Segments Bench"}')
TOKEN=$(field 'd["token"]' <<<"$reply")
TENANT=$(field 'd["tenant"]["id"]' <<<"$reply")
KEY=$(api POST /v1/api-keys '{"name":"bench","type":"secret"}' | field 'd["key"]')

step "loading $CUSTOMERS customers (customers.sql, chunks of 100,000)"
started=$(now)
for ((first = 1; first <= CUSTOMERS; first += 100000)); do
  last=$((first + 99999)); ((last <= CUSTOMERS)) || last=$CUSTOMERS
  { echo "SET @tenant = $TENANT, @first = $first, @last = $last;"; cat "$BENCH_DIR/customers.sql"; } | sql --batch
done
# Customer ids have gaps (bulk inserts reserve auto-increment values ahead), so events are
# given to the customers by rank, through a table of rank -> id.
sql <<SQL
DROP TABLE IF EXISTS bench_customer_ids;
CREATE TABLE bench_customer_ids (n INT UNSIGNED NOT NULL PRIMARY KEY, id BIGINT UNSIGNED NOT NULL)
  SELECT ROW_NUMBER() OVER (ORDER BY id) - 1 AS n, id FROM customers WHERE tenant_id = $TENANT;
SQL
N=$(sql --batch --skip-column-names -e "SELECT COUNT(*) FROM bench_customer_ids")

step "loading $EVENTS events (1,000,000 a statement)"
# Event k belongs to the customer of rank (k * 7919) mod N, so each customer gets PER_CUSTOMER events;
# its kind is drawn from a hash of k: 70 % pageviews, 10 % purchases with an amount, the rest
# signups and add_to_cart, so purchases per customer are binomial (about 35 % of customers
# have none, some have five or more), spread over the last 365 days.
for ((from = 1; from <= EVENTS; from += 1000000)); do
  to=$((from + 999999)); ((to <= EVENTS)) || to=$EVENTS
  sql <<SQL
SET SESSION unique_checks = 0, foreign_key_checks = 0;
INSERT INTO events (tenant_id, public_id, customer_id, type, name, properties, amount, currency, occurred_at, received_at)
SELECT $TENANT, CONCAT('evt_b', LPAD(HEX(seq), 15, '0')), b.id,
       IF(k < 7, 'pageview', 'event'),
       ELT(1 + k, 'pageview', 'pageview', 'pageview', 'pageview', 'pageview', 'pageview', 'pageview', 'purchase', 'signup', 'add_to_cart'),
       IF(k = 7, JSON_OBJECT('product_id', ELT(1 + seq % 4, 'prod_abc123', 'prod_basic', 'prod_addon', 'prod_course')), '{}'),
       IF(k = 7, 10 + seq % 200, NULL), IF(k = 7, 'EUR', NULL),
       UTC_TIMESTAMP(6) - INTERVAL (CRC32(seq) % 31536000) SECOND, UTC_TIMESTAMP(6)
FROM (SELECT seq, CRC32(CONCAT('kind', seq)) % 10 AS k FROM seq_1_to_100000000 WHERE seq BETWEEN $from AND $to) s
JOIN bench_customer_ids b ON b.n = (s.seq * 7919) % $N;
SQL
done
# The customers' stored purchase aggregates, as tracking would have kept them for these events.
sql <<SQL
UPDATE customers c LEFT JOIN (SELECT customer_id, COUNT(*) AS n, SUM(amount) AS total, MIN(occurred_at) AS first_at, MAX(occurred_at) AS last_at
                              FROM events WHERE tenant_id = $TENANT AND name = 'purchase' GROUP BY customer_id) p ON p.customer_id = c.id
SET c.clv_order_count = COALESCE(p.n, 0), c.clv_total = COALESCE(p.total, 0), c.clv_average_order = p.total / p.n,
    c.first_order_at = p.first_at, c.last_order_at = p.last_at, c.currency = IF(p.n IS NULL, NULL, 'EUR')
WHERE c.tenant_id = $TENANT;
SQL
sql -e "ANALYZE TABLE customers, events" >/dev/null
load_seconds=$(python3 -c "print(round($(now) - $started, 1))")

sql --batch --skip-column-names -e "SELECT email FROM customers WHERE tenant_id = $TENANT ORDER BY CRC32(id) LIMIT $HOT" >"$RUN_DIR/data/hot-emails.txt"

step "recomputing RFM and predicted CLV for the workspace (issue 6): POST /v1/analytics/recompute"
started=$(now)
JOB=$(api POST /v1/analytics/recompute '{}' | field 'd["job_id"]')
while :; do
  status=$(sql --batch --skip-column-names -e "SELECT status FROM jobs WHERE id = $JOB")
  [[ $status == succeeded ]] && break
  [[ $status == failed ]] && die "the recompute job failed: $(sql --batch --skip-column-names -e "SELECT last_error FROM jobs WHERE id = $JOB")"
  sleep 0.5
done
recompute_seconds=$(python3 -c "print(round($(now) - $started, 1))")
read -r scored buyers repeaters model_ms < <(sql --batch --skip-column-names -e "SELECT
  (SELECT COUNT(*) FROM customers WHERE tenant_id = $TENANT AND rfm_score IS NOT NULL),
  (SELECT COUNT(DISTINCT customer_id) FROM events WHERE tenant_id = $TENANT AND name = 'purchase'),
  repeat_customers, duration_ms FROM analytics_models WHERE tenant_id = $TENANT")
read -r bg_r bg_alpha bg_a bg_b gg_p gg_q gg_v < <(sql --batch --skip-column-names -e "SELECT ROUND(bgnbd_r, 3), ROUND(bgnbd_alpha, 3),
  ROUND(bgnbd_a, 3), ROUND(bgnbd_b, 3), ROUND(gg_p, 3), ROUND(gg_q, 3), ROUND(gg_v, 3) FROM analytics_models WHERE tenant_id = $TENANT")

measure_track() { # name -> "rps p95": wrk through nginx, purchases for the hot customers
  local out line
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d2s -s "$BENCH_DIR/wrk.lua" "$BASE/v1/track/event" -- event "$KEY" "$RUN_DIR/data/hot-emails.txt" >/dev/null
  out=$(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s "$BENCH_DIR/wrk.lua" "$BASE/v1/track/event" -- event "$KEY" "$RUN_DIR/data/hot-emails.txt")
  line=$(grep '^BENCH ' <<<"$out") || die "no summary from wrk for $1: $out"
  echo "$1 $line" >>"$RUN_DIR/log/bench-lines.txt"
  sed -E 's/.* rps=([0-9.]+) .* p95=([0-9.]+) .*/\1 \2/' <<<"$line"
}

step "POST /v1/track/event with no segment: wrk -c$CONNECTIONS, ${SECONDS_PER_RUN}s"
read -r rps_none p95_none <<<"$(measure_track no-segments)"

step "a three-condition segment with an event condition, built in the background"
started=$(now)
seg=$(api POST /v1/segments '{"name":"Croatian recent buyers over 100","color":"#34d399","filters":{"all":[{"country":"HR"},{"clv_total_min":100},{"event":"purchase","within_days":30}]}}')
SEG=$(field 'd["id"]' <<<"$seg")
while [[ $(api GET "/v1/segments/$SEG?per_page=1" | field 'd["status"]') != ready ]]; do sleep 0.2; done
build_seconds=$(python3 -c "print(round($(now) - $started, 1))")
build_count=$(api GET "/v1/segments/$SEG?per_page=1" | field 'd["customers_count"]')
brute=$(sql --batch --skip-column-names -e "SELECT COUNT(*) FROM customers c WHERE c.tenant_id = $TENANT AND c.country = 'HR'
  AND c.clv_total >= 100 AND EXISTS (SELECT 1 FROM events e WHERE e.tenant_id = $TENANT AND e.customer_id = c.id
  AND e.name = 'purchase' AND e.occurred_at >= UTC_TIMESTAMP(6) - INTERVAL 30 DAY)")

step "$((SEGMENTS - 1)) more segments (every kind of condition), built in the background"
started=$(now)
python3 - "$SEGMENTS" >"$RUN_DIR/data/segments.jsonl" <<'PY'
import json, sys
n = int(sys.argv[1]) - 1
kinds = [
    lambda i: {"rfm_score_min": 3 + i % 12},
    lambda i: {"rfm_segment": ["Champions", "Loyal Customers", "At Risk", "Lost", "Hibernating"][i % 5]},
    lambda i: {"clv_total_min": 50 * (i % 20), "purchase_count_min": 1 + i % 5},
    lambda i: {"country": ["HR", "DE", "SI", "AT", "IT"][i % 5]},
    lambda i: {"city": ["Zagreb", "Split", "Berlin", "Wien", "Milano"][i % 5], "clv_predicted_min": 20 * (i % 10)},
    lambda i: {"last_seen_within_days": 7 + i % 60},
    lambda i: {"inactive_days_min": 30 + i % 300},
    lambda i: {"event": ["purchase", "signup", "add_to_cart"][i % 3], "within_days": 10 + i % 80},
    lambda i: {"event": "purchase", "count_min": 2 + i % 3},
    lambda i: {"any": [{"p_alive_min": 0.5 + (i % 5) / 10}, {"all": [{"country": "HR"}, {"not": {"rfm_score_max": 6}}]}]},
    lambda i: {"email_domain": ["gmail.com", "example.com", "outlook.com"][i % 3]},
    lambda i: {"created_within_days": 30 + i * 7},
]
for i in range(n):
    print(json.dumps({"name": f"Bench segment {i + 1}", "filters": kinds[i % len(kinds)](i)}))
PY
while read -r body; do api POST /v1/segments "$body" >/dev/null; done <"$RUN_DIR/data/segments.jsonl"
while (( $(sql --batch --skip-column-names -e "SELECT COUNT(*) FROM segments WHERE tenant_id = $TENANT AND status = 'building'") > 0 )); do sleep 0.5; done
all_seconds=$(python3 -c "print(round($(now) - $started, 1))")
defined=$(sql --batch --skip-column-names -e "SELECT COUNT(*) FROM segments WHERE tenant_id = $TENANT")

cpu_of() { # pid -> CPU seconds used so far (user + system)
  awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null || echo 0
}
jobs_pid=$(cat "$ENTERCRM_JOBS_PID_FILE")
jobs_pid=$(pgrep -P "$jobs_pid" | head -n 1 || echo "$jobs_pid") # the runner: the supervising master's child
step "POST /v1/track/event with $defined segments, the evaluator running: wrk -c$CONNECTIONS, ${SECONDS_PER_RUN}s"
jobs_cpu_before=$(cpu_of "$jobs_pid")
read -r rps_some p95_some <<<"$(measure_track with-segments)"
jobs_cpu=$(python3 -c "print(round($(cpu_of "$jobs_pid") - $jobs_cpu_before, 1))")
backlog=$(sql --batch --skip-column-names -e "SELECT COUNT(*) FROM segment_dirty WHERE tenant_id = $TENANT")
started=$(now)
while (( $(sql --batch --skip-column-names -e "SELECT COUNT(*) FROM segment_dirty WHERE tenant_id = $TENANT") > 0 )); do sleep 0.1; done
drain_seconds=$(python3 -c "print(round($(now) - $started, 1))")

# The same run with the job runner stopped splits the fall: the marks in the tracking
# transaction alone, without the evaluator's queries competing for the cores.
step "POST /v1/track/event with $defined segments, the evaluator stopped"
"$STACK" jobs-stop >/dev/null
read -r rps_marks p95_marks <<<"$(measure_track marks-only)"
"$STACK" jobs-start >/dev/null
while (( $(sql --batch --skip-column-names -e "SELECT COUNT(*) FROM segment_dirty WHERE tenant_id = $TENANT") > 0 )); do sleep 0.1; done

step "re-evaluating one customer against $defined segments: $SAMPLES customers"
line=$("$ENTERCRM_BIN" bench-segments --tenant "$TENANT" --samples "$SAMPLES" --after-event | grep '^BENCH ')
echo "$line" >>"$RUN_DIR/log/bench-lines.txt"
eval_p50=$(sed -E 's/.* p50=([0-9.]+).*/\1/' <<<"$line")
eval_p95=$(sed -E 's/.* p95=([0-9.]+).*/\1/' <<<"$line")
line=$("$ENTERCRM_BIN" bench-segments --tenant "$TENANT" --samples "$SAMPLES" | grep '^BENCH ')
echo "$line" >>"$RUN_DIR/log/bench-lines.txt"
full_p95=$(sed -E 's/.* p95=([0-9.]+).*/\1/' <<<"$line")

load_end=$(cut -d' ' -f1 /proc/loadavg)
fall=$(python3 -c "print(round(100 * (1 - $rps_some / $rps_none), 1))")
verdict() { python3 -c "print('PASS' if $1 else 'MISS')"; }

echo
echo "Segments bench: $CUSTOMERS customers, $EVENTS events (loaded in ${load_seconds}s), load average $load_start -> $load_end"
printf '  %-58s %14s %10s  %s\n' "figure" "value" "target" "verdict"
printf '  %-58s %14s %10s  %s\n' "RFM + BG/NBD + Gamma-Gamma recompute, whole workspace" "${recompute_seconds} s" "<= 300 s" "$(verdict "$recompute_seconds <= 300")"
printf '  %-58s %14s %10s  %s\n' "  customers scored (buyers: $buyers; repeat: $repeaters)" "$scored" "= $buyers" "$(verdict "$scored == $buyers")"
printf '  %-58s %14s %10s  %s\n' "  in the job (analytics_models.duration_ms)" "${model_ms} ms" "" ""
printf '  %-58s %14s %10s  %s\n' "  fit: r alpha a b / p q v" "$bg_r $bg_alpha $bg_a $bg_b / $gg_p $gg_q $gg_v" "" ""
printf '  %-58s %14s %10s  %s\n' "build: country + clv_total_min + purchase within 30 days" "${build_seconds} s" "<= 60 s" "$(verdict "$build_seconds <= 60")"
printf '  %-58s %14s %10s  %s\n' "  members (brute-force SQL count: $brute)" "$build_count" "= $brute" "$(verdict "$build_count == $brute")"
printf '  %-58s %14s %10s  %s\n' "$((SEGMENTS - 1)) more segments built (background, 2 job threads)" "${all_seconds} s" "" ""
printf '  %-58s %14s %10s  %s\n' "re-evaluate one customer after an event, $defined segments: p50" "${eval_p50} ms" "" ""
printf '  %-58s %14s %10s  %s\n' "re-evaluate one customer after an event, $defined segments: p95" "${eval_p95} ms" "<= 5 ms" "$(verdict "$eval_p95 <= 5")"
printf '  %-58s %14s %10s  %s\n' "  against every segment (a profile change): p95" "${full_p95} ms" "" ""
printf '  %-58s %14s %10s  %s\n' "POST /v1/track/event, no segment (p95 ${p95_none} ms)" "$(printf '%.0f req/s' "$rps_none")" "" ""
printf '  %-58s %14s %10s  %s\n' "POST /v1/track/event, $defined segments (p95 ${p95_some} ms)" "$(printf '%.0f req/s' "$rps_some")" "" ""
printf '  %-58s %14s %10s  %s\n' "  tracking throughput fall" "${fall} %" "<= 20 %" "$(verdict "$fall <= 20")"
printf '  %-58s %14s %10s  %s\n' "POST /v1/track/event, $defined segments, evaluator stopped (p95 ${p95_marks} ms)" "$(printf '%.0f req/s' "$rps_marks")" "" ""
printf '  %-58s %14s %10s  %s\n' "  dirty customers left by the run, drained in" "$backlog, ${drain_seconds} s" "" ""
printf '  %-58s %14s %10s  %s\n' "  CPU of entercrm jobs (the evaluator) during that run" "${jobs_cpu} s" "" ""

# make bench's closing table (Tests/bench/summary.py): the tracking fall as the ratio of the
# rate with segments to the rate without, measured in the same run (a fall of 20 % = 0.80).
result() { "$BENCH_DIR/result.sh" segments_bench.sh "$@"; }
result "RFM + BG/NBD + Gamma-Gamma recompute of $CUSTOMERS" "$recompute_seconds" s "" "" "<= 300"
result "  customers scored / purchasers" "$scored" customers "$buyers" "purchasers (SQL)" "== 1"
result "segment build (3 conditions)" "$build_seconds" s "" "" "<= 60"
result "  segment members / brute-force SQL count" "$build_count" customers "$brute" "SQL count" "== 1"
result "re-evaluate one customer after an event, p95" "$eval_p95" ms "" "" "<= 5"
result "POST /v1/track/event with $defined segments live" "$rps_some" req/s "$rps_none" "no segment" ">= 0.80"
