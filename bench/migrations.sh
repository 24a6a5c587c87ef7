#!/usr/bin/env bash
# Migration benchmark: a fresh migrate and a no-op re-run of DrAssistant.MigrationService, beside psql applying the
# same DDL (the migrator's own `script` output: one transaction per version) to an empty database, in the same run,
# on the same throwaway server. Targets: fresh <= 2x the psql floor; no-op <= 0.2x of fresh.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
runs=${RUNS:-7}

# Published as for production: Release, ReadyToRun (precompiled), so start-up JIT is not what we measure.
dotnet publish "$bench_root/DrAssistant.MigrationService" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
  -o "$work/migrator" -v quiet -nologo >/dev/null
migrator="$work/migrator/DrAssistant.MigrationService.dll"
start_postgres

cs() { echo "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$1"; }
migrate() { ConnectionStrings__postgresdb=$(cs "$1") dotnet "$migrator" migrate --json 2>/dev/null; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

ConnectionStrings__postgresdb= dotnet "$migrator" script --from 0 > "$work/schema.sql"

: > "$work/psql" ; : > "$work/fresh" ; : > "$work/fresh_wall" ; : > "$work/noop" ; : > "$work/noop_wall" ; : > "$work/phases"
for i in $(seq "$runs"); do
  createdb "floor_$i"; createdb "mig_$i"
  t0=$(now_ms); psql -q -X -v ON_ERROR_STOP=1 -d "floor_$i" -f "$work/schema.sql" >/dev/null; t1=$(now_ms)
  echo $((t1 - t0)) >> "$work/psql"

  t0=$(now_ms); report=$(migrate "mig_$i"); t1=$(now_ms)
  echo "$report" | field durationMs >> "$work/fresh"; echo $((t1 - t0)) >> "$work/fresh_wall"
  echo "$report" | python3 -c "import json,sys; print(' '.join(f'{k}={v}' for k,v in sorted(json.load(sys.stdin)['phasesMs'].items())))" >> "$work/phases"

  t0=$(now_ms); report=$(migrate "mig_$i"); t1=$(now_ms)
  [ "$(echo "$report" | field status)" = "nothing-to-do" ] || { echo "re-run was not a no-op" >&2; exit 1; }
  echo "$report" | field durationMs >> "$work/noop"; echo $((t1 - t0)) >> "$work/noop_wall"
done

psql_ms=$(median < "$work/psql"); fresh_ms=$(median < "$work/fresh"); noop_ms=$(median < "$work/noop")
fresh_wall=$(median < "$work/fresh_wall"); noop_wall=$(median < "$work/noop_wall")
fresh_ratio=$(ratio "$fresh_ms" "$psql_ms"); noop_ratio=$(ratio "$noop_ms" "$fresh_ms")

cat <<REPORT
== Migrations (median of $runs, PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}'), $(nproc) cores)
psql floor, same DDL, 3 transactions       ${psql_ms} ms
migrator fresh migrate (in-process work)    ${fresh_ms} ms   ratio to psql ${fresh_ratio}   target <= 2.00   $(verdict "$fresh_ratio" "<=" 2)
migrator no-op re-run  (in-process work)    ${noop_ms} ms   ratio to fresh ${noop_ratio}  target <= 0.20   $(verdict "$noop_ratio" "<=" 0.2)
whole process incl. .NET start-up: fresh ${fresh_wall} ms, no-op ${noop_wall} ms (ratio no-op/fresh $(ratio "$noop_wall" "$fresh_wall"))
phases of the last fresh run (ms; catalog runs beside connect and lock): $(tail -1 "$work/phases")
REPORT
