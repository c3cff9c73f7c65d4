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

# ZooKeeper for the coordination and cluster tests: the testkit starts throwaway servers from
# Debian's jar (it needs no running service), so only install it, with a headless JRE if no java.
zookeeper_jar=/usr/share/java/zookeeper.jar
if [ ! -f "$zookeeper_jar" ]; then
  command -v java >/dev/null || apt_install default-jre-headless
  apt_install zookeeper
fi
command -v java >/dev/null || apt_install default-jre-headless
[ -f "$zookeeper_jar" ] || { echo "provision: $zookeeper_jar missing after install" >&2; exit 1; }
zookeeper_version=$(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || true)
echo "provision: ready (MariaDB $(mysql -uroot -h127.0.0.1 -N -e 'SELECT VERSION()'), ZooKeeper ${zookeeper_version:-?})"
