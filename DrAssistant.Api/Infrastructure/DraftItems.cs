using Dapper;
using DrAssistant.Api.Encounters;
using Npgsql;

namespace DrAssistant.Api.Infrastructure;

/// <summary>
/// A parent row with items that a doctor writes as a draft and owns (a prescription and its medications, an order and
/// its items): the one place that locks the parent (<c>FOR UPDATE</c>), checks its owner and status, counts its items
/// and inserts or deletes one, so both features keep the same guarantees under concurrency (issue 11's race tests).
/// </summary>
/// <param name="Table">The parent's table (<c>prescriptions</c>).</param>
/// <param name="ItemsTable">The items' table (<c>prescription_items</c>).</param>
/// <param name="ParentColumn">The items' column naming the parent (<c>prescription_id</c>).</param>
/// <param name="MaxItems">How many items a parent holds at most.</param>
/// <param name="TooManyItems">The 409's words when it holds that many already.</param>
/// <param name="Find">The parent as the API shows it, read inside the change's transaction.</param>
public sealed record DraftItems<TRow>(
    string Table,
    string ItemsTable,
    string ParentColumn,
    int MaxItems,
    string TooManyItems,
    Func<NpgsqlConnection, Guid, NpgsqlTransaction?, CancellationToken, Task<TRow?>> Find)
    where TRow : class
{
    /// <summary>
    /// Writes a parent and its first items in one transaction, holding the encounter it belongs to (<c>FOR SHARE</c>)
    /// until then so that it cannot be cancelled in between. <paramref name="insert"/> writes the parent for the
    /// encounter's patient and returns its id, or refuses (nothing is written then).
    /// </summary>
    public async Task<Changed<TRow>> CreateAsync<TItem>(
        NpgsqlDataSource db, Guid encounterId,
        Func<NpgsqlConnection, NpgsqlTransaction, Guid, Task<(Guid Id, Refusal? Refusal)>> insert,
        IEnumerable<TItem> items, Func<NpgsqlConnection, NpgsqlTransaction, Guid, TItem, Task> insertItem, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await EncountersQueries.HoldAsync(connection, transaction, encounterId, cancellationToken) is not { } patientId)
        {
            return Refusal.Invalid("encounterId", "No open or completed encounter with this id.");
        }

        var (id, refusal) = await insert(connection, transaction, patientId);
        if (refusal is not null)
        {
            return refusal;
        }

        foreach (var item in items)
        {
            await insertItem(connection, transaction, id, item);
        }

        var row = (await Find(connection, id, transaction, cancellationToken))!;
        await transaction.CommitAsync(cancellationToken);
        return row;
    }

    /// <summary>One change by the owner, under the parent's lock (see <see cref="Transitions.ChangeOwnedAsync"/>).</summary>
    public Task<Changed<TRow>> ChangeAsync(
        NpgsqlDataSource db, Guid id, Guid caller, IReadOnlyCollection<string> allowed,
        Func<NpgsqlConnection, NpgsqlTransaction, string, Task<Refusal?>> change, CancellationToken cancellationToken) =>
        Transitions.ChangeOwnedAsync(db, Table, id, caller, allowed, change,
            (connection, transaction) => Find(connection, id, transaction, cancellationToken), cancellationToken);

    /// <summary>Adds an item unless the parent holds <see cref="MaxItems"/> already (counted under its lock).</summary>
    public Task<Changed<TRow>> AddItemAsync(
        NpgsqlDataSource db, Guid id, Guid caller, IReadOnlyCollection<string> allowed,
        Func<NpgsqlConnection, NpgsqlTransaction, Task> insertItem, CancellationToken cancellationToken) =>
        ChangeAsync(db, id, caller, allowed, async (connection, transaction, _) =>
        {
            if (await CountItemsAsync(connection, transaction, id, cancellationToken) >= MaxItems)
            {
                return Refusal.Conflict(TooManyItems, DraftItems.ItemsField);
            }

            await insertItem(connection, transaction);
            return null;
        }, cancellationToken);

    /// <summary>Changes an item of the parent (<paramref name="update"/> returns the rows it changed: none is a 404).</summary>
    public Task<Changed<TRow>> UpdateItemAsync(
        NpgsqlDataSource db, Guid id, Guid caller, IReadOnlyCollection<string> allowed,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<int>> update, CancellationToken cancellationToken) =>
        ChangeAsync(db, id, caller, allowed,
            async (connection, transaction, _) => await update(connection, transaction) == 0 ? Refusal.NotFound : null, cancellationToken);

    /// <summary>
    /// Removes an item of the parent. <paramref name="keepsOne"/> says, given the parent's status, why its last item must
    /// stay (null when it may go).
    /// </summary>
    public Task<Changed<TRow>> RemoveItemAsync(
        NpgsqlDataSource db, Guid id, Guid itemId, Guid caller, IReadOnlyCollection<string> allowed, Func<string, string?> keepsOne,
        CancellationToken cancellationToken) =>
        ChangeAsync(db, id, caller, allowed, async (connection, transaction, status) =>
        {
            var items = await connection.QuerySingleAsync<(long Count, bool Found)>(new CommandDefinition($"""
                SELECT count(*), coalesce(bool_or(id = @itemId), false) FROM {ItemsTable} WHERE {ParentColumn} = @id
                """, new { id, itemId }, transaction, cancellationToken: cancellationToken));
            if (!items.Found)
            {
                return Refusal.NotFound;
            }

            if (items.Count == 1 && keepsOne(status) is { } why)
            {
                return Refusal.Conflict(why, DraftItems.ItemsField);
            }

            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM {ItemsTable} WHERE id = @itemId AND {ParentColumn} = @id", new { id, itemId }, transaction, cancellationToken: cancellationToken));
            return null;
        }, cancellationToken);

    /// <summary>
    /// A status step only the owner takes, under the parent's lock. With <paramref name="withoutItems"/> the step needs at
    /// least one item (those words are the 409's): the lock keeps the items from going between the count and the step.
    /// </summary>
    public Task<Changed<TRow>> StepAsync(
        NpgsqlDataSource db, Guid id, Guid caller, Step step, CancellationToken cancellationToken, string? withoutItems = null, object? extra = null) =>
        ChangeAsync(db, id, caller, step.From, async (connection, transaction, _) =>
        {
            if (withoutItems is not null && await CountItemsAsync(connection, transaction, id, cancellationToken) == 0)
            {
                return Refusal.Conflict(withoutItems, DraftItems.ItemsField);
            }

            await Transitions.SetStatusAsync(connection, transaction, Table, id, step, cancellationToken, extra);
            return null;
        }, cancellationToken);

    private Task<int> CountItemsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<int>(new CommandDefinition(
            $"SELECT count(*) FROM {ItemsTable} WHERE {ParentColumn} = @id", new { id }, transaction, cancellationToken: cancellationToken));
}

/// <summary>What the draft parents share that needs no database.</summary>
public static class DraftItems
{
    public const string ItemsField = "items";

    /// <summary>Validates a request's items, each under its own index (<c>items[2].dosage</c>), and their number.</summary>
    public static Validation ValidateItems<TItem>(Validation validation, TItem[]? items, int maxItems, Action<Validation, TItem?, string> validateItem)
    {
        validation.When(items?.Length > maxItems, DraftItems.ItemsField, $"At most {maxItems} items.");
        for (var i = 0; i < Math.Min(items?.Length ?? 0, maxItems); i++)
        {
            validateItem(validation, items![i], $"items[{i}].");
        }

        return validation;
    }
}
