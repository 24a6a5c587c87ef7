using System.Collections.Concurrent;
using System.Diagnostics;
using DrAssistant.MigrationService.Tests.Postgres;
using DrAssistant.Testing;
using Xunit.Abstractions;

namespace DrAssistant.MigrationService.Tests;

/// <summary>
/// In a deployment (<c>Migrator:IdleAfterSuccess</c>, set by the AppHost's publish mode) the migrator runs once and then
/// stays up doing nothing, so a container platform does not restart it in a loop; stopped, it exits 0. A failed
/// migration still exits non-zero at once.
/// </summary>
public sealed class IdleAfterSuccessTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> Idle = new() { ["Migrator__IdleAfterSuccess"] = "true" };

    [Fact]
    public async Task AfterASuccessfulMigrationItStaysUpIdleUntilStoppedThenExits0()
    {
        await using var database = await Db.NewAsync();
        using var migrator = Migrator.Start(database.ConnectionString, ["migrate"], Idle);
        var lines = Collect(migrator);

        await Db.WaitUntilAsync(() => Task.FromResult(lines.Any(l => l.Contains("Staying up, idle", StringComparison.Ordinal))), "the migrator to say it stays up");
        Assert.Equal(Db.AllVersions, await Db.AppliedVersionsAsync(database));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(migrator.HasExited, "the migrator ended after its work");

        var clock = Stopwatch.StartNew();
        Assert.True(Tools.Signal(migrator.Id, "TERM"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await migrator.WaitForExitAsync(timeout.Token);
        output.WriteLine($"stopped {clock.ElapsedMilliseconds} ms after SIGTERM, exit code {migrator.ExitCode}");

        Assert.Equal(0, migrator.ExitCode);
    }

    [Fact]
    public async Task AFailedMigrationStillExitsNonZeroAtOnce()
    {
        var server = await PostgresServer.GetAsync();
        using var migrator = Migrator.Start(server.ConnectionStringFor($"missing_{Guid.NewGuid():N}"), ["migrate"], Idle);
        Collect(migrator);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await migrator.WaitForExitAsync(timeout.Token);

        Assert.Equal(1, migrator.ExitCode);
    }

    [Fact]
    public async Task OtherCommandsEndAsUsual()
    {
        await using var database = await Db.NewAsync();
        await Db.MigrateAsync(database);

        var info = await Migrator.RunProcessAsync(database.ConnectionString, ["info"], Idle);

        Assert.Equal(0, info.ExitCode);
    }

    private static ConcurrentQueue<string> Collect(Process process)
    {
        var lines = new ConcurrentQueue<string>();
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lines.Enqueue(line);
            }
        });
        _ = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lines.Enqueue(line);
            }
        });
        return lines;
    }
}
