#!/usr/bin/env bash
# make cluster-chaos: Tests/chaos/chaos.py against the cluster of scripts/cluster.sh (faults
# under a mixed load, then the exactly-once audit). A cluster already up is used and left
# running; one this script started is stopped at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CLUSTER="$ROOT/scripts/cluster.sh"
BASE=${CLUSTER_PORT_BASE:-41000}
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
mkdir -p .run/cluster/log
set +e
env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE python3 Tests/chaos/chaos.py "$@" 2>&1 | tee .run/cluster/log/chaos.log
rc=${PIPESTATUS[0]}
set -e
exit "$rc"
