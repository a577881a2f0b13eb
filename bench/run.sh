#!/bin/sh
# Reproduces docs/performance.md with one command (about 17 minutes):
#   bench/run.sh [bench/run.ts flags]
# Needs root for apt-get (wrk) and for pinning PostgreSQL's processes.
set -eu
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
exec deno run -A bench/run.ts "$@"
