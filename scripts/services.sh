#!/usr/bin/env bash
# Starts on loopback whatever rankstream needs and is not running yet:
# Redis (always), Postgres (with --postgres), ClickHouse (with --clickhouse). Installs them from Debian's
# packages when missing; with --chromium also installs Debian's Chromium for
# the browser tests (web/browser_test.go); with --promtool installs promtool
# (Debian's prometheus package) for the alert-rule tests (deploy/). Idempotent; safe to run on every `make run`/`make test`.
set -euo pipefail

want_pg=0
want_chromium=0
want_promtool=0
want_ch=0
for a in "$@"; do
  case "$a" in
    --postgres) want_pg=1 ;;
    --chromium) want_chromium=1 ;;
    --promtool) want_promtool=1 ;;
    --clickhouse) want_ch=1 ;;
  esac
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_updated=0
apt_install() {
  if [ $apt_updated -eq 0 ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 name=$2
  for _ in $(seq 1 100); do
    port_open "$port" && return 0
    sleep 0.1
  done
  echo "services: $name did not open 127.0.0.1:$port" >&2
  return 1
}

if ! port_open 6379; then
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p /tmp/rankstream-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp/rankstream-redis --logfile /tmp/rankstream-redis/redis.log
  wait_port 6379 redis
  echo "services: started redis on 127.0.0.1:6379"
fi

if [ $want_pg -eq 1 ] && ! port_open 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  conf=/etc/postgresql/$ver/main
  # Loopback only, trust auth for local development and tests.
  grep -q "rankstream-trust" "$conf/pg_hba.conf" 2>/dev/null || {
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust # rankstream-trust\nlocal all all trust # rankstream-trust' "$conf/pg_hba.conf"
  }
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  wait_port 5432 postgres
  echo "services: started postgres $ver on 127.0.0.1:5432"
fi

# The default config (postgres://127.0.0.1:5432/rankstream) connects as the
# OS user: make sure that role exists (the database is created on first start).
if [ $want_pg -eq 1 ] && command -v psql >/dev/null; then
  me=$(id -un)
  if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$me'" 2>/dev/null | grep -q 1; then
    psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE ROLE \"$me\" LOGIN SUPERUSER" >/dev/null \
      && echo "services: created postgres role $me"
  fi
fi

# ClickHouse (Debian's 18.16 package has no init without systemd): run the
# packaged config as the clickhouse user, native protocol on 127.0.0.1:9000.
if [ $want_ch -eq 1 ] && ! port_open 9000; then
  [ -x /usr/sbin/clickhouse-server ] || apt_install clickhouse-server clickhouse-client
  $SUDO mkdir -p /var/lib/clickhouse /var/log/clickhouse-server
  $SUDO chown clickhouse:clickhouse /var/lib/clickhouse /var/log/clickhouse-server
  (cd /tmp && $SUDO su -s /bin/sh clickhouse -c "/usr/sbin/clickhouse-server \
    --config-file=/etc/clickhouse-server/config.xml --daemon \
    --pid-file=/var/lib/clickhouse/clickhouse-server.pid")
  wait_port 9000 clickhouse
  echo "services: started clickhouse on 127.0.0.1:9000"
fi

if [ $want_chromium -eq 1 ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
  echo "services: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
fi

if [ $want_promtool -eq 1 ] && ! command -v promtool >/dev/null; then
  apt_install prometheus
  # The package also starts a Prometheus server; the tests need only promtool.
  $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
  echo "services: installed $(promtool --version 2>&1 | head -1)"
fi
