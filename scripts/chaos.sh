#!/usr/bin/env bash
# make chaos: a stack of its own in .run/chaos (debug build), then Tests/e2e/test_chaos.py with
# ENTERCRM_CHAOS_ROUNDS rounds of faults (default 5) under load (kill -9 worker, nginx reload,
# pool SIGHUP, MariaDB stop/start), the job runner killed mid-campaign and mid-automation, the
# database's disk filled and freed; the supervisor and resilience tests. Prints the fault table.
# The stack is always torn down; logs stay in .run/chaos/log.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
STACK="$ROOT/scripts/stack.sh"
PYTHON=${PYTHON:-python3}
export ENTERCRM_CHAOS_ROUNDS=${ENTERCRM_CHAOS_ROUNDS:-5}

for v in $(compgen -v ENTERCRM_); do [[ $v == ENTERCRM_CHAOS_* ]] || unset "$v"; done
export RUN_DIR="$ROOT/.run/chaos"
export ENTERCRM_BIN="$ROOT/.build/debug/entercrm"
export ENTERCRM_BIND_ADDRESS=127.0.0.1
export ENTERCRM_DB_TIMEOUT=5
# The sinks listen on the one address the outbound guard allows (Tests/e2e/support.py SINK_HOST).
export ENTERCRM_OUTBOUND_ALLOW=127.77.0.1/32

if [[ -f $RUN_DIR/entercrm.env ]]; then "$STACK" down || true; fi
umount "$RUN_DIR/mariadb/data" 2>/dev/null || true # a loop mount left by a killed run
rm -rf "$RUN_DIR"
# MariaDB's datadir on a loop-mounted ext4 of its own, for the full-disk fault (root only;
# otherwise that test is skipped and says why).
export ENTERCRM_DB_DISK_MB=${ENTERCRM_DB_DISK_MB:-768}
ports=$("$STACK" free-ports 19580 19943 3328)
read -r ENTERCRM_HTTP_PORT ENTERCRM_HTTPS_PORT ENTERCRM_DB_PORT <<<"$ports"
export ENTERCRM_HTTP_PORT ENTERCRM_HTTPS_PORT ENTERCRM_DB_PORT

trap '"$STACK" down || true' EXIT
trap 'exit 130' INT TERM

swift build
"$STACK" db-start
"$STACK" migrate
"$STACK" seed
"$STACK" services-start
export ENTERCRM_E2E_BASE="https://localhost:$ENTERCRM_HTTPS_PORT"
export ENTERCRM_E2E_HTTP_BASE="http://localhost:$ENTERCRM_HTTP_PORT"
export ENTERCRM_RUN_DIR=$RUN_DIR ENTERCRM_STACK=$STACK
set +e
env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE "$PYTHON" -m pytest -ra -s -p no:cacheprovider \
  Tests/e2e/test_chaos.py Tests/e2e/test_jobs_supervisor.py Tests/e2e/test_resilience.py "$@"
rc=$?
set -e
"$ROOT/scripts/fault-table.sh" "$RUN_DIR/log/fault-table.txt"
exit "$rc"
