#!/usr/bin/env bash
# Makes sure a Redis and a PostgreSQL answer on loopback, starting (and on a bare Debian machine,
# installing) them if needed. Used by .ci/run and infra/local/run.sh; with Docker, use
# `docker compose up` instead.
set -euo pipefail

REDIS_PORT="${CALLPIPE_LOCAL_REDIS_PORT:-6379}"
PG_PORT="${CALLPIPE_LOCAL_PG_PORT:-5432}"
apt_updated=0

apt_install() {
  command -v apt-get >/dev/null || { echo "ensure-services: $* missing and apt-get unavailable; install it yourself" >&2; exit 1; }
  if [ "$apt_updated" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_until() { # tries, command...
  local tries=$1; shift
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  return 1
}

# Redis
if ! command -v redis-server >/dev/null; then apt_install redis-server redis-tools; fi
if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  echo "ensure-services: starting redis on 127.0.0.1:$REDIS_PORT"
  mkdir -p /var/tmp/callpipe-redis
  # AOF so that an acked push survives a Redis restart (see README, durability).
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly yes \
    --appendfsync everysec --maxmemory-policy noeviction --dir /var/tmp/callpipe-redis --logfile /var/tmp/callpipe-redis/redis.log
  wait_until 40 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping || { echo "redis did not start" >&2; exit 1; }
fi
if [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" config get appendonly 2>/dev/null | tail -n 1)" != "yes" ]; then
  echo "ensure-services: warning: the Redis on port $REDIS_PORT runs without AOF; acked pushes still in the queue would not survive its restart (fine for tests, not for production)" >&2
fi
if [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" config get maxmemory-policy 2>/dev/null | tail -n 1)" != "noeviction" ]; then
  echo "ensure-services: warning: the Redis on port $REDIS_PORT may evict keys (maxmemory-policy is not noeviction); BullMQ needs noeviction" >&2
fi

# PostgreSQL
fresh_install=0
if ! command -v pg_ctlcluster >/dev/null; then apt_install postgresql; fresh_install=1; fi
if ! pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ "$fresh_install" = 1 ]; then
    # A package install only trusts local socket peers; the pipeline and tests connect over TCP as
    # user postgres, so trust loopback on this disposable machine.
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  fi
  echo "ensure-services: starting postgresql $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_until 60 pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || { echo "postgresql did not start" >&2; exit 1; }
fi
# Prometheus and promtool check the shipped alert rules and dashboards in the tests; Chromium
# looks at the queue admin UI as an operator would.
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then apt_install prometheus; fi
if [ ! -x /usr/bin/chromium ]; then apt_install chromium; fi
# pgbouncer sits in front of a private PostgreSQL in the pooler fault test (it is not started here).
if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then apt_install pgbouncer; fi
echo "services: redis 127.0.0.1:$REDIS_PORT, postgresql 127.0.0.1:$PG_PORT; prometheus $(prometheus --version 2>&1 | head -n 1 | awk '{print $3}')"
