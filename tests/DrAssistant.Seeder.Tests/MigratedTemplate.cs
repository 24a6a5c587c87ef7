using DrAssistant.Testing;
using Npgsql;

namespace DrAssistant.Seeder.Tests;

/// <summary>
/// One migrated database per test run, copied (CREATE DATABASE … TEMPLATE) for each test. The same small helper as
/// the API tests' (kept beside each test project so neither depends on the other).
/// </summary>
public static class MigratedTemplate
{
    private static readonly Lazy<Task<string>> Template = new(CreateAsync);

    public static Task<string> GetAsync() => Template.Value;

    /// <summary>A fresh database of its own, with the schema, for one test.</summary>
    public static async Task<TestDatabase> NewDatabaseAsync() =>
        await (await PostgresServer.GetAsync()).CreateDatabaseAsync(await GetAsync());

    private static async Task<string> CreateAsync()
    {
        var server = await PostgresServer.GetAsync();
        var name = $"template_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(server.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        var exitCode = await MigrationService.MigratorApp.RunAsync(["migrate"], TextWriter.Null, new Dictionary<string, string?>
        {
            ["ConnectionStrings:postgresdb"] = server.ConnectionStringFor(name),
            ["Logging:LogLevel:Default"] = "Warning",
        });
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"Migrating the template database failed with exit code {exitCode}.");
        }

        // A template must have no open connections while it is copied (the migrator pooled its own).
        NpgsqlConnection.ClearAllPools();
        await using (var admin = new NpgsqlConnection(server.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var terminate = new NpgsqlCommand(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @name", admin);
            terminate.Parameters.AddWithValue("name", name);
            await terminate.ExecuteNonQueryAsync();
        }

        return name;
    }
}
