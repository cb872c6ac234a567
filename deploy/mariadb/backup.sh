#!/usr/bin/env bash
# Hot physical backup of one MariaDB (or Galera) node with mariadb-backup, prepared and
# kept for BACKUP_KEEP_DAYS. Run on a node chosen for backups (on Galera, mariadb-backup
# takes a brief backup lock; with --galera-info the backup records the cluster position).
# The restore is what `make backup-test` runs: docs/deploy.md, "Backups".
set -euo pipefail
BACKUP_ROOT=${BACKUP_ROOT:-/var/backups/entercrm}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-14}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$BACKUP_ROOT/$stamp"
mkdir -p "$target"
mariadb-backup --backup --galera-info --target-dir="$target" --user=root
mariadb-backup --prepare --target-dir="$target"
tar -C "$BACKUP_ROOT" -czf "$BACKUP_ROOT/$stamp.tar.gz" "$stamp" && rm -rf "$target"
find "$BACKUP_ROOT" -name '*.tar.gz' -mtime +"$BACKUP_KEEP_DAYS" -delete
echo "backup $BACKUP_ROOT/$stamp.tar.gz"
