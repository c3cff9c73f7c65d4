#!/usr/bin/env bash
# Makes this machine ready for the test suite: the services the tests talk to, installed from
# Debian's packages when missing, and started when not running. Safe to run again.
set -euo pipefail

need_apt_update=1
apt_install() {
  if [ "$need_apt_update" = 1 ]; then
    apt-get update -qq
    need_apt_update=0
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Native addons (better-sqlite3) build from source with node-gyp.
for tool in python3 make g++; do
  command -v "$tool" >/dev/null || apt_install python3 make g++
done

# MariaDB at 127.0.0.1:3306, root with an empty password: the store and console suites use it.
mariadb_up() { mysql -uroot -h127.0.0.1 -P3306 -e 'SELECT 1' >/dev/null 2>&1; }
if ! mariadb_up; then
  command -v mariadbd >/dev/null || apt_install mariadb-server mariadb-client
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 60); do mariadb_up && break; sleep 0.5; done
  mariadb_up || { echo "provision: MariaDB did not come up on 127.0.0.1:3306" >&2; exit 1; }
fi
mysql -uroot -h127.0.0.1 -e 'CREATE DATABASE IF NOT EXISTS test'
# The MariaDB restart test starts a throwaway server of its own (testkit
# startMariaDb: mariadb-install-db, then /usr/sbin/mariadbd on a free port), whatever serves
# 3306: a reachable shared server does not mean the binaries are on this machine.
{ [ -x /usr/sbin/mariadbd ] && command -v mariadb-install-db >/dev/null; } ||
  apt_install mariadb-server mariadb-client

# Keep Debian's package scripts from starting system services (nginx on port 80, ZooKeeper on
# 2181): the tests start their own processes on free loopback ports.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi

# ZooKeeper for the coordination and cluster tests: the testkit starts throwaway servers from
# Debian's jar, so only install it, with a headless JRE if no java.
zookeeper_jar=/usr/share/java/zookeeper.jar
command -v java >/dev/null || apt_install default-jre-headless
[ -f "$zookeeper_jar" ] || apt_install zookeeper
[ -f "$zookeeper_jar" ] || { echo "provision: $zookeeper_jar missing after install" >&2; exit 1; }
zookeeper_version=$(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || true)

# nginx and Chromium for the web console's browser tests (test/web): nginx runs with its own
# config in a temp dir, Chromium headless through playwright-core.
[ -x /usr/sbin/nginx ] || apt_install nginx
[ -x /usr/bin/chromium ] || apt_install chromium fonts-liberation

echo "provision: ready (MariaDB $(mysql -uroot -h127.0.0.1 -N -e 'SELECT VERSION()'), ZooKeeper ${zookeeper_version:-?}, $(/usr/sbin/nginx -v 2>&1), $(/usr/bin/chromium --version 2>/dev/null))"
