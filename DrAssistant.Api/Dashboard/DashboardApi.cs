using System.Security.Claims;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace DrAssistant.Api.Dashboard;

/// <summary>Pattern 1, the doctor's day (see <see cref="DashboardQueries"/>).</summary>
public static class DashboardApi
{
    public static IEndpointRouteBuilder MapDashboardApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/doctors").WithTags("Dashboard")
            .MapGet("/{id:guid}/dashboard", GetDashboard)
            .RequireAuthorization(Permissions.ReadDashboard)
            .WithSummary("A doctor's day: appointments, pending tasks (most urgent first), unread alerts (most severe first)")
            .WithDescription("date is YYYY-MM-DD in timeZone (an IANA zone such as Asia/Kolkata); both default to today in the clinic's zone.");
        return app;
    }

    public static async Task<Results<Ok<DoctorDashboard>, NotFound, ValidationProblem, ForbidHttpResult>> GetDashboard(
        Guid id, string? date, string? timeZone, int? taskLimit, int? alertLimit, ClaimsPrincipal user,
        NpgsqlDataSource db, RedisCache cache, ClinicClock clock, IOptions<CacheOptions> lifetimes, CancellationToken cancellationToken)
    {
        // A dashboard holds the doctor's own tasks and alerts: only they read it.
        if (user.Id() != id)
        {
            return TypedResults.Forbid();
        }

        var validation = DashboardRules.Validate(date, timeZone, taskLimit, alertLimit, clock.ClinicZone, out var day, out var zone);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var query = new DashboardQuery(id, day ?? clock.Today(zone), zone, zone.Id == clock.ClinicZone.Id,
            taskLimit ?? DashboardRules.DefaultLimit, alertLimit ?? DashboardRules.DefaultLimit);
        var dashboard = await DashboardQueries.ReadAsync(db, cache, lifetimes.Value, query, cancellationToken);
        return dashboard is null ? TypedResults.NotFound() : TypedResults.Ok(dashboard);
    }
}
