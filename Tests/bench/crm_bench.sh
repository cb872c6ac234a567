#!/usr/bin/env bash
# make bench, second part: the pipeline CRM with a million entries in one workspace.
#
# Starts a stack of its own in .run/crm-bench (release build, its own MariaDB and ports, rate
# limit off), makes a workspace, an API key and a Leads entity through the API, loads
# CRM_BENCH_ENTRIES entries (default 1,000,000) with their typed values and stage history
# straight into MariaDB (multi-row INSERT … SELECT from the SEQUENCE engine, 100,000 a
# statement), then measures with wrk through nginx, on plain HTTP on loopback:
#   filtered pages (stage, field value, both, a number range, assignee, a rare value),
#   q searches (a full name, prefixes, a first name, an email, a common word; through the word
#   table crm_entry_words, which the insert trigger fills as the entries load), and the
#   pipeline stats,
# printing p50, p95 and p99 latency and req/s for each. Everything it started is stopped
# at the end, unless CRM_BENCH_KEEP=1 (then a second run reuses the loaded data).
#
# CRM_BENCH_ENTRIES (1000000), BENCH_SECONDS (10), CRM_BENCH_CONNECTIONS ("1 4": one wrk run
# per figure), BENCH_THREADS (2), BENCH_BIN (the binary), CRM_BENCH_BUFFER_POOL (3G),
# CRM_BENCH_ONLY (an extended regular expression: only the figures whose name matches it),
# CRM_BENCH_PORT_OFFSET (0, added to every port).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
STACK="$ROOT/scripts/stack.sh"

ENTRIES=${CRM_BENCH_ENTRIES:-1000000}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CONNECTIONS=${CRM_BENCH_CONNECTIONS:-1 4}
WRK_THREADS=${BENCH_THREADS:-2}
KEEP=${CRM_BENCH_KEEP:-0}
BUFFER_POOL=${CRM_BENCH_BUFFER_POOL:-3G}
CHUNK=100000

for v in $(compgen -v ENTERCRM_); do unset "$v"; done
export RUN_DIR="$ROOT/.run/crm-bench"
export ENTERCRM_BIN=${BENCH_BIN:-$ROOT/.build/release/entercrm}
# CRM_BENCH_PORT_OFFSET (0) moves every port, so that two stacks can run side by side.
PORT_OFFSET=${CRM_BENCH_PORT_OFFSET:-0}
export ENTERCRM_HTTP_PORT=$((39080 + PORT_OFFSET)) ENTERCRM_HTTPS_PORT=$((39443 + PORT_OFFSET)) ENTERCRM_DB_PORT=$((3339 + PORT_OFFSET))
export ENTERCRM_BIND_ADDRESS=127.0.0.1 ENTERCRM_RATE_LIMIT=off ENTERCRM_SCRYPT_LOG_N=14
PLAIN_PORT=$((39081 + PORT_OFFSET))
BASE="http://127.0.0.1:$PLAIN_PORT"

step() { printf '==> %s\n' "$*" >&2; }
die() { echo "crm bench: $*" >&2; exit 1; }

[[ -x $ENTERCRM_BIN ]] || die "no release binary at $ENTERCRM_BIN (make build)"
command -v wrk >/dev/null || die "wrk is missing (scripts/deps.sh)"

cleanup() {
  local rc=$?
  if [[ $KEEP = 1 ]]; then
    step "leaving the bench stack running in $RUN_DIR (CRM_BENCH_KEEP=1)"
  else
    step "stopping the CRM bench stack"
    "$STACK" down >/dev/null 2>&1 || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

state="$RUN_DIR/crm-bench.state"
if [[ $KEEP = 1 && -f $state ]] && grep -q "^ENTRIES=$ENTRIES$" "$state"; then
  step "reusing the data loaded in $RUN_DIR"
  "$STACK" db-start
else
  if [[ -f $RUN_DIR/entercrm.env ]]; then "$STACK" down >/dev/null 2>&1 || true; fi
  rm -rf "$RUN_DIR"
  "$STACK" db-start
  rm -f "$state"
fi
mkdir -p "$RUN_DIR/nginx/extra" "$RUN_DIR/log"
cat >"$RUN_DIR/nginx/extra/server-crm-bench.conf" <<EOF
# The CRM bench only: plain HTTP on loopback, so that TLS is not what is measured.
listen 127.0.0.1:$PLAIN_PORT;
EOF
set -a
# shellcheck disable=SC1091
. "$RUN_DIR/entercrm.env"
set +a
"$STACK" migrate
"$STACK" services-start

sql() { mariadb --no-defaults --protocol=socket --socket="$ENTERCRM_DB_SOCKET" -u "$(id -un)" "$ENTERCRM_DB_NAME" "$@"; }
# The data and its indexes (about 2 GB for a million entries) are measured from memory.
sql -e "SET GLOBAL innodb_buffer_pool_size = $(numfmt --from=iec "$BUFFER_POOL")"

api() { # method path [json] -> body; fails on a status >= 400
  local out code
  out=$(curl -s -w '\n%{http_code}' -X "$1" "$BASE$2" -H 'Content-Type: application/json' \
    ${TOKEN:+-H "Authorization: Bearer $TOKEN"} ${KEY:+-H "EF-Access-Key: $KEY"} ${3:+-d "$3"})
  code=${out##*$'\n'}
  ((code < 400)) || die "$1 $2 answered $code: ${out%$'\n'*}"
  printf '%s' "${out%$'\n'*}"
}
field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; } # a Python expression of d

if [[ ! -f $state ]]; then
  step "a workspace, an API key and a Leads entity through the API"
  TOKEN="" KEY=""
  reply=$(api POST /v1/auth/register '{"name":"Bench Owner","email":"bench@entercrm.io","password":"bench-password","workspace_name":"CRM Bench"}')
  TOKEN=$(field 'd["token"]' <<<"$reply")
  TENANT=$(field 'd["tenant"]["id"]' <<<"$reply")
  USER_ID=$(field 'd["user"]["id"]' <<<"$reply")
  KEY=$(api POST /v1/api-keys '{"name":"bench"}' | field 'd["key"]')
  TOKEN=""
  B="/api/brands/$TENANT/crm"
  entity=$(api POST "$B/entities" '{"name":"Leads","slug":"leads","preset":"leads"}')
  ENTITY=$(field 'd["id"]' <<<"$entity")
  PIPELINE=$(field 'd["pipelines"][0]["id"]' <<<"$entity")
  read -r S1 S2 S3 S4 S5 < <(field '" ".join(str(s["id"]) for s in d["pipelines"][0]["stages"])' <<<"$entity")
  F_EMAIL=$(field '[f["id"] for f in d["fields"] if f["key"] == "email"][0]' <<<"$entity")
  F_PHONE=$(field '[f["id"] for f in d["fields"] if f["key"] == "phone"][0]' <<<"$entity")
  F_SOURCE=$(field '[f["id"] for f in d["fields"] if f["key"] == "source"][0]' <<<"$entity")
  F_LEAD=$(api POST "$B/entities/$ENTITY/fields" '{"name":"Lead Source","key":"lead_source","type":"select","options":["Facebook","Google","Organic","Referral"]}' | field 'd["id"]')
  F_SCORE=$(api POST "$B/entities/$ENTITY/fields" '{"name":"Score","key":"score","type":"number"}' | field 'd["id"]')

  step "loading $ENTRIES entries, their values and history ($CHUNK a statement)"
  started=$(date +%s)
  # Synthetic people: 100 first names (1% of entries each), 200 last names (0.5% each).
  first="ELT(1 + seq % 10, 'Ja','Mi','Lu','An','Iv','Ma','Pe','Do','Sa','Ni')"
  first2="ELT(1 + (seq DIV 10) % 10, 'na','ra','ko','vin','ta','le','mir','sa','del','ro')"
  last="ELT(1 + (seq DIV 100) % 20, 'Kov','Hor','Bab','Mar','Jur','Nov','Knez','Pet','Mat','Tom','Pav','Boz','Grg','Rad','Per','Lov','Vid','Pop','Nik','Brk')"
  last2="ELT(1 + (seq DIV 2000) % 10, 'ac','vat','ic','ovic','son','man','er','ski','elli','berg')"
  for ((from = 1; from <= ENTRIES; from += CHUNK)); do
    to=$((from + CHUNK - 1)); ((to <= ENTRIES)) || to=$ENTRIES
    sql <<SQL
INSERT INTO crm_entries (uid, tenant_id, entity_id, pipeline_id, stage_id, title, reference_type, reference_id,
                         assigned_to_user_id, assigned_to_team_id, data, search_text, created_at, updated_at)
SELECT CONCAT('bench', LPAD(seq, 15, '0')), $TENANT, $ENTITY, $PIPELINE, ELT(1 + seq % 5, $S1, $S2, $S3, $S4, $S5),
       CONCAT(fn, ' ', ln), 'conversion', CONCAT('conv-', seq), IF(seq % 3 = 0, $USER_ID, NULL), NULL,
       JSON_OBJECT('$F_EMAIL', email, '$F_PHONE', phone, '$F_SOURCE', src, '$F_LEAD', lsrc, '$F_SCORE', score),
       CONCAT_WS(' ', fn, ln, email, phone, src, lsrc), ts, ts + INTERVAL (seq % 1000) MINUTE
FROM (
  SELECT seq, fn, ln, src, lsrc, score, ts,
         LOWER(CONCAT(fn, '.', ln, seq % 997, '@', ELT(1 + seq % 6, 'gmail.com', 'yahoo.com', 'outlook.com', 'acme.io', 'example.hr', 'mail.de'))) AS email,
         CONCAT('+385 9', seq % 10, ' ', LPAD(seq % 10000000, 7, '0')) AS phone
  FROM (
    SELECT seq, CONCAT($first, $first2) AS fn, CONCAT($last, $last2) AS ln,
           ELT(1 + seq % 3, 'Facebook', 'Google', 'Organic') AS src,
           ELT(1 + (seq * 7) % 4, 'Facebook', 'Google', 'Organic', 'Referral') AS lsrc,
           ((seq * 7919) % 1000) / 10 AS score,
           TIMESTAMP'2025-01-01 00:00:00' + INTERVAL (seq * 31) SECOND AS ts
    FROM seq_${from}_to_${to}
  ) a
) b;
INSERT INTO crm_entry_values (entry_id, field_id, seq, tenant_id, value_text, value_num)
SELECT e.id, f.id, 0, $TENANT,
       IF(f.id = $F_SCORE, NULL, JSON_VALUE(e.data, CONCAT('\$."', f.id, '"'))),
       IF(f.id = $F_SCORE, JSON_VALUE(e.data, CONCAT('\$."', f.id, '"')), NULL)
FROM crm_entries e
JOIN (SELECT $F_EMAIL AS id UNION ALL SELECT $F_PHONE UNION ALL SELECT $F_SOURCE UNION ALL SELECT $F_LEAD UNION ALL SELECT $F_SCORE) f
WHERE e.uid BETWEEN CONCAT('bench', LPAD($from, 15, '0')) AND CONCAT('bench', LPAD($to, 15, '0'));
INSERT INTO crm_stage_history (tenant_id, entry_id, pipeline_id, from_stage_id, from_stage_name, to_stage_id, to_stage_name,
                               user_id, api_key_id, created_at)
SELECT $TENANT, e.id, e.pipeline_id, NULL, NULL, e.stage_id, s.name, NULL, NULL, e.created_at
FROM crm_entries e JOIN crm_stages s ON s.tenant_id = e.tenant_id AND s.id = e.stage_id
WHERE e.uid BETWEEN CONCAT('bench', LPAD($from, 15, '0')) AND CONCAT('bench', LPAD($to, 15, '0'));
SQL
    printf '    %d entries\n' "$to" >&2
  done
  sql <<SQL
DELETE FROM crm_stage_counts WHERE tenant_id = $TENANT AND entity_id = $ENTITY;
INSERT INTO crm_stage_counts (tenant_id, stage_id, entity_id, pipeline_id, entries)
SELECT tenant_id, stage_id, entity_id, pipeline_id, COUNT(*) FROM crm_entries
WHERE tenant_id = $TENANT AND entity_id = $ENTITY GROUP BY stage_id, pipeline_id;
DELETE FROM crm_stage_sums WHERE tenant_id = $TENANT;
INSERT INTO crm_stage_sums (tenant_id, stage_id, field_id, total)
SELECT e.tenant_id, e.stage_id, v.field_id, SUM(v.value_num) FROM crm_entries e JOIN crm_entry_values v ON v.entry_id = e.id
WHERE e.tenant_id = $TENANT AND e.entity_id = $ENTITY AND v.field_id = $F_SCORE GROUP BY e.stage_id, v.field_id;
ANALYZE TABLE crm_entries, crm_entry_values, crm_stage_history;
SQL
  step "loaded in $(( $(date +%s) - started ))s"
  cat >"$state" <<EOF
ENTRIES=$ENTRIES
TENANT=$TENANT
KEY=$KEY
ENTITY=$ENTITY
PIPELINE=$PIPELINE
S3=$S3
USER_ID=$USER_ID
EOF
fi
# shellcheck disable=SC1090
. "$state"
B="/api/brands/$TENANT/crm"
E="$B/entities/$ENTITY/entries"

sizes=$(sql -N -e "SELECT CONCAT(ROUND(SUM(data_length + index_length) / 1048576), ' MiB') FROM information_schema.tables
                   WHERE table_schema = DATABASE() AND table_name LIKE 'crm%'")
step "warming the buffer pool ($sizes of CRM tables)"
sql -e "SELECT COUNT(*) FROM crm_entries FORCE INDEX (PRIMARY); SELECT COUNT(*) FROM crm_entry_values FORCE INDEX (PRIMARY);
        SELECT COUNT(*) FROM crm_entry_values FORCE INDEX (idx_crm_values_text); SELECT COUNT(*) FROM crm_entry_values FORCE INDEX (idx_crm_values_num);
        SELECT COUNT(*) FROM crm_entries FORCE INDEX (idx_crm_entries_updated); SELECT COUNT(*) FROM crm_entries FORCE INDEX (idx_crm_entries_stage);
        SELECT COUNT(*) FROM crm_entries FORCE INDEX (idx_crm_entries_user); SELECT COUNT(*) FROM crm_entries FORCE INDEX (idx_crm_entries_title);
        SELECT COUNT(*) FROM crm_stage_history FORCE INDEX (idx_crm_history_pipeline)" >/dev/null
if [[ -n $(sql -N -e "SHOW TABLES LIKE 'crm_entry_words'") ]]; then
  sql -e "SELECT COUNT(*) FROM crm_entry_words FORCE INDEX (PRIMARY); SELECT COUNT(*) FROM crm_entry_words FORCE INDEX (idx_crm_entry_words_entry)" >/dev/null
fi

LUA="$RUN_DIR/crm-bench.lua"
cat >"$LUA" <<'EOF'
-- Rotates through the paths in CRM_BENCH_PATHS (separated by |), with the API key header;
-- prints the latency percentiles in milliseconds at the end.
local paths = {}
for p in string.gmatch(os.getenv("CRM_BENCH_PATHS"), "[^|]+") do paths[#paths + 1] = p end
wrk.headers["EF-Access-Key"] = os.getenv("CRM_BENCH_KEY")
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.2f %.2f %.2f %.1f %d %d\n", latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests / (summary.duration / 1e6), errors, summary.errors.status))
end
EOF

# Each figure: a name, then paths (|-separated) that wrk takes in turn.
figures=(
  "page, no filter|$E"
  "filtered: stage|$E?stage_id=$S3"
  "filtered: field value|$E?values[lead_source]=Facebook|$E?values[lead_source]=Google|$E?values[lead_source]=Referral"
  "filtered: stage + field value|$E?stage_id=$S3&values[lead_source]=Facebook|$E?stage_id=$S3&values[lead_source]=Organic"
  "filtered: number range|$E?values[score][min]=10&values[score][max]=20|$E?values[score][min]=50&values[score][max]=52.5"
  "filtered: assignee + stage|$E?assigned_to_user_id=$USER_ID&stage_id=$S3"
  "filtered: rare email|$E?values[email]=jana.kovac0@gmail.com|$E?values[email]=mira.horvat1@yahoo.com|$E?values[email]=luko.babic2@outlook.com"
  "sorted by a field, stage|$E?stage_id=$S3&sort=score&order=desc"
  "q: full name|$E?q=jana%20kovac|$E?q=mira%20horvat|$E?q=luko%20babic|$E?q=ivta%20marson"
  "q: prefixes|$E?q=jan%20kov|$E?q=mir%20hor|$E?q=luk%20bab"
  "q: first name (1%)|$E?q=jana|$E?q=mira|$E?q=luko"
  "q: email|$E?q=jana.kovac123@gmail.com|$E?q=mira.horvat7"
  "q: email domain (17%)|$E?q=gmail|$E?q=yahoo|$E?q=outlook"
  "q: 2-letter title prefix|$E?q=Ja|$E?q=Mi"
  "pipeline stats|$B/pipelines/$PIPELINE/stats"
)

# Sanity: every path answers 200 before it is measured.
for figure in "${figures[@]}"; do
  IFS='|' read -r -a parts <<<"$figure"
  for path in "${parts[@]:1}"; do
    code=$(curl -gs -o /dev/null -w '%{http_code}' -H "EF-Access-Key: $KEY" "$BASE$path")
    [[ $code = 200 ]] || die "$path answered $code"
  done
done
total=$(curl -gs -H "EF-Access-Key: $KEY" "$BASE$E?per_page=1" | field 'd["total"]')

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
results=()
if [[ -n ${CRM_BENCH_ONLY:-} ]]; then
  kept=()
  for figure in "${figures[@]}"; do [[ ! ${figure%%|*} =~ $CRM_BENCH_ONLY ]] || kept+=("$figure"); done
  figures=("${kept[@]}")
fi
for c in $CONNECTIONS; do
  for figure in "${figures[@]}"; do
    name=${figure%%|*}
    export CRM_BENCH_PATHS=${figure#*|} CRM_BENCH_KEY=$KEY
    threads=$WRK_THREADS; ((threads <= c)) || threads=$c
    wrk -t"$threads" -c"$c" -d2s -s "$LUA" "$BASE" >/dev/null
    line=$(wrk -t"$threads" -c"$c" -d"${SECONDS_PER_RUN}s" -s "$LUA" "$BASE" | awk '/^RESULT/ {$1 = ""; print}')
    results+=("$c|$name|$line")
    step "c=$c $name: $line"
  done
done

echo
echo "EnterCRM pipeline CRM bench: $total entries in one workspace ($sizes of CRM tables), $(nproc) cores,"
echo "MariaDB $(sql -N -e 'SELECT VERSION()'), pool ${ENTERCRM_WORKERS} workers x ${ENTERCRM_THREADS} threads,"
echo "wrk -t$WRK_THREADS -d${SECONDS_PER_RUN}s over plain HTTP through nginx on loopback;"
echo "load average before the runs: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shows here)"
for c in $CONNECTIONS; do
  echo
  printf '  %-32s %9s %9s %9s %9s   (%s connection%s)\n' "" "p50 ms" "p95 ms" "p99 ms" "req/s" "$c" "$([[ $c = 1 ]] || echo s)"
  for r in "${results[@]}"; do
    IFS='|' read -r rc name line <<<"$r"
    [[ $rc = "$c" ]] || continue
    read -r p50 p95 p99 rps errs non2xx <<<"$line"
    note=""
    ((errs == 0 && non2xx == 0)) || note="  (errors: $errs, non-2xx: $non2xx)"
    printf '  %-32s %9s %9s %9s %9s%s\n' "$name" "$p50" "$p95" "$p99" "$rps" "$note"
  done
done

# make bench's closing table (Tests/bench/summary.py): issue 5's targets at each connection
# count, the slowest figure of each kind named: filtered and sorted pages p95 <= 50 ms, q
# searches p95 <= 100 ms (no ceiling); the pipeline stats shown without a target.
result() { "$ROOT/Tests/bench/result.sh" crm_bench.sh "$@"; }
for c in $CONNECTIONS; do
  for kind in page q stats; do
    worst="" worst_p95=-1
    for r in "${results[@]}"; do
      IFS='|' read -r rc name line <<<"$r"
      [[ $rc = "$c" ]] || continue
      case $name in "q: "*) k=q ;; "pipeline stats") k=stats ;; *) k=page ;; esac
      [[ $k = "$kind" ]] || continue
      read -r _ p95 _ <<<"$line"
      if awk -v a="$p95" -v b="$worst_p95" 'BEGIN { exit !(a > b) }'; then worst=$name worst_p95=$p95; fi
    done
    [[ -n $worst ]] || continue
    case $kind in
      page) result "CRM of $total entries, filtered pages, slowest ($worst), -c$c, p95" "$worst_p95" ms "" "" "<= 50" ;;
      q) result "CRM of $total entries, q searches, slowest ($worst), -c$c, p95" "$worst_p95" ms "" "" "<= 100" ;;
      stats) result "CRM pipeline stats, -c$c, p95" "$worst_p95" ms ;;
    esac
  done
done
