# Shared helpers for the benchmarks: a throwaway PostgreSQL (and Redis) on free ports, and timing.
# Sourced, not run.

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d /tmp/drassistant-bench-XXXXXX)
chmod 755 "$work"

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pg_bin/initdb" ] || { echo "PostgreSQL server binaries are needed (apt-get install postgresql)." >&2; exit 1; }

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Same settings as the test cluster: durability off, so we measure work, not the disk.
start_postgres() {
  pg_port=$(free_port)
  mkdir -p "$work/pg" && [ "$(id -u)" = 0 ] && chown postgres: "$work/pg"
  as_postgres "$pg_bin/initdb" -D "$work/pg/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >/dev/null
  as_postgres "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w -o \
    "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 ${PG_EXTRA:-}" start >/dev/null
  export PGHOST=127.0.0.1 PGPORT=$pg_port PGUSER=postgres
}

stop_all() {
  [ -n "${pg_port:-}" ] && as_postgres "$pg_bin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1
  [ -n "${redis_pid:-}" ] && kill "$redis_pid" 2>/dev/null
  rm -rf "$work"
}
trap stop_all EXIT

now_ms() { date +%s%3N; }

# median of numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }

# verdict <value> <op> <target>
verdict() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { ok = (op == "<=") ? v <= t : v >= t; print (ok ? "PASS" : "MISS") }'; }
