using Dapper;
using DrAssistant.MigrationService.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit.Abstractions;

namespace DrAssistant.MigrationService.Tests.Postgres;

/// <summary>A migrator that loses its lock stops; it never carries on beside the peer that takes the lock next.</summary>
public sealed class MigratorLockTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AMigratorWhoseLockSessionIsTerminatedWhileAVersionRunsExitsWithOneAndAPeerThenCompletesAlone()
    {
        await using var database = await Db.NewAsync();
        await Db.MigrateAsync(database, "--to", "1");

        MigratorResult first, peer;
        await using (var blocker = new NpgsqlConnection(database.ConnectionString))
        {
            // Version 2 needs a lock on encounters for its foreign key: holding it keeps the first migrator inside
            // version 2 for as long as the test likes.
            await blocker.OpenAsync();
            await using var transaction = await blocker.BeginTransactionAsync();
            await blocker.ExecuteAsync("LOCK TABLE encounters IN ACCESS EXCLUSIVE MODE", transaction: transaction);

            using var firstProcess = Migrator.Start(database.ConnectionString, ["migrate", "--json"]);
            var firstRun = CollectAsync(firstProcess);
            await Db.WaitUntilAsync(async () => await Db.SessionsOfAsync(database, firstProcess.Id, "wait_event_type = 'Lock'") == 1,
                "the first migrator waits inside version 2");

            using var peerProcess = Migrator.Start(database.ConnectionString, ["migrate", "--json"]);
            var peerRun = CollectAsync(peerProcess);
            await Db.WaitUntilAsync(async () => await Db.SessionsOfAsync(database, peerProcess.Id) >= 1,
                "the peer is connected and polls for the lock");

            // Whatever session holds the migration lock is the one to cut (as an administrator or a network would).
            var holder = await Db.ScalarAsync<int>(database, """
                SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted AND l.objid::bigint = @key AND a.application_name = @name
                """, new { key = AdvisoryLock.Key, name = $"DrAssistant.MigrationService pid {firstProcess.Id}" });
            Assert.True(await Db.ScalarAsync<bool>(database, "SELECT pg_terminate_backend(@holder)", new { holder }));
            await Db.WaitUntilAsync(async () => await Db.ScalarAsync<int>(database, "SELECT count(*) FROM pg_stat_activity WHERE pid = @holder", new { holder }) == 0,
                "the lock's session has ended");

            // Let version 2 go on. A migrator that carried on without its lock would now commit it beside its peer.
            await transaction.RollbackAsync();
            first = await firstRun;
            peer = await peerRun;
        }

        output.WriteLine($"first: exit {first.ExitCode}, applied {string.Join(",", first.VersionsIn("applied-now"))}, {Error(first)}");
        output.WriteLine($"peer: exit {peer.ExitCode}, applied {string.Join(",", peer.VersionsIn("applied-now"))}, {Error(peer)}");
        Assert.Equal(1, first.ExitCode);
        Assert.Equal("lock-lost", first.Json.GetProperty("status").GetString());
        Assert.StartsWith("Lost the migration lock while applying version 2", first.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(first.VersionsIn("applied-now"));
        Assert.DoesNotContain("   at ", first.Errors, StringComparison.Ordinal);
        Assert.True(peer.ExitCode == 0, peer.Errors);
        Assert.Equal(Db.AllVersions.Skip(1), peer.VersionsIn("applied-now"));
        Assert.Equal(Db.AllVersions, await Db.AppliedVersionsAsync(database));
        Assert.Equal(Db.AllVersions.Length, await Db.ScalarAsync<int>(database, "SELECT count(*) FROM schema_history"));
        await using var fresh = await Db.NewAsync();
        await Db.MigrateAsync(fresh);
        Assert.Equal(await Catalog.SnapshotAsync(fresh.ConnectionString), await Catalog.SnapshotAsync(database.ConnectionString));
    }

    [Fact]
    public async Task NothingReadsTheVersionTableBeforeTheLockIsHeldThoughTheLockLivesOnTheConnectionTheVersionsRunOn()
    {
        await using var database = await Db.NewAsync();
        await Db.MigrateAsync(database, "--to", "1");
        await using var peer = new NpgsqlConnection(database.ConnectionString);
        await peer.OpenAsync();
        await peer.ExecuteAsync("SELECT pg_advisory_lock(@key)", new { key = AdvisoryLock.Key });
        await using var reader = new NpgsqlConnection(database.ConnectionString);
        await reader.OpenAsync();
        await using var transaction = await reader.BeginTransactionAsync();
        // Any read of schema_version would now wait for this transaction.
        await reader.ExecuteAsync("LOCK TABLE schema_version IN ACCESS EXCLUSIVE MODE", transaction: transaction);

        using var process = Migrator.Start(database.ConnectionString, ["migrate", "--json"]);
        var run = CollectAsync(process);
        // Polling for the lock means it got there without touching the version table, or it would be stuck on it.
        await Db.WaitUntilAsync(async () => await Db.SessionsOfAsync(database, process.Id,
                "query LIKE '%pg_try_advisory_lock%' AND wait_event_type IS DISTINCT FROM 'Lock'") == 1,
            "the migrator polls for the lock");
        var sessions = await Db.SessionsOfAsync(database, process.Id);
        await transaction.RollbackAsync();
        await peer.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = AdvisoryLock.Key });
        var result = await run;

        // One session for everything: the lock, the migrator's own tables, the history and the versions.
        Assert.Equal(1, sessions);
        Assert.True(result.ExitCode == 0, result.Errors);
        Assert.Equal(Db.AllVersions.Skip(1), result.VersionsIn("applied-now"));
    }

    [Fact]
    public async Task ALockIsHeldUntilItsSessionIsTerminatedAndThenReportedLost()
    {
        await using var database = await Db.NewAsync();
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var held = await AcquireAsync(connection);

        var whileHeld = held.Problem();
        await Db.ScalarAsync<bool>(database, "SELECT pg_terminate_backend(@pid)", new { pid = held.BackendPid });
        var lost = await Assert.ThrowsAsync<LockLostException>(() => held.EnsureHeldAsync("before version 2", CancellationToken.None));
        var lostSync = Assert.Throws<LockLostException>(() => held.EnsureHeld("writing the history row of version 2"));

        output.WriteLine(lost.Message);
        Assert.Null(whileHeld);
        Assert.StartsWith("Lost the migration lock before version 2: its connection", lost.Message, StringComparison.Ordinal);
        Assert.Contains("is gone", lostSync.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AConnectionReopenedAfterItsSessionEndedDoesNotPassForTheLockHolder()
    {
        await using var database = await Db.NewAsync();
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var held = await AcquireAsync(connection);
        await Db.ScalarAsync<bool>(database, "SELECT pg_terminate_backend(@pid)", new { pid = held.BackendPid });
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => connection.ExecuteAsync("SELECT 1"));

        // What FluentMigrator does before its next statement: open the broken connection again (a new session).
        await connection.OpenAsync();
        // Even while another session holds the lock, the reopened one is not taken for the holder.
        await using var other = new NpgsqlConnection(database.ConnectionString);
        await other.OpenAsync();
        Assert.True(await other.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_lock(@key)", new { key = AdvisoryLock.Key }));
        var lost = Assert.Throws<LockLostException>(() => held.EnsureHeld("writing the history row of version 2"));

        output.WriteLine(lost.Message);
        Assert.Contains($"was lost and reopened as backend pid {await connection.ExecuteScalarAsync<int>("SELECT pg_backend_pid()")}",
            lost.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReleasingTheLockLeavesItsConnectionOpenForItsOwner()
    {
        await using var database = await Db.NewAsync();
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        var held = await AcquireAsync(connection);

        var takenByAnother = await TryLockElsewhereAsync(database);
        await held.DisposeAsync();
        var takenAfterRelease = await TryLockElsewhereAsync(database);

        Assert.False(takenByAnother);
        Assert.True(takenAfterRelease);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT 1"));
    }

    private static async Task<AdvisoryLock> AcquireAsync(NpgsqlConnection connection) =>
        await AdvisoryLock.AcquireAsync(connection, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50), NullLogger.Instance, CancellationToken.None)
        ?? throw new InvalidOperationException("The lock of a fresh database should be free.");

    private static async Task<bool> TryLockElsewhereAsync(DrAssistant.Testing.TestDatabase database)
    {
        await using var other = new NpgsqlConnection(database.ConnectionString);
        await other.OpenAsync();
        return await other.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_lock(@key)", new { key = AdvisoryLock.Key });
    }

    private static string Error(MigratorResult result) =>
        result.Json.TryGetProperty("error", out var error) ? error.GetString()! : "no error";

    private static async Task<MigratorResult> CollectAsync(System.Diagnostics.Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return new MigratorResult(process.ExitCode, await stdout, await stderr);
    }
}
