using Dapper;
using Npgsql;

namespace DrAssistant.Api.Infrastructure;

/// <summary>
/// A change of status as SQL: to <see cref="To"/> from one of <see cref="From"/> (taken from the feature's
/// <see cref="Lifecycle"/>), setting the columns in <see cref="Set"/> too (<c>", signed_at = now()"</c>).
/// </summary>
public sealed record Step(string To, string[] From, string Set = "");

/// <summary>A parent row (a prescription, an order) as its lock holder sees it: who owns it and where it stands.</summary>
public sealed record LockedParent(string Status, Guid DoctorId);

/// <summary>Why a change was not made.</summary>
public enum Refused
{
    /// <summary>No such record (or no such item of it).</summary>
    NotFound,

    /// <summary>The record is another doctor's.</summary>
    NotOwner,

    /// <summary>The record's status (in <see cref="Refusal.Status"/>) does not allow the change.</summary>
    WrongStatus,

    /// <summary>The record's state refuses it for another reason (<see cref="Refusal.Detail"/>, about <see cref="Refusal.Field"/>).</summary>
    Conflict,

    /// <summary>The input does not fit the record as it is (<see cref="Refusal.Detail"/>, about <see cref="Refusal.Field"/>).</summary>
    Invalid,
}

/// <summary>A domain refusal, mapped to HTTP in one place (<see cref="TransitionAnswers.Answer"/>).</summary>
public sealed record Refusal(Refused Kind, string? Status = null, string? Detail = null, string? Field = null)
{
    public static readonly Refusal NotFound = new(Refused.NotFound);
    public static readonly Refusal NotOwner = new(Refused.NotOwner);

    public static Refusal WrongStatus(string status) => new(Refused.WrongStatus, Status: status);

    public static Refusal Conflict(string detail, string field) => new(Refused.Conflict, Detail: detail, Field: field);

    public static Refusal Invalid(string field, string detail) => new(Refused.Invalid, Detail: detail, Field: field);

    /// <summary>A constraint the input broke (a foreign key, a CHECK), named as <see cref="DbErrors.Invalid"/> names it.</summary>
    public static Refusal Invalid(PostgresException ex)
    {
        var (field, messages) = DbErrors.Invalid(ex).ProblemDetails.Errors.First();
        return Invalid(field, messages[0]);
    }
}

/// <summary>What became of a change: the record as it is after it, or why it was not made.</summary>
public sealed record Changed<TRow>(TRow? Row, Refusal? Refusal = null)
    where TRow : class
{
    public static implicit operator Changed<TRow>(TRow row) => new(row);

    public static implicit operator Changed<TRow>(Refusal refusal) => new(null, refusal);
}

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
    /// A step anyone may take (no owner to check), in one conditional UPDATE (see above); the row as it is after it,
    /// read by <paramref name="reload"/>.
    /// </summary>
    public static async Task<Changed<TRow>> MoveAsync<TRow>(
        NpgsqlDataSource db, string table, Guid id, Step step, Func<NpgsqlConnection, Task<TRow?>> reload, CancellationToken cancellationToken)
        where TRow : class
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (moved, status) = await MoveAsync(connection, table, id, step, cancellationToken);
        if (status is null)
        {
            return Refusal.NotFound;
        }

        return moved ? (await reload(connection))! : Refusal.WrongStatus(status);
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
    /// not found when there is no such row, not the owner unless <paramref name="caller"/> owns it, the wrong status
    /// unless it is one of <paramref name="allowed"/>; then <paramref name="change"/> (given the status), which may refuse
    /// too (nothing is written then), and the row as it is after the change, read before the commit.
    /// </summary>
    public static async Task<Changed<TRow>> ChangeOwnedAsync<TRow>(
        NpgsqlDataSource db, string table, Guid id, Guid caller, IReadOnlyCollection<string> allowed,
        Func<NpgsqlConnection, NpgsqlTransaction, string, Task<Refusal?>> change,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<TRow?>> reload, CancellationToken cancellationToken)
        where TRow : class
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var parent = await LockParentAsync(connection, transaction, table, id, cancellationToken);
        if (parent is null)
        {
            return Refusal.NotFound;
        }

        if (parent.DoctorId != caller)
        {
            return Refusal.NotOwner;
        }

        if (!allowed.Contains(parent.Status))
        {
            return Refusal.WrongStatus(parent.Status);
        }

        if (await change(connection, transaction, parent.Status) is { } refusal)
        {
            return refusal;
        }

        var row = (await reload(connection, transaction))!;
        await transaction.CommitAsync(cancellationToken);
        return row;
    }

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
