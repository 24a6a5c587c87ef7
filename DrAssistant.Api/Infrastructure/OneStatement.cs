using Dapper;
using Npgsql;

namespace DrAssistant.Api.Infrastructure;

/// <summary>A read or write that is one statement on a pooled connection of its own (the connection is back in the pool on return).</summary>
public static class OneStatement
{
    /// <summary>The rows (buffered, so they outlive the connection).</summary>
    public static async Task<IEnumerable<T>> QueryAsync<T>(this NpgsqlDataSource db, string sql, object? parameters, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QueryAsync<T>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
    }

    /// <summary>The one row, or default when there is none.</summary>
    public static async Task<T?> QuerySingleOrDefaultAsync<T>(this NpgsqlDataSource db, string sql, object? parameters, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<T>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
    }

    /// <summary>The one row a statement that must return one returns (an INSERT … RETURNING).</summary>
    public static async Task<T> QuerySingleAsync<T>(this NpgsqlDataSource db, string sql, object? parameters, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<T>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
    }
}
