using System.Security.Claims;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace DrAssistant.Api.Orders;

/// <summary>
/// Lab, imaging, procedure and referral orders. Placed in an encounter (the patient comes from it) by a doctor, whose
/// order it is, either as a draft or straight away; items can change until the work starts; then in progress,
/// completed, or cancelled. Only the ordering doctor changes, submits or cancels it (403 for anyone else), each change in
/// one transaction holding the order's row lock; starting and completing record the work and are anyone's to record.
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
        orders.MapPost("/", CreateOrder).RequireAuthorization(Permissions.WriteOrders).WithSummary("Place an order (or a draft) in an encounter; it is yours");
        orders.MapPut("/{id:guid}", UpdateOrder).RequireAuthorization(Permissions.WriteOrders).WithSummary("Change an order before the work starts (its doctor only)");
        orders.MapPost("/{id:guid}/items", AddItem).RequireAuthorization(Permissions.WriteOrders).WithSummary("Add an item before the work starts (its doctor only)");
        orders.MapDelete("/{id:guid}/items/{itemId:guid}", RemoveItem).RequireAuthorization(Permissions.WriteOrders)
            .WithSummary("Remove an item before the work starts (its doctor only; a placed order keeps at least one)");
        orders.MapPost("/{id:guid}/submit", (Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken ct) => OwnerStepAsync(id, user, Submit, "submitted", db, ct))
            .RequireAuthorization(Permissions.WriteOrders).WithName("SubmitOrder").WithSummary("Submit a draft (its doctor only; it needs at least one item)");
        orders.MapPost("/{id:guid}/start", (Guid id, NpgsqlDataSource db, CancellationToken ct) => MoveAsync(id, Start, "started", db, ct))
            .RequireAuthorization(Permissions.WriteOrders).WithName("StartOrder").WithSummary("Mark the work as started");
        orders.MapPost("/{id:guid}/complete", (Guid id, NpgsqlDataSource db, CancellationToken ct) => MoveAsync(id, Complete, "completed", db, ct))
            .RequireAuthorization(Permissions.WriteOrders).WithName("CompleteOrder").WithSummary("Mark the order completed");
        orders.MapPost("/{id:guid}/cancel", (Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken ct) => OwnerStepAsync(id, user, Cancel, "cancelled", db, ct))
            .RequireAuthorization(Permissions.WriteOrders).WithName("CancelOrder").WithSummary("Cancel an order that is not completed (its doctor only)");
        return app;
    }

    public static async Task<Results<Ok<Order>, NotFound>> GetOrder(Guid id, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var order = await FindAsync(connection, id, cancellationToken);
        return order is null ? TypedResults.NotFound() : TypedResults.Ok(order);
    }

    public static async Task<Results<Created<Order>, ValidationProblem>> CreateOrder(
        CreateOrderRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
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
        // The patient is the encounter's; the order belongs to the doctor who places it. The encounter is held until the
        // order is written, so it cannot be cancelled in between.
        var encounter = await connection.QuerySingleOrDefaultAsync<(Guid PatientId, string Status)?>(new CommandDefinition(
            "SELECT patient_id, status FROM encounters WHERE id = @EncounterId FOR SHARE", request, transaction, cancellationToken: cancellationToken));
        if (encounter is not { Status: not "cancelled" })
        {
            return Problems.Invalid("encounterId", "No open or completed encounter with this id.");
        }

        var id = await connection.ExecuteScalarAsync<Guid>(new CommandDefinition("""
            INSERT INTO orders (encounter_id, patient_id, doctor_id, order_type, status, ordered_at, provider_id, notes)
            VALUES (@EncounterId, @PatientId, @Doctor, @OrderType,
                    CASE WHEN @Draft THEN 'draft' ELSE 'ordered' END, CASE WHEN @Draft THEN NULL ELSE now() END,
                    @ProviderId, @Notes)
            RETURNING id
            """, new { request.EncounterId, encounter.Value.PatientId, Doctor = user.Id(), request.OrderType, request.Draft, request.ProviderId, request.Notes },
            transaction, cancellationToken: cancellationToken));

        foreach (var item in request.Items ?? [])
        {
            await InsertItemAsync(connection, transaction, id, item, cancellationToken);
        }

        var order = (await FindAsync(connection, id, cancellationToken, transaction))!;
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/orders/{order.Id}", order);
    }

    public static async Task<Results<Ok<Order>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult>> UpdateOrder(
        Guid id, UpdateOrderRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .OneOf("orderType", request.OrderType, Vocabulary.OrderTypes)
            .MaxLength("notes", request.Notes, 10_000);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        return (await ChangeAsync(db, id, user, Editable, "edited", cancellationToken, async (connection, transaction, _) =>
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE orders SET order_type = @OrderType, provider_id = @ProviderId, notes = @Notes WHERE id = @id",
                new { id, request.OrderType, request.ProviderId, request.Notes }, transaction, cancellationToken: cancellationToken));
            return null;
        }, order => TypedResults.Ok(order))).OrInvalid();
    }

    public static async Task<Results<Created<Order>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult>> AddItem(
        Guid id, OrderItemRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        ValidateItem(validation, request, string.Empty);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        return (await ChangeAsync(db, id, user, Editable, "edited", cancellationToken, async (connection, transaction, _) =>
        {
            if (await CountItemsAsync(connection, transaction, id, cancellationToken) >= MaxItems)
            {
                return Problems.Conflict($"An order has at most {MaxItems} items.", "items");
            }

            await InsertItemAsync(connection, transaction, id, request, cancellationToken);
            return null;
        }, order => TypedResults.Created($"/api/orders/{id}", order))).OrInvalid();
    }

    public static Task<Results<Ok<Order>, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> RemoveItem(
        Guid id, Guid itemId, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        ChangeAsync(db, id, user, Editable, "edited", cancellationToken, async (connection, transaction, status) =>
        {
            var items = await connection.QueryAsync<Guid>(new CommandDefinition(
                "SELECT id FROM order_items WHERE order_id = @id", new { id }, transaction, cancellationToken: cancellationToken));
            var ids = items.ToList();
            if (!ids.Contains(itemId))
            {
                return TypedResults.NotFound();
            }

            // A placed order is work someone will do: it keeps at least one item (a draft may be emptied).
            if (status != "draft" && ids.Count == 1)
            {
                return Problems.Conflict("An order that is placed keeps at least one item; cancel it instead.", "items");
            }

            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM order_items WHERE id = @itemId AND order_id = @id", new { id, itemId }, transaction, cancellationToken: cancellationToken));
            return null;
        }, order => TypedResults.Ok(order));

    /// <summary>Submit and cancel: the ordering doctor's steps, taken under the order's lock (submit needs an item).</summary>
    public static Task<Results<Ok<Order>, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> OwnerStepAsync(
        Guid id, ClaimsPrincipal user, Step step, string verb, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        ChangeAsync(db, id, user, step.From, verb, cancellationToken, async (connection, transaction, _) =>
        {
            if (step == Submit && await CountItemsAsync(connection, transaction, id, cancellationToken) == 0)
            {
                return Problems.Conflict("An order without items cannot be submitted.", "items");
            }

            await Transitions.SetStatusAsync(connection, transaction, "orders", id, step, cancellationToken);
            return null;
        }, order => TypedResults.Ok(order));

    /// <summary>Start and complete record the work's progress: whoever does the work records it, in one conditional UPDATE.</summary>
    public static async Task<Results<Ok<Order>, NotFound, Conflict<ProblemDetails>>> MoveAsync(
        Guid id, Step step, string verb, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (moved, status) = await Transitions.MoveAsync(connection, "orders", id, step, cancellationToken);
        if (status is null)
        {
            return TypedResults.NotFound();
        }

        return moved ? TypedResults.Ok((await FindAsync(connection, id, cancellationToken))!) : Problems.WrongStatus("order", status, verb);
    }

    public static async Task<Order?> FindAsync(
        NpgsqlConnection connection, Guid id, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null) =>
        await connection.QuerySingleOrDefaultAsync<Order>(new CommandDefinition(
            $"{Select} WHERE o.id = @id", new { id }, transaction, cancellationToken: cancellationToken));

    /// <summary>One change by the ordering doctor, under the order's lock (see <see cref="Transitions.ChangeOwnedAsync"/>).</summary>
    private static Task<Results<TOk, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> ChangeAsync<TOk>(
        NpgsqlDataSource db, Guid id, ClaimsPrincipal user, string[] allowed, string verb, CancellationToken cancellationToken,
        Func<NpgsqlConnection, NpgsqlTransaction, string, Task<IResult?>> change, Func<Order, TOk> answer)
        where TOk : IResult =>
        Transitions.ChangeOwnedAsync(db, "orders", "order", id, user.Id(), allowed, verb, change,
            async (connection, transaction) => (await FindAsync(connection, id, cancellationToken, transaction))!, answer, cancellationToken);

    private static Task<int> CountItemsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT count(*) FROM order_items WHERE order_id = @id", new { id }, transaction, cancellationToken: cancellationToken));

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
