using System.Diagnostics;
using Dapper;
using DrAssistant.MigrationService.Postgres;
using DrAssistant.Testing;
using Npgsql;

namespace DrAssistant.MigrationService.Tests.Postgres;

/// <summary>How the migrator behaves run after run, with peers, with failures, and as a tool.</summary>
public sealed class MigratorBehaviourTests
{
    [Fact]
    public async Task AFreshDatabaseGetsEveryVersionInOrder()
    {
        await using var database = await NewDatabaseAsync();

        var result = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Db.AllVersions, result.VersionsIn("applied-now"));
        Assert.Equal(Db.AllVersions, await AppliedVersionsAsync(database));
        Assert.Equal(Db.AllVersions.Length, await CountAsync(database, "SELECT count(*) FROM schema_history WHERE length(checksum) = 64"));
    }

    [Fact]
    public async Task RunningTwiceChangesNothing()
    {
        await using var database = await NewDatabaseAsync();
        await MigrateAsync(database);
        var schema = await Catalog.SnapshotAsync(database.ConnectionString);
        var history = await HistoryAsync(database);

        var second = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");

        Assert.Equal(0, second.ExitCode);
        Assert.Equal("nothing-to-do", second.Json.GetProperty("status").GetString());
        Assert.Empty(second.VersionsIn("applied-now"));
        Assert.Equal(schema, await Catalog.SnapshotAsync(database.ConnectionString));
        Assert.Equal(history, await HistoryAsync(database));
    }

    [Fact]
    public async Task UpThenDownToZeroThenUpAgainGivesTheSameSchema()
    {
        await using var database = await NewDatabaseAsync();
        await MigrateAsync(database);
        var first = await Catalog.SnapshotAsync(database.ConnectionString);

        var down = await Migrator.RunAsync(database.ConnectionString, "rollback", "--to", "0", "--json");
        var tablesLeft = await CountAsync(database, $"SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY(@tables)", new { tables = Catalog.SpecTables });
        var functionLeft = await CountAsync(database, "SELECT count(*) FROM pg_proc WHERE proname = 'update_timestamp'");
        await MigrateAsync(database);

        Assert.Equal(0, down.ExitCode);
        Assert.Equal(Db.AllVersions.Reverse(), down.Versions.Where(v => v.GetProperty("state").GetString() == "rolled-back")
            .OrderByDescending(v => v.GetProperty("version").GetInt64()).Select(v => v.GetProperty("version").GetInt64()));
        Assert.Equal(0, tablesLeft);
        Assert.Equal(0, functionLeft);
        Assert.Equal(first, await Catalog.SnapshotAsync(database.ConnectionString));
    }

    [Fact]
    public async Task MigrateToAVersionStopsThereAndReportsTheRestAsSkipped()
    {
        await using var database = await NewDatabaseAsync();

        var result = await Migrator.RunAsync(database.ConnectionString, "migrate", "--to", "2", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal([1L, 2L], await AppliedVersionsAsync(database));
        Assert.Equal(Db.AllVersions.Where(v => v > 2), result.VersionsIn("skipped"));
        Assert.Equal(0, await CountAsync(database, "SELECT count(*) FROM pg_tables WHERE tablename = 'alerts'"));
    }

    [Fact]
    public async Task EightMigratorsStartedTogetherApplyEachVersionExactlyOnceAndAllSucceed()
    {
        await using var database = await NewDatabaseAsync();

        var runs = await Task.WhenAll(Enumerable.Range(0, 8)
            .Select(_ => Migrator.RunProcessAsync(database.ConnectionString, ["migrate", "--json"])));

        Assert.All(runs, r => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Errors}"));
        var appliedNow = runs.SelectMany(r => r.VersionsIn("applied-now")).Order().ToList();
        Assert.Equal(Db.AllVersions, appliedNow);
        Assert.Equal(Db.AllVersions, await AppliedVersionsAsync(database));
        Assert.Equal(Db.AllVersions.Length, await CountAsync(database, "SELECT count(*) FROM schema_history"));
    }

    [Fact]
    public async Task AMigratorKilledInTheMiddleOfAVersionLeavesNothingHalfDoneAndTheNextRunConverges()
    {
        await using var database = await NewDatabaseAsync();
        Assert.Equal(0, (await Migrator.RunAsync(database.ConnectionString, "migrate", "--to", "1")).ExitCode);

        // Version 2 creates prescriptions, then needs a lock on encounters for its foreign key: hold that lock,
        // so the migrator is caught inside version 2's transaction, and kill it there.
        string applicationName;
        await using (var blocker = new NpgsqlConnection(database.ConnectionString))
        {
            await blocker.OpenAsync();
            await using var transaction = await blocker.BeginTransactionAsync();
            await blocker.ExecuteAsync("LOCK TABLE encounters IN ACCESS EXCLUSIVE MODE", transaction: transaction);

            using var migrator = Migrator.Start(database.ConnectionString, ["migrate"]);
            applicationName = $"DrAssistant.MigrationService pid {migrator.Id}";
            await WaitUntilAsync(async () => await CountAsync(database, """
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND application_name = @applicationName AND wait_event_type = 'Lock'
                """, new { applicationName }) == 1, TimeSpan.FromSeconds(60));
            migrator.Kill(entireProcessTree: true);
            await migrator.WaitForExitAsync();
            await transaction.RollbackAsync();
        }

        // The killed sessions roll back (and drop the advisory lock) once they notice their client is gone.
        await WaitUntilAsync(async () => await CountAsync(database,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = @applicationName",
            new { applicationName }) == 0, TimeSpan.FromSeconds(60));
        Assert.Equal([1L], await AppliedVersionsAsync(database));
        Assert.Equal(0, await CountAsync(database, "SELECT count(*) FROM pg_tables WHERE tablename = 'prescriptions'"));

        var next = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");

        Assert.Equal(0, next.ExitCode);
        Assert.Equal(Db.AllVersions.Where(v => v > 1), next.VersionsIn("applied-now"));
        await using var fresh = await NewDatabaseAsync();
        await MigrateAsync(fresh);
        Assert.Equal(await Catalog.SnapshotAsync(fresh.ConnectionString), await Catalog.SnapshotAsync(database.ConnectionString));
    }

    [Fact]
    public async Task AFailingVersionExitsNonZeroNamesTheVersionAndKeepsNoneOfIt()
    {
        await using var database = await NewDatabaseAsync();
        Assert.Equal(0, (await Migrator.RunAsync(database.ConnectionString, "migrate", "--to", "2")).ExitCode);
        // Someone created an 'alerts' table by hand: version 3 cannot create its own.
        await ExecuteAsync(database, "CREATE TABLE alerts (id int)");

        var result = await Migrator.RunProcessAsync(database.ConnectionString, ["migrate", "--json"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Version 3 (alerts) failed up", result.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal([1L, 2L], await AppliedVersionsAsync(database));
        Assert.Equal(0, await CountAsync(database, "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'idx_alerts_%'"));
        Assert.DoesNotContain("   at ", result.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMigratorThatCannotGetTheLockInTimeExitsWithThree()
    {
        await using var database = await NewDatabaseAsync();
        await using var holder = new NpgsqlConnection(database.ConnectionString);
        await holder.OpenAsync();
        await holder.ExecuteAsync("SELECT pg_advisory_lock(@key)", new { key = AdvisoryLock.Key });

        var clock = Stopwatch.StartNew();
        var result = await Migrator.RunAsync(database.ConnectionString,
            new Dictionary<string, string?> { ["Migrator:LockTimeout"] = "00:00:01" }, "migrate", "--json");

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("lock-timeout", result.Json.GetProperty("status").GetString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20));
        Assert.Empty(await AppliedVersionsAsync(database));
    }

    [Fact]
    public async Task AMigratorWaitsForThePeerHoldingTheLockAndThenFindsNothingToDo()
    {
        await using var database = await NewDatabaseAsync();
        await MigrateAsync(database);
        await using var holder = new NpgsqlConnection(database.ConnectionString);
        await holder.OpenAsync();
        await holder.ExecuteAsync("SELECT pg_advisory_lock(@key)", new { key = AdvisoryLock.Key });

        var run = Migrator.RunAsync(database.ConnectionString, "migrate", "--json");
        await Task.Delay(1500);
        Assert.False(run.IsCompleted, "the migrator should wait for the lock");
        await holder.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = AdvisoryLock.Key });
        var result = await run;

        Assert.Equal(0, result.ExitCode);
        Assert.True(result.Json.GetProperty("lockWaitMs").GetDouble() >= 1000);
        Assert.Equal("nothing-to-do", result.Json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task AnEditedMigrationStopsTheRunWithFourUntilTheChangeIsAccepted()
    {
        await using var database = await NewDatabaseAsync();
        Assert.Equal(0, (await Migrator.RunAsync(database.ConnectionString, "migrate", "--to", "2")).ExitCode);
        // As if version 1's code had changed since it was applied.
        await ExecuteAsync(database, "UPDATE schema_history SET checksum = repeat('0', 64) WHERE version = 1");

        var refused = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");
        var check = await Migrator.RunAsync(database.ConnectionString, "check", "--json");
        var accepted = await Migrator.RunAsync(database.ConnectionString, "migrate", "--accept-changes", "--json");

        Assert.Equal(4, refused.ExitCode);
        Assert.Contains(refused.Json.GetProperty("problems").EnumerateArray(), p => p.GetString()!.Contains("Version 1", StringComparison.Ordinal));
        Assert.Equal(2, check.ExitCode);
        Assert.Equal("changed", check.Versions.Single(v => v.GetProperty("version").GetInt64() == 1).GetProperty("checksum").GetString());
        Assert.Equal(0, accepted.ExitCode);
        Assert.Equal(Db.AllVersions.Where(v => v > 2), accepted.VersionsIn("applied-now"));
        Assert.Equal(0, await CountAsync(database, "SELECT count(*) FROM schema_history WHERE checksum = repeat('0', 64)"));
    }

    [Fact]
    public async Task AnAppliedVersionMissingFromTheBuildStopsTheRunWithFour()
    {
        await using var database = await NewDatabaseAsync();
        await MigrateAsync(database);
        await ExecuteAsync(database, "INSERT INTO schema_version (version, applied_on, description) VALUES (99, now(), 'from a newer build')");

        var refused = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");
        var info = await Migrator.RunAsync(database.ConnectionString, "info", "--json");

        Assert.Equal(4, refused.ExitCode);
        Assert.Equal([99L], info.VersionsIn("missing-from-code"));
        Assert.Equal(0, info.ExitCode);
    }

    [Fact]
    public async Task VersionsAppliedBeforeTheHistoryExistedGetABaselineChecksum()
    {
        await using var database = await NewDatabaseAsync();
        await MigrateAsync(database);
        await ExecuteAsync(database, "DELETE FROM schema_history");

        var info = await Migrator.RunAsync(database.ConnectionString, "info", "--json");
        var result = await Migrator.RunAsync(database.ConnectionString, "migrate");

        Assert.Equal(Db.AllVersions.Length, info.Versions.Count(v => v.GetProperty("checksum").GetString() == "unrecorded"));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Db.AllVersions.Length, await CountAsync(database, "SELECT count(*) FROM schema_history WHERE applied_by LIKE '%(baseline)'"));
    }

    [Fact]
    public async Task CheckExitsTwoWhilePendingAndZeroWhenUpToDate()
    {
        await using var database = await NewDatabaseAsync();

        var pending = await Migrator.RunAsync(database.ConnectionString, "check");
        await MigrateAsync(database);
        var upToDate = await Migrator.RunAsync(database.ConnectionString, "check");

        Assert.Equal(2, pending.ExitCode);
        Assert.Contains("pending", pending.Output, StringComparison.Ordinal);
        Assert.Equal(0, upToDate.ExitCode);
    }

    [Fact]
    public async Task InfoAsJsonListsAppliedAndPendingVersionsWithWhenAndByWhom()
    {
        await using var database = await NewDatabaseAsync();
        Assert.Equal(0, (await Migrator.RunAsync(database.ConnectionString,
            new Dictionary<string, string?> { ["Migrator:AppliedBy"] = "ci-pipeline" }, "migrate", "--to", "1")).ExitCode);

        var info = await Migrator.RunAsync(database.ConnectionString, "info", "--json");

        Assert.Equal(0, info.ExitCode);
        var one = info.Versions.Single(v => v.GetProperty("version").GetInt64() == 1);
        Assert.Equal("applied", one.GetProperty("state").GetString());
        Assert.Equal("ci-pipeline", one.GetProperty("appliedBy").GetString());
        Assert.True(one.GetProperty("appliedAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Equal(Db.AllVersions.Where(v => v > 1), info.VersionsIn("pending"));
        Assert.Equal(1, info.Json.GetProperty("postgres").GetProperty("currentVersion").GetInt64());
    }

    [Fact]
    public async Task ScriptPrintsTheDdlAndExecutesNothing()
    {
        await using var database = await NewDatabaseAsync();

        var script = await Migrator.RunProcessAsync(database.ConnectionString, ["script"]);

        Assert.Equal(0, script.ExitCode);
        Assert.All(Catalog.SpecTables, t => Assert.Contains($"CREATE TABLE \"public\".\"{t}\"", script.Output, StringComparison.Ordinal));
        Assert.Contains("CREATE OR REPLACE FUNCTION update_timestamp()", script.Output, StringComparison.Ordinal);
        Assert.Contains("ADD CONSTRAINT valid_role CHECK", script.Output, StringComparison.Ordinal);
        Assert.Contains("COMMENT ON COLUMN users.password_hash", script.Output, StringComparison.Ordinal);
        Assert.Equal(Db.AllVersions.Length, script.Output.Split("COMMIT;").Length - 1);
        Assert.Equal(0, await CountAsync(database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
    }

    [SkippableFact]
    public async Task TheScriptRunThroughPsqlBuildsTheSameSchemaAsTheMigrator()
    {
        var psql = Tools.OnPath("psql");
        Skip.If(psql is null, "psql is not installed (apt-get install postgresql-client)");
        await using var scripted = await NewDatabaseAsync();
        await using var migrated = await NewDatabaseAsync();
        await MigrateAsync(migrated);
        var script = await Migrator.RunProcessAsync(scripted.ConnectionString, ["script", "--from", "0"]);
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, script.Output);

        var builder = new NpgsqlConnectionStringBuilder(scripted.ConnectionString);
        var run = await Tools.RunAsync(psql!, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", builder.Host!, "-p", builder.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-U", builder.Username!, "-d", builder.Database!, "-f", file],
            environment: new Dictionary<string, string> { ["PGPASSWORD"] = builder.Password ?? string.Empty });
        File.Delete(file);

        // The migrator's own bookkeeping (schema_version, schema_history, schema_checksums) is not part of the script.
        var withoutBookkeeping = (await Catalog.SnapshotAsync(migrated.ConnectionString))
            .Where(l => !l.Contains("schema_version", StringComparison.Ordinal) && !l.Contains("schema_history", StringComparison.Ordinal)
                && !l.Contains("schema_checksums", StringComparison.Ordinal));
        Assert.Equal(withoutBookkeeping, await Catalog.SnapshotAsync(scripted.ConnectionString));
        Assert.DoesNotContain("ERROR", run, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScriptStartsFromTheDatabasesVersionAndCanScriptTheWayDown()
    {
        await using var database = await NewDatabaseAsync();
        Assert.Equal(0, (await Migrator.RunAsync(database.ConnectionString, "migrate", "--to", "2")).ExitCode);

        var up = await Migrator.RunAsync(database.ConnectionString, "script");
        var down = await Migrator.RunAsync(database.ConnectionString, "script", "--from", "3", "--to", "1");

        Assert.DoesNotContain("-- Version 1 up", up.Output, StringComparison.Ordinal);
        Assert.Contains("-- Version 3 up", up.Output, StringComparison.Ordinal);
        Assert.Contains("DROP TABLE \"public\".\"alerts\"", down.Output, StringComparison.Ordinal);
        Assert.True(down.Output.IndexOf("-- Version 3 down", StringComparison.Ordinal) < down.Output.IndexOf("-- Version 2 down", StringComparison.Ordinal));
        Assert.DoesNotContain("-- Version 1 down", down.Output, StringComparison.Ordinal);
        Assert.Equal([1L, 2L], await AppliedVersionsAsync(database));
    }

    [Fact]
    public async Task ARoleThatMayNotCreateInPublicGetsAClearMessageNotAStackTrace()
    {
        await using var database = await NewDatabaseAsync();
        var role = $"clerk_{Guid.NewGuid():N}"[..20];
        await using (var admin = new NpgsqlConnection(database.Server.AdminConnectionString))
        {
            await admin.ExecuteAsync($"CREATE ROLE {role} LOGIN");
        }

        await ExecuteAsync(database, $"GRANT CONNECT ON DATABASE {database.Name} TO {role}");
        // PostgreSQL 15+ no longer lets everyone create in public; make that true on any server version.
        await ExecuteAsync(database, "REVOKE CREATE ON SCHEMA public FROM PUBLIC");

        var result = await Migrator.RunProcessAsync(
            database.Server.ConnectionStringFor(database.Name, role, password: null), ["migrate"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"GRANT CREATE ON SCHEMA public TO {role}", result.Output + result.Errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Output + result.Errors, StringComparison.Ordinal);
        Assert.Empty(await AppliedVersionsAsync(database));
    }

    [Fact]
    public async Task AnUnreachableServerIsRetriedABoundedNumberOfTimesThenFails()
    {
        var closedPort = Tools.FreePort();
        var connectionString = $"Host=127.0.0.1;Port={closedPort};Username=postgres;Database=nowhere;Timeout=2";

        var clock = Stopwatch.StartNew();
        var result = await Migrator.RunProcessAsync(connectionString, ["migrate"], new Dictionary<string, string>
        {
            ["Migrator__ConnectRetries"] = "3",
            ["Migrator__ConnectRetryDelay"] = "00:00:00.100",
        });

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("retry 3 of 3", result.Output + result.Errors, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60));
    }

    [Theory]
    [InlineData("--to", "rollback")]
    [InlineData("--to", "migrate", "--to")]
    [InlineData("two", "migrate", "--to", "two")]
    [InlineData("frobnicate", "frobnicate")]
    [InlineData("--from", "info", "--from", "1")]
    public async Task BadArgumentsExitWith64AndTheUsage(string named, params string[] args)
    {
        var result = await Migrator.RunProcessAsync("Host=unused", args);

        Assert.Equal(64, result.ExitCode);
        Assert.Contains(named, result.Errors, StringComparison.Ordinal);
        Assert.Contains("Usage:", result.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EachVersionIsOneSpanWithItsDuration()
    {
        await using var database = await NewDatabaseAsync();
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "DrAssistant.MigrationService",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (spans)
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        await MigrateAsync(database);

        // Other tests run migrations in parallel: keep only the spans of this run's trace.
        List<Activity> all;
        lock (spans)
        {
            all = [.. spans];
        }

        var root = Assert.Single(all, s => s.DisplayName == "migrate" && Equals(s.GetTagItem("db.namespace"), database.Name));
        var versions = all.Where(s => s.TraceId == root.TraceId && s.GetTagItem("db.migration.version") is not null).ToList();
        Assert.Equal(Db.AllVersions.Select(v => $"migrate {v}").Order(), versions.Select(s => s.DisplayName).Order());
        Assert.All(versions, s => Assert.Equal(root.SpanId, s.ParentSpanId));
        Assert.All(versions, s => Assert.True(s.Duration > TimeSpan.Zero && s.GetTagItem("db.migration.duration_ms") is long));
    }

    private static async Task<TestDatabase> NewDatabaseAsync() => await (await PostgresServer.GetAsync()).CreateDatabaseAsync();

    private static async Task MigrateAsync(TestDatabase database) =>
        Assert.Equal(0, (await Migrator.RunAsync(database.ConnectionString, "migrate")).ExitCode);

    private static async Task<List<long>> AppliedVersionsAsync(TestDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        if (await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('public.schema_version') IS NULL"))
        {
            return [];
        }

        return (await connection.QueryAsync<long>("SELECT version FROM schema_version ORDER BY version")).ToList();
    }

    private static async Task<List<string>> HistoryAsync(TestDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        return (await connection.QueryAsync<string>(
            "SELECT concat_ws('|', version, checksum, applied_by, applied_at, duration_ms) FROM schema_history ORDER BY version")).ToList();
    }

    private static async Task<int> CountAsync(TestDatabase database, string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        return await connection.ExecuteScalarAsync<int>(sql, parameters);
    }

    private static async Task ExecuteAsync(TestDatabase database, string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.ExecuteAsync(sql);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the condition");
            await Task.Delay(100);
        }
    }
}
