using System.Text.Json;
using Dapper;
using DrAssistant.Testing;
using Npgsql;

namespace DrAssistant.Seeder.Tests;

/// <summary>One run of the seeder, in process, as the command line would run it.</summary>
public sealed record SeederRun(int ExitCode, string Output)
{
    public JsonElement Report => JsonDocument.Parse(Output).RootElement;
}

public static class Seeder
{
    public static Task<SeederRun> RunAsync(TestDatabase database, params string[] args) =>
        RunAsync(new Dictionary<string, string?> { ["ConnectionStrings:postgresdb"] = database.ConnectionString }, args);

    /// <summary>Runs as a developer's machine would: in Development (the demo refuses any other environment).</summary>
    public static Task<SeederRun> RunAsync(Dictionary<string, string?> settings, params string[] args) =>
        RunInAsync("Development", settings, args);

    public static async Task<SeederRun> RunInAsync(string environment, Dictionary<string, string?> settings, params string[] args)
    {
        settings["Logging:LogLevel:Default"] = "Warning";
        var output = new StringWriter();
        var exitCode = await SeederApp.RunAsync([.. args, $"--environment={environment}"], output, settings);
        return new SeederRun(exitCode, output.ToString());
    }

    /// <summary>Rows per table, in foreign-key order.</summary>
    public static async Task<Dictionary<string, long>> CountsAsync(TestDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        var counts = new Dictionary<string, long>();
        foreach (var table in Tables)
        {
            counts[table] = await connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM {table}");
        }

        return counts;
    }

    /// <summary>Every column of every row of every table, hashed: equal digests mean nothing changed at all.</summary>
    public static async Task<string> FullDigestAsync(TestDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        var parts = new List<string>();
        foreach (var table in Tables)
        {
            parts.Add(await connection.ExecuteScalarAsync<string>($"SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t.id)), '') FROM {table} t") ?? "");
        }

        return string.Join(',', parts);
    }

    public static readonly string[] Tables =
    [
        "users", "patients", "appointments", "encounters", "prescriptions", "prescription_items", "orders", "order_items", "tasks", "alerts",
    ];

    public static NpgsqlConnection Connect(TestDatabase database) => new(database.ConnectionString);
}
