using System.Text.Json;
using DrAssistant.MigrationService.Postgres.Migrations;
using FluentMigrator.Runner;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace DrAssistant.MigrationService.Tests.Postgres;

/// <summary>
/// The migrator's own tables (schema_version, schema_history, their columns, index, key and comments): in place after
/// every run however the previous one ended, and named by <c>check</c> when something of them is missing.
/// </summary>
public sealed class MigratorBookkeepingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AFirstRunKilledRightAfterVersionOneCommitsLeavesOnlyVersionsPendingAndTheNextRunMatchesAFreshDatabase()
    {
        await using var database = await Db.NewAsync();

        int killed;
        // Version 2 starts by creating 'prescriptions'. A table of that name, created in a transaction the test keeps
        // open, makes the migrator wait inside version 2 (on our transaction), after version 1 has committed.
        await using (var blocker = new NpgsqlConnection(database.ConnectionString))
        {
            await blocker.OpenAsync();
            await using var transaction = await blocker.BeginTransactionAsync();
            await using (var command = new NpgsqlCommand("CREATE TABLE prescriptions (id int)", blocker, transaction))
            {
                await command.ExecuteNonQueryAsync();
            }

            using var migrator = Migrator.Start(database.ConnectionString, ["migrate"]);
            await Db.WaitUntilAsync(async () => await Db.SessionsOfAsync(database, migrator.Id, "wait_event_type = 'Lock'") == 1,
                "the first run waits inside version 2");
            Assert.Equal([1L], await Db.AppliedVersionsAsync(database));
            migrator.Kill(entireProcessTree: true);
            await migrator.WaitForExitAsync();
            killed = migrator.Id;
            await transaction.RollbackAsync();
        }

        // The killed session rolls back version 2 (and drops the lock) once it is no longer waiting and finds its client gone.
        await Db.WaitUntilAsync(async () => await Db.SessionsOfAsync(database, killed) == 0, "the killed run's sessions end");

        var interrupted = await Migrator.RunAsync(database.ConnectionString, "check", "--json");
        var rerun = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");
        var after = await Migrator.RunAsync(database.ConnectionString, "check", "--json");

        output.WriteLine($"after the kill: applied {string.Join(",", interrupted.VersionsIn("applied"))}, pending " +
                         $"{string.Join(",", interrupted.VersionsIn("pending"))}, own objects missing: {Bookkeeping(interrupted).Count}");
        Assert.Equal(2, interrupted.ExitCode);
        Assert.Equal(Db.AllVersions.Skip(1), interrupted.VersionsIn("pending"));
        // The migrator's own tables were put in place, whole, before version 1: nothing of them is missing.
        Assert.Empty(Bookkeeping(interrupted));
        Assert.Equal(0, rerun.ExitCode);
        Assert.Equal(Db.AllVersions.Skip(1), rerun.VersionsIn("applied-now"));
        Assert.Equal(0, after.ExitCode);
        await using var fresh = await Db.NewAsync();
        await Db.MigrateAsync(fresh);
        Assert.Equal(await Catalog.SnapshotAsync(fresh.ConnectionString), await Catalog.SnapshotAsync(database.ConnectionString));
    }

    [Fact]
    public async Task TheVersionTableAnOlderBuildsKilledFirstRunLeftUncommentedFailsCheckUntilTheNextRunPutsItsCommentBack()
    {
        await using var database = await Db.NewAsync();
        await Db.MigrateAsync(database, "--to", "1");
        // What an older build left when killed after version 1: it commented schema_version only at the end of a
        // first run, so the next runs (and check) never noticed the comment was missing.
        await Db.ExecuteAsync(database, "COMMENT ON TABLE schema_version IS NULL");

        var check = await Migrator.RunAsync(database.ConnectionString, "check", "--json");
        var text = await Migrator.RunAsync(database.ConnectionString, "check");
        var migrate = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");
        var after = await Migrator.RunAsync(database.ConnectionString, "check", "--json");

        Assert.Equal(2, check.ExitCode);
        Assert.Equal([("comment on table schema_version", "missing")], Bookkeeping(check));
        Assert.Contains(check.Json.GetProperty("problems").EnumerateArray(),
            p => p.GetString()!.Contains("comment on table schema_version", StringComparison.Ordinal));
        Assert.Equal(2, text.ExitCode);
        Assert.Contains("comment on table schema_version", text.Output, StringComparison.Ordinal);
        Assert.Equal(0, migrate.ExitCode);
        Assert.Equal([("comment on table schema_version", "repaired")], Bookkeeping(migrate));
        Assert.Equal(0, after.ExitCode);
        Assert.Empty(Bookkeeping(after));
        await using var fresh = await Db.NewAsync();
        await Db.MigrateAsync(fresh);
        Assert.Equal(await Catalog.SnapshotAsync(fresh.ConnectionString), await Catalog.SnapshotAsync(database.ConnectionString));
    }

    [Theory]
    // Every part of the two tables at once: each is named, in the order the migrator puts them back.
    [InlineData(
        """
        COMMENT ON TABLE schema_version IS NULL;
        COMMENT ON TABLE schema_history IS 'something else';
        DROP INDEX uc_schema_version;
        ALTER TABLE schema_version DROP COLUMN description;
        ALTER TABLE schema_version DROP COLUMN applied_on;
        ALTER TABLE schema_history DROP CONSTRAINT schema_history_pkey;
        COMMENT ON TABLE schema_checksums IS NULL;
        ALTER TABLE schema_checksums DROP CONSTRAINT schema_checksums_pkey;
        """,
        "column schema_version.applied_on", "column schema_version.description", "index uc_schema_version",
        "comment on table schema_version", "primary key schema_history_pkey", "comment on table schema_history",
        "primary key schema_checksums_pkey", "comment on table schema_checksums")]
    // A whole table: named alone (its key and comment go with it), and made again with them.
    [InlineData("DROP TABLE schema_history", "table schema_history")]
    [InlineData("DROP TABLE schema_checksums", "table schema_checksums")]
    public async Task WhatGoesMissingOfTheMigratorsOwnObjectsIsNamedByCheckAndPutBackByTheNextRun(string damage, params string[] named)
    {
        await using var database = await Db.NewAsync();
        await Db.MigrateAsync(database);
        var whole = await Catalog.SnapshotAsync(database.ConnectionString);
        var before = await Migrator.RunAsync(database.ConnectionString, "check", "--json");
        await Db.ExecuteAsync(database, damage);

        var check = await Migrator.RunAsync(database.ConnectionString, "check", "--json");
        var info = await Migrator.RunAsync(database.ConnectionString, "info", "--json");
        var migrate = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");
        var after = await Migrator.RunAsync(database.ConnectionString, "check", "--json");

        output.WriteLine($"check named {Bookkeeping(check).Count} missing: {string.Join(", ", Bookkeeping(check).Select(b => b.Object))}");
        Assert.Equal(0, before.ExitCode);
        Assert.Equal(2, check.ExitCode);
        Assert.Equal(named.Select(n => (n, "missing")), Bookkeeping(check));
        Assert.Equal(0, info.ExitCode);
        Assert.Equal(named.Select(n => (n, "missing")), Bookkeeping(info));
        Assert.Equal(0, migrate.ExitCode);
        Assert.Equal("success", migrate.Json.GetProperty("status").GetString());
        Assert.Equal(named.Select(n => (n, "repaired")), Bookkeeping(migrate));
        Assert.Equal(0, after.ExitCode);
        Assert.Empty(Bookkeeping(after));
        Assert.Equal(whole, await Catalog.SnapshotAsync(database.ConnectionString));
    }

    [Fact]
    public async Task CheckOnADatabaseNeverMigratedNamesTheMigratorsTablesNotEachOfTheirParts()
    {
        await using var database = await Db.NewAsync();

        var check = await Migrator.RunAsync(database.ConnectionString, "check", "--json");
        var migrate = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");
        var again = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");

        Assert.Equal(2, check.ExitCode);
        Assert.Equal([("table schema_version", "missing"), ("table schema_history", "missing"), ("table schema_checksums", "missing")],
            Bookkeeping(check));
        Assert.Equal([("table schema_version", "created"), ("table schema_history", "created"), ("table schema_checksums", "created")],
            Bookkeeping(migrate));
        Assert.Empty(Bookkeeping(again));
        Assert.Equal("nothing-to-do", again.Json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task TheVersionTableTheMigratorMakesIsTheOneFluentMigratorItselfWouldMake()
    {
        // Databases migrated by older builds have the table FluentMigrator created; ours must be the same, or a
        // database would differ by its history.
        await using var byFluentMigrator = await Db.NewAsync();
        await using var byMigrator = await Db.NewAsync();
        await using (var services = new ServiceCollection()
            .AddLogging()
            .AddFluentMigratorCore()
            .ConfigureRunner(runner => runner.AddPostgres()
                .WithGlobalConnectionString(byFluentMigrator.ConnectionString)
                .ScanIn(typeof(M001_InitialSchema).Assembly).For.All())
            .BuildServiceProvider())
        {
            using var scope = services.CreateScope();
            // Its first look at the database creates the version table (and nothing else).
            Assert.True(scope.ServiceProvider.GetRequiredService<IMigrationRunner>().HasMigrationsToApplyUp());
        }

        await Db.MigrateAsync(byMigrator);

        static async Task<List<string>> VersionTableAsync(string connectionString) =>
        [
            .. (await Catalog.SnapshotAsync(connectionString))
                .Where(l => l.Contains("schema_version", StringComparison.Ordinal) && !l.StartsWith("comment ", StringComparison.Ordinal)),
        ];
        var expected = await VersionTableAsync(byFluentMigrator.ConnectionString);
        output.WriteLine(string.Join('\n', expected));
        Assert.Equal(4, expected.Count); // three columns and the unique index
        Assert.Equal(expected, await VersionTableAsync(byMigrator.ConnectionString));
    }

    private static List<(string Object, string State)> Bookkeeping(MigratorResult result) =>
    [
        .. result.Json.GetProperty("postgres").GetProperty("bookkeeping").EnumerateArray()
            .Select(b => (b.GetProperty("object").GetString()!, b.GetProperty("state").GetString()!)),
    ];
}
