using System.Reflection;
using Dapper;
using DrAssistant.MigrationService.Postgres.Migrations;
using DrAssistant.Testing;
using FluentMigrator;
using Npgsql;

namespace DrAssistant.MigrationService.Tests.Postgres;

/// <summary>Small helpers over a test's own database, and the versions this build has.</summary>
internal static class Db
{
    /// <summary>Every version in the migrations assembly, in order (never hard-coded: migrations get added).</summary>
    public static readonly long[] AllVersions = [.. typeof(M001_InitialSchema).Assembly.GetTypes()
        .Select(t => t.GetCustomAttribute<MigrationAttribute>()?.Version)
        .OfType<long>()
        .Order()];

    public static long LatestVersion => AllVersions[^1];

    public static async Task<TestDatabase> NewAsync() => await (await PostgresServer.GetAsync()).CreateDatabaseAsync();

    public static async Task MigrateAsync(TestDatabase database, params string[] args) =>
        Assert.Equal(0, (await Migrator.RunAsync(database.ConnectionString, ["migrate", .. args])).ExitCode);

    public static async Task<List<long>> AppliedVersionsAsync(TestDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        if (await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('public.schema_version') IS NULL"))
        {
            return [];
        }

        return [.. await connection.QueryAsync<long>("SELECT version FROM schema_version ORDER BY version")];
    }

    public static async Task<T> ScalarAsync<T>(TestDatabase database, string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    public static async Task ExecuteAsync(TestDatabase database, string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.ExecuteAsync(sql);
    }

    /// <summary>Sessions of the migrator process <paramref name="pid"/> (it names them in application_name).</summary>
    public static async Task<int> SessionsOfAsync(TestDatabase database, int pid, string condition = "true") =>
        await ScalarAsync<int>(database, $"""
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = @name AND {condition}
            """, new { name = $"DrAssistant.MigrationService pid {pid}" });

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(100);
        }
    }
}
