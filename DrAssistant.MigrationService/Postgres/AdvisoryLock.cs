using System.Data;
using System.Diagnostics;
using Npgsql;

namespace DrAssistant.MigrationService.Postgres;

/// <summary>
/// The migrators' mutual exclusion: a PostgreSQL session-level advisory lock, polled with <c>pg_try_advisory_lock</c>
/// (the blocking form can deadlock with <c>CREATE INDEX CONCURRENTLY</c>). The server releases it by itself if the
/// process dies, because it belongs to the session.
/// <para>
/// It is taken on the very connection the versions are applied on, before anything reads the version table. The lock
/// and the version being applied then share one session: a lock that is lost (the backend terminated, the network cut)
/// takes the running version's transaction down with it, so no version can commit after its migrator lost the lock. On
/// a connection of its own, a terminated lock session would go unnoticed while the version carried on and committed.
/// </para>
/// <para>
/// Npgsql lets a broken connection be opened again (FluentMigrator's runner used to do so silently before its next
/// statement): that new session holds no lock. So before each version the migrator calls <see cref="EnsureHeldAsync"/>:
/// the connection must be open, still be the backend that took the lock, and <c>pg_locks</c> must show the lock
/// granted to it.
/// </para>
/// </summary>
public sealed class AdvisoryLock : IAsyncDisposable
{
    /// <summary>"DrAs" in ASCII; below 2^31 so pg_locks shows it as classid 0, objid = key.</summary>
    public const long Key = 0x4472_4173;

    private const string HeldSql = """
        SELECT pg_backend_pid(), EXISTS (
            SELECT 1 FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND classid = 0 AND objid::bigint = @key AND objsubid = 1)
        """;

    private readonly NpgsqlConnection _connection;
    private bool _released;

    private AdvisoryLock(NpgsqlConnection connection, int backendPid, TimeSpan waited)
    {
        _connection = connection;
        BackendPid = backendPid;
        Waited = waited;
    }

    /// <summary>The server process that holds the lock (the session of the connection it was taken on).</summary>
    public int BackendPid { get; }

    public TimeSpan Waited { get; }

    /// <summary>One attempt at the lock: a boolean (taken) and the backend's pid, with <c>@key</c> = <see cref="Key"/>.</summary>
    public const string TryOnceSql = "SELECT pg_try_advisory_lock(@key), pg_backend_pid()";

    /// <summary>The lock, taken on <paramref name="connection"/> by an attempt (<see cref="TryOnceSql"/>) that returned true.</summary>
    public static AdvisoryLock Taken(NpgsqlConnection connection, int backendPid, TimeSpan waited) => new(connection, backendPid, waited);

    /// <summary>
    /// Takes the lock on <paramref name="connection"/>, or returns null when <paramref name="timeout"/> passes first.
    /// The connection stays its owner's: releasing the lock does not close it.
    /// </summary>
    public static async Task<AdvisoryLock?> AcquireAsync(
        NpgsqlConnection connection, TimeSpan timeout, TimeSpan pollInterval, ILogger logger, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var nextReport = TimeSpan.Zero;
        while (true)
        {
            await using (var command = new NpgsqlCommand(TryOnceSql, connection))
            {
                command.Parameters.AddWithValue("key", Key);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                if (reader.GetBoolean(0))
                {
                    if (clock.Elapsed > pollInterval)
                    {
                        logger.LogInformation("Took the migration lock after waiting {Waited:0.0} s.", clock.Elapsed.TotalSeconds);
                    }

                    return new AdvisoryLock(connection, reader.GetInt32(1), clock.Elapsed);
                }
            }

            if (clock.Elapsed >= timeout)
            {
                logger.LogError("Gave up waiting for the migration lock after {Waited:0.0} s; {Holder}.",
                    clock.Elapsed.TotalSeconds, await DescribeHolderAsync(connection, cancellationToken));
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

    /// <summary>
    /// Throws <see cref="LockLostException"/> unless this session still holds the lock. <paramref name="moment"/>
    /// says when, for the message ("before version 3"). Synchronous, for callers that cannot await; it runs inside
    /// the version's transaction when there is one.
    /// </summary>
    public void EnsureHeld(string moment)
    {
        if (Problem() is { } problem)
        {
            throw new LockLostException(moment, problem);
        }
    }

    /// <inheritdoc cref="EnsureHeld"/>
    public async Task EnsureHeldAsync(string moment, CancellationToken cancellationToken)
    {
        if (await ProblemAsync(cancellationToken) is { } problem)
        {
            throw new LockLostException(moment, problem);
        }
    }

    /// <summary>Null while the lock is held; otherwise why it is not.</summary>
    public string? Problem()
    {
        if (_connection.State != ConnectionState.Open)
        {
            return ConnectionGone;
        }

        try
        {
            using var command = new NpgsqlCommand(HeldSql, _connection);
            command.Parameters.AddWithValue("key", Key);
            using var reader = command.ExecuteReader();
            reader.Read();
            return Judge(reader.GetInt32(0), reader.GetBoolean(1));
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or ObjectDisposedException)
        {
            return $"{ConnectionGone} ({ex.Message})";
        }
    }

    /// <inheritdoc cref="Problem"/>
    public async Task<string?> ProblemAsync(CancellationToken cancellationToken)
    {
        if (_connection.State != ConnectionState.Open)
        {
            return ConnectionGone;
        }

        try
        {
            await using var command = new NpgsqlCommand(HeldSql, _connection);
            command.Parameters.AddWithValue("key", Key);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return Judge(reader.GetInt32(0), reader.GetBoolean(1));
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or ObjectDisposedException)
        {
            return $"{ConnectionGone} ({ex.Message})";
        }
    }

    private string ConnectionGone =>
        $"its connection (backend pid {BackendPid}) is gone: terminated by the server or an administrator, or cut by the network";

    private string? Judge(int pid, bool held) =>
        pid != BackendPid ? $"its connection (backend pid {BackendPid}) was lost and reopened as backend pid {pid}, which does not hold it"
        : held ? null
        : $"pg_locks no longer shows it held by backend pid {BackendPid}";

    /// <summary>Releases the lock if this session still holds it; the connection stays open for its owner to close.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_released || _connection.State != ConnectionState.Open)
        {
            return;
        }

        _released = true;

        try
        {
            // Only on the session that took it: a reopened connection holds nothing (and would only warn).
            await using var command = new NpgsqlCommand(
                "SELECT CASE WHEN pg_backend_pid() = @pid THEN pg_advisory_unlock(@key) END", _connection);
            command.Parameters.AddWithValue("key", Key);
            command.Parameters.AddWithValue("pid", BackendPid);
            await command.ExecuteScalarAsync();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            // The connection is gone, and with it the session and its lock.
        }
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

/// <summary>
/// The migrator no longer holds the migration lock, so another migrator may be running: it stopped before doing
/// anything more (exit code 1).
/// </summary>
public sealed class LockLostException(string moment, string reason, Exception? inner = null)
    : Exception($"Lost the migration lock {moment}: {reason}. Stopped there and applied nothing more " +
                "(another migrator may hold the lock now); run 'migrate' again to continue.", inner)
{
    /// <summary>When it was found lost ("before version 3", "while applying version 2").</summary>
    public string Moment { get; } = moment;

    public string Reason { get; } = reason;
}
