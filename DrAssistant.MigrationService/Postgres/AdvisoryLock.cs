using System.Diagnostics;
using Npgsql;

namespace DrAssistant.MigrationService.Postgres;

/// <summary>
/// The migrators' mutual exclusion: a PostgreSQL session-level advisory lock on a connection of its own. It is polled
/// with <c>pg_try_advisory_lock</c> (the blocking form can deadlock with <c>CREATE INDEX CONCURRENTLY</c>), and the
/// server releases it by itself if the process dies, because it belongs to the session.
/// </summary>
public sealed class AdvisoryLock : IAsyncDisposable
{
    /// <summary>"DrAs" in ASCII; below 2^31 so pg_locks shows it as classid 0, objid = key.</summary>
    public const long Key = 0x4472_4173;

    private readonly NpgsqlConnection _connection;

    private AdvisoryLock(NpgsqlConnection connection, TimeSpan waited)
    {
        _connection = connection;
        Waited = waited;
    }

    public TimeSpan Waited { get; }

    /// <summary>
    /// Takes the lock on <paramref name="connection"/> (which it then owns), or returns null when
    /// <paramref name="timeout"/> passes first.
    /// </summary>
    public static async Task<AdvisoryLock?> AcquireAsync(
        NpgsqlConnection connection, TimeSpan timeout, TimeSpan pollInterval, ILogger logger, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var nextReport = TimeSpan.Zero;
        while (true)
        {
            await using (var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection))
            {
                command.Parameters.AddWithValue("key", Key);
                if (await command.ExecuteScalarAsync(cancellationToken) is true)
                {
                    if (clock.Elapsed > pollInterval)
                    {
                        logger.LogInformation("Took the migration lock after waiting {Waited:0.0} s.", clock.Elapsed.TotalSeconds);
                    }

                    return new AdvisoryLock(connection, clock.Elapsed);
                }
            }

            if (clock.Elapsed >= timeout)
            {
                logger.LogError("Gave up waiting for the migration lock after {Waited:0.0} s; {Holder}.",
                    clock.Elapsed.TotalSeconds, await DescribeHolderAsync(connection, cancellationToken));
                await connection.DisposeAsync();
                return null;
            }

            if (clock.Elapsed >= nextReport)
            {
                logger.LogInformation("Waiting for the migration lock: {Holder}.", await DescribeHolderAsync(connection, cancellationToken));
                nextReport = clock.Elapsed + TimeSpan.FromSeconds(10);
            }

            await Task.Delay(pollInterval, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", _connection);
            command.Parameters.AddWithValue("key", Key);
            await command.ExecuteScalarAsync();
        }
        catch (NpgsqlException)
        {
            // The connection is gone, and with it the session and its lock.
        }

        await _connection.DisposeAsync();
    }

    private static async Task<string> DescribeHolderAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT a.pid, a.application_name, a.client_addr::text, a.backend_start
            FROM pg_locks l
            JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid = 0 AND l.objid::bigint = @key AND l.objsubid = 1
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("key", Key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return "held by a session that has just ended";
        }

        var application = reader.IsDBNull(1) ? "" : reader.GetString(1);
        var address = reader.IsDBNull(2) ? "local socket" : reader.GetString(2);
        return $"held by backend pid {reader.GetInt32(0)} ('{application}', from {address}, connected since {reader.GetDateTime(3):O})";
    }
}
