using Dapper;
using DrAssistant.Api.Infrastructure;
using Npgsql;
using static DrAssistant.Api.Orders.OrdersRules;

namespace DrAssistant.Api.Orders;

/// <summary>
/// The SQL of orders. Every change by the ordering doctor runs in one transaction holding the order's row lock
/// (<see cref="DraftItems{TRow}"/>); starting and completing are one conditional UPDATE each.
/// </summary>
public static class OrdersQueries
{
    /// <summary>The order view: the doctor's name and the items as one JSON column, oldest item first.</summary>
    public const string Select = """
        SELECT o.id, o.encounter_id, o.patient_id, o.doctor_id, u.full_name AS doctor_name, o.order_type, o.status,
               o.ordered_at, o.completed_at, o.provider_id, o.notes, o.created_at, o.updated_at,
               coalesce((SELECT json_agg(json_build_object(
                            'id', i.id, 'itemCode', i.item_code, 'itemName', i.item_name, 'instructions', i.instructions,
                            'createdAt', i.created_at) ORDER BY i.created_at, i.id)
                         FROM order_items i WHERE i.order_id = o.id), '[]')::text AS items
        FROM orders o
        JOIN users u ON u.id = o.doctor_id
        """;

    private const string Table = "orders";

    private static readonly Step Submit = new(Ordered, Steps.From(Ordered), ", ordered_at = now()");
    private static readonly Step Start = new(InProgress, Steps.From(InProgress));
    private static readonly Step Complete = new(Completed, Steps.From(Completed), ", completed_at = now()");
    private static readonly Step Cancel = new(Cancelled, Steps.From(Cancelled));

    private static readonly DraftItems<Order> Drafts = new(Table, "order_items", "order_id", MaxItems, TooManyItems, FindAsync);

    public static async Task<Order?> FindAsync(NpgsqlConnection connection, Guid id, NpgsqlTransaction? transaction, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<Order>(new CommandDefinition(
            $"{Select} WHERE o.id = @id", new { id }, transaction, cancellationToken: cancellationToken));

    public static async Task<Order?> GetAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await FindAsync(connection, id, null, cancellationToken);
    }

    /// <summary>An order (or a draft) in an open or completed encounter: the patient is the encounter's, the order <paramref name="doctor"/>'s.</summary>
    public static Task<Changed<Order>> CreateAsync(NpgsqlDataSource db, CreateOrderRequest request, Guid doctor, CancellationToken cancellationToken) =>
        Drafts.CreateAsync(db, request.EncounterId!.Value, async (connection, transaction, patientId) => (await connection.ExecuteScalarAsync<Guid>(new CommandDefinition("""
            INSERT INTO orders (encounter_id, patient_id, doctor_id, order_type, status, ordered_at, provider_id, notes)
            VALUES (@EncounterId, @patientId, @doctor, @OrderType, @status, CASE WHEN @Draft THEN NULL ELSE now() END, @ProviderId, @Notes)
            RETURNING id
            """, new { request.EncounterId, patientId, doctor, request.OrderType, status = InitialStatus(request.Draft), request.Draft, request.ProviderId, request.Notes },
            transaction, cancellationToken: cancellationToken)), (Refusal?)null), request.Items ?? [], InsertItemAsync(cancellationToken), cancellationToken);

    public static Task<Changed<Order>> UpdateAsync(NpgsqlDataSource db, Guid id, UpdateOrderRequest request, Guid caller, CancellationToken cancellationToken) =>
        Drafts.ChangeAsync(db, id, caller, Editable, async (connection, transaction, _) =>
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE orders SET order_type = @OrderType, provider_id = @ProviderId, notes = @Notes WHERE id = @id",
                new { id, request.OrderType, request.ProviderId, request.Notes }, transaction, cancellationToken: cancellationToken));
            return null;
        }, cancellationToken);

    public static Task<Changed<Order>> AddItemAsync(NpgsqlDataSource db, Guid id, OrderItemRequest item, Guid caller, CancellationToken cancellationToken) =>
        Drafts.AddItemAsync(db, id, caller, Editable,
            (connection, transaction) => InsertItemAsync(cancellationToken)(connection, transaction, id, item), cancellationToken);

    public static Task<Changed<Order>> RemoveItemAsync(NpgsqlDataSource db, Guid id, Guid itemId, Guid caller, CancellationToken cancellationToken) =>
        Drafts.RemoveItemAsync(db, id, itemId, caller, Editable, KeepsLastItem, cancellationToken);

    /// <summary>Submits a draft: under the order's lock its items cannot all go between counting them and submitting.</summary>
    public static Task<Changed<Order>> SubmitAsync(NpgsqlDataSource db, Guid id, Guid caller, CancellationToken cancellationToken) =>
        Drafts.StepAsync(db, id, caller, Submit, cancellationToken, withoutItems: SubmittedWithoutItems);

    public static Task<Changed<Order>> CancelAsync(NpgsqlDataSource db, Guid id, Guid caller, CancellationToken cancellationToken) =>
        Drafts.StepAsync(db, id, caller, Cancel, cancellationToken);

    /// <summary>Start and complete record the work's progress: whoever does the work records it, in one conditional UPDATE.</summary>
    public static Task<Changed<Order>> StartAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken) => MoveAsync(db, id, Start, cancellationToken);

    public static Task<Changed<Order>> CompleteAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken) => MoveAsync(db, id, Complete, cancellationToken);

    private static Task<Changed<Order>> MoveAsync(NpgsqlDataSource db, Guid id, Step step, CancellationToken cancellationToken) =>
        Transitions.MoveAsync(db, Table, id, step, connection => FindAsync(connection, id, null, cancellationToken), cancellationToken);

    private static Func<NpgsqlConnection, NpgsqlTransaction, Guid, OrderItemRequest, Task> InsertItemAsync(CancellationToken cancellationToken) =>
        (connection, transaction, id, item) => connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO order_items (order_id, item_code, item_name, instructions) VALUES (@id, @ItemCode, @ItemName, @Instructions)",
            new { id, item.ItemCode, item.ItemName, item.Instructions }, transaction, cancellationToken: cancellationToken));
}
