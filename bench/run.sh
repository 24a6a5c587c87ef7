#!/usr/bin/env bash
# The benchmarks, in one run on one machine: migrations, then the API's dashboard and timeline under load against
# the same SQL through pgbench (prepared statements) and Redis GETs through redis-benchmark, at two data sizes.
# Usage: bash bench/run.sh [--quick]      (--quick: 10k and 100k appointments, shorter runs)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

quick=${1:-}
seconds=${SECONDS_PER_RUN:-15}
migration_runs=${MIGRATION_RUNS:-5}
small_patients=2000          # 5 appointments each: 10k appointments
large_patients=200000        # 1M appointments
if [ "$quick" = "--quick" ]; then seconds=5; large_patients=20000; migration_runs=${MIGRATION_RUNS:-2}; fi
# TRACE_DIR=DIR: after the measured runs, sample the API's threads with dotnet-trace during one more (unmeasured) run of
# the cold dashboard and the timelines at concurrency 8 on the large data set, and keep the traces in DIR (see profile.py).
trace_dir=${TRACE_DIR:-}
dotnet_trace=$(command -v dotnet-trace || echo "$HOME/.dotnet/tools/dotnet-trace")
if [ -n "$trace_dir" ]; then
  [ -x "$dotnet_trace" ] || { echo "TRACE_DIR needs dotnet-trace (dotnet tool install -g dotnet-trace)." >&2; exit 1; }
  mkdir -p "$trace_dir"; trace_dir=$(cd "$trace_dir" && pwd)
fi

command -v pgbench >/dev/null && command -v redis-benchmark >/dev/null \
  || { echo "pgbench and redis-benchmark are needed (apt-get install postgresql-contrib redis-tools)." >&2; exit 1; }
load_start=$(cut -d' ' -f1 /proc/loadavg)

echo "== Migrations ($migration_runs runs; MIGRATION_RUNS=N for more)"
MIGRATIONS_SUMMARY="$work/migrations.summary" RUNS=$migration_runs bash "$(dirname "$0")/migrations.sh"

echo "== Building (Release)"
for project in DrAssistant.Api DrAssistant.MigrationService DrAssistant.Seeder bench/DrAssistant.Bench; do
  dotnet publish "$bench_root/$project" -c Release -o "$work/$(basename "$project")" -v quiet -nologo >/dev/null
done
dotnet "$work/DrAssistant.Bench/DrAssistant.Bench.dll" pgbench-scripts "$work/pgbench"

PG_EXTRA="-c shared_buffers=512MB -c work_mem=16MB" start_postgres
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >/dev/null &
redis_pid=$!
until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.1; done

# CPU time (clock ticks) of a process; with a second argument, also of its children it has waited for: PostgreSQL's
# backends are the postmaster's children, so the cluster's CPU is the postmaster's own and waited-for children's plus
# its live children's. CPU per request tells where a throughput-bound run on a few cores spends them.
clock_ticks=$(getconf CLK_TCK)
ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk -v children="${2:-}" '{print $12 + $13 + (children ? $14 + $15 : 0)}'; }
pg_ticks() {
  local postmaster; postmaster=$(head -1 "$work/pg/data/postmaster.pid")
  { ticks "$postmaster" with-children; for child in $(ps -o pid= --ppid "$postmaster"); do ticks "$child"; done; } | awk '{s += $1} END {print s + 0}'
}
# ticks, requests -> microseconds per request
per_request() { awk -v t="$1" -v n="$2" -v hz="$clock_ticks" 'BEGIN { if (n == 0) print "n/a"; else printf "%.0f", t * 1e6 / hz / n }'; }

percentiles() { # pgbench per-transaction logs (latency in µs, column 3) -> "p50 p99" in ms
  cat "$@" | awk '{print $3 / 1000}' | sort -n | awk '{a[NR]=$1} END {printf "%.3f %.3f", a[int(NR*0.5)+1], a[int(NR*0.99)+1]}'
}

declare -A result
run_size() {
  local label=$1 patients=$2 db="bench_$1"
  local cs="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$db;Maximum Pool Size=64"
  createdb "$db"
  ConnectionStrings__postgresdb="$cs" dotnet "$work/DrAssistant.MigrationService/DrAssistant.MigrationService.dll" migrate >/dev/null 2>&1
  echo "-- $label: generating $patients patients"
  ConnectionStrings__postgresdb="$cs" dotnet "$work/DrAssistant.Seeder/DrAssistant.Seeder.dll" generate --patients "$patients" | tail -n 3
  psql -qX -d "$db" -c "VACUUM ANALYZE" >/dev/null
  local appointments; appointments=$(psql -qXtA -d "$db" -c "SELECT count(*) FROM appointments")

  # Two instances over the same stores: one as configured, one whose dashboard caches are off (lifetime 0), so the cold
  # runs miss on every request and still pay for asking Redis. prepare signs 50 doctors in from one address: above the
  # per-client sign-in limit (20 a minute), which is lifted for the benchmark.
  local api_port cold_port api_pid cold_pid
  api_port=$(free_port); cold_port=$(free_port)
  ASPNETCORE_ENVIRONMENT=Production ConnectionStrings__postgresdb="$cs" ConnectionStrings__redis="127.0.0.1:$redis_port" \
    Sessions__ClientLoginLimit=1000 \
    Logging__LogLevel__Default=Warning dotnet "$work/DrAssistant.Api/DrAssistant.Api.dll" --urls "http://127.0.0.1:$api_port" \
    > "$work/api_$label.log" 2>&1 &
  api_pid=$!
  ASPNETCORE_ENVIRONMENT=Production ConnectionStrings__postgresdb="$cs" ConnectionStrings__redis="127.0.0.1:$redis_port" \
    Cache__DoctorDashboard=00:00:00 Cache__DoctorSchedule=00:00:00 Sessions__ClientLoginLimit=1000 \
    Logging__LogLevel__Default=Warning dotnet "$work/DrAssistant.Api/DrAssistant.Api.dll" --urls "http://127.0.0.1:$cold_port" \
    > "$work/api_cold_$label.log" 2>&1 &
  cold_pid=$!
  until curl -sf "http://127.0.0.1:$api_port/alive" >/dev/null && curl -sf "http://127.0.0.1:$cold_port/alive" >/dev/null; do sleep 0.2; done

  # prepare also gives a few patients outside the sample a long history (200 encounters; bench_long_patients).
  local doctors=50 patients_sample=2000
  local info; info=$(dotnet "$work/DrAssistant.Bench/DrAssistant.Bench.dll" prepare "http://127.0.0.1:$api_port" "$cs" $doctors $patients_sample "$work/workload_$label.json")
  local first_day days long_patients
  first_day=$(echo "$info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["firstDay"])')
  days=$(echo "$info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["days"])')
  # As many as there are (a small data set may have fewer doctors than asked for).
  doctors=$(echo "$info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["doctors"])')
  patients_sample=$(echo "$info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["patients"])')
  long_patients=$(echo "$info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["longPatients"])')

  for scenario in alive dashboard-cold dashboard-warm timeline timeline-long; do
    local port=$api_port pid=$api_pid
    [ "$scenario" = "dashboard-cold" ] && { port=$cold_port; pid=$cold_pid; }
    for concurrency in 1 8; do
      local api0 pg0 redis0 out
      api0=$(ticks "$pid"); pg0=$(pg_ticks); redis0=$(ticks "$redis_pid")
      out=$(dotnet "$work/DrAssistant.Bench/DrAssistant.Bench.dll" load "http://127.0.0.1:$port" "$work/workload_$label.json" $scenario $concurrency "$seconds")
      result[$label,$scenario,$concurrency]=$out
      echo "   $out"
      if [ "$concurrency" = 8 ]; then
        # CPU per request (µs): the API process, PostgreSQL, Redis, the load client. The API's includes the unmeasured
        # 2 s warm-up, so it is counted against the warm-up's requests too (same rate).
        local requests client_ms
        requests=$(field "$out" requests); client_ms=$(field "$out" clientCpuMs)
        result[$label,cpu-$scenario]="$(per_request $(( $(ticks "$pid") - api0 )) "$(awk -v n="$requests" -v s="$seconds" 'BEGIN {printf "%d", n * (s + 2) / s}')") \
$(per_request $(( $(pg_ticks) - pg0 )) "$(awk -v n="$requests" -v s="$seconds" 'BEGIN {printf "%d", n * (s + 2) / s}')") \
$(per_request $(( $(ticks "$redis_pid") - redis0 )) "$(awk -v n="$requests" -v s="$seconds" 'BEGIN {printf "%d", n * (s + 2) / s}')") \
$(awk -v ms="$client_ms" -v n="$requests" 'BEGIN {printf "%.0f", ms * 1000 / n}')"
      fi
    done
  done

  for script in dashboard timeline timeline-long; do
    for concurrency in 1 8; do
      rm -f "$work"/pgb_log*
      local pg0 client
      pg0=$(pg_ticks)
      client=$( { TIMEFORMAT='%3U %3S'; time (cd "$work" && pgbench -n -M prepared -c $concurrency -j $concurrency -T "$seconds" -l --log-prefix=pgb_log \
        -D doctors=$doctors -D patients=$patients_sample -D long_patients="$long_patients" -D days="$days" -D first_day="$first_day" \
        -f "$work/pgbench/$script.sql" "$db" > "$work/pgbench_$label.out" 2>&1) ; } 2>&1 ) || { cat "$work/pgbench_$label.out" >&2; exit 1; }
      local tps transactions; tps=$(grep -Eo 'tps = [0-9.]+' "$work/pgbench_$label.out" | head -1 | awk '{print $3}')
      transactions=$(grep -Eo 'actually processed: [0-9]+' "$work/pgbench_$label.out" | awk '{print $3}')
      result[$label,pgbench-$script,$concurrency]="$(percentiles "$work"/pgb_log*) $tps"
      echo "   pgbench $script c=$concurrency: p50 p99 tps = ${result[$label,pgbench-$script,$concurrency]}"
      if [ "$concurrency" = 8 ]; then
        result[$label,cpu-pgbench-$script]="$(per_request $(( $(pg_ticks) - pg0 )) "$transactions") \
$(echo "$client" | awk -v n="$transactions" '{printf "%.0f", ($1 + $2) * 1e6 / n}')"
      fi
    done
  done

  if [ -n "$trace_dir" ] && [ "$label" = large ]; then
    for scenario in dashboard-cold timeline timeline-long; do
      local port=$api_port pid=$api_pid
      [ "$scenario" = "dashboard-cold" ] && { port=$cold_port; pid=$cold_pid; }
      echo "-- $label: tracing the API during $scenario at concurrency 8"
      "$dotnet_trace" collect -p "$pid" --profile dotnet-sampled-thread-time --duration 00:00:00:12 --format Speedscope \
        -o "$trace_dir/$label-$scenario.nettrace" > "$work/trace.log" 2>&1 &
      local tracer=$!
      sleep 2
      dotnet "$work/DrAssistant.Bench/DrAssistant.Bench.dll" load "http://127.0.0.1:$port" "$work/workload_$label.json" $scenario 8 10 \
        > "$trace_dir/$label-$scenario.load.json" || true
      wait "$tracer" || { cat "$work/trace.log" >&2; }
    done
  fi

  kill "$api_pid" "$cold_pid"; wait "$api_pid" "$cold_pid" 2>/dev/null || true
  result[$label,appointments]=$appointments
}

field() { echo "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }
pg_p50() { echo "$1" | awk '{print $1}'; }
pg_p99() { echo "$1" | awk '{print $2}'; }
pg_tps() { echo "$1" | awk '{print $3}'; }
# 12345 -> 12k, 1000000 -> 1M
size_label() { awk -v n="$1" 'BEGIN { if (n >= 1e6) printf "%gM", int(n / 1e5) / 10; else printf "%gk", int(n / 1e2) / 10 }'; }

run_size small $small_patients
run_size large $large_patients

redis_out=$(redis-benchmark -p "$redis_port" -t get -n 200000 -c 8 -q 2>/dev/null | tr '\r' '\n' | grep -E 'GET:.*requests per second' | tail -1)
load_end=$(cut -d' ' -f1 /proc/loadavg)
S=$(size_label "${result[small,appointments]}"); L=$(size_label "${result[large,appointments]}")

echo
echo "== API under load ($(nproc) cores; ${seconds}s per run; closed loop; latency at concurrency 1, throughput at 8)"
for label in small large; do
  echo "-- $label: ${result[$label,appointments]} appointments"
  printf "   %-22s %10s %10s %12s\n" "" "p50 ms" "p99 ms" "rps (c=8)"
  for scenario in alive dashboard-cold dashboard-warm timeline timeline-long; do
    printf "   %-22s %10s %10s %12s\n" "api $scenario" "$(field "${result[$label,$scenario,1]}" p50Ms)" "$(field "${result[$label,$scenario,1]}" p99Ms)" "$(field "${result[$label,$scenario,8]}" rps)"
  done
  for script in dashboard timeline timeline-long; do
    printf "   %-22s %10s %10s %12s\n" "pgbench $script" "$(pg_p50 "${result[$label,pgbench-$script,1]}")" "$(pg_p99 "${result[$label,pgbench-$script,1]}")" "$(pg_tps "${result[$label,pgbench-$script,8]}")"
  done
  echo "   CPU per request at concurrency 8, µs:   API   PostgreSQL   Redis   load client"
  for scenario in alive dashboard-cold dashboard-warm timeline timeline-long; do
    printf "   %-22s %16s %12s %7s %13s\n" "api $scenario" ${result[$label,cpu-$scenario]}
  done
  for script in dashboard timeline timeline-long; do
    printf "   %-22s %16s %12s %7s %13s\n" "pgbench $script" "" "$(echo "${result[$label,cpu-pgbench-$script]}" | awk '{print $1}')" "" "$(echo "${result[$label,cpu-pgbench-$script]}" | awk '{print $2}')"
  done
done
echo "   redis-benchmark GET (c=8): $redis_out"

mig() { awk -v k="$1" '$1 == k {print $2}' "$work/migrations.summary"; }
# a value per size and one verdict: "0.93 / 0.81  >= 0.90  10k PASS, 1M MISS"
both() { # name, small value, large value, op, target, detail
  local vs vl; vs=$(verdict "$2" "$4" "$5"); vl=$(verdict "$3" "$4" "$5")
  local v=$vs; [ "$vs" = "$vl" ] || v="$S $vs, $L $vl"
  printf "| %s | %s× | %s× | %s %s× | %s |\n" "$1" "$2" "$3" "$4" "$5" "$v"
}
one() { # name, value, op, target, small cell, large cell
  printf "| %s | %s | %s | %s %s× | %s |\n" "$1" "$5" "$6" "$3" "$4" "$(verdict "$2" "$3" "$4")"
}
rps() { field "${result[$1,$2,8]}" rps; }
p50() { field "${result[$1,$2,1]}" p50Ms; }

dash_growth=$(ratio "$(p50 large dashboard-cold)" "$(p50 small dashboard-cold)")
pg_dash_growth=$(ratio "$(pg_p50 "${result[large,pgbench-dashboard,1]}")" "$(pg_p50 "${result[small,pgbench-dashboard,1]}")")
tl_growth=$(ratio "$(p50 large timeline)" "$(p50 small timeline)")
long_growth=$(ratio "$(p50 large timeline-long)" "$(p50 small timeline-long)")
thr() { ratio "$(rps "$1" "$2")" "$(pg_tps "${result[$1,pgbench-$3,8]}")"; }
lat() { ratio "$(p50 "$1" "$2")" "$(pg_p50 "${result[$1,pgbench-$3,1]}")"; }

echo
echo "== Issue 15's targets: $S and $L appointments, one run, $(date -u +%Y-%m-%d), $(nproc) cores, load average $load_start -> $load_end"
echo
echo "| measure | $S | $L | target | |"
echo "| --- | --- | --- | --- | --- |"
one "dashboard cache-miss p50 growth $S → $L (pgbench's own SQL: ${pg_dash_growth}×)" "$dash_growth" "<=" 1.3 "" "${dash_growth}×"
both "dashboard cache-miss throughput at c=8 / pgbench, same SQL" "$(thr small dashboard-cold dashboard)" "$(thr large dashboard-cold dashboard)" ">=" 0.9
both "timeline throughput at c=8 / pgbench" "$(thr small timeline timeline)" "$(thr large timeline timeline)" ">=" 0.8
both "timeline of a 200-encounter history, random page of 20, throughput at c=8 / pgbench" "$(thr small timeline-long timeline-long)" "$(thr large timeline-long timeline-long)" ">=" 0.8
one "migrator fresh / psql, worst of $(mig runs) runs (median $(mig fresh_ratio)×; .NET floor $(mig dotnet_floor_ratio)×)" "$(mig fresh_ratio_worst)" "<=" 2 "empty database" "$(mig fresh_ratio_worst)×"
one "migrator no-op / fresh, in-process ($(mig noop_ms) / $(mig fresh_ms) ms)" "$(mig noop_ratio)" "<=" 0.2 "empty database" "$(mig noop_ratio)×"
one "migrator no-op whole process / empty console app ($(mig noop_wall_ms) / $(mig empty_ms) ms; one Npgsql query: $(mig connect_floor_ratio)×)" "$(mig wall_ratio)" "<=" 2 "empty database" "$(mig wall_ratio)×"
both "dashboard cache-miss p50 / pgbench p50" "$(lat small dashboard-cold dashboard)" "$(lat large dashboard-cold dashboard)" "<=" 1.5
both "timeline p50 / pgbench p50" "$(lat small timeline timeline)" "$(lat large timeline timeline)" "<=" 1.5
both "200-encounter timeline, paged, p50 / pgbench p50" "$(lat small timeline-long timeline-long)" "$(lat large timeline-long timeline-long)" "<=" 1.5
both "dashboard warm / cold throughput" "$(ratio "$(rps small dashboard-warm)" "$(rps small dashboard-cold)")" "$(ratio "$(rps large dashboard-warm)" "$(rps large dashboard-cold)")" ">=" 3
one "timeline p50 growth $S → $L" "$tl_growth" "<=" 1.3 "" "${tl_growth}×"
one "200-encounter timeline, paged, p50 growth $S → $L" "$long_growth" "<=" 1.3 "" "${long_growth}×"
