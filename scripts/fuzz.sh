#!/usr/bin/env bash
# make fuzz: a stack of its own in .run/fuzz (debug build, like make test), then schemathesis
# with a large budget (ENTERCRM_FUZZ_EXAMPLES, default 50 examples per operation) through
# nginx. The stack is always torn down; the report stays in .run/fuzz/log/fuzz.log.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
STACK="$ROOT/scripts/stack.sh"
PYTHON=${PYTHON:-python3}
EXAMPLES=${ENTERCRM_FUZZ_EXAMPLES:-50}

for v in $(compgen -v ENTERCRM_); do [[ $v == ENTERCRM_FUZZ_* ]] || unset "$v"; done
export RUN_DIR="$ROOT/.run/fuzz"
export ENTERCRM_BIN="$ROOT/.build/debug/entercrm"
export ENTERCRM_BIND_ADDRESS=127.0.0.1
# The fuzzer points SMS webhooks at a closed port here (Tests/fuzz/fuzz_hooks.py), as test.sh allows.
export ENTERCRM_OUTBOUND_ALLOW=127.77.0.1/32

if [[ -f $RUN_DIR/entercrm.env ]]; then "$STACK" down || true; fi
rm -rf "$RUN_DIR"
ports=$("$STACK" free-ports 19080 19443 3327)
read -r ENTERCRM_HTTP_PORT ENTERCRM_HTTPS_PORT ENTERCRM_DB_PORT <<<"$ports"
export ENTERCRM_HTTP_PORT ENTERCRM_HTTPS_PORT ENTERCRM_DB_PORT

trap '"$STACK" down || true' EXIT
trap 'exit 130' INT TERM

swift build
"$STACK" db-start
"$STACK" migrate
"$STACK" seed
"$STACK" services-start
mkdir -p "$RUN_DIR/log"
env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE "$PYTHON" Tests/fuzz/fuzz.py \
  --base "https://localhost:$ENTERCRM_HTTPS_PORT" --max-examples "$EXAMPLES" "$@" 2>&1 | tee "$RUN_DIR/log/fuzz.log"
exit "${PIPESTATUS[0]}"
