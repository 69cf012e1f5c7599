#!/usr/bin/env bash
# `make cluster`: Astral as it runs on several machines, on loopback:
#   a PostgreSQL primary (crash-safe settings) and a hot-standby streaming replica made with
#   pg_basebackup; Redis; two gunicorn instances with DATABASE_REPLICA_URL; HAProxy in front,
#   health-checking /healthz; two Celery worker nodes; beat.
#   scripts/cluster.sh start [DIR]        # everything; the balancer on 127.0.0.1:$CLUSTER_PORT
#   scripts/cluster.sh stop [DIR]         # everything
#   scripts/cluster.sh web-start NAME     # one part again (a supervisor's job, used by drills):
#   scripts/cluster.sh worker-start NAME  #   web a|b, worker 1|2
# State, logs and the environment (DIR/cluster.env) live in DIR (default .cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

cmd=${1:?usage: cluster.sh start|stop|web-start|worker-start [DIR|NAME]}
die() { echo "cluster.sh: $*" >&2; exit 1; }

dir_of() { mkdir -p "$1" && (cd "$1" && pwd); }

ensure_haproxy() {
  command -v haproxy >/dev/null && return 0
  echo "cluster.sh: installing haproxy with apt" >&2
  [ "$(id -u)" = 0 ] || die "need root to apt-get install haproxy"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null \
    || die "apt-get install haproxy failed"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_http() {  # URL SECONDS
  for _ in $(seq $(($2 * 10))); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

web_start() {  # a|b
  local name=$1 port
  port=$(cat "$DIR/web-$name.port")
  (cd "$ROOT" && .venv/bin/gunicorn astral.wsgi:application --daemon \
    --bind "127.0.0.1:$port" --workers "${WEB_WORKERS:-2}" --keep-alive 30 \
    --pid "$DIR/web-$name.pid" --error-logfile "$DIR/web-$name.log" --capture-output \
    --access-logfile "$DIR/web-$name.access.log")
  wait_http "http://127.0.0.1:$port/healthz" 30 || die "gunicorn $name did not answer on $port"
}

worker_start() {  # 1|2
  local name=$1
  (cd "$ROOT" && .venv/bin/celery -A astral worker -n "w$name@%h" --concurrency=1 \
    --loglevel=INFO --detach --pidfile="$DIR/worker-$name.pid" --logfile="$DIR/worker-$name.log")
  for _ in $(seq 100); do
    [ -s "$DIR/worker-$name.pid" ] && grep -q "ready" "$DIR/worker-$name.log" 2>/dev/null && return 0
    sleep 0.1
  done
  die "Celery worker $name did not start (see $DIR/worker-$name.log)"
}

write_env() {
  local port=$1
  cat >"$DIR/cluster.env" <<ENV
. $DIR/env
export DATABASE_REPLICA_URL=\$ASTRAL_REPLICA_URL
export DJANGO_SETTINGS_MODULE=astral.settings
export DJANGO_DEBUG=0
export DJANGO_SECRET_KEY=cluster-on-loopback-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DJANGO_SECURE_SSL_REDIRECT=0
export ASTRAL_TRUSTED_PROXIES=1
export DJANGO_SECURE_COOKIES=0
export DJANGO_HSTS_SECONDS=0
export DJANGO_STATIC_ROOT=$DIR/static
export ASTRAL_REPLICA_LAG_SECONDS=\${ASTRAL_REPLICA_LAG_SECONDS:-5}
export ASTRAL_SNAPSHOT_REFRESH_SECONDS=\${ASTRAL_SNAPSHOT_REFRESH_SECONDS:-3600}
export ASTRAL_CLUSTER_DIR=$DIR
export ASTRAL_CLUSTER_URL=http://127.0.0.1:$port
ENV
}

write_haproxy() {
  local port=$1
  cat >"$DIR/haproxy.cfg" <<CFG
global
    maxconn 1024
    pidfile $DIR/haproxy.pid
    log stdout format raw local0 err

defaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 30s
    retries 3
    option redispatch 1
    # A read that found a dead server is sent to the other one; writes never are, so an
    # acknowledged write happened exactly once (the client retries it, and sees 409).
    retry-on conn-failure empty-response response-timeout 502 503 504

frontend astral
    bind 127.0.0.1:$port
    # The client's address for the sign-in throttles (ASTRAL_TRUSTED_PROXIES=1 trusts it).
    option forwardfor
    acl read_only method GET HEAD
    acl read_only path /api/v1/analytics/running_streaks
    http-request disable-l7-retry unless read_only
    default_backend web

backend web
    balance roundrobin
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host localhost
    http-check expect status 200
    default-server inter 500ms fastinter 250ms fall 2 rise 2
    server a 127.0.0.1:$(cat "$DIR/web-a.port") check
    server b 127.0.0.1:$(cat "$DIR/web-b.port") check
CFG
  haproxy -c -q -f "$DIR/haproxy.cfg" || die "haproxy rejected $DIR/haproxy.cfg"
}

start() {
  [ -x .venv/bin/gunicorn ] || die "run make install first (make cluster does)"
  ensure_haproxy
  local port=${CLUSTER_PORT:-8080}
  PG_DURABLE=1 scripts/services.sh start "$DIR"
  scripts/services.sh replica-start "$DIR"
  [ -f "$DIR/web-a.port" ] || free_port >"$DIR/web-a.port"
  [ -f "$DIR/web-b.port" ] || free_port >"$DIR/web-b.port"
  write_env "$port"
  # shellcheck disable=SC1091
  . "$DIR/cluster.env"
  .venv/bin/python manage.py migrate --noinput >"$DIR/migrate.log"
  .venv/bin/python manage.py collectstatic --noinput >/dev/null
  CELERY_BROKER_URL='' .venv/bin/python manage.py seed_demo --if-empty
  web_start a
  web_start b
  worker_start 1
  worker_start 2
  (cd "$ROOT" && .venv/bin/celery -A astral beat --loglevel=INFO --detach \
    --pidfile="$DIR/beat.pid" --logfile="$DIR/beat.log" --schedule="$DIR/beat-schedule")
  write_haproxy "$port"
  haproxy -D -f "$DIR/haproxy.cfg" || die "haproxy did not start"
  wait_http "$ASTRAL_CLUSTER_URL/healthz" 10 || die "the balancer does not answer on $port"
  echo "cluster: $ASTRAL_CLUSTER_URL (HAProxy) -> gunicorn a, b; PostgreSQL primary" \
    "$ASTRAL_PG_PORT and replica $ASTRAL_REPLICA_PORT; Redis $ASTRAL_REDIS_PORT;" \
    "workers 1, 2; beat. Environment: . $DIR/cluster.env"
}

kill_pidfile() {  # FILE: TERM, up to 15 s to finish, then KILL
  [ -s "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$1"
}

stop() {
  [ -d "$DIR" ] || return 0
  kill_pidfile "$DIR/haproxy.pid"
  kill_pidfile "$DIR/beat.pid"
  kill_pidfile "$DIR/worker-1.pid"
  kill_pidfile "$DIR/worker-2.pid"
  kill_pidfile "$DIR/web-a.pid"
  kill_pidfile "$DIR/web-b.pid"
  scripts/services.sh stop "$DIR"
  echo "cluster: stopped (state kept in $DIR; rm -rf it for a fresh start)"
}

case "$cmd" in
  start) DIR=$(dir_of "${2:-.cluster}"); start ;;
  stop) DIR=$(dir_of "${2:-.cluster}"); stop ;;
  web-start) DIR=$(dir_of "${CLUSTER_DIR:-.cluster}"); . "$DIR/cluster.env"; web_start "${2:?a|b}" ;;
  worker-start) DIR=$(dir_of "${CLUSTER_DIR:-.cluster}"); . "$DIR/cluster.env"; worker_start "${2:?1|2}" ;;
  *) die "unknown command $cmd" ;;
esac
