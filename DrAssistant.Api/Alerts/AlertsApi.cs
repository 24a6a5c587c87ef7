using System.Security.Claims;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace DrAssistant.Api.Alerts;

/// <summary>Notifications for one user: raised, listed most severe first (by rank, not by the word), marked read.</summary>
public static class AlertsApi
{
    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        var alerts = app.MapGroup("/api/alerts").WithTags("Alerts");
        alerts.MapGet("/", ListAlerts).RequireAuthorization(Permissions.ReadAlerts)
            .WithSummary("Your alerts, most severe first, then newest, paged (alerts carry clinical details: only their recipient reads them)");
        alerts.MapGet("/{id:guid}", GetAlert).RequireAuthorization(Permissions.ReadAlerts).WithSummary("One of your alerts");
        alerts.MapPost("/", RaiseAlert).RequireAuthorization(Permissions.WriteAlerts).WithSummary("Raise an alert for a user");
        alerts.MapPost("/{id:guid}/read", MarkRead).RequireAuthorization(Permissions.ReadAlerts).WithSummary("Mark an alert read (again is harmless)");
        return app;
    }

    public static async Task<Results<Ok<PagedList<Alert>>, ValidationProblem, ForbidHttpResult>> ListAlerts(
        NpgsqlDataSource db, ClaimsPrincipal user, Guid? userId, bool? unreadOnly, int? page, int? pageSize, CancellationToken cancellationToken)
    {
        // Alerts name patients and results: read by their recipient alone, administrators included (they manage
        // accounts, not clinical content).
        if ((userId ?? user.Id()) != user.Id())
        {
            return TypedResults.Forbid();
        }

        var validation = new Validation();
        var paging = PageRequest.From(page, pageSize, validation);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        return TypedResults.Ok(paging.ToPage(await AlertsQueries.ListAsync(db, user.Id(), unreadOnly ?? false, paging, cancellationToken)));
    }

    public static async Task<Results<Ok<Alert>, NotFound, ForbidHttpResult>> GetAlert(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var alert = await AlertsQueries.FindAsync(db, id, cancellationToken);
        if (alert is null)
        {
            return TypedResults.NotFound();
        }

        return alert.UserId == user.Id() ? TypedResults.Ok(alert) : TypedResults.Forbid();
    }

    public static async Task<Results<Created<Alert>, ValidationProblem>> RaiseAlert(
        AlertRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CachePolicy cache, CancellationToken cancellationToken)
    {
        var validation = AlertsRules.Validate(request);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            var alert = await AlertsQueries.RaiseAsync(db, cache, request, user.Id(), cancellationToken);
            return TypedResults.Created($"/api/alerts/{alert.Id}", alert);
        }
        catch (PostgresException ex) when (DbErrors.IsInvalid(ex))
        {
            return DbErrors.Invalid(ex);
        }
    }

    public static async Task<Results<Ok<Alert>, NotFound, ForbidHttpResult>> MarkRead(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CachePolicy cache, CancellationToken cancellationToken)
    {
        var (result, alert) = await AlertsQueries.MarkReadAsync(db, cache, id, user.Id(), cancellationToken);
        return result switch
        {
            MarkReadResult.Done => TypedResults.Ok(alert!),
            MarkReadResult.NotFound => TypedResults.NotFound(),
            _ => TypedResults.Forbid(),
        };
    }
}
