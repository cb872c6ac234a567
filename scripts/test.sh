#!/usr/bin/env bash
# make test: debug build, a throwaway MariaDB in .run/test, `swift test` against it, then
# the whole stack (nginx, pool, jobs) on the test ports for the end-to-end tests. The test
# stack is always torn down; its logs stay in .run/test/log until the next run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
STACK="$ROOT/scripts/stack.sh"
PYTHON=${PYTHON:-python3}

# The test stack takes nothing from a developer's own configuration.
for v in $(compgen -v ENTERCRM_); do unset "$v"; done
export RUN_DIR="$ROOT/.run/test"
export ENTERCRM_BIN="$ROOT/.build/debug/entercrm"
export ENTERCRM_BIND_ADDRESS=127.0.0.1
export ENTERCRM_DB_TIMEOUT=5
# The tests' own SMTP, SMS and webhook sinks listen on this loopback address, and the
# outbound guard allows it and nothing else internal (the attack tests' listeners on
# 127.0.0.1 must receive nothing). Swift tests read it from entercrm.env as the pool does.
export ENTERCRM_OUTBOUND_ALLOW=127.77.0.1/32

step() { printf '\n==> %s\n' "$*"; }

if [[ -f $RUN_DIR/entercrm.env ]]; then
  step "stopping a test stack left from an earlier run"
  "$STACK" down || true
fi
umount "$RUN_DIR/mariadb/data" 2>/dev/null || true # a loop mount left by a killed run
rm -rf "$RUN_DIR"
# MariaDB's datadir on a loop-mounted ext4 of its own, for the full-disk fault (root only;
# otherwise that test is skipped and says why).
export ENTERCRM_DB_DISK_MB=${ENTERCRM_DB_DISK_MB:-768}

# Ports 18080, 18443, 3317, or the next free set (+100, +200 ...) when another stack has them.
ports=$("$STACK" free-ports 18080 18443 3317)
read -r ENTERCRM_HTTP_PORT ENTERCRM_HTTPS_PORT ENTERCRM_DB_PORT <<<"$ports"
export ENTERCRM_HTTP_PORT ENTERCRM_HTTPS_PORT ENTERCRM_DB_PORT

results=()
teardown() {
  local rc=$?
  step "tearing down the test stack (logs stay in $RUN_DIR/log)"
  "$STACK" down || true
  if ((${#results[@]})); then
    step "summary"
    printf '  %s\n' "${results[@]}"
  fi
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

step "swift build"
swift build

step "starting a throwaway MariaDB in $RUN_DIR"
"$STACK" db-start
set -a
# shellcheck disable=SC1091
. "$RUN_DIR/entercrm.env"
set +a

step "migrating ${ENTERCRM_DB_NAME} and ${ENTERCRM_DB_NAME}_test"
"$STACK" migrate
ENTERCRM_DATABASE_URL=$ENTERCRM_TEST_DATABASE_URL "$ENTERCRM_BIN" migrate

failed=0

step "swift test"
set +e
swift test 2>&1 | tee "$RUN_DIR/log/swift-test.log"
rc=${PIPESTATUS[0]}
set -e
summary=$(grep -E 'Test run with [0-9]+ tests?|Executed [0-9]+ tests?' "$RUN_DIR/log/swift-test.log" | tail -n 1 | sed 's/^[^A-Za-z]*//' || true)
if ((rc == 0)); then
  results+=("swift test: $summary")
else
  results+=("swift test: FAILED (exit $rc): $summary")
  failed=1
fi

step "starting nginx, the pool and the job runner on https://localhost:$ENTERCRM_HTTPS_PORT/"
"$STACK" seed
"$STACK" services-start

suites=(Tests/e2e)
[[ ! -d Tests/browser ]] || suites+=(Tests/browser)
step "pytest ${suites[*]}"
export ENTERCRM_E2E_BASE="https://localhost:$ENTERCRM_HTTPS_PORT"
export ENTERCRM_E2E_HTTP_BASE="http://localhost:$ENTERCRM_HTTP_PORT"
export ENTERCRM_RUN_DIR=$RUN_DIR ENTERCRM_STACK=$STACK
set +e
# A CA bundle named in the environment would win over requests' verify=False, and the
# test stack's certificate is self-signed.
env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE \
  "$PYTHON" -m pytest -ra -p no:cacheprovider "${suites[@]}" | tee "$RUN_DIR/log/pytest.log"
rc=${PIPESTATUS[0]}
set -e
summary=$(grep -E '^=+ .* in [0-9.]+s' "$RUN_DIR/log/pytest.log" | tail -n 1 | tr -d '=' | xargs || true)
if [[ -f $RUN_DIR/log/fault-table.txt ]]; then
  while IFS= read -r line; do results+=("$line"); done < <("$ROOT/scripts/fault-table.sh" "$RUN_DIR/log/fault-table.txt")
fi
if ((rc == 0)); then
  results+=("pytest: $summary")
else
  results+=("pytest: FAILED (exit $rc): $summary")
  failed=1
fi

exit "$failed"
