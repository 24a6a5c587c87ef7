#!/usr/bin/env bash
# The benchmarks, in one run on one machine: migrations, then the API's dashboard and timeline under load against
# the same SQL through pgbench (prepared statements) and Redis GETs through redis-benchmark, at two data sizes.
# Usage: bash bench/run.sh [--quick]      (--quick: 10k and 100k appointments, shorter runs)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

quick=${1:-}
seconds=${SECONDS_PER_RUN:-15}
small_patients=2000          # 5 appointments each: 10k appointments
large_patients=200000        # 1M appointments
if [ "$quick" = "--quick" ]; then seconds=5; large_patients=20000; fi

command -v pgbench >/dev/null && command -v redis-benchmark >/dev/null \
  || { echo "pgbench and redis-benchmark are needed (apt-get install postgresql-contrib redis-tools)." >&2; exit 1; }

echo "== Migrations"
bash "$(dirname "$0")/migrations.sh"

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
  # runs miss on every request and still pay for asking Redis.
  local api_port cold_port api_pid cold_pid
  api_port=$(free_port); cold_port=$(free_port)
  ASPNETCORE_ENVIRONMENT=Production ConnectionStrings__postgresdb="$cs" ConnectionStrings__redis="127.0.0.1:$redis_port" \
    Logging__LogLevel__Default=Warning dotnet "$work/DrAssistant.Api/DrAssistant.Api.dll" --urls "http://127.0.0.1:$api_port" \
    > "$work/api_$label.log" 2>&1 &
  api_pid=$!
  ASPNETCORE_ENVIRONMENT=Production ConnectionStrings__postgresdb="$cs" ConnectionStrings__redis="127.0.0.1:$redis_port" \
    Cache__DoctorDashboard=00:00:00 Cache__DoctorSchedule=00:00:00 \
    Logging__LogLevel__Default=Warning dotnet "$work/DrAssistant.Api/DrAssistant.Api.dll" --urls "http://127.0.0.1:$cold_port" \
    > "$work/api_cold_$label.log" 2>&1 &
  cold_pid=$!
  until curl -sf "http://127.0.0.1:$api_port/alive" >/dev/null && curl -sf "http://127.0.0.1:$cold_port/alive" >/dev/null; do sleep 0.2; done

  local doctors=50 patients_sample=2000
  local info; info=$(dotnet "$work/DrAssistant.Bench/DrAssistant.Bench.dll" prepare "http://127.0.0.1:$api_port" "$cs" $doctors $patients_sample "$work/workload_$label.json")
  local first_day days
  first_day=$(echo "$info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["firstDay"])')
  days=$(echo "$info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["days"])')
  # As many as there are (a small data set may have fewer doctors than asked for).
  doctors=$(echo "$info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["doctors"])')
  patients_sample=$(echo "$info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["patients"])')

  for scenario in alive dashboard-cold dashboard-warm timeline; do
    local port=$api_port
    [ "$scenario" = "dashboard-cold" ] && port=$cold_port
    for concurrency in 1 8; do
      local out; out=$(dotnet "$work/DrAssistant.Bench/DrAssistant.Bench.dll" load "http://127.0.0.1:$port" "$work/workload_$label.json" $scenario $concurrency "$seconds")
      result[$label,$scenario,$concurrency]=$out
    done
  done

  for script in dashboard timeline; do
    for concurrency in 1 8; do
      rm -f "$work"/pgb_log*
      (cd "$work" && pgbench -n -M prepared -c $concurrency -j $concurrency -T "$seconds" -l --log-prefix=pgb_log \
        -D doctors=$doctors -D patients=$patients_sample -D days="$days" -D first_day="$first_day" \
        -f "$work/pgbench/$script.sql" "$db" > "$work/pgbench_$label.out" 2>&1) || { cat "$work/pgbench_$label.out" >&2; exit 1; }
      local tps; tps=$(grep -Eo 'tps = [0-9.]+' "$work/pgbench_$label.out" | head -1 | awk '{print $3}')
      result[$label,pgbench-$script,$concurrency]="$(percentiles "$work"/pgb_log*) $tps"
    done
  done

  kill "$api_pid" "$cold_pid"; wait "$api_pid" "$cold_pid" 2>/dev/null || true
  result[$label,appointments]=$appointments
}

run_size small $small_patients
run_size large $large_patients

redis_out=$(redis-benchmark -p "$redis_port" -t get -n 200000 -c 8 -q 2>/dev/null | tr '\r' '\n' | grep -E 'GET:.*requests per second' | tail -1)

field() { echo "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }
pg_p50() { echo "$1" | awk '{print $1}'; }
pg_p99() { echo "$1" | awk '{print $2}'; }
pg_tps() { echo "$1" | awk '{print $3}'; }

echo
echo "== API under load ($(nproc) cores; ${seconds}s per run; closed loop; latency at concurrency 1, throughput at 8)"
for label in small large; do
  echo "-- $label: ${result[$label,appointments]} appointments"
  printf "   %-16s %10s %10s %12s\n" "" "p50 ms" "p99 ms" "rps (c=8)"
  for scenario in alive dashboard-cold dashboard-warm timeline; do
    printf "   %-16s %10s %10s %12s\n" "api $scenario" "$(field "${result[$label,$scenario,1]}" p50Ms)" "$(field "${result[$label,$scenario,1]}" p99Ms)" "$(field "${result[$label,$scenario,8]}" rps)"
  done
  for script in dashboard timeline; do
    printf "   %-16s %10s %10s %12s\n" "pgbench $script" "$(pg_p50 "${result[$label,pgbench-$script,1]}")" "$(pg_p99 "${result[$label,pgbench-$script,1]}")" "$(pg_tps "${result[$label,pgbench-$script,8]}")"
  done
done
echo "   redis-benchmark GET (c=8): $redis_out"

l_cold=$(field "${result[large,dashboard-cold,1]}" p50Ms); l_pg=$(pg_p50 "${result[large,pgbench-dashboard,1]}")
l_tl=$(field "${result[large,timeline,1]}" p50Ms); l_pgtl=$(pg_p50 "${result[large,pgbench-timeline,1]}")
warm_rps=$(field "${result[large,dashboard-warm,8]}" rps); cold_rps=$(field "${result[large,dashboard-cold,8]}" rps)
s_cold=$(field "${result[small,dashboard-cold,1]}" p50Ms); s_tl=$(field "${result[small,timeline,1]}" p50Ms)

r1=$(ratio "$l_cold" "$l_pg"); r2=$(ratio "$l_tl" "$l_pgtl"); r3=$(ratio "$warm_rps" "$cold_rps")
r4=$(ratio "$l_cold" "$s_cold"); r5=$(ratio "$l_tl" "$s_tl")
echo
echo "== Ratios (large data set)"
echo "   dashboard cache-miss p50 / pgbench p50 of the same SQL   $r1   target <= 1.50   $(verdict "$r1" "<=" 1.5)"
echo "   timeline p50 / pgbench p50 of the same SQL               $r2   target <= 1.50   $(verdict "$r2" "<=" 1.5)"
echo "   dashboard warm / cold throughput                         $r3   target >= 3.00   $(verdict "$r3" ">=" 3)"
echo "   dashboard cache-miss p50 growth, small -> large          $r4   target <= 1.30   $(verdict "$r4" "<=" 1.3)"
echo "   timeline p50 growth, small -> large                      $r5   target <= 1.30   $(verdict "$r5" "<=" 1.3)"
