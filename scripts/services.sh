#!/usr/bin/env bash
# Starts or stops a PostgreSQL 15 and a Redis on free loopback ports, in a state folder.
#   scripts/services.sh start DIR   # installs them with apt when missing; writes DIR/env
#   scripts/services.sh stop DIR
#   scripts/services.sh replica-start DIR   # a hot-standby streaming replica of that PostgreSQL
#   scripts/services.sh replica-stop DIR    # (pg_basebackup on first start; a slot keeps its WAL)
#   scripts/services.sh redis-restart DIR   # Redis stopped and started again, empty
#   scripts/services.sh pg-stop DIR | redis-stop DIR   # one of them alone dies (tests)
# PG_DURABLE=1 keeps PostgreSQL's crash safety (fsync, synchronous commit): `make cluster`.
# Fails loudly when they cannot start: nothing is ever silently skipped.
set -euo pipefail

cmd=${1:?usage: services.sh start|stop DIR}
dir=${2:?usage: services.sh start|stop DIR}

die() { echo "services.sh: $*" >&2; exit 1; }

pg_bin() {
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

ensure_installed() {
  local missing=()
  pg_bin >/dev/null || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "services.sh: installing ${missing[*]} with apt" >&2
    [ "$(id -u)" = 0 ] || die "need root to apt-get install ${missing[*]}"
    apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || die "apt-get install ${missing[*]} failed"
  fi
  pg_bin >/dev/null || die "PostgreSQL binaries not found after install"
  command -v redis-server >/dev/null || die "redis-server not found after install"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

as_pg_user() {
  # PostgreSQL refuses to run as root: use the unprivileged postgres account.
  if [ "$(id -u)" = 0 ]; then
    id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

redis_start() {  # PORT
  redis-server --port "$1" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
    --dir "$dir/redis" --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" \
    || die "Redis did not start"
  for _ in $(seq 50); do
    redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "Redis does not answer on port $1"
}

redis_restart() {  # a restart as after a crash: what it held (cache, queued tasks) is gone
  dir=$(cd "$dir" && pwd)
  local port
  port=$(cat "$dir/redis/port")
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 50); do
    redis-cli -p "$port" ping >/dev/null 2>&1 || break
    sleep 0.1
  done
  redis_start "$port"
}

start() {
  ensure_installed
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local bin pgport redisport
  bin=$(pg_bin)
  mkdir -p "$dir/pg" "$dir/redis"
  # The same ports on a restart of the same folder: a replica's primary_conninfo names it.
  [ -f "$dir/pg/port" ] || free_port >"$dir/pg/port"
  [ -f "$dir/redis/port" ] || free_port >"$dir/redis/port"
  pgport=$(cat "$dir/pg/port")
  redisport=$(cat "$dir/redis/port")
  if [ "$(id -u)" = 0 ]; then
    id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown -R postgres "$dir/pg"
    chmod 755 "$dir"
  fi
  if [ ! -f "$dir/pg/data/PG_VERSION" ]; then
    as_pg_user "$bin/initdb" -D "$dir/pg/data" -U astral --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/pg/initdb.log" 2>&1 \
      || { cat "$dir/pg/initdb.log" >&2; die "initdb failed"; }
  fi
  local fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${PG_DURABLE:-0}" = 1 ] && fast=""
  # PG_OPTIONS: more server settings (`make bench` sizes its memory for 12 M rows).
  as_pg_user "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $pgport -k $dir/pg $fast -c jit=off -c max_connections=200 ${PG_OPTIONS:-}" start >/dev/null \
    || { cat "$dir/pg/server.log" >&2; die "PostgreSQL did not start"; }
  redis_start "$redisport"
  "$bin/createdb" -h 127.0.0.1 -p "$pgport" -U astral astral 2>/dev/null || true
  cat >"$dir/env" <<ENV
export DATABASE_URL=postgres://astral@127.0.0.1:$pgport/astral
export REDIS_URL=redis://127.0.0.1:$redisport/0
export CELERY_BROKER_URL=redis://127.0.0.1:$redisport/1
export ASTRAL_PG_BIN=$bin
export ASTRAL_PG_PORT=$pgport
export ASTRAL_REDIS_PORT=$redisport
export ASTRAL_SERVICES_DIR=$dir
ENV
  echo "PostgreSQL on 127.0.0.1:$pgport, Redis on 127.0.0.1:$redisport (env in $dir/env)"
}

replica_start() {
  [ -f "$dir/env" ] || die "no services in $dir: start them first"
  dir=$(cd "$dir" && pwd)
  # shellcheck disable=SC1091
  . "$dir/env"
  local bin port data="$dir/replica/data"
  bin=$(pg_bin)
  if [ -f "$dir/replica/port" ]; then
    port=$(cat "$dir/replica/port")
  else
    port=$(free_port)
  fi
  mkdir -p "$dir/replica"
  [ "$(id -u)" = 0 ] && chown postgres "$dir/replica"
  if [ ! -f "$data/PG_VERSION" ]; then
    as_pg_user "$bin/pg_basebackup" -h 127.0.0.1 -p "$ASTRAL_PG_PORT" -U astral -D "$data" \
      -R -X stream -c fast -C -S astral_replica >"$dir/replica/basebackup.log" 2>&1 \
      || { cat "$dir/replica/basebackup.log" >&2; die "pg_basebackup failed"; }
  fi
  [ -f "$data/postmaster.pid" ] && return 0
  as_pg_user "$bin/pg_ctl" -D "$data" -l "$dir/replica/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $port -k $dir/replica -c hot_standby=on -c hot_standby_feedback=on -c jit=off -c max_connections=200" start >/dev/null \
    || { cat "$dir/replica/server.log" >&2; die "the replica did not start"; }
  echo "$port" >"$dir/replica/port"
  grep -q ASTRAL_REPLICA_PORT "$dir/env" || cat >>"$dir/env" <<ENV
export ASTRAL_REPLICA_PORT=$port
export ASTRAL_REPLICA_URL=postgres://astral@127.0.0.1:$port/astral
ENV
  echo "streaming replica on 127.0.0.1:$port"
}

replica_stop() {
  local bin
  bin=$(pg_bin) || return 0
  [ -f "$dir/replica/data/postmaster.pid" ] || return 0
  as_pg_user "$bin/pg_ctl" -D "$dir/replica/data" -m "${MODE:-fast}" -w stop >/dev/null
}

pg_stop() {  # PostgreSQL alone, as when its server dies (the health check's test)
  dir=$(cd "$dir" && pwd)
  local bin
  bin=$(pg_bin)
  as_pg_user "$bin/pg_ctl" -D "$dir/pg/data" -m immediate -w stop >/dev/null
}

redis_stop() {  # Redis alone
  dir=$(cd "$dir" && pwd)
  redis-cli -p "$(cat "$dir/redis/port")" shutdown nosave >/dev/null 2>&1 || true
}

stop() {
  [ -d "$dir" ] || return 0
  local bin
  MODE=immediate replica_stop || true
  if [ -f "$dir/redis/redis.pid" ]; then
    kill "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true
  fi
  if bin=$(pg_bin) && [ -f "$dir/pg/data/postmaster.pid" ]; then
    as_pg_user "$bin/pg_ctl" -D "$dir/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  replica-start) replica_start ;;
  replica-stop) replica_stop ;;
  redis-restart) redis_restart ;;
  pg-stop) pg_stop ;;
  redis-stop) redis_stop ;;
  *) die "unknown command $cmd" ;;
esac
