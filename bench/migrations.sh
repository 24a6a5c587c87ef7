#!/usr/bin/env bash
# Migration benchmark, every floor measured in the same run on the same throwaway server:
#   - a fresh `migrate` of an empty database, against psql applying the same SQL (the migrator's own `script` output:
#     one transaction per version). Target: <= 2x psql in every run.
#   - a no-op re-run, in-process, against the fresh run. Target: <= 0.2x.
#   - a no-op re-run as a whole process (.NET start-up included), against an empty .NET console app published and
#     started the same way. Target: <= 2x. Shown beside it: a console app that only opens one PostgreSQL connection with
#     Npgsql and runs one query, the floor of any .NET program that has to look at the database.
# Usage: bash bench/migrations.sh        (RUNS=N for another number of runs than 9; MIGRATIONS_SUMMARY=FILE also writes
#        the medians and ratios to FILE as `name value` lines, for run.sh's table)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
runs=${RUNS:-9}

# Published as for production: Release, ReadyToRun (precompiled), so start-up JIT is not what we measure. The floors
# are published with the very same flags.
publish=(-c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -v quiet -nologo)
dotnet publish "$bench_root/DrAssistant.MigrationService" "${publish[@]}" -o "$work/migrator" >/dev/null
migrator="$work/migrator/DrAssistant.MigrationService.dll"

npgsql_version=$(grep -Eo 'Include="Npgsql" Version="[^"]+"' "$bench_root/Directory.Packages.props" | sed -E 's/.*Version="([^"]+)"/\1/')
mkdir -p "$work/empty" "$work/connect"
cat > "$work/empty/empty.csproj" <<'PROJECT'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework></PropertyGroup>
</Project>
PROJECT
echo 'return 0;' > "$work/empty/Program.cs"
cat > "$work/connect/connect.csproj" <<PROJECT
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings><NoWarn>CS0618</NoWarn></PropertyGroup>
  <ItemGroup><PackageReference Include="Npgsql" Version="$npgsql_version" /></ItemGroup>
</Project>
PROJECT
# Connected as the migrator connects (unpooled, no type loading), one query (the migrator's first: the lock), closed.
# Given a SQL file, it then sends that file as one command (the migrator's `script` output: one transaction per
# version) and prints the milliseconds from connecting to done: the least a .NET program does to apply the same SQL.
cat > "$work/connect/Program.cs" <<'PROGRAM'
var clock = System.Diagnostics.Stopwatch.StartNew();
var builder = new Npgsql.NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("ConnectionStrings__postgresdb"))
{
    Pooling = false,
    ServerCompatibilityMode = Npgsql.ServerCompatibilityMode.NoTypeLoading,
};
await using var connection = new Npgsql.NpgsqlConnection(builder.ConnectionString);
await connection.OpenAsync();
await using (var command = new Npgsql.NpgsqlCommand("SELECT pg_try_advisory_lock(1148338547), pg_backend_pid()", connection))
await using (var reader = await command.ExecuteReaderAsync())
{
    await reader.ReadAsync();
}

if (args.Length > 0)
{
    await using var script = new Npgsql.NpgsqlCommand(await File.ReadAllTextAsync(args[0]), connection) { CommandTimeout = 0 };
    await script.ExecuteNonQueryAsync();
    Console.WriteLine(clock.Elapsed.TotalMilliseconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture));
}

return 0;
PROGRAM
dotnet publish "$work/empty" "${publish[@]}" -o "$work/empty/out" >/dev/null
dotnet publish "$work/connect" "${publish[@]}" -o "$work/connect/out" >/dev/null
start_postgres

cs() { echo "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$1"; }
migrate() { ConnectionStrings__postgresdb=$(cs "$1") dotnet "$migrator" migrate --json 2>/dev/null; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }
# <file> -> "median (min-max)"
spread() { echo "$(median < "$1") ($(sort -n "$1" | head -1)-$(sort -n "$1" | tail -1))"; }

ConnectionStrings__postgresdb= dotnet "$migrator" script --from 0 > "$work/schema.sql"
createdb probe

for f in psql dotnet fresh fresh_wall noop noop_wall empty connect fresh_ratio phases; do : > "$work/t_$f"; done
load_before=$(cut -d' ' -f1 /proc/loadavg)
for i in $(seq "$runs"); do
  createdb "floor_$i"; createdb "mig_$i"
  t0=$(now_ms); psql -q -X -v ON_ERROR_STOP=1 -d "floor_$i" -f "$work/schema.sql" >/dev/null; t1=$(now_ms)
  psql_ms=$((t1 - t0)); echo "$psql_ms" >> "$work/t_psql"

  createdb "floor_dotnet_$i"
  ConnectionStrings__postgresdb=$(cs "floor_dotnet_$i") dotnet "$work/connect/out/connect.dll" "$work/schema.sql" >> "$work/t_dotnet"

  t0=$(now_ms); report=$(migrate "mig_$i"); t1=$(now_ms)
  fresh_ms=$(echo "$report" | field "['durationMs']")
  echo "$fresh_ms" >> "$work/t_fresh"; echo $((t1 - t0)) >> "$work/t_fresh_wall"
  echo "$(ratio "$fresh_ms" "$psql_ms")" >> "$work/t_fresh_ratio"
  echo "$report" | python3 -c "import json,sys; print(' '.join(f'{k}={v}' for k,v in sorted(json.load(sys.stdin)['phasesMs'].items())))" >> "$work/t_phases"

  t0=$(now_ms); report=$(migrate "mig_$i"); t1=$(now_ms)
  [ "$(echo "$report" | field "['status']")" = "nothing-to-do" ] || { echo "re-run was not a no-op" >&2; exit 1; }
  [ "$(echo "$report" | field "['postgres']['checksums']")" = "recorded" ] || { echo "re-run generated the SQL again" >&2; exit 1; }
  echo "$report" | field "['durationMs']" >> "$work/t_noop"; echo $((t1 - t0)) >> "$work/t_noop_wall"

  t0=$(now_ms); dotnet "$work/empty/out/empty.dll"; t1=$(now_ms); echo $((t1 - t0)) >> "$work/t_empty"
  t0=$(now_ms); ConnectionStrings__postgresdb=$(cs probe) dotnet "$work/connect/out/connect.dll"; t1=$(now_ms)
  echo $((t1 - t0)) >> "$work/t_connect"
done
load_after=$(cut -d' ' -f1 /proc/loadavg)

psql_ms=$(median < "$work/t_psql"); fresh_ms=$(median < "$work/t_fresh"); noop_ms=$(median < "$work/t_noop")
noop_wall=$(median < "$work/t_noop_wall"); empty_ms=$(median < "$work/t_empty"); connect_ms=$(median < "$work/t_connect")
worst_fresh=$(sort -n "$work/t_fresh_ratio" | tail -1)
noop_ratio=$(ratio "$noop_ms" "$fresh_ms"); wall_ratio=$(ratio "$noop_wall" "$empty_ms")

cat <<REPORT
== Migrations ($runs runs, median (min-max) in ms; PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}'), $(nproc) cores, load average $load_before -> $load_after)
psql -f, same SQL, one transaction per version    $(spread "$work/t_psql")
.NET + Npgsql: connect, lock, same SQL, in-process $(spread "$work/t_dotnet")
migrator fresh migrate, in-process                 $(spread "$work/t_fresh")   (whole process $(spread "$work/t_fresh_wall"))
migrator no-op migrate, in-process                 $(spread "$work/t_noop")
migrator no-op migrate, whole process              $(spread "$work/t_noop_wall")
empty .NET console app, whole process              $(spread "$work/t_empty")
console app opening one Npgsql connection, 1 query $(spread "$work/t_connect")
phases of the last fresh run: $(tail -1 "$work/t_phases")

   target                                              median  worst   target
   fresh migrate / psql, in every run                  $(ratio "$fresh_ms" "$psql_ms")    $worst_fresh    <= 2.00   $(verdict "$worst_fresh" "<=" 2)
   no-op / fresh, in-process                           $noop_ratio            <= 0.20   $(verdict "$noop_ratio" "<=" 0.2)
   no-op whole process / empty console app             $wall_ratio            <= 2.00   $(verdict "$wall_ratio" "<=" 2)
   floors in .NET: connect + same SQL / psql           $(ratio "$(median < "$work/t_dotnet")" "$psql_ms")
                   one connection and query / empty    $(ratio "$connect_ms" "$empty_ms")
REPORT

if [ -n "${MIGRATIONS_SUMMARY:-}" ]; then
  cat > "$MIGRATIONS_SUMMARY" <<SUMMARY
runs $runs
psql_ms $psql_ms
fresh_ms $fresh_ms
noop_ms $noop_ms
noop_wall_ms $noop_wall
empty_ms $empty_ms
connect_ms $connect_ms
fresh_ratio $(ratio "$fresh_ms" "$psql_ms")
fresh_ratio_worst $worst_fresh
noop_ratio $noop_ratio
wall_ratio $wall_ratio
dotnet_floor_ratio $(ratio "$(median < "$work/t_dotnet")" "$psql_ms")
connect_floor_ratio $(ratio "$connect_ms" "$empty_ms")
SUMMARY
fi
