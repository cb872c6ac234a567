#!/usr/bin/env bash
# Runs the EnterCRM stack from one run directory: a private MariaDB, nginx (TLS, static
# files, rate limits) and the FastCGI pool (`entercrm serve`) plus the job runner
# (`entercrm jobs`). Several stacks can run side by side with different run directories
# and ports (make up: .run, make test: .run/test, make bench: .run/bench).
#
#   scripts/stack.sh up | down | status | env
#   scripts/stack.sh db-start | db-stop | db-restart | db-status | db-shell | db-disk
#   scripts/stack.sh migrate | seed
#   scripts/stack.sh nginx-start | nginx-stop | nginx-reload | nginx-test
#   scripts/stack.sh pool-start | pool-stop | pool-reload | pool-pids
#   scripts/stack.sh jobs-start | jobs-stop | jobs-pids   (the supervising master, then the runner)
#   scripts/stack.sh services-start | services-stop     (nginx + pool + jobs)
#   scripts/stack.sh wait-health
#   scripts/stack.sh free-ports PORT...   (the first free set of PORT+0, +100, +200 ...)
#
# Parameters (environment):
#   RUN_DIR                    run directory (default .run, relative to the repository)
#   ENTERCRM_BIN               the entercrm binary (default .build/release/entercrm)
#   ENTERCRM_HTTP_PORT         plain HTTP port, redirects to HTTPS (default 8080)
#   ENTERCRM_HTTPS_PORT        HTTPS port (default 8443)
#   ENTERCRM_DB_PORT           private MariaDB TCP port (default 3307)
#   ENTERCRM_BIND_ADDRESS      address nginx listens on (default: all)
#   ENTERCRM_DATABASE_URL      an existing MariaDB instead of the private one
#   ENTERCRM_TLS_CERT/_KEY     a real certificate instead of the self-signed one
#   ENTERCRM_WORKERS/_THREADS  pool size (default: cores x 32)
#   ENTERCRM_RATE_LIMIT        on (default) or off (benchmarks only)
#   ENTERCRM_UPSTREAM_KEEPALIVE idle connections each nginx worker keeps to the pool (64)
#   ENTERCRM_OUTBOUND_ALLOW    internal targets the server may call (SMTP relay, SMS gateway,
#                              webhooks): comma-separated host:port or CIDR entries; empty by
#                              default, so loopback, private and link-local addresses are refused
#   ENTERCRM_UPSTREAM_SERVERS  nginx upstream servers instead of this pool's own socket, e.g.
#                              "h1:9001 max_fails=1 fail_timeout=5s; server h2:9001 ..."
#                              (scripts/cluster.sh puts two pools behind one nginx)
#   ENTERCRM_DB_DISK_MB        the private MariaDB's datadir on a file system of its own, this
#                              many MB (a loop-mounted ext4; needs root): make test and make
#                              chaos use it to fill the database's disk (db-disk prints its path)
#   ENTERCRM_LISTEN, ENTERCRM_MAX_BODY_BYTES, ENTERCRM_DB_TIMEOUT, ENTERCRM_TOKEN_TTL,
#   ENTERCRM_JOB_CONCURRENCY, ENTERCRM_SCRYPT_LOG_N
# The first run writes everything, secrets included, to $RUN_DIR/entercrm.env (mode 0600);
# later runs read it back, so the values stay put unless given again in the environment.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$PATH:/usr/sbin:/sbin"

RUN_DIR=${RUN_DIR:-.run}
[[ $RUN_DIR = /* ]] || RUN_DIR="$ROOT/$RUN_DIR"
RUN_DIR=${RUN_DIR%/}
ENV_FILE="$RUN_DIR/entercrm.env"
BIN=${ENTERCRM_BIN:-$ROOT/.build/release/entercrm}
[[ $BIN = /* ]] || BIN="$ROOT/$BIN"

DB_DIR="$RUN_DIR/mariadb"
NGINX_DIR="$RUN_DIR/nginx"
LOG_DIR="$RUN_DIR/log"
JOBS_PID_FILE="$RUN_DIR/jobs.pid"

log() { printf '[stack %s] %s\n' "$(basename "$RUN_DIR")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------------------
# Configuration: $RUN_DIR/entercrm.env

# Variables kept in the env file. Those the caller sets (non-empty) win over the file.
CONFIG_VARS=(
  ENTERCRM_HTTP_PORT ENTERCRM_HTTPS_PORT ENTERCRM_DB_PORT ENTERCRM_BIND_ADDRESS
  ENTERCRM_DB_MODE ENTERCRM_DB_NAME ENTERCRM_DB_USER ENTERCRM_DB_PASSWORD
  ENTERCRM_DATABASE_URL ENTERCRM_TEST_DATABASE_URL ENTERCRM_JWT_SECRET
  ENTERCRM_LISTEN ENTERCRM_WORKERS ENTERCRM_THREADS ENTERCRM_MAX_BODY_BYTES
  ENTERCRM_DB_TIMEOUT ENTERCRM_TOKEN_TTL ENTERCRM_TLS_CERT ENTERCRM_TLS_KEY
  ENTERCRM_RATE_LIMIT ENTERCRM_JOB_CONCURRENCY ENTERCRM_SCRYPT_LOG_N
  ENTERCRM_UPSTREAM_SERVERS ENTERCRM_DB_DISK_MB ENTERCRM_UPSTREAM_KEEPALIVE
  ENTERCRM_OUTBOUND_ALLOW
  # System mail (verification, invitations, password reset): with no host, the development mailbox.
  ENTERCRM_SYSTEM_SMTP_HOST ENTERCRM_SYSTEM_SMTP_PORT ENTERCRM_SYSTEM_SMTP_STARTTLS
  ENTERCRM_SYSTEM_SMTP_USERNAME ENTERCRM_SYSTEM_SMTP_PASSWORD ENTERCRM_SYSTEM_MAIL_FROM ENTERCRM_PUBLIC_URL
)
# Derived from RUN_DIR every time.
DERIVED_VARS=(
  ENTERCRM_RUN_DIR ENTERCRM_SOCKET ENTERCRM_PID_FILE ENTERCRM_JOBS_PID_FILE ENTERCRM_SCHEMA_DIR
  ENTERCRM_DB_SOCKET
)

# Unix socket paths are limited to 107 bytes; a deep checkout gets its sockets in /tmp.
socket_dir() {
  if ((${#RUN_DIR} + 20 < 100)); then
    printf '%s' "$RUN_DIR"
  else
    local d
    d="/tmp/entercrm-$(printf '%s' "$RUN_DIR" | sha1sum | cut -c1-12)"
    mkdir -p "$d" && chmod 0755 "$d"
    printf '%s' "$d"
  fi
}

load_env() {
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  local -A given=()
  local v
  for v in "${CONFIG_VARS[@]}"; do
    if [[ -n ${!v:-} ]]; then given[$v]=${!v}; fi
  done
  if [[ -f $ENV_FILE ]]; then
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
  fi
  for v in "${!given[@]}"; do printf -v "$v" '%s' "${given[$v]}"; done

  local sockdir
  sockdir=$(socket_dir)
  ENTERCRM_RUN_DIR=$RUN_DIR
  ENTERCRM_SOCKET="$sockdir/entercrm.sock"
  ENTERCRM_PID_FILE="$RUN_DIR/serve.pid"
  ENTERCRM_JOBS_PID_FILE=$JOBS_PID_FILE
  ENTERCRM_SCHEMA_DIR="$ROOT/schema"
  ENTERCRM_DB_SOCKET="$sockdir/mariadb.sock"

  : "${ENTERCRM_HTTP_PORT:=8080}" "${ENTERCRM_HTTPS_PORT:=8443}" "${ENTERCRM_DB_PORT:=3307}"
  : "${ENTERCRM_DB_NAME:=entercrm}" "${ENTERCRM_DB_USER:=entercrm}"
  : "${ENTERCRM_DB_PASSWORD:=$(openssl rand -hex 16)}"
  : "${ENTERCRM_JWT_SECRET:=$(openssl rand -hex 32)}"
  : "${ENTERCRM_WORKERS:=$(nproc)}" "${ENTERCRM_THREADS:=8}"
  : "${ENTERCRM_MAX_BODY_BYTES:=10485760}" "${ENTERCRM_DB_TIMEOUT:=10}" "${ENTERCRM_TOKEN_TTL:=604800}"
  : "${ENTERCRM_TLS_CERT:=$NGINX_DIR/tls/localhost.crt}" "${ENTERCRM_TLS_KEY:=$NGINX_DIR/tls/localhost.key}"
  : "${ENTERCRM_RATE_LIMIT:=on}"

  # A database URL given from outside means an existing MariaDB: no private one.
  # (ENTERCRM_DB_MODE=private brings the private one back.)
  if [[ -n ${given[ENTERCRM_DATABASE_URL]:-} && ${given[ENTERCRM_DB_MODE]:-} != private ]]; then
    ENTERCRM_DB_MODE=external
  fi
  : "${ENTERCRM_DB_MODE:=private}"
  if [[ $ENTERCRM_DB_MODE = private ]]; then
    local auth="$ENTERCRM_DB_USER:$ENTERCRM_DB_PASSWORD@127.0.0.1:$ENTERCRM_DB_PORT"
    ENTERCRM_DATABASE_URL="mariadb://$auth/$ENTERCRM_DB_NAME?socket=$ENTERCRM_DB_SOCKET"
    ENTERCRM_TEST_DATABASE_URL="mariadb://$auth/${ENTERCRM_DB_NAME}_test?socket=$ENTERCRM_DB_SOCKET"
  fi
  [[ -n ${ENTERCRM_DATABASE_URL:-} ]] || die "no database URL"

  local content="# EnterCRM configuration for $RUN_DIR, written by scripts/stack.sh.
# Values given in the environment win over these. Secrets: keep this file private."$'\n'
  for v in "${CONFIG_VARS[@]}" "${DERIVED_VARS[@]}"; do
    [[ -n ${!v:-} ]] || continue
    [[ ${!v} != *"'"* ]] || die "$v must not contain a single quote"
    content+="$v='${!v}'"$'\n'
  done
  if [[ ! -f $ENV_FILE || $(cat "$ENV_FILE")$'\n' != "$content" ]]; then
    (umask 077 && printf '%s' "$content" >"$ENV_FILE.tmp" && mv "$ENV_FILE.tmp" "$ENV_FILE")
  fi
  for v in "${CONFIG_VARS[@]}" "${DERIVED_VARS[@]}"; do
    if [[ -n ${!v:-} ]]; then export "${v?}"; else unset "$v"; fi
  done
}

# ---------------------------------------------------------------------------------------
# Processes

pid_of() { # pid file -> pid, if that process is alive and is ours (its command line
  # names nginx, mariadbd or entercrm: a stale pid file may name a reused pid)
  local file=$1 pid
  [[ -f $file ]] || return 1
  pid=$(tr -dc '0-9' <"$file")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qE "nginx|mariadbd|$(basename "$BIN")" || return 1
  printf '%s' "$pid"
}

wait_gone() { # pid seconds
  local pid=$1 n=$(($2 * 10))
  while kill -0 "$pid" 2>/dev/null && ((n-- > 0)); do sleep 0.1; done
  ! kill -0 "$pid" 2>/dev/null
}

stop_pid() { # name pid-file seconds: SIGTERM, wait, then SIGKILL
  local name=$1 file=$2 secs=$3 pid
  if pid=$(pid_of "$file"); then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" "$secs"; then
      log "$name did not stop within ${secs}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$pid" 5 || true
    fi
  fi
  rm -f "$file"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

need_free_port() { # port what
  if port_in_use "$1"; then die "port $1 ($2) is taken by another program; choose another (see README)"; fi
}

need_bin() {
  [[ -x $BIN ]] || die "no binary at $BIN (build it first: make build)"
}

# ---------------------------------------------------------------------------------------
# MariaDB (private)

db_client() { # runs the mariadb client as the administrator, over the private socket
  mariadb --no-defaults --protocol=socket --socket="$ENTERCRM_DB_SOCKET" -u "$(id -un)" "$@"
}

db_running() { pid_of "$DB_DIR/mariadbd.pid" >/dev/null; }

db_write_config() {
  mkdir -p "$DB_DIR/data" "$DB_DIR/tmp"
  cat >"$DB_DIR/my.cnf" <<EOF
# Private MariaDB for $RUN_DIR, written by scripts/stack.sh.
[mysqld]
datadir=$DB_DIR/data
tmpdir=$DB_DIR/tmp
socket=$ENTERCRM_DB_SOCKET
port=$ENTERCRM_DB_PORT
bind-address=127.0.0.1
pid-file=$DB_DIR/mariadbd.pid
log-error=$LOG_DIR/mariadb.log
skip-name-resolve
skip-log-bin
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
max_connections=1000
max_allowed_packet=64M
# A workspace of a million customers is about 700 MB with its indexes: held in memory.
innodb_buffer_pool_size=${ENTERCRM_DB_BUFFER_POOL:-1G}
innodb_log_file_size=256M
innodb_flush_log_at_trx_commit=1
innodb_file_per_table=1
# Interleaved auto-increment: an INSERT … SELECT (a tracking batch creating its customers, a
# seed) takes no table-wide AUTO-INC lock for its whole run, so concurrent inserts into the
# same table neither queue behind it nor time out (error 1467). Safe here: no binary log
# (and Galera, deploy/mariadb/60-entercrm-galera.cnf, requires this mode with row binlog).
# ENTERCRM_DB_AUTOINC_LOCK_MODE=1 brings back the old mode, to measure it (docs/benchmarks.md).
innodb_autoinc_lock_mode=${ENTERCRM_DB_AUTOINC_LOCK_MODE:-2}
performance_schema=OFF
table_open_cache=400
thread_cache_size=128
thread_handling=${ENTERCRM_DB_THREAD_HANDLING:-one-thread-per-connection}
wait_timeout=28800
EOF
}

# The datadir on a small loop-mounted ext4 of its own (ENTERCRM_DB_DISK_MB), so that a test
# can fill the database's disk without touching the machine's. Root only; otherwise the
# datadir stays a plain directory and db-disk says why.
db_disk_mounted() { mountpoint -q "$DB_DIR/data" 2>/dev/null; }

db_disk_mount() {
  [[ -n ${ENTERCRM_DB_DISK_MB:-} ]] || return 0
  db_disk_mounted && return 0
  if [[ $(id -u) -ne 0 ]]; then log "ENTERCRM_DB_DISK_MB: not root, the datadir stays on the main disk"; return 0; fi
  if [[ -d $DB_DIR/data && -n $(ls -A "$DB_DIR/data" 2>/dev/null) && ! -f $DB_DIR/disk.img ]]; then
    log "ENTERCRM_DB_DISK_MB: $DB_DIR/data already holds a database; leaving it on the main disk"
    return 0
  fi
  mkdir -p "$DB_DIR/data"
  if [[ ! -f $DB_DIR/disk.img ]]; then
    truncate -s "${ENTERCRM_DB_DISK_MB}M" "$DB_DIR/disk.img"
    mkfs.ext4 -q -F -m 0 -L entercrm-db "$DB_DIR/disk.img" >/dev/null 2>&1 ||
      { rm -f "$DB_DIR/disk.img"; log "ENTERCRM_DB_DISK_MB: mkfs.ext4 failed; the datadir stays on the main disk"; return 0; }
  fi
  if mount -o loop "$DB_DIR/disk.img" "$DB_DIR/data" 2>"$LOG_DIR/db-disk.log"; then
    rm -rf "$DB_DIR/data/lost+found"
    log "MariaDB's datadir on a ${ENTERCRM_DB_DISK_MB} MB loop-mounted ext4 ($DB_DIR/disk.img)"
  else
    log "ENTERCRM_DB_DISK_MB: mount -o loop failed ($(cat "$LOG_DIR/db-disk.log")); the datadir stays on the main disk"
  fi
}

db_disk_unmount() {
  db_disk_mounted || return 0
  umount "$DB_DIR/data" || umount -l "$DB_DIR/data" || true
}

db_disk() { # the datadir's mount point, when it is a file system of its own
  if db_disk_mounted; then echo "$DB_DIR/data"; else
    echo "no file system of its own for $DB_DIR/data (ENTERCRM_DB_DISK_MB=${ENTERCRM_DB_DISK_MB:-unset}, uid $(id -u))" >&2
    return 1
  fi
}

db_start() {
  [[ $ENTERCRM_DB_MODE = private ]] || { log "database is external; not starting MariaDB"; return 0; }
  if db_running; then log "MariaDB already running"; return 0; fi
  db_disk_mount
  db_write_config
  if [[ ! -d $DB_DIR/data/mysql ]]; then
    log "initialising MariaDB in $DB_DIR/data"
    mariadb-install-db --defaults-file="$DB_DIR/my.cnf" --user="$(id -un)" \
      --auth-root-authentication-method=socket --auth-root-socket-user="$(id -un)" \
      --skip-test-db >"$LOG_DIR/mariadb-install.log" 2>&1 ||
      { cat "$LOG_DIR/mariadb-install.log" >&2; die "mariadb-install-db failed"; }
  fi
  rm -f "$ENTERCRM_DB_SOCKET"
  need_free_port "$ENTERCRM_DB_PORT" ENTERCRM_DB_PORT
  log "starting MariaDB on 127.0.0.1:$ENTERCRM_DB_PORT"
  setsid mariadbd --defaults-file="$DB_DIR/my.cnf" --user="$(id -un)" \
    </dev/null >>"$LOG_DIR/mariadb.log" 2>&1 &
  local pid=$! n=600
  until db_client -e 'SELECT 1' >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$LOG_DIR/mariadb.log" >&2
      die "MariaDB exited during start-up"
    fi
    ((n-- > 0)) || die "MariaDB did not answer within 60s"
    sleep 0.1
  done
  db_setup
}

db_setup() { # database and application user; idempotent
  local name=$ENTERCRM_DB_NAME user=$ENTERCRM_DB_USER pass=$ENTERCRM_DB_PASSWORD host
  local sql="CREATE DATABASE IF NOT EXISTS \`$name\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS \`${name}_test\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
  for host in localhost 127.0.0.1; do
    sql+="
CREATE USER IF NOT EXISTS '$user'@'$host' IDENTIFIED BY '$pass';
ALTER USER '$user'@'$host' IDENTIFIED BY '$pass';
GRANT ALL PRIVILEGES ON \`${name}%\`.* TO '$user'@'$host';"
  done
  db_client -e "$sql"
}

db_stop() {
  [[ $ENTERCRM_DB_MODE = private ]] || return 0
  stop_pid MariaDB "$DB_DIR/mariadbd.pid" 120
  rm -f "$ENTERCRM_DB_SOCKET"
}

# ---------------------------------------------------------------------------------------
# TLS and nginx

ensure_cert() {
  [[ -f $ENTERCRM_TLS_CERT && -f $ENTERCRM_TLS_KEY ]] && return 0
  [[ $ENTERCRM_TLS_CERT = "$NGINX_DIR/tls/"* ]] || die "certificate $ENTERCRM_TLS_CERT or key $ENTERCRM_TLS_KEY not found"
  log "making a self-signed certificate for localhost"
  mkdir -p "$NGINX_DIR/tls"
  (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 825 -sha256 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$ENTERCRM_TLS_KEY" -out "$ENTERCRM_TLS_CERT" 2>/dev/null)
  chmod 0644 "$ENTERCRM_TLS_CERT"
}

nginx_version_at_least() { # major minor patch
  local v
  v=$(nginx -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')
  printf '%s\n%s\n' "$1.$2.$3" "$v" | sort -V -C
}

nginx_render() { # sets NGINX_CHANGED=1 when the rendered files differ from the last ones
  local before
  before=$(shopt -s nullglob && cat /dev/null "$NGINX_DIR"/*.conf | md5sum)
  ensure_cert
  mkdir -p "$NGINX_DIR/logs" "$NGINX_DIR/extra" "$NGINX_DIR/temp"
  cp "$ROOT"/nginx/*.conf "$NGINX_DIR/"

  local user_directive="" http2_listen="" http2_directive="" upstream keepalive limit_req
  [[ $(id -u) -ne 0 ]] || user_directive="user root;"
  if nginx_version_at_least 1 25 1; then http2_directive="http2 on;"; else http2_listen=" http2"; fi
  if [[ -n ${ENTERCRM_LISTEN:-} ]]; then upstream=$ENTERCRM_LISTEN; else upstream="unix:$ENTERCRM_SOCKET"; fi
  [[ -z ${ENTERCRM_UPSTREAM_SERVERS:-} ]] || upstream=$ENTERCRM_UPSTREAM_SERVERS
  # Idle connections each nginx worker keeps to the pool. An idle kept connection holds
  # no pool thread (the workers wait on all of them at once, see ConnectionHub.swift), so
  # nginx may keep as many as it has requests in flight: new connections are rare.
  keepalive=${ENTERCRM_UPSTREAM_KEEPALIVE:-64}
  ((keepalive >= 1)) || keepalive=1
  if [[ $ENTERCRM_RATE_LIMIT = off ]]; then
    limit_req="# rate limit off (ENTERCRM_RATE_LIMIT=off)"
    limit_req_tracking=$limit_req
  else
    # A credential's minute of 1,000 requests at once: the first plus 999 in excess.
    limit_req="limit_req zone=credential burst=999 nodelay;"
    limit_req_tracking="limit_req zone=tracking_credential burst=999 nodelay;"
  fi
  local listen_prefix=""
  [[ -z ${ENTERCRM_BIND_ADDRESS:-} ]] || listen_prefix="$ENTERCRM_BIND_ADDRESS:"

  sed -e "s|@USER_DIRECTIVE@|$user_directive|" \
    -e "s|@HTTP_LISTEN@|$listen_prefix$ENTERCRM_HTTP_PORT|" \
    -e "s|@HTTPS_LISTEN@|$listen_prefix$ENTERCRM_HTTPS_PORT|" \
    -e "s|@HTTPS_PORT@|$ENTERCRM_HTTPS_PORT|" \
    -e "s|@HTTP2_LISTEN@|$http2_listen|" \
    -e "s|@HTTP2_DIRECTIVE@|$http2_directive|" \
    -e "s|@UPSTREAM_SERVER@|$upstream|" \
    -e "s|@KEEPALIVE@|$keepalive|" \
    -e "s|@LIMIT_REQ@|$limit_req|" \
    -e "s|@LIMIT_REQ_TRACKING@|$limit_req_tracking|" \
    -e "s|@TLS_CERT@|$ENTERCRM_TLS_CERT|" \
    -e "s|@TLS_KEY@|$ENTERCRM_TLS_KEY|" \
    -e "s|@PUBLIC_DIR@|$ROOT/public|" \
    "$ROOT/nginx/entercrm.conf.template" >"$NGINX_DIR/nginx.conf.new"
  if grep -v '^[[:space:]]*#' "$NGINX_DIR/nginx.conf.new" | grep '@[A-Z0-9_]\+@' >&2; then
    die "unreplaced placeholders in nginx.conf"
  fi
  mv "$NGINX_DIR/nginx.conf.new" "$NGINX_DIR/nginx.conf"
  NGINX_CHANGED=0
  [[ $(cat "$NGINX_DIR"/*.conf | md5sum) = "$before" ]] || NGINX_CHANGED=1
}

nginx_cmd() { nginx -p "$NGINX_DIR/" -c nginx.conf "$@"; }

nginx_test() {
  nginx_render
  nginx_cmd -t -q
}

nginx_start() {
  nginx_render
  if pid_of "$NGINX_DIR/logs/nginx.pid" >/dev/null; then
    if ((!NGINX_CHANGED)) && [[ ${1:-} != reload ]]; then log "nginx already running"; return 0; fi
    nginx_cmd -t -q
    nginx_cmd -s reload
    log "nginx reloaded"
    return 0
  fi
  need_free_port "$ENTERCRM_HTTPS_PORT" ENTERCRM_HTTPS_PORT
  need_free_port "$ENTERCRM_HTTP_PORT" ENTERCRM_HTTP_PORT
  log "starting nginx on https://localhost:$ENTERCRM_HTTPS_PORT/ (http $ENTERCRM_HTTP_PORT)"
  nginx_cmd -t -q
  nginx_cmd </dev/null
}

nginx_stop() {
  stop_pid nginx "$NGINX_DIR/logs/nginx.pid" 30
}

# ---------------------------------------------------------------------------------------
# FastCGI pool and job runner

health_url() {
  local host=127.0.0.1
  [[ -z ${ENTERCRM_BIND_ADDRESS:-} || $ENTERCRM_BIND_ADDRESS = 0.0.0.0 ]] || host=$ENTERCRM_BIND_ADDRESS
  printf 'https://%s:%s/v1/health' "$host" "$ENTERCRM_HTTPS_PORT"
}

wait_health() { # seconds
  local n=$((${1:-60} * 5)) code
  while ((n-- > 0)); do
    code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 5 "$(health_url)" || true)
    [[ $code = 200 ]] && return 0
    sleep 0.2
  done
  log "health did not answer 200 (last: $code); tail of $LOG_DIR/serve.log:"
  tail -n 30 "$LOG_DIR/serve.log" >&2 2>/dev/null || true
  return 1
}

pool_pid() { pid_of "$ENTERCRM_PID_FILE"; }

pool_start() {
  local pid
  if pid=$(pool_pid); then
    if [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == *" (deleted)" ]]; then
      log "the binary was rebuilt since the pool started: restarting it"
      pool_stop
    else
      log "pool already running (master pid $pid)"
      return 0
    fi
  fi
  need_bin
  [[ -n ${ENTERCRM_LISTEN:-} ]] || rm -f "$ENTERCRM_SOCKET"
  rm -f "$ENTERCRM_PID_FILE"
  log "starting the pool ($ENTERCRM_WORKERS workers x $ENTERCRM_THREADS threads)"
  setsid "$BIN" serve </dev/null >>"$LOG_DIR/serve.log" 2>&1 &
  local n=300
  until pool_pid >/dev/null && { [[ -n ${ENTERCRM_LISTEN:-} ]] || [[ -S $ENTERCRM_SOCKET ]]; }; do
    if ! kill -0 $! 2>/dev/null; then
      tail -n 30 "$LOG_DIR/serve.log" >&2
      die "entercrm serve exited during start-up"
    fi
    ((n-- > 0)) || die "entercrm serve did not create its socket within 30s"
    sleep 0.1
  done
}

pool_stop() {
  stop_pid "the pool" "$ENTERCRM_PID_FILE" 60
  [[ -n ${ENTERCRM_LISTEN:-} ]] || rm -f "$ENTERCRM_SOCKET"
}

pool_reload() {
  local pid
  pid=$(pool_pid) || die "the pool is not running"
  kill -HUP "$pid"
  log "sent SIGHUP to the pool (master pid $pid)"
}

jobs_start() {
  local pid
  if pid=$(pid_of "$JOBS_PID_FILE"); then
    if [[ $(readlink "/proc/$pid/exe" 2>/dev/null) != *" (deleted)" ]]; then
      log "job runner already running (pid $pid)"
      return 0
    fi
    log "the binary was rebuilt since the job runner started: restarting it"
    jobs_stop
  fi
  need_bin
  log "starting the job runner"
  setsid "$BIN" jobs </dev/null >>"$LOG_DIR/jobs.log" 2>&1 &
  echo $! >"$JOBS_PID_FILE"
  sleep 0.2
  kill -0 $! 2>/dev/null || { tail -n 30 "$LOG_DIR/jobs.log" >&2; die "entercrm jobs exited during start-up"; }
}

jobs_stop() { stop_pid "the job runner" "$JOBS_PID_FILE" 60; }

# `entercrm jobs` is a supervising master (its pid in $JOBS_PID_FILE) and the runner, its
# child, which the master starts again if it dies.
jobs_pids() {
  local pid
  pid=$(pid_of "$JOBS_PID_FILE") || die "the job runner is not running"
  echo "$pid"
  pgrep -P "$pid" || true
}

run_bin() { # subcommand
  need_bin
  log "entercrm $1"
  "$BIN" "$1" 2>&1 | tee -a "$LOG_DIR/$1.log" >&2
  return "${PIPESTATUS[0]}"
}

# ---------------------------------------------------------------------------------------

services_start() {
  nginx_start
  pool_start
  jobs_start
  wait_health 60 || die "the stack is up but /v1/health does not answer 200"
}

services_stop() {
  nginx_stop
  jobs_stop
  pool_stop
}

status_line() { # name pid-file
  local pid
  if pid=$(pid_of "$2"); then printf '  %-12s running (pid %s)\n' "$1" "$pid"; else printf '  %-12s stopped\n' "$1"; fi
}

status() {
  echo "EnterCRM stack in $RUN_DIR"
  if [[ $ENTERCRM_DB_MODE = private ]]; then
    status_line MariaDB "$DB_DIR/mariadbd.pid"
  else
    echo "  MariaDB      external"
  fi
  status_line nginx "$NGINX_DIR/logs/nginx.pid"
  status_line pool "$ENTERCRM_PID_FILE"
  local pid
  if pid=$(pool_pid); then echo "  workers      $(pgrep -P "$pid" | tr '\n' ' ')"; fi
  status_line jobs "$JOBS_PID_FILE"
  if pid=$(pid_of "$JOBS_PID_FILE"); then echo "  runner       $(pgrep -P "$pid" | tr '\n' ' ')"; fi
  local code
  code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 5 "$(health_url)" || true)
  echo "  health       $(health_url) -> ${code:-no answer}"
}

free_ports() { # port... -> the first set of these ports, shifted by a multiple of 100, all free
  local offset port found
  for offset in 0 100 200 300 400 500 600 700 800 900; do
    found=()
    for port in "$@"; do
      port_in_use $((port + offset)) && continue 2
      found+=($((port + offset)))
    done
    echo "${found[*]}"
    return 0
  done
  die "no free ports near $*"
}

cmd=${1:-}
[[ -n $cmd ]] || { sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 2; }
if [[ $cmd = free-ports ]]; then shift; free_ports "$@"; exit; fi
load_env
case $cmd in
  env) echo "$ENV_FILE" ;;
  up)
    db_start
    run_bin migrate
    run_bin seed
    services_start
    printf '\nEnterCRM is up: https://localhost:%s/\n' "$ENTERCRM_HTTPS_PORT"
    printf 'Demo login:     demo@entercrm.io / password\n'
    printf 'Logs:           %s (make logs); make down stops it.\n' "$LOG_DIR"
    ;;
  down)
    services_stop
    db_stop
    db_disk_unmount
    ;;
  status) status ;;
  db-start) db_start ;;
  db-stop) db_stop ;;
  db-restart) db_stop; db_start ;;
  db-disk) db_disk ;;
  db-status) db_running && echo running || { echo stopped; exit 1; } ;;
  db-shell) shift; db_client "$ENTERCRM_DB_NAME" "$@" ;;
  migrate) run_bin migrate ;;
  seed) run_bin seed ;;
  nginx-start) nginx_start ;;
  nginx-stop) nginx_stop ;;
  nginx-reload) nginx_start reload ;;
  nginx-test) nginx_test && log "nginx.conf is valid" ;;
  pool-start) pool_start ;;
  pool-stop) pool_stop ;;
  pool-reload) pool_reload ;;
  pool-pids) pid=$(pool_pid) || die "the pool is not running"; echo "$pid"; pgrep -P "$pid" || true ;;
  jobs-start) jobs_start ;;
  jobs-stop) jobs_stop ;;
  jobs-pids) jobs_pids ;;
  services-start) services_start ;;
  services-stop) services_stop ;;
  wait-health) wait_health "${2:-60}" ;;
  *) die "unknown command: $cmd (see the top of $0)" ;;
esac
