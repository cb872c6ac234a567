#!/usr/bin/env bash
# make backup-test: back up a running private MariaDB with mariadb-backup (hot, while it
# serves), prepare the backup, restore it into a fresh data directory, start that on
# another port, and compare every table of the application's database: row counts and
# CHECKSUM TABLE. Runs in .run/backup on ports 41351 (source) and 41352 (restored); both
# servers are stopped at the end. The procedure is the one docs/deploy.md gives.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export PATH="$PATH:/usr/sbin:/sbin"
STACK="$ROOT/scripts/stack.sh"
for v in $(compgen -v ENTERCRM_); do unset "$v"; done
export RUN_DIR="$ROOT/.run/backup"
export ENTERCRM_BIN=${BACKUP_TEST_BIN:-$ROOT/.build/debug/entercrm}
export ENTERCRM_DB_PORT=${BACKUP_TEST_PORT:-41351}
RESTORE_PORT=$((ENTERCRM_DB_PORT + 1))
BACKUP_DIR="$RUN_DIR/backup"
RESTORE_DIR="$RUN_DIR/restored"

step() { printf '\n==> %s\n' "$*"; }

if [[ -f $RUN_DIR/entercrm.env ]]; then "$STACK" db-stop || true; fi
if [[ -f $RESTORE_DIR/mariadbd.pid ]]; then kill "$(cat "$RESTORE_DIR/mariadbd.pid")" 2>/dev/null || true; sleep 2; fi
rm -rf "$RUN_DIR"

restored_pid() { [[ -f $RESTORE_DIR/mariadbd.pid ]] && tr -dc "0-9" <"$RESTORE_DIR/mariadbd.pid"; }
teardown() {
  local rc=$? pid
  step "stopping both servers"
  pid=$(restored_pid || true)
  if [[ -n $pid ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q mariadbd; then
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  "$STACK" db-stop || true
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

step "a private MariaDB on 127.0.0.1:$ENTERCRM_DB_PORT, migrated and seeded"
"$STACK" db-start
"$STACK" migrate >/dev/null
"$STACK" seed >/dev/null
set -a
# shellcheck disable=SC1091
. "$RUN_DIR/entercrm.env"
set +a
src() { mariadb --no-defaults --protocol=socket --socket="$ENTERCRM_DB_SOCKET" -u root "$@"; }

step "hot backup with mariadb-backup while a writer keeps inserting"
# Writes during the backup: the backup is consistent at its own end point, whatever runs.
( for i in $(seq 1 200); do src "$ENTERCRM_DB_NAME" -e "INSERT INTO job_schedules (name, kind, payload, interval_seconds, next_run_at) VALUES ('backup-test-$i', 'system.prune_jobs', '{}', 3600, UTC_TIMESTAMP(6))" || break; done ) &
writer=$!
mariadb-backup --backup --target-dir="$BACKUP_DIR" --socket="$ENTERCRM_DB_SOCKET" --user=root \
  --datadir="$RUN_DIR/mariadb/data" >"$RUN_DIR/log/backup.log" 2>&1 || { tail -n 20 "$RUN_DIR/log/backup.log"; exit 1; }
wait "$writer" || true
echo "backup: $(du -sh "$BACKUP_DIR" | cut -f1) in $BACKUP_DIR"

step "prepare (apply the redo log) and restore into a fresh datadir"
mariadb-backup --prepare --target-dir="$BACKUP_DIR" >"$RUN_DIR/log/prepare.log" 2>&1 || { tail -n 20 "$RUN_DIR/log/prepare.log"; exit 1; }
mkdir -p "$RESTORE_DIR/tmp"
sed -e "s|^datadir=.*|datadir=$RESTORE_DIR/data|" -e "s|^tmpdir=.*|tmpdir=$RESTORE_DIR/tmp|" \
  -e "s|^socket=.*|socket=$RESTORE_DIR/mysqld.sock|" -e "s|^port=.*|port=$RESTORE_PORT|" \
  -e "s|^pid-file=.*|pid-file=$RESTORE_DIR/mariadbd.pid|" -e "s|^log-error=.*|log-error=$RESTORE_DIR/mariadbd.log|" \
  "$RUN_DIR/mariadb/my.cnf" >"$RESTORE_DIR/my.cnf"
mariadb-backup --defaults-file="$RESTORE_DIR/my.cnf" --copy-back --target-dir="$BACKUP_DIR" >"$RUN_DIR/log/restore.log" 2>&1 ||
  { tail -n 20 "$RUN_DIR/log/restore.log"; exit 1; }

step "starting the restored copy on 127.0.0.1:$RESTORE_PORT"
setsid mariadbd --defaults-file="$RESTORE_DIR/my.cnf" --user="$(id -un)" </dev/null >>"$RESTORE_DIR/mariadbd.log" 2>&1 &
dst() { mariadb --no-defaults --protocol=socket --socket="$RESTORE_DIR/mysqld.sock" -u root "$@"; }
for _ in $(seq 1 300); do dst -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
dst -e 'SELECT 1' >/dev/null

step "comparing $ENTERCRM_DB_NAME table by table: rows and CHECKSUM TABLE"
# The source has moved on since the backup (the writer); the rows it wrote after the
# backup's end point are taken out of the comparison by comparing the restored copy with
# the source as of the backup: job_schedules compares only the rows the backup has.
tables=$(src -N -B "$ENTERCRM_DB_NAME" -e "SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'" | cut -f1)
failed=0 n=0
for t in $tables; do
  n=$((n + 1))
  if [[ $t = job_schedules ]]; then
    names=$(dst -N -B "$ENTERCRM_DB_NAME" -e "SELECT GROUP_CONCAT(QUOTE(name)) FROM job_schedules")
    a=$(src -N -B "$ENTERCRM_DB_NAME" -e "SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', name, kind, payload, interval_seconds, next_run_at))), 0) FROM job_schedules WHERE name IN ($names)")
    b=$(dst -N -B "$ENTERCRM_DB_NAME" -e "SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', name, kind, payload, interval_seconds, next_run_at))), 0) FROM job_schedules")
  else
    a="$(src -N -B "$ENTERCRM_DB_NAME" -e "SELECT COUNT(*) FROM \`$t\`") $(src -N -B "$ENTERCRM_DB_NAME" -e "CHECKSUM TABLE \`$t\`" | cut -f2)"
    b="$(dst -N -B "$ENTERCRM_DB_NAME" -e "SELECT COUNT(*) FROM \`$t\`") $(dst -N -B "$ENTERCRM_DB_NAME" -e "CHECKSUM TABLE \`$t\`" | cut -f2)"
  fi
  if [[ $a = "$b" ]]; then
    printf '  %-28s ok   %s\n' "$t" "$(echo "$a" | tr '\t' ' ')"
  else
    printf '  %-28s DIFF source %s restored %s\n' "$t" "$a" "$b"
    failed=1
  fi
done
after=$(dst -N -B "$ENTERCRM_DB_NAME" -e "SELECT COUNT(*) FROM job_schedules WHERE name LIKE 'backup-test-%'")
echo "  (rows written during the backup that the backup holds: $after of 200)"
if ((failed)); then echo "backup test FAILED"; exit 1; fi
echo "backup test passed: $n tables identical in rows and checksums"
