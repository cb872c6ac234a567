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

# Galera replicates InnoDB tables with primary keys, and not named locks, LOCK TABLES or
# other engines: check the migrated schema and the sources before the suite.
echo "==> Galera checks: every table InnoDB with a primary key; no node-local features in the code"
bad=$("$CLUSTER" node-shell 1 -N -B -e "
  SELECT CONCAT(t.table_name, ': ', IF(t.engine <> 'InnoDB', CONCAT('engine ', t.engine), 'no primary key'))
  FROM information_schema.tables t
  LEFT JOIN information_schema.table_constraints c ON c.table_schema = t.table_schema
    AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY'
  WHERE t.table_schema = DATABASE() AND t.table_type = 'BASE TABLE'
    AND (c.constraint_name IS NULL OR t.engine <> 'InnoDB')")
if [[ -n $bad ]]; then echo "not fit for Galera: $bad"; exit 1; fi
if grep -rniE "GET_LOCK\(|LOCK TABLES|ENGINE *= *(MyISAM|Aria|MEMORY)|CREATE TEMPORARY TABLE" Sources schema; then
  echo "node-local or non-replicated features above"; exit 1
fi
echo "    $("$CLUSTER" node-shell 1 -N -B -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'") tables, all InnoDB with primary keys"

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
