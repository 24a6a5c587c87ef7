using DrAssistant.MigrationService.Postgres;
using DrAssistant.MigrationService.Reporting;
using FluentMigrator;
using FluentMigrator.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace DrAssistant.MigrationService.Tests.Postgres;

/// <summary>
/// How a version's SQL reaches the server: its statements as one command in one transaction with its rows, or, for a
/// version that opts out of transactions, statement by statement.
/// </summary>
public sealed class PostgresMigratorTests
{
    [Fact]
    public async Task AVersionWhoseOwnStatementsReturnRowsIsAppliedWithItsRowsAndItsDuration()
    {
        await using var database = await Db.NewAsync();
        await using var connection = await OpenWithOwnTablesAsync(database);
        var report = new VersionReport { Version = 9001, Description = "returns rows" };

        await Migrator(database).ApplyAsync(connection, Version(9001, TransactionBehavior.Default,
            "CREATE TABLE returns_rows (id bigserial PRIMARY KEY, name text)",
            "SELECT setval('returns_rows_id_seq', 41)",
            "SELECT 'some text', 1.5 -- a trailing comment does not swallow what follows"), report, CancellationToken.None);

        Assert.Equal(VersionState.AppliedNow, report.State);
        Assert.True(report.DurationMs >= 0);
        Assert.Equal(42, await Db.ScalarAsync<long>(database, "SELECT nextval('returns_rows_id_seq')"));
        Assert.Equal(report.DurationMs, await Db.ScalarAsync<long>(database, "SELECT duration_ms FROM schema_history WHERE version = 9001"));
        Assert.Equal(1, await Db.ScalarAsync<int>(database, "SELECT count(*) FROM schema_version WHERE version = 9001"));
    }

    [Fact]
    public async Task AVersionThatOptsOutOfTransactionsCanCreateAnIndexConcurrentlyAndStillGetsItsRows()
    {
        await using var database = await Db.NewAsync();
        await using var connection = await OpenWithOwnTablesAsync(database);
        var report = new VersionReport { Version = 9002, Description = "concurrently" };

        await Migrator(database).ApplyAsync(connection, Version(9002, TransactionBehavior.None,
            "CREATE TABLE big (id int)",
            "CREATE INDEX CONCURRENTLY idx_big_id ON big (id)"), report, CancellationToken.None);

        Assert.Equal(VersionState.AppliedNow, report.State);
        Assert.True(await Db.ScalarAsync<bool>(database, "SELECT to_regclass('idx_big_id') IS NOT NULL"));
        Assert.Equal(1, await Db.ScalarAsync<int>(database, "SELECT count(*) FROM schema_history WHERE version = 9002"));
        Assert.Equal(1, await Db.ScalarAsync<int>(database, "SELECT count(*) FROM schema_version WHERE version = 9002"));
    }

    [Fact]
    public async Task AFailingStatementKeepsNothingOfItsVersionAndTheErrorNamesTheVersionAndTheServersWords()
    {
        await using var database = await Db.NewAsync();
        await using var connection = await OpenWithOwnTablesAsync(database);
        var report = new VersionReport { Version = 9003, Description = "fails" };

        var failure = await Assert.ThrowsAsync<MigrationFailedException>(() => Migrator(database).ApplyAsync(connection,
            Version(9003, TransactionBehavior.Default, "CREATE TABLE made_twice (id int)", "CREATE TABLE made_twice (id int)"),
            report, CancellationToken.None));

        Assert.Equal("Version 9003 (version 9003) failed up: 42P07: relation \"made_twice\" already exists", failure.Message);
        Assert.False(await Db.ScalarAsync<bool>(database, "SELECT to_regclass('made_twice') IS NOT NULL"));
        Assert.Equal(0, await Db.ScalarAsync<int>(database, "SELECT count(*) FROM schema_history"));
        Assert.Equal(0, await Db.ScalarAsync<int>(database, "SELECT count(*) FROM schema_version"));
    }

    private static PostgresMigrator Migrator(DrAssistant.Testing.TestDatabase database) =>
        new(new MigrationRunContext(database.ConnectionString, "public", "tests"), NullLogger<PostgresMigrator>.Instance);

    private static CodeMigration Version(long version, TransactionBehavior behavior, params string[] statements) =>
        new(version, $"version {version}", statements, MigrationCatalog.Checksum(statements))
        {
            Info = new MigrationInfo(version, behavior, new Nothing()),
        };

    private static async Task<NpgsqlConnection> OpenWithOwnTablesAsync(DrAssistant.Testing.TestDatabase database)
    {
        var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await new Bookkeeping("public").EnsureAsync(connection, null, CancellationToken.None);
        return connection;
    }

    private sealed class Nothing : Migration
    {
        public override void Up()
        {
        }

        public override void Down()
        {
        }
    }
}
