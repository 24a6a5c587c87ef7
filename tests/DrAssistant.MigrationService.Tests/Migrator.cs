using System.Diagnostics;
using System.Text.Json;

namespace DrAssistant.MigrationService.Tests;

/// <summary>Runs the migrator the way people and the AppHost do: in-process for speed, or as its own process.</summary>
internal static class Migrator
{
    public static async Task<MigratorResult> RunAsync(string connectionString, params string[] args) =>
        await RunAsync(connectionString, new Dictionary<string, string?>(), args);

    public static Task<MigratorResult> RunAsync(string connectionString, Dictionary<string, string?> settings, params string[] args) =>
        RunWithInputAsync(connectionString, settings, null, args);

    /// <summary>In-process, with <paramref name="standardInput"/> as what was piped in (null: nothing).</summary>
    public static async Task<MigratorResult> RunWithInputAsync(
        string connectionString, Dictionary<string, string?> settings, string? standardInput, params string[] args)
    {
        settings["ConnectionStrings:postgresdb"] = connectionString;
        settings.TryAdd("Migrator:LockTimeout", "00:01:00");
        settings.TryAdd("Logging:LogLevel:Default", "Warning");
        var output = new StringWriter();
        var exitCode = await MigrationService.MigratorApp.RunAsync(args, output, settings, CancellationToken.None, new StringReader(standardInput ?? string.Empty));
        return new MigratorResult(exitCode, output.ToString(), string.Empty);
    }

    /// <summary>The built migrator as a separate process (for kills, parallel runs and stderr checks).</summary>
    /// <param name="migrator">Another build of the migrator (its main assembly); this one by default.</param>
    public static Process Start(string connectionString, IEnumerable<string> args, IDictionary<string, string>? environment = null, string? standardInput = null, string? migrator = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // Always redirected, so a command that reads it never waits on the test runner's own.
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(migrator ?? typeof(MigrationService.MigratorApp).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ConnectionStrings__postgresdb"] = connectionString;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the migrator.");
        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
        }

        process.StandardInput.Close();
        return process;
    }

    public static async Task<MigratorResult> RunProcessAsync(
        string connectionString, IEnumerable<string> args, IDictionary<string, string>? environment = null, string? standardInput = null, string? migrator = null)
    {
        using var process = Start(connectionString, args, environment, standardInput, migrator);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return new MigratorResult(process.ExitCode, await stdout, await stderr);
    }
}

internal sealed record MigratorResult(int ExitCode, string Output, string Errors)
{
    public JsonElement Json => JsonDocument.Parse(Output).RootElement;

    public IEnumerable<JsonElement> Versions => Json.GetProperty("postgres").GetProperty("versions").EnumerateArray();

    public IEnumerable<long> VersionsIn(string state) =>
        Versions.Where(v => v.GetProperty("state").GetString() == state).Select(v => v.GetProperty("version").GetInt64());
}
