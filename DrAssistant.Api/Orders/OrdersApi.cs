using System.Security.Claims;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using static DrAssistant.Api.Orders.OrdersRules;

namespace DrAssistant.Api.Orders;

/// <summary>
/// Lab, imaging, procedure and referral orders. Placed in an encounter (the patient comes from it) by a doctor, whose
/// order it is, either as a draft or straight away; items can change until the work starts; then in progress,
/// completed, or cancelled. Only the ordering doctor changes, submits or cancels it (403 for anyone else); starting and
/// completing record the work and are anyone's to record. Rules in <see cref="OrdersRules"/>, SQL in <see cref="OrdersQueries"/>.
/// </summary>
public static class OrdersApi
{
    private const string What = "order";

    public static IEndpointRouteBuilder MapOrdersApi(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/api/orders").WithTags("Orders");
        orders.MapGet("/{id:guid}", GetOrder).RequireAuthorization(Permissions.ReadEncounters).WithSummary("An order with its items");
        orders.MapPost("/", CreateOrder).RequireAuthorization(Permissions.WriteOrders).WithSummary("Place an order (or a draft) in an encounter; it is yours");
        orders.MapPut("/{id:guid}", UpdateOrder).RequireAuthorization(Permissions.WriteOrders).WithSummary("Change an order before the work starts (its doctor only)");
        orders.MapPost("/{id:guid}/items", AddItem).RequireAuthorization(Permissions.WriteOrders).WithSummary("Add an item before the work starts (its doctor only)");
        orders.MapDelete("/{id:guid}/items/{itemId:guid}", RemoveItem).RequireAuthorization(Permissions.WriteOrders)
            .WithSummary("Remove an item before the work starts (its doctor only; a placed order keeps at least one)");
        orders.MapPost("/{id:guid}/submit", SubmitOrder)
            .RequireAuthorization(Permissions.WriteOrders).WithName("SubmitOrder").WithSummary("Submit a draft (its doctor only; it needs at least one item)");
        orders.MapPost("/{id:guid}/start", StartOrder)
            .RequireAuthorization(Permissions.WriteOrders).WithName("StartOrder").WithSummary("Mark the work as started");
        orders.MapPost("/{id:guid}/complete", CompleteOrder)
            .RequireAuthorization(Permissions.WriteOrders).WithName("CompleteOrder").WithSummary("Mark the order completed");
        orders.MapPost("/{id:guid}/cancel", CancelOrder)
            .RequireAuthorization(Permissions.WriteOrders).WithName("CancelOrder").WithSummary("Cancel an order that is not completed (its doctor only)");
        return app;
    }

    public static async Task<Results<Ok<Order>, NotFound>> GetOrder(Guid id, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        await OrdersQueries.GetAsync(db, id, cancellationToken) is { } order ? TypedResults.Ok(order) : TypedResults.NotFound();

    public static Task<Results<Created<Order>, ValidationProblem>> CreateOrder(
        CreateOrderRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        ValidateCreate(request).CreateIfValid(() => OrdersQueries.CreateAsync(db, request, user.Id(), cancellationToken), Location);

    public static Task<Results<Ok<Order>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult>> UpdateOrder(
        Guid id, UpdateOrderRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        ValidateUpdate(request).ChangeIfValid(() => OrdersQueries.UpdateAsync(db, id, request, user.Id(), cancellationToken), What, Edited, Ok);

    public static Task<Results<Created<Order>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult>> AddItem(
        Guid id, OrderItemRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        ValidateItem(request).ChangeIfValid(() => OrdersQueries.AddItemAsync(db, id, request, user.Id(), cancellationToken), What, Edited, Created);

    public static async Task<Results<Ok<Order>, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> RemoveItem(
        Guid id, Guid itemId, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        (await OrdersQueries.RemoveItemAsync(db, id, itemId, user.Id(), cancellationToken)).Answer(What, Edited, Ok);

    public static async Task<Results<Ok<Order>, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> SubmitOrder(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        (await OrdersQueries.SubmitAsync(db, id, user.Id(), cancellationToken)).Answer(What, Submitted, Ok);

    public static async Task<Results<Ok<Order>, NotFound, Conflict<ProblemDetails>>> StartOrder(Guid id, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        (await OrdersQueries.StartAsync(db, id, cancellationToken)).Answer(What, Started, Ok).Unowned();

    public static async Task<Results<Ok<Order>, NotFound, Conflict<ProblemDetails>>> CompleteOrder(Guid id, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        (await OrdersQueries.CompleteAsync(db, id, cancellationToken)).Answer(What, Completed, Ok).Unowned();

    public static async Task<Results<Ok<Order>, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> CancelOrder(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        (await OrdersQueries.CancelAsync(db, id, user.Id(), cancellationToken)).Answer(What, Cancelled, Ok);

    private static string Location(Order order) => $"/api/orders/{order.Id}";

    private static Created<Order> Created(Order order) => TypedResults.Created(Location(order), order);

    private static Ok<Order> Ok(Order order) => TypedResults.Ok(order);
}
