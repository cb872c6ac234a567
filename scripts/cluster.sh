#!/usr/bin/env bash
# EnterCRM "beyond one machine", on one machine: a three-node MariaDB Galera cluster, two
# FastCGI pools (each standing for an application host, each with its own job runner) and
# one nginx whose upstream spans both pools. Everything on 127.0.0.1, under .run/cluster.
#
#   scripts/cluster.sh up | down | status | env
#   scripts/cluster.sh node-start N | node-stop N | node-kill N | node-status N | node-shell N
#   scripts/cluster.sh db-stop | db-start        (the whole cluster; db-start bootstraps it)
#   scripts/cluster.sh pool-kill A | pool-start A | pool-stop A | jobs-stop A | jobs-start A
#   scripts/cluster.sh wait-synced N [seconds]
# And, for the end-to-end tests (Tests/e2e call $ENTERCRM_STACK with RUN_DIR set to app1):
#   pool-reload, pool-pids, wait-health, db-shell, plus db-stop/db-start above.
#
# Layout (CLUSTER_DIR, default .run/cluster):
#   node1..3/    datadir, my.cnf, pid, socket (node N: SQL 41N11... see the ports below)
#   app1/        pool 1 (FastCGI on 127.0.0.1:41011), jobs 1, and nginx (41080 / 41443)
#   app2/        pool 2 (127.0.0.1:41012), jobs 2
# Ports (CLUSTER_PORT_BASE, default 41000): node N listens for SQL on BASE+300+10N+1,
# Galera group communication on +2, IST on +3, SST on +4.
#
# Environment: CLUSTER_DIR, CLUSTER_PORT_BASE, ENTERCRM_BIN (default .build/debug/entercrm),
# CLUSTER_RATE_LIMIT (on/off), CLUSTER_POOLS (2, or 1: nginx over pool 1 only),
# CLUSTER_WRITER (spread: pool A writes through node A, the default; one: both through node 1),
# CLUSTER_DATABASE_URL (the pools use this database instead of the cluster: make bench),
# CLUSTER_SST (mariabackup, default, or rsync: needs a datadir the rsync daemon, run as
# nobody, may write), CLUSTER_WORKERS/CLUSTER_THREADS per pool.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$PATH:/usr/sbin:/sbin"
STACK="$ROOT/scripts/stack.sh"

CLUSTER_DIR=${CLUSTER_DIR:-$ROOT/.run/cluster}
[[ $CLUSTER_DIR = /* ]] || CLUSTER_DIR="$ROOT/$CLUSTER_DIR"
BASE=${CLUSTER_PORT_BASE:-41000}
BIN=${ENTERCRM_BIN:-$ROOT/.build/debug/entercrm}
[[ $BIN = /* ]] || BIN="$ROOT/$BIN"
export ENTERCRM_BIN=$BIN
SST=${CLUSTER_SST:-mariabackup}
NODES=(1 2 3)
GALERA=/usr/lib/galera/libgalera_smm.so
SECRETS="$CLUSTER_DIR/cluster.env"

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

node_dir() { printf '%s/node%s' "$CLUSTER_DIR" "$1"; }
sql_port() { echo $((BASE + 300 + 10 * $1 + 1)); }
gcomm_port() { echo $((BASE + 300 + 10 * $1 + 2)); }
ist_port() { echo $((BASE + 300 + 10 * $1 + 3)); }
sst_port() { echo $((BASE + 300 + 10 * $1 + 4)); }
node_socket() { printf '%s/mysqld.sock' "$(node_dir "$1")"; }
pool_port() { echo $((BASE + 10 + $1)); }
HTTP_PORT=$((BASE + 80))
HTTPS_PORT=$((BASE + 443))

load_secrets() {
  mkdir -p "$CLUSTER_DIR"
  if [[ ! -f $SECRETS ]]; then
    (umask 077 && cat >"$SECRETS" <<EOF
DB_PASSWORD='$(openssl rand -hex 16)'
JWT_SECRET='$(openssl rand -hex 32)'
SST_PASSWORD='$(openssl rand -hex 16)'
EOF
    )
  fi
  # shellcheck disable=SC1090
  . "$SECRETS"
}

database_url() { # [A]: every node; app A's list starts at node A (app 1: 1,2,3; app 2:
  # 2,3,1), so the two pools write through different nodes and meet at certification.
  local hosts="" n i start=$((${1:-1} - 1))
  for i in "${!NODES[@]}"; do
    n=${NODES[$(((i + start) % ${#NODES[@]}))]}
    hosts+="${hosts:+,}127.0.0.1:$(sql_port "$n")"
  done
  printf 'mariadb://entercrm:%s@%s/entercrm' "$DB_PASSWORD" "$hosts"
}

# ---------------------------------------------------------------------------------------
# Galera nodes

pid_alive() { # pid file -> pid of a live mariadbd
  local f=$1 pid
  [[ -f $f ]] || return 1
  pid=$(tr -dc '0-9' <"$f")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q mariadbd || return 1
  printf '%s' "$pid"
}

node_pid() { pid_alive "$(node_dir "$1")/mariadbd.pid"; }

node_client() { # N args...: the administrator over the node's socket
  local n=$1; shift
  mariadb --no-defaults --protocol=socket --socket="$(node_socket "$n")" -u root "$@"
}

node_state() { # N -> wsrep_local_state_comment (Synced, Donor/Desynced, Joining ...) or down
  node_client "$1" -N -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | awk '{print $2}' || true
}

write_node_config() {
  local n=$1 d gcomm="" m
  d=$(node_dir "$n")
  mkdir -p "$d/data" "$d/tmp"
  for m in "${NODES[@]}"; do gcomm+="${gcomm:+,}127.0.0.1:$(gcomm_port "$m")"; done
  cat >"$d/my.cnf" <<EOF
# Galera node $n of the local EnterCRM cluster, written by scripts/cluster.sh.
[mysqld]
datadir=$d/data
tmpdir=$d/tmp
socket=$(node_socket "$n")
port=$(sql_port "$n")
bind-address=127.0.0.1
pid-file=$d/mariadbd.pid
log-error=$d/mariadbd.log
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
max_connections=300
max_allowed_packet=64M
innodb_buffer_pool_size=128M
innodb_log_file_size=64M
innodb_flush_log_at_trx_commit=1
innodb_file_per_table=1
performance_schema=OFF
wait_timeout=28800

# Galera: row-based replication, InnoDB only, interleaved auto-increment locks.
binlog_format=ROW
default_storage_engine=InnoDB
# The schema has triggers (customer counts); with row-based replication they are safe.
log_bin_trust_function_creators=1
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=$GALERA
wsrep_cluster_name=entercrm_local
wsrep_cluster_address=gcomm://$gcomm
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1:$(gcomm_port "$n")
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$(gcomm_port "$n");ist.recv_addr=127.0.0.1:$(ist_port "$n");gcache.size=256M;pc.wait_prim_timeout=PT30S"
wsrep_sst_method=$SST
wsrep_sst_receive_address=127.0.0.1:$(sst_port "$n")
wsrep_sst_auth=sst:$SST_PASSWORD
wsrep_slave_threads=2
# Reads wait until this node has applied what the cluster committed before them, so a
# client that writes through one pool and reads through the other sees its write.
wsrep_sync_wait=1
# An autocommit statement that loses certification is retried by the server itself;
# transactions are retried by the application (Connection.transaction, on error 1213).
wsrep_retry_autocommit=4
EOF
}

wait_node_ready() { # N pid seconds: until the node answers and is Synced
  local n=$1 pid=$2 t=$(($3 * 5)) state
  while ((t-- > 0)); do
    kill -0 "$pid" 2>/dev/null || { tail -n 40 "$(node_dir "$n")/mariadbd.log" >&2; die "node $n exited during start-up"; }
    state=$(node_state "$n")
    [[ $state = Synced ]] && return 0
    sleep 0.2
  done
  tail -n 30 "$(node_dir "$n")/mariadbd.log" >&2
  die "node $n was not Synced within $3 s (state: ${state:-no answer})"
}

node_start() { # N [bootstrap]
  local n=$1 mode=${2:-join} d pid extra=()
  d=$(node_dir "$n")
  if pid=$(node_pid "$n"); then log "node $n already running (pid $pid)"; return 0; fi
  write_node_config "$n"
  if [[ $mode = bootstrap ]]; then
    extra=(--wsrep-new-cluster)
    if [[ ! -d $d/data/mysql ]]; then
      log "initialising node $n"
      mariadb-install-db --defaults-file="$d/my.cnf" --user="$(id -un)" \
        --auth-root-authentication-method=socket --auth-root-socket-user=root \
        --skip-test-db >"$d/install.log" 2>&1 || { cat "$d/install.log" >&2; die "mariadb-install-db failed"; }
    fi
    # The node that bootstraps must be allowed to (it stopped last, or we say so).
    [[ ! -f $d/data/grastate.dat ]] || sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$d/data/grastate.dat"
  fi
  # After a crash (kill -9) grastate.dat has no position (seqno -1): recover it from InnoDB
  # first, as Debian's galera_recovery does, so that the node asks for the missing write
  # sets only (IST from a donor's gcache) instead of a full copy (SST).
  if [[ $mode = join && -d $d/data/mysql ]] && grep -qs '^seqno: *-1' "$d/data/grastate.dat"; then
    local recovered
    recovered=$(mariadbd --defaults-file="$d/my.cnf" --user="$(id -un)" --wsrep-recover --log-error="$d/recover.log" \
      >/dev/null 2>&1; sed -n 's/.*WSREP: Recovered position: *\([^ ]*\).*/\1/p' "$d/recover.log" | tail -n 1) || true
    if [[ -n $recovered ]]; then
      log "node $n: recovered position $recovered"
      extra=(--wsrep_start_position="$recovered")
    fi
  fi
  rm -f "$(node_socket "$n")"
  log "starting node $n ($mode) on 127.0.0.1:$(sql_port "$n")"
  setsid mariadbd --defaults-file="$d/my.cnf" --user="$(id -un)" "${extra[@]}" \
    </dev/null >>"$d/mariadbd.log" 2>&1 &
  wait_node_ready "$n" $! 180
  log "node $n is Synced"
}

node_stop() {
  local n=$1 pid t=600
  pid=$(node_pid "$n") || return 0
  log "stopping node $n (pid $pid)"
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null && ((t-- > 0)); do sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { log "node $n did not stop; killing it"; kill -KILL "$pid"; }
  return 0
}

node_kill() {
  local n=$1 pid
  pid=$(node_pid "$n") || { log "node $n is not running"; return 0; }
  log "killing node $n (pid $pid, SIGKILL)"
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

running_nodes() { local n; for n in "${NODES[@]}"; do node_pid "$n" >/dev/null && echo "$n"; done; return 0; }

db_setup() { # the application's database and users, through node 1 (DDL replicates)
  local n
  for n in "${NODES[@]}"; do node_pid "$n" >/dev/null && break; done
  node_client "$n" -e "
CREATE DATABASE IF NOT EXISTS entercrm CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'entercrm'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS 'entercrm'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON \`entercrm%\`.* TO 'entercrm'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`entercrm%\`.* TO 'entercrm'@'localhost';
CREATE USER IF NOT EXISTS 'sst'@'localhost' IDENTIFIED BY '$SST_PASSWORD';
GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, REPLICA MONITOR ON *.* TO 'sst'@'localhost';"
}

db_start() { # starts what is not running; bootstraps when no node is
  local running n first=""
  running=$(running_nodes)
  if [[ -z $running ]]; then
    # Bootstrap from the node that is safe to (stopped last); node 1 on a fresh cluster.
    for n in "${NODES[@]}"; do
      if grep -qs '^safe_to_bootstrap: 1' "$(node_dir "$n")/data/grastate.dat"; then first=$n; break; fi
    done
    node_start "${first:-1}" bootstrap
  fi
  db_setup # the SST user must exist on the donor before a node joins
  for n in "${NODES[@]}"; do node_pid "$n" >/dev/null || node_start "$n" join; done
  db_setup
}

db_stop() { # the last node stopped is the one safe to bootstrap from
  local n
  for n in 3 2 1; do node_stop "$n"; done
}

# ---------------------------------------------------------------------------------------
# Application hosts: each a stack.sh run directory with an external (cluster) database

app_env() { # A: exports what stack.sh needs for app A
  local a=$1
  for v in $(compgen -v ENTERCRM_); do [[ $v = ENTERCRM_BIN ]] || unset "$v"; done
  export RUN_DIR="$CLUSTER_DIR/app$a"
  export ENTERCRM_DB_MODE=external
  export ENTERCRM_DATABASE_URL
  # CLUSTER_WRITER=one: both pools list the nodes from node 1 (one writer node, the usual
  # Galera advice for hot rows); default: pool A starts at node A (both nodes write).
  local first=$a
  [[ ${CLUSTER_WRITER:-spread} != one ]] || first=1
  ENTERCRM_DATABASE_URL=${CLUSTER_DATABASE_URL:-$(database_url "$first")}
  export ENTERCRM_JWT_SECRET=$JWT_SECRET
  export ENTERCRM_LISTEN="127.0.0.1:$(pool_port "$a")"
  export ENTERCRM_BIND_ADDRESS=127.0.0.1
  export ENTERCRM_HTTP_PORT=$HTTP_PORT ENTERCRM_HTTPS_PORT=$HTTPS_PORT
  export ENTERCRM_WORKERS=${CLUSTER_WORKERS:-1} ENTERCRM_THREADS=${CLUSTER_THREADS:-12}
  export ENTERCRM_DB_TIMEOUT=${ENTERCRM_DB_TIMEOUT_OVERRIDE:-5}
  # One development mailbox for both hosts, as a deployment shares a relay: a message
  # sent by one host's runner is listed and read through either pool.
  export ENTERCRM_MAIL_DIR="$CLUSTER_DIR/mail"
  export ENTERCRM_RATE_LIMIT=${CLUSTER_RATE_LIMIT:-on}
  # nginx (on app 1) balances over both pools; a pool that refuses connections is left
  # out for fail_timeout, and a request it could not take goes to the other pool.
  export ENTERCRM_UPSTREAM_SERVERS="127.0.0.1:$(pool_port 1) max_fails=1 fail_timeout=5s; server 127.0.0.1:$(pool_port 2) max_fails=1 fail_timeout=5s"
  # CLUSTER_POOLS=1: nginx sends everything to pool 1 (make bench compares one pool with two).
  [[ ${CLUSTER_POOLS:-2} != 1 ]] || ENTERCRM_UPSTREAM_SERVERS="127.0.0.1:$(pool_port 1)"
}

app() { # A stack.sh-command...
  local a=$1; shift
  (app_env "$a" && "$STACK" "$@")
}

pool_kill() { # A: SIGKILL the master and every worker of pool A (a host lost)
  local a=$1 pid
  pid=$(app "$a" pool-pids 2>/dev/null | tr '\n' ' ') || true
  [[ -n ${pid// /} ]] || { log "pool $a is not running"; return 0; }
  log "killing pool $a (pids $pid)"
  # shellcheck disable=SC2086
  kill -KILL $pid 2>/dev/null || true
}

jobs_kill() { # A: SIGKILL app A's job runner: the supervising master and its runner child (a host lost)
  local a=$1 f pid runner
  f="$CLUSTER_DIR/app$a/jobs.pid"
  pid=$(tr -dc '0-9' <"$f" 2>/dev/null) || true
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || { log "jobs $a is not running"; return 0; }
  runner=$(pgrep -P "$pid" | tr '\n' ' ' || true)
  log "killing the job runner of app $a (master pid $pid, runner $runner)"
  # shellcheck disable=SC2086
  kill -KILL "$pid" $runner 2>/dev/null || true
}

up() {
  [[ -x $GALERA ]] || [[ -f $GALERA ]] || die "no Galera provider at $GALERA (apt-get install galera-4)"
  [[ -x $BIN ]] || die "no binary at $BIN (swift build)"
  db_start
  app 1 migrate
  app 1 seed
  app 1 pool-start
  app 1 jobs-start
  app 2 pool-start
  app 2 jobs-start
  app 1 nginx-start
  app 1 wait-health 60
  printf '\nEnterCRM cluster is up: https://localhost:%s/ (pools on %s and %s, nodes on %s %s %s)\n' \
    "$HTTPS_PORT" "$(pool_port 1)" "$(pool_port 2)" "$(sql_port 1)" "$(sql_port 2)" "$(sql_port 3)"
}

down() {
  if [[ -f $CLUSTER_DIR/app1/entercrm.env ]]; then app 1 nginx-stop || true; fi
  local a
  for a in 1 2; do
    if [[ -f $CLUSTER_DIR/app$a/entercrm.env ]]; then app "$a" jobs-stop || true; app "$a" pool-stop || true; fi
  done
  db_stop
}

status() {
  local n a pid
  echo "EnterCRM cluster in $CLUSTER_DIR"
  for n in "${NODES[@]}"; do
    if pid=$(node_pid "$n"); then
      printf '  node %s   pid %-8s 127.0.0.1:%s  %s, cluster size %s\n' "$n" "$pid" "$(sql_port "$n")" \
        "$(node_state "$n")" "$(node_client "$n" -N -e "SHOW STATUS LIKE 'wsrep_cluster_size'" 2>/dev/null | awk '{print $2}')"
    else
      printf '  node %s   stopped\n' "$n"
    fi
  done
  for a in 1 2; do
    [[ -f $CLUSTER_DIR/app$a/entercrm.env ]] || continue
    echo "  app $a (pool on 127.0.0.1:$(pool_port "$a"))"
    app "$a" status | sed -n '/pool\|workers\|jobs\|nginx\|health/p' | sed 's/^/  /'
  done
}

cmd=${1:-}
[[ -n $cmd ]] || { sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 2; }
shift || true
load_secrets
# The end-to-end tests call this script as their ENTERCRM_STACK with RUN_DIR set to app 1.
case $cmd in
  up) up ;;
  down) down ;;
  status) status ;;
  env) echo "$CLUSTER_DIR/app1/entercrm.env" ;;
  url) database_url; echo ;;
  node-start) node_start "$1" join ;;
  node-stop) node_stop "$1" ;;
  node-kill) node_kill "$1" ;;
  node-status) node_state "$1" ;;
  node-shell) n=$1; shift; node_client "$n" entercrm "$@" ;;
  db-shell) # as stack.sh db-shell (the end-to-end tests): the application's database, first running node
    for n in "${NODES[@]}"; do node_pid "$n" >/dev/null && exec mariadb --no-defaults --protocol=socket \
      --socket="$(node_socket "$n")" -u root entercrm "$@"; done
    die "no node is running" ;;
  wait-synced) wait_node_ready "$1" "$(node_pid "$1")" "${2:-180}" ;;
  db-start) db_start ;;
  db-stop) db_stop ;;
  db-restart) db_stop; db_start ;;
  pool-kill) pool_kill "$1" ;;
  pool-start | pool-stop | jobs-start | jobs-stop | pool-pids | pool-reload | nginx-reload)
    app "${1:-1}" "$cmd" ;;
  jobs-kill) jobs_kill "$1" ;;
  wait-health) app 1 wait-health "${1:-60}" ;;
  migrate | seed) app 1 "$cmd" ;;
  *) die "unknown command: $cmd (see the top of $0)" ;;
esac
