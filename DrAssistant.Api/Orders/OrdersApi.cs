using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace DrAssistant.Api.Orders;

/// <summary>
/// Lab, imaging, procedure and referral orders. Placed in an encounter (patient and doctor come from it), either as a
/// draft or straight away; items can change until the work starts; then in progress, completed, or cancelled.
/// </summary>
public static class OrdersApi
{
    public const int MaxItems = 50;

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

    private static readonly string[] Editable = ["draft", "ordered"];
    private static readonly Step Submit = new("ordered", ["draft"], ", ordered_at = now()");
    private static readonly Step Start = new("in_progress", ["ordered"]);
    private static readonly Step Complete = new("completed", ["ordered", "in_progress"], ", completed_at = now()");
    private static readonly Step Cancel = new("cancelled", ["draft", "ordered", "in_progress"]);

    public static IEndpointRouteBuilder MapOrdersApi(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/api/orders").WithTags("Orders");
        orders.MapGet("/{id:guid}", GetOrder).RequireAuthorization(Permissions.ReadEncounters).WithSummary("An order with its items");
        orders.MapPost("/", CreateOrder).RequireAuthorization(Permissions.WriteOrders).WithSummary("Place an order (or a draft) in an encounter");
        orders.MapPut("/{id:guid}", UpdateOrder).RequireAuthorization(Permissions.WriteOrders).WithSummary("Change an order before the work starts");
        orders.MapPost("/{id:guid}/items", AddItem).RequireAuthorization(Permissions.WriteOrders).WithSummary("Add an item before the work starts");
        orders.MapDelete("/{id:guid}/items/{itemId:guid}", RemoveItem).RequireAuthorization(Permissions.WriteOrders).WithSummary("Remove an item before the work starts");
        orders.MapPost("/{id:guid}/submit", (Guid id, NpgsqlDataSource db, CancellationToken ct) => MoveAsync(id, Submit, "submitted", db, ct))
            .RequireAuthorization(Permissions.WriteOrders).WithName("SubmitOrder").WithSummary("Submit a draft");
        orders.MapPost("/{id:guid}/start", (Guid id, NpgsqlDataSource db, CancellationToken ct) => MoveAsync(id, Start, "started", db, ct))
            .RequireAuthorization(Permissions.WriteOrders).WithName("StartOrder").WithSummary("Mark the work as started");
        orders.MapPost("/{id:guid}/complete", (Guid id, NpgsqlDataSource db, CancellationToken ct) => MoveAsync(id, Complete, "completed", db, ct))
            .RequireAuthorization(Permissions.WriteOrders).WithName("CompleteOrder").WithSummary("Mark the order completed");
        orders.MapPost("/{id:guid}/cancel", (Guid id, NpgsqlDataSource db, CancellationToken ct) => MoveAsync(id, Cancel, "cancelled", db, ct))
            .RequireAuthorization(Permissions.WriteOrders).WithName("CancelOrder").WithSummary("Cancel an order that is not completed");
        return app;
    }

    public static async Task<Results<Ok<Order>, NotFound>> GetOrder(Guid id, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var order = await FindAsync(connection, id, cancellationToken);
        return order is null ? TypedResults.NotFound() : TypedResults.Ok(order);
    }

    public static async Task<Results<Created<Order>, ValidationProblem>> CreateOrder(
        CreateOrderRequest request, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Required("encounterId", request.EncounterId)
            .OneOf("orderType", request.OrderType, Vocabulary.OrderTypes)
            .MaxLength("notes", request.Notes, 10_000)
            .When(request.Items?.Length > MaxItems, "items", $"At most {MaxItems} items.")
            .When(!request.Draft && (request.Items is null || request.Items.Length == 0), "items", "An order that is not a draft needs at least one item.");
        for (var i = 0; i < Math.Min(request.Items?.Length ?? 0, MaxItems); i++)
        {
            ValidateItem(validation, request.Items![i], $"items[{i}].");
        }

        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<Guid?>(new CommandDefinition("""
            INSERT INTO orders (encounter_id, patient_id, doctor_id, order_type, status, ordered_at, provider_id, notes)
            SELECT e.id, e.patient_id, e.doctor_id, @OrderType,
                   CASE WHEN @Draft THEN 'draft' ELSE 'ordered' END,
                   CASE WHEN @Draft THEN NULL ELSE now() END,
                   @ProviderId, @Notes
            FROM encounters e
            WHERE e.id = @EncounterId AND e.status <> 'cancelled'
            RETURNING id
            """, request, transaction, cancellationToken: cancellationToken));
        if (id is null)
        {
            return Problems.Invalid("encounterId", "No open or completed encounter with this id.");
        }

        foreach (var item in request.Items ?? [])
        {
            await InsertItemAsync(connection, transaction, id.Value, item, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        var order = (await FindAsync(connection, id.Value, cancellationToken))!;
        return TypedResults.Created($"/api/orders/{order.Id}", order);
    }

    public static async Task<Results<Ok<Order>, NotFound, ValidationProblem, Conflict<ProblemDetails>>> UpdateOrder(
        Guid id, UpdateOrderRequest request, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .OneOf("orderType", request.OrderType, Vocabulary.OrderTypes)
            .MaxLength("notes", request.Notes, 10_000);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE orders SET order_type = @OrderType, provider_id = @ProviderId, notes = @Notes
            WHERE id = @id AND status = ANY(@Editable)
            """, new { id, request.OrderType, request.ProviderId, request.Notes, Editable }, cancellationToken: cancellationToken));
        var order = await FindAsync(connection, id, cancellationToken);
        if (order is null)
        {
            return TypedResults.NotFound();
        }

        return updated == 1 ? TypedResults.Ok(order) : Problems.WrongStatus("order", order.Status, "edited");
    }

    public static async Task<Results<Created<Order>, NotFound, ValidationProblem, Conflict<ProblemDetails>>> AddItem(
        Guid id, OrderItemRequest request, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        ValidateItem(validation, request, string.Empty);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var status = await Transitions.LockStatusAsync(connection, transaction, "orders", id, cancellationToken);
        if (status is null)
        {
            return TypedResults.NotFound();
        }

        if (!Editable.Contains(status))
        {
            return Problems.WrongStatus("order", status, "edited");
        }

        if (await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                "SELECT count(*) FROM order_items WHERE order_id = @id", new { id }, transaction, cancellationToken: cancellationToken)) >= MaxItems)
        {
            return Problems.Conflict($"An order has at most {MaxItems} items.", "items");
        }

        await InsertItemAsync(connection, transaction, id, request, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/orders/{id}", (await FindAsync(connection, id, cancellationToken))!);
    }

    public static async Task<Results<Ok<Order>, NotFound, Conflict<ProblemDetails>>> RemoveItem(
        Guid id, Guid itemId, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var status = await Transitions.LockStatusAsync(connection, transaction, "orders", id, cancellationToken);
        if (status is not null && !Editable.Contains(status))
        {
            return Problems.WrongStatus("order", status, "edited");
        }

        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM order_items WHERE id = @itemId AND order_id = @id", new { id, itemId }, transaction, cancellationToken: cancellationToken));
        if (deleted == 0)
        {
            return TypedResults.NotFound();
        }

        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok((await FindAsync(connection, id, cancellationToken))!);
    }

    public static async Task<Results<Ok<Order>, NotFound, Conflict<ProblemDetails>>> MoveAsync(
        Guid id, Step step, string verb, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (step == Submit && !await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM order_items WHERE order_id = @id)", new { id }, cancellationToken: cancellationToken))
            && await FindAsync(connection, id, cancellationToken) is { Status: "draft" })
        {
            return Problems.Conflict("An order without items cannot be submitted.", "items");
        }

        var (moved, status) = await Transitions.MoveAsync(connection, "orders", id, step, cancellationToken);
        if (status is null)
        {
            return TypedResults.NotFound();
        }

        return moved ? TypedResults.Ok((await FindAsync(connection, id, cancellationToken))!) : Problems.WrongStatus("order", status, verb);
    }

    public static async Task<Order?> FindAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<Order>(new CommandDefinition(
            $"{Select} WHERE o.id = @id", new { id }, cancellationToken: cancellationToken));

    private static Task InsertItemAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, OrderItemRequest item, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO order_items (order_id, item_code, item_name, instructions) VALUES (@id, @ItemCode, @ItemName, @Instructions)",
            new { id, item.ItemCode, item.ItemName, item.Instructions }, transaction, cancellationToken: cancellationToken));

    private static void ValidateItem(Validation validation, OrderItemRequest? item, string prefix)
    {
        if (item is null)
        {
            validation.Add(prefix.TrimEnd('.'), "An item is required.");
            return;
        }

        validation
            .Required($"{prefix}itemCode", item.ItemCode, 50)
            .Required($"{prefix}itemName", item.ItemName, 100)
            .MaxLength($"{prefix}instructions", item.Instructions, 10_000);
    }
}
