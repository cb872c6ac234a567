#!/usr/bin/env bash
# make soak: a mixed workload at 70 % of the capacity measured in the same run, for
# SOAK_MINUTES (default 30), through nginx on plain HTTP on loopback.
#
# Starts a stack of its own in .run/soak (release build, its own MariaDB and ports, rate limit
# off), makes a workspace and an API key through the API, loads SOAK_CUSTOMERS customers
# (default 5,000) straight into MariaDB, then:
#   1. capacity: wrk with the mix (Tests/bench/soak.lua: tracking 70 %, reads 20 %, writes
#      10 %) unpaced, SOAK_CAPACITY_SECONDS (default 15), after a 5 s warm-up;
#   2. warm-up at the target rate (70 % of that capacity), SOAK_WARMUP seconds (default 60,
#      20 when SOAK_MINUTES < 10); then the resident memory (RSS) of every process: the pool's
#      master and workers, the jobs master and runner, nginx's master and workers, mariadbd;
#   3. the soak: SOAK_MINUTES of wrk runs of SOAK_INTERVAL seconds each (default 60, 15 when
#      SOAK_MINUTES < 10), each printing its throughput, p50, p99, p99.9 and errors; the pacing
#      is corrected after each interval so that the rate stays at the target;
#   4. RSS of every process again, and the verdict.
# Fails when any request errs (non-2xx or a socket error), a process was replaced (a crash),
# or a process's RSS grew by more than 10 % after the warm-up (growth under 4 MiB is noise and
# is not judged; MariaDB is judged without its InnoDB buffer pool's cached data pages, which
# grow with the data written and are a cache, not a leak; both figures are printed).
# The report is also written to .run/soak/soak-report.txt. Run it on a machine doing nothing else:
#   make soak          SOAK_MINUTES=2 make soak for a short check
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
STACK="$ROOT/scripts/stack.sh"

MINUTES=${SOAK_MINUTES:-30}
if ((MINUTES < 10)); then short=1; else short=0; fi
INTERVAL=${SOAK_INTERVAL:-$((short ? 15 : 60))}
WARMUP=${SOAK_WARMUP:-$((short ? 20 : 60))}
CAPACITY_SECONDS=${SOAK_CAPACITY_SECONDS:-15}
CUSTOMERS=${SOAK_CUSTOMERS:-5000}
CONNECTIONS=${SOAK_CONNECTIONS:-16}
LOAD=${SOAK_LOAD_PERCENT:-70}
WRK_THREADS=2

for v in $(compgen -v ENTERCRM_); do unset "$v"; done
export RUN_DIR="$ROOT/.run/soak"
export ENTERCRM_BIN=${SOAK_BIN:-$ROOT/.build/release/entercrm}
export ENTERCRM_BIND_ADDRESS=127.0.0.1 ENTERCRM_RATE_LIMIT=off ENTERCRM_SCRYPT_LOG_N=14
REPORT="$RUN_DIR/soak-report.txt"

step() { printf '==> %s\n' "$*" >&2; }
die() { echo "soak: $*" >&2; exit 1; }

[[ -x $ENTERCRM_BIN ]] || die "no release binary at $ENTERCRM_BIN (make build)"
command -v wrk >/dev/null || die "wrk is missing (scripts/deps.sh)"

cleanup() {
  local rc=$?
  step "stopping the soak stack (logs stay in $RUN_DIR/log)"
  "$STACK" down >/dev/null 2>&1 || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -f $RUN_DIR/entercrm.env ]]; then "$STACK" down >/dev/null 2>&1 || true; fi
rm -rf "$RUN_DIR"
read -r ENTERCRM_HTTP_PORT ENTERCRM_HTTPS_PORT ENTERCRM_DB_PORT PLAIN_PORT <<<"$("$STACK" free-ports 38080 38443 3338 38081)"
export ENTERCRM_HTTP_PORT ENTERCRM_HTTPS_PORT ENTERCRM_DB_PORT
BASE="http://127.0.0.1:$PLAIN_PORT"
"$STACK" db-start
mkdir -p "$RUN_DIR/nginx/extra" "$RUN_DIR/log" "$RUN_DIR/data"
cat >"$RUN_DIR/nginx/extra/server-soak.conf" <<EOF
# The soak only: plain HTTP on loopback, so that TLS is not what is measured.
listen 127.0.0.1:$PLAIN_PORT;
EOF
set -a
# shellcheck disable=SC1091
. "$RUN_DIR/entercrm.env"
set +a
"$STACK" migrate
"$STACK" services-start

sql() { mariadb --no-defaults --protocol=socket --socket="$ENTERCRM_DB_SOCKET" -u "$(id -un)" "$ENTERCRM_DB_NAME" "$@"; }
api() { # method path [json] -> body; fails on a status >= 400
  local out code
  out=$(curl -s -w '\n%{http_code}' -X "$1" "$BASE$2" -H 'Content-Type: application/json' \
    ${TOKEN:+-H "Authorization: Bearer $TOKEN"} ${3:+-d "$3"})
  code=${out##*$'\n'}
  ((code < 400)) || die "$1 $2 answered $code: ${out%$'\n'*}"
  printf '%s' "${out%$'\n'*}"
}
field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

step "a workspace and an API key through the API; $CUSTOMERS customers into MariaDB"
TOKEN=""
reply=$(api POST /v1/auth/register '{"name":"Soak Owner","email":"soak@entercrm.io","password":"soak-password","workspace_name":"Soak"}')
TOKEN=$(field 'd["token"]' <<<"$reply")
TENANT=$(field 'd["tenant"]["id"]' <<<"$reply")
KEY=$(api POST /v1/api-keys '{"name":"soak"}' | field 'd["key"]')
sql -e "INSERT INTO customers (tenant_id, name, email, city, properties, created_at, updated_at)
        SELECT $TENANT, CONCAT('Soak ', seq), CONCAT('c', seq, '@soak.example'), 'Zagreb', '{}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
        FROM seq_1_to_$CUSTOMERS"
# Fresh statistics after the bulk load, as after any import done behind the application's back.
sql -e "ANALYZE TABLE customers" >/dev/null
sql -N -e "SELECT email FROM customers WHERE tenant_id = $TENANT AND email LIKE '%@soak.example'" >"$RUN_DIR/data/emails.txt"
sql -N -e "SELECT id FROM customers WHERE tenant_id = $TENANT AND email LIKE '%@soak.example'" >"$RUN_DIR/data/ids.txt"

RUN_TAG=$(date +%s)
wrk_mix() { # seconds delay_ms tag -> the SOAK line
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${1}s" --latency --timeout 10s -s "$ROOT/Tests/bench/soak.lua" "$BASE" \
    -- "$KEY" "$RUN_DIR/data/emails.txt" "$RUN_DIR/data/ids.txt" "$RUN_TAG-$3" "$2" 2>&1 | grep '^SOAK' || echo "SOAK wrk-failed"
}
get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# Every process of the stack: "role pid", one a line.
processes() {
  local pool jobs nginx db p
  pool=$(tr -dc '0-9' <"$ENTERCRM_PID_FILE")
  echo "pool-master $pool"
  for p in $(pgrep -P "$pool" | sort -n); do echo "pool-worker $p"; done
  jobs=$(tr -dc '0-9' <"$ENTERCRM_JOBS_PID_FILE")
  echo "jobs-master $jobs"
  for p in $(pgrep -P "$jobs" | sort -n); do echo "jobs-runner $p"; done
  nginx=$(tr -dc '0-9' <"$RUN_DIR/nginx/logs/nginx.pid")
  echo "nginx-master $nginx"
  for p in $(pgrep -P "$nginx" | sort -n); do echo "nginx-worker $p"; done
  db=$(tr -dc '0-9' <"$RUN_DIR/mariadb/mariadbd.pid")
  echo "mariadbd $db"
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
buffer_pool_kib() { sql -N -e "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_bytes_data'" | awk '{print int($2 / 1024)}'; }
snapshot() { # file: "role pid rss_kib", and the buffer pool's data pages
  local role pid
  : >"$1"
  while read -r role pid; do echo "$role $pid $(rss_kib "$pid")" >>"$1"; done < <(processes)
  echo "buffer-pool-data 0 $(buffer_pool_kib)" >>"$1"
}

exec > >(tee "$REPORT") 2>&1

step "capacity: the mix unpaced, $CONNECTIONS connections, ${CAPACITY_SECONDS}s (after a 5 s warm-up)"
wrk_mix 5 0 cap-warm >/dev/null
line=$(wrk_mix "$CAPACITY_SECONDS" 0 cap)
echo "  $line"
capacity=$(get rps "$line")
[[ -n $capacity ]] || die "the capacity run failed: $line"
target=$(python3 -c "print(round($capacity * $LOAD / 100, 1))")
# Each connection's cycle is its pause plus the request's latency: start from the capacity
# run's mean cycle and correct after every interval.
delay=$(python3 -c "c=$CONNECTIONS; print(round(max(c / $target * 1000 - c / $capacity * 1000, 0), 3))")
echo "  capacity $capacity req/s; target $LOAD % = $target req/s (pause per connection ${delay} ms to start)"

adjust() { # achieved rps -> new pause
  python3 -c "
c, t, a, d = $CONNECTIONS, $target, max($1, 1), $delay
print(round(max(d + (c / t - c / a) * 1000 * 0.8, 0), 3))"
}

step "warm-up at the target rate: ${WARMUP}s"
left=$WARMUP
while ((left > 0)); do
  n=$((left < INTERVAL ? left : INTERVAL))
  line=$(wrk_mix "$n" "$delay" "warm$left")
  delay=$(adjust "$(get rps "$line")")
  echo "  warm-up: $(get rps "$line") req/s, errors $(($(get non2xx "$line") + $(get errors "$line")))"
  left=$((left - n))
done
snapshot "$RUN_DIR/rss-start.txt"

step "soak: $MINUTES minutes at $target req/s, intervals of ${INTERVAL}s"
printf '  %8s %9s %9s %9s %9s %9s %7s %7s\n' time req/s p50_ms p99_ms p99.9_ms max_ms non2xx errors
total_requests=0 total_errors=0 total_seconds=0 intervals=0
worst_p99=0 worst_p999=0
soak_seconds=$((MINUTES * 60))
elapsed=0
while ((elapsed < soak_seconds)); do
  n=$((soak_seconds - elapsed < INTERVAL ? soak_seconds - elapsed : INTERVAL))
  line=$(wrk_mix "$n" "$delay" "soak$elapsed")
  elapsed=$((elapsed + n))
  rps=$(get rps "$line")
  [[ -n $rps ]] || { echo "  wrk failed: $line"; total_errors=$((total_errors + 1)); continue; }
  non2xx=$(get non2xx "$line") errs=$(get errors "$line")
  printf '  %5d:%02d %9s %9s %9s %9s %9s %7s %7s\n' $((elapsed / 60)) $((elapsed % 60)) "$rps" "$(get p50 "$line")" \
    "$(get p99 "$line")" "$(get p999 "$line")" "$(get max "$line")" "$non2xx" "$errs"
  total_requests=$((total_requests + $(get requests "$line")))
  total_errors=$((total_errors + non2xx + errs))
  total_seconds=$(python3 -c "print($total_seconds + $(get seconds "$line"))")
  worst_p99=$(python3 -c "print(max($worst_p99, $(get p99 "$line")))")
  worst_p999=$(python3 -c "print(max($worst_p999, $(get p999 "$line")))")
  intervals=$((intervals + 1))
  delay=$(adjust "$rps")
done
snapshot "$RUN_DIR/rss-end.txt"

step "resident memory after the warm-up and at the end"
verdict=$(python3 - "$RUN_DIR/rss-start.txt" "$RUN_DIR/rss-end.txt" <<'PY'
import sys
def read(path):
    rows = [line.split() for line in open(path) if line.strip()]
    return [(r, int(p), int(k)) for r, p, k in rows]
start, end = read(sys.argv[1]), read(sys.argv[2])
pool_start = dict((r, k) for r, p, k in start if r == "buffer-pool-data").get("buffer-pool-data", 0)
pool_end = dict((r, k) for r, p, k in end if r == "buffer-pool-data").get("buffer-pool-data", 0)
problems = []
print(f"  {'process':<14} {'pid':>8} {'start MiB':>10} {'end MiB':>10} {'growth':>8}")
end_by_pid = {p: (r, k) for r, p, k in end if r != "buffer-pool-data"}
for role, pid, kib in start:
    if role == "buffer-pool-data":
        continue
    if pid not in end_by_pid:
        problems.append(f"{role} {pid} is gone (replaced: a crash or a restart)")
        print(f"  {role:<14} {pid:>8} {kib / 1024:>10.1f} {'gone':>10}")
        continue
    _, later = end_by_pid[pid]
    judged_start, judged_end, note = kib, later, ""
    if role == "mariadbd":
        judged_start, judged_end = kib - pool_start, later - pool_end
        note = f"  (without the buffer pool's data pages: {judged_start / 1024:.1f} -> {judged_end / 1024:.1f} MiB)"
    growth = (judged_end - judged_start) / max(judged_start, 1) * 100
    print(f"  {role:<14} {pid:>8} {kib / 1024:>10.1f} {later / 1024:>10.1f} {growth:>7.1f}%{note}")
    if growth > 10 and judged_end - judged_start > 4096:
        problems.append(f"{role} {pid} grew {growth:.1f} % ({judged_start / 1024:.1f} -> {judged_end / 1024:.1f} MiB)")
for role, pid, kib in end:
    if role != "buffer-pool-data" and pid not in {p for _, p, _ in start}:
        problems.append(f"{role} {pid} appeared during the soak (a replacement)")
print(f"  InnoDB buffer pool data pages: {pool_start / 1024:.1f} -> {pool_end / 1024:.1f} MiB")
print("VERDICT " + ("; ".join(problems) if problems else "ok"))
PY
)
grep -v '^VERDICT' <<<"$verdict"
memory=$(sed -n 's/^VERDICT //p' <<<"$verdict")

rate=$(python3 -c "print(round($total_requests / max($total_seconds, 1), 1))")
stored=$(sql -N -e "SELECT COUNT(*) FROM events WHERE tenant_id = $TENANT")
echo
echo "SOAK minutes=$MINUTES capacity=$capacity target=$target achieved=$rate requests=$total_requests errors=$total_errors" \
  "worst_p99=$worst_p99 worst_p999=$worst_p999 intervals=$intervals events_stored=$stored"
failed=0
if ((total_errors > 0)); then echo "soak FAILED: $total_errors errors"; failed=1; fi
if [[ $memory != ok ]]; then echo "soak FAILED: memory: $memory"; failed=1; fi
((failed)) || echo "soak passed: no errors; no process grew more than 10 % after the warm-up"
exit "$failed"
