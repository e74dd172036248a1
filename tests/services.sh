#!/usr/bin/env bash
# Makes sure the real services the suite uses answer: PostgreSQL and Redis on 127.0.0.1, Debian's chromium and npm.
# Starts them when stopped; installs them with apt-get when missing (CI runs as root on a fresh machine).
set -euo pipefail

apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then echo "services.sh: $* missing and not root: install it" >&2; exit 1; fi
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

postgres_answers() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_answers() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && head -c5 <&3 | grep -q PONG) 2>/dev/null; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt_install postgresql
  installed_postgres=1
fi
if ! postgres_answers; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
fi
if [ "${installed_postgres:-0}" = 1 ]; then
  # A fresh Debian cluster asks for passwords on TCP; the suite connects as postgres over 127.0.0.1 with trust.
  version=$(ls /etc/postgresql | sort -V | tail -1)
  sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "/etc/postgresql/$version/main/pg_hba.conf"
  pg_ctlcluster --skip-systemctl-redirect "$version" main reload
fi
for _ in $(seq 50); do postgres_answers && break; sleep 0.2; done
postgres_answers || { echo "services.sh: PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }

if ! command -v redis-server >/dev/null 2>&1; then apt_install redis-server; fi
if ! redis_answers; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
for _ in $(seq 50); do redis_answers && break; sleep 0.2; done
redis_answers || { echo "services.sh: Redis does not answer on 127.0.0.1:6379" >&2; exit 1; }

if ! command -v chromium >/dev/null 2>&1; then apt_install chromium; fi
# The openarchives.org OAI-PMH validator (../shared/standards/oaipmh-validator, Perl) that tests/landing/test_oai.py runs.
if ! perl -MLWP::UserAgent -MXML::DOM -MDate::Manip -MClass::Accessor -MData::UUID -MTry::Tiny -MCGI -MJSON -e1 2>/dev/null; then
  apt_install libclass-accessor-perl libdate-manip-perl libdata-uuid-perl libwww-perl liblwp-protocol-https-perl \
    libtry-tiny-perl liburi-perl libxml-dom-perl libcgi-pm-perl libjson-perl
fi
# Node and npm build the H5Web viewer's bundle (make viewer).
if ! command -v npm >/dev/null 2>&1; then apt_install nodejs npm; fi
echo "services: PostgreSQL, Redis, chromium and npm ready"
