using Dapper;
using Npgsql;

namespace DrAssistant.Api.Infrastructure;

/// <summary>A change of status, allowed only from some statuses (a signed prescription cannot be signed again).</summary>
public sealed record Step(string To, string[] From, string Set = "");

public static class Transitions
{
    /// <summary>
    /// Moves the row in one conditional UPDATE, so two clients cannot both make the same step.
    /// Returns whether it moved, and otherwise the status it has (null when there is no such row).
    /// </summary>
    public static async Task<(bool Moved, string? Status)> MoveAsync(
        NpgsqlConnection connection, string table, Guid id, Step step, CancellationToken cancellationToken, object? extra = null)
    {
        var parameters = new DynamicParameters(extra);
        parameters.Add("id", id);
        parameters.Add("to", step.To);
        parameters.Add("from", step.From);
        var moved = await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE {table} SET status = @to{step.Set} WHERE id = @id AND status = ANY(@from)", parameters, cancellationToken: cancellationToken));
        if (moved == 1)
        {
            return (true, step.To);
        }

        var status = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            $"SELECT status FROM {table} WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return (false, status);
    }

    /// <summary>
    /// The status of a parent row (a prescription, an order), locked for the transaction, so its items change only while
    /// it stays editable. Null when there is no such row.
    /// </summary>
    public static Task<string?> LockStatusAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string table, Guid id, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            $"SELECT status FROM {table} WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: cancellationToken));
}
