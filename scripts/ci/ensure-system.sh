#!/usr/bin/env bash
# Makes sure the services and system packages the tests need are installed and running.
# Installs from Debian's packages when absent; starts PostgreSQL/Redis when installed but stopped.
set -euo pipefail

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_for() { # name, command
  for _ in $(seq 1 30); do
    if eval "$2" >/dev/null 2>&1; then echo "$1 is up"; return 0; fi
    sleep 1
  done
  echo "$1 did not come up" >&2
  return 1
}

# PostgreSQL
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "installing postgresql"
  apt_install postgresql postgresql-client
fi
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "starting postgresql"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
wait_for postgresql "pg_isready -h 127.0.0.1 -p 5432 -q"

# Redis
if ! command -v redis-server >/dev/null 2>&1; then
  echo "installing redis"
  apt_install redis-server
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
wait_for redis "redis-cli -h 127.0.0.1 -p 6379 ping"

# Chromium for the dashboard's browser tests
if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium"
  apt_install chromium
fi
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo missing)"

# sqlmap for the security gate's injection scan
if ! command -v sqlmap >/dev/null 2>&1; then
  echo "installing sqlmap"
  apt_install sqlmap
fi

# The Python SDK (packages/sdk-python): Debian's python3 with venv, setuptools and wheel (its offline pip install
# test builds a wheel with them), and mypy for its strict type check.
for pkg in python3 python3-venv python3-setuptools python3-wheel mypy; do
  if ! dpkg -s "$pkg" >/dev/null 2>&1; then
    echo "installing $pkg"
    apt_install "$pkg"
  fi
done
