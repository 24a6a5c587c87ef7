using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace DrAssistant.Api.Infrastructure;

/// <summary>A change of status, allowed only from some statuses (a signed prescription cannot be signed again).</summary>
public sealed record Step(string To, string[] From, string Set = "");

/// <summary>A parent row (a prescription, an order) as its lock holder sees it: who owns it and where it stands.</summary>
public sealed record LockedParent(string Status, Guid DoctorId);

public static class Transitions
{
    /// <summary>
    /// Moves the row in one conditional UPDATE, so two clients cannot both make the same step.
    /// Returns whether it moved, and otherwise the status it has (null when there is no such row).
    /// </summary>
    public static async Task<(bool Moved, string? Status)> MoveAsync(
        NpgsqlConnection connection, string table, Guid id, Step step, CancellationToken cancellationToken, object? extra = null,
        NpgsqlTransaction? transaction = null)
    {
        var parameters = new DynamicParameters(extra);
        parameters.Add("id", id);
        parameters.Add("to", step.To);
        parameters.Add("from", step.From);
        var moved = await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE {table} SET status = @to{step.Set} WHERE id = @id AND status = ANY(@from)", parameters, transaction, cancellationToken: cancellationToken));
        if (moved == 1)
        {
            return (true, step.To);
        }

        var status = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            $"SELECT status FROM {table} WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        return (false, status);
    }

    /// <summary>
    /// The status and owner of a parent row (a prescription, an order), locked (<c>FOR UPDATE</c>) until the transaction
    /// ends, so every check made on it (who may change it, whether its status allows it, how many items it has) still
    /// holds when the change is written: two requests on one parent take turns. Null when there is no such row.
    /// </summary>
    public static Task<LockedParent?> LockParentAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string table, Guid id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<LockedParent>(new CommandDefinition(
            $"SELECT status, doctor_id FROM {table} WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// One change to a parent row a doctor owns (a prescription, an order), in one transaction holding its row lock:
    /// 404 when there is no such row, 403 unless <paramref name="caller"/> owns it, 409 unless its status is one of
    /// <paramref name="allowed"/>; then <paramref name="change"/> (given the status), which may refuse with a 404 or a
    /// 409 of its own, and the answer built from the row as it is after the change, read before the commit.
    /// </summary>
    public static async Task<Results<TOk, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> ChangeOwnedAsync<TRow, TOk>(
        NpgsqlDataSource db, string table, string what, Guid id, Guid caller, IReadOnlyCollection<string> allowed, string verb,
        Func<NpgsqlConnection, NpgsqlTransaction, string, Task<IResult?>> change,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<TRow>> reload, Func<TRow, TOk> answer, CancellationToken cancellationToken)
        where TOk : IResult
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var parent = await LockParentAsync(connection, transaction, table, id, cancellationToken);
        if (parent is null)
        {
            return TypedResults.NotFound();
        }

        if (parent.DoctorId != caller)
        {
            return TypedResults.Forbid();
        }

        if (!allowed.Contains(parent.Status))
        {
            return Problems.WrongStatus(what, parent.Status, verb);
        }

        switch (await change(connection, transaction, parent.Status))
        {
            case NotFound notFound:
                return notFound;
            case Conflict<ProblemDetails> conflict:
                return conflict;
            case { } other:
                throw new InvalidOperationException($"Unexpected refusal {other.GetType().Name}.");
        }

        var row = await reload(connection, transaction);
        await transaction.CommitAsync(cancellationToken);
        return answer(row);
    }

    /// <summary>The same answers, for an endpoint that may also answer 400 (it validated its input first).</summary>
    public static Results<TOk, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult> OrInvalid<TOk>(
        this Results<TOk, NotFound, Conflict<ProblemDetails>, ForbidHttpResult> result)
        where TOk : IResult => result.Result switch
        {
            TOk ok => ok,
            NotFound notFound => notFound,
            Conflict<ProblemDetails> conflict => conflict,
            ForbidHttpResult forbid => forbid,
            _ => throw new InvalidOperationException($"Unexpected result {result.Result.GetType().Name}."),
        };

    /// <summary>Sets the status of a row already locked by <see cref="LockParentAsync"/>.</summary>
    public static Task SetStatusAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string table, Guid id, Step step, CancellationToken cancellationToken, object? extra = null)
    {
        var parameters = new DynamicParameters(extra);
        parameters.Add("id", id);
        parameters.Add("to", step.To);
        return connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE {table} SET status = @to{step.Set} WHERE id = @id", parameters, transaction, cancellationToken: cancellationToken));
    }
}
