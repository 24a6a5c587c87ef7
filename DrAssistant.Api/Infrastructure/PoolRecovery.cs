using Npgsql;

namespace DrAssistant.Api.Infrastructure;

/// <summary>
/// Works around a defect of Npgsql 10.0.3's automatic preparation (Max Auto Prepare &gt; 0) that let one bad request
/// break the next good one on the same pooled connection ("Received unexpected backend message DataRow", a 500).
/// <para>
/// <b>Evidence.</b> Reproduced with a pool of one connection, Max Auto Prepare 64, Auto Prepare Min Usages 2 and one
/// row-returning statement (tests/DrAssistant.Api.Tests/Resilience/PreparedStatementDefectTests.cs): use 1 succeeds;
/// use 2, with a text parameter holding a NUL, fails with 22021; use 3 throws "Received unexpected backend message
/// DataRow. Please file a bug." and breaks the connection; use 4, on a new connection, succeeds. With Max Auto Prepare
/// 0, or when the failing use is the first or third, every later use succeeds.
/// </para>
/// <para>
/// <b>Root cause</b> (Npgsql 10.0.3, decompiled: <c>NpgsqlDataReader.NextResult</c>, <c>PreparedStatement</c>). The use
/// that reaches <c>Auto Prepare Min Usages</c> sends Parse (named statement), Bind, Describe, Execute and Sync in one
/// round trip. The reader marks the statement <c>Prepared</c> as soon as ParseComplete arrives, but the statement's
/// RowDescription only arrives with the Describe that follows the Bind. When the server refuses the Bind (a parameter
/// value it cannot take: 22021 for a NUL in text, 22P05 for a \u0000 escape in jsonb, or a cancellation that lands
/// during Bind), the statement stays <c>Prepared</c> with no RowDescription (the error path only undoes statements still
/// flagged as being prepared). The next use sends only Bind and Execute, expects no rows, and fails on the first DataRow.
/// Errors raised by Execute (constraint violations, 23xxx) come after the RowDescription and do no harm.
/// </para>
/// <para>
/// <b>Fixes.</b> At the root, such values never reach PostgreSQL: <see cref="StorableText"/> refuses them with a 400.
/// As a safety net for what validation cannot foresee, this middleware clears the connection pool whenever a request
/// fails with a server error that can come from Bind (anything but a constraint violation or lock contention, which
/// Execute raises, including a cancelled statement): idle connections are closed at once and busy ones when returned,
/// so a connection that may hold such a statement is never used again. Clearing costs a reconnect of the pool, and it
/// never happens on expected traffic (validation answers first).
/// </para>
/// </summary>
public sealed class PoolRecovery(RequestDelegate next, NpgsqlDataSource dataSource, ILogger<PoolRecovery> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (MayHaveHalfPrepared(ex) is { } postgres)
        {
            Recover(dataSource, postgres, logger);
            throw;
        }
    }

    /// <summary>The server error that failed the request, when it may have left a statement half prepared.</summary>
    public static PostgresException? MayHaveHalfPrepared(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException postgres)
            {
                return postgres.SqlState.StartsWith("23", StringComparison.Ordinal) || DbErrors.IsContention(postgres) ? null : postgres;
            }
        }

        return null;
    }

    /// <summary>No connection that saw the failure is used again: the pool is cleared (busy connections close on return).</summary>
    public static void Recover(NpgsqlDataSource dataSource, PostgresException cause, ILogger logger)
    {
        dataSource.Clear();
        logger.LogWarning("PostgreSQL refused a statement ({SqlState}: {Reason}); the connection pool was cleared so that no connection " +
                          "holding a half-prepared statement is reused.", cause.SqlState, cause.MessageText);
    }
}
