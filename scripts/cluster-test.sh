#!/usr/bin/env bash
# make cluster-test: the whole end-to-end suite (Tests/e2e) against the cluster stack of
# scripts/cluster.sh: nginx over two pools, three Galera nodes. A cluster already up is used
# as it is and left running; one this script started is stopped at the end.
# The disruptive tests drive the cluster through scripts/cluster.sh: "db-stop"/"db-start"
# stop and bootstrap the whole cluster, "pool-reload" reloads pool 1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CLUSTER="$ROOT/scripts/cluster.sh"
CLUSTER_DIR=${CLUSTER_DIR:-$ROOT/.run/cluster}
BASE=${CLUSTER_PORT_BASE:-41000}
PYTHON=${PYTHON:-python3}

started=0
if ! curl -sk -o /dev/null --max-time 5 -w '%{http_code}' "https://127.0.0.1:$((BASE + 443))/v1/health" | grep -q 200; then
  "$CLUSTER" up
  started=1
fi
teardown() {
  local rc=$?
  if ((started)); then "$CLUSTER" down || true; fi
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

export ENTERCRM_E2E_BASE="https://localhost:$((BASE + 443))"
export ENTERCRM_E2E_HTTP_BASE="http://localhost:$((BASE + 80))"
export ENTERCRM_RUN_DIR="$CLUSTER_DIR/app1" ENTERCRM_STACK=$CLUSTER
mkdir -p "$CLUSTER_DIR/log"
set +e
env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE \
  "$PYTHON" -m pytest -ra -p no:cacheprovider Tests/e2e "$@" | tee "$CLUSTER_DIR/log/pytest.log"
rc=${PIPESTATUS[0]}
set -e
exit "$rc"
