using System.Security.Claims;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace DrAssistant.Api.Alerts;

/// <summary>An alert with the name of the patient it concerns, if any.</summary>
public sealed record Alert(
    Guid Id,
    Guid UserId,
    Guid? PatientId,
    string? PatientName,
    string AlertType,
    string Severity,
    string Title,
    string Message,
    bool IsRead,
    DateTime CreatedAt,
    DateTime? ReadAt,
    string? Source,
    Guid? SourceId,
    string? ActionUrl,
    Guid? CreatedBy = null);

public sealed record AlertRequest(
    Guid? UserId,
    string? AlertType,
    string? Severity,
    string? Title,
    string? Message,
    Guid? PatientId = null,
    string? Source = null,
    Guid? SourceId = null,
    string? ActionUrl = null);

/// <summary>Notifications for one user: raised, listed most severe first (by rank, not by the word), marked read.</summary>
public static class AlertsApi
{
    public const string Select = """
        SELECT a.id, a.user_id, a.patient_id, CASE WHEN p.id IS NULL THEN NULL ELSE p.first_name || ' ' || p.last_name END AS patient_name,
               a.alert_type, a.severity, a.title, a.message, a.is_read, a.created_at, a.read_at, a.source, a.source_id, a.action_url,
               a.created_by
        FROM alerts a
        LEFT JOIN patients p ON p.id = a.patient_id
        """;

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
        userId ??= user.Id();
        if (userId != user.Id())
        {
            return TypedResults.Forbid();
        }

        var validation = new Validation();
        var paging = PageRequest.From(page, pageSize, validation);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Alert>(new CommandDefinition($"""
            {Select}
            WHERE a.user_id = @userId AND (NOT @unreadOnly OR NOT a.is_read)
            ORDER BY {Vocabulary.AlertSeverityRank("a.severity")} DESC, a.created_at DESC, a.id
            LIMIT @Limit OFFSET @Offset
            """, new { userId, unreadOnly = unreadOnly ?? false, paging.Limit, paging.Offset }, cancellationToken: cancellationToken));
        return TypedResults.Ok(paging.ToPage(rows));
    }

    public static async Task<Results<Ok<Alert>, NotFound, ForbidHttpResult>> GetAlert(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var alert = await FindAsync(connection, id, cancellationToken);
        if (alert is null)
        {
            return TypedResults.NotFound();
        }

        return alert.UserId == user.Id() ? TypedResults.Ok(alert) : TypedResults.Forbid();
    }

    public static async Task<Results<Created<Alert>, ValidationProblem>> RaiseAlert(
        AlertRequest request, ClaimsPrincipal user, NpgsqlDataSource db, RedisCache cache, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Required("userId", request.UserId)
            .OneOf("alertType", request.AlertType, Vocabulary.AlertTypes)
            .OneOf("severity", request.Severity, Vocabulary.AlertSeverities)
            .Required("title", request.Title, 100)
            .Required("message", request.Message, 10_000)
            .MaxLength("source", request.Source, 50)
            .MaxLength("actionUrl", request.ActionUrl, 255)
            .When(request.ActionUrl is not null && !IsSafeLink(request.ActionUrl), "actionUrl",
                "actionUrl must be a path on this site (such as /patients/…) or an http(s) URL.");
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            var id = await connection.ExecuteScalarAsync<Guid>(new CommandDefinition("""
                INSERT INTO alerts (user_id, patient_id, alert_type, severity, title, message, source, source_id, action_url, created_by)
                VALUES (@UserId, @PatientId, @AlertType, @Severity, @Title, @Message, @Source, @SourceId, @ActionUrl, @CreatedBy)
                RETURNING id
                """, new
            {
                request.UserId, request.PatientId, request.AlertType, request.Severity, request.Title, request.Message, request.Source,
                request.SourceId, request.ActionUrl,
                // Who raised it is who is signed in (NULL only for alerts the system raises).
                CreatedBy = user.Id(),
            }, cancellationToken: cancellationToken));
            await cache.RemoveFamiliesAsync(CacheKeys.DoctorDashboards(request.UserId!.Value));
            return TypedResults.Created($"/api/alerts/{id}", (await FindAsync(connection, id, cancellationToken))!);
        }
        catch (PostgresException ex) when (DbErrors.IsInvalid(ex))
        {
            return DbErrors.Invalid(ex);
        }
    }

    public static async Task<Results<Ok<Alert>, NotFound, ForbidHttpResult>> MarkRead(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, RedisCache cache, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        // Only the recipient reads an alert; reading twice keeps the first read_at.
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE alerts SET is_read = true, read_at = coalesce(read_at, now()) WHERE id = @id AND user_id = @me",
            new { id, me = user.Id() }, cancellationToken: cancellationToken));
        var alert = await FindAsync(connection, id, cancellationToken);
        if (alert is null)
        {
            return TypedResults.NotFound();
        }

        if (updated == 0)
        {
            return TypedResults.Forbid();
        }

        await cache.RemoveFamiliesAsync(CacheKeys.DoctorDashboards(alert.UserId));
        return TypedResults.Ok(alert);
    }

    /// <summary>
    /// A link a client may follow: a relative reference (a path such as <c>/patients/…</c> or <c>labs/42</c>, no scheme)
    /// or an http(s) URL. Never <c>javascript:</c>, <c>data:</c> and the like, nor a protocol-relative <c>//host</c> or
    /// anything with a backslash (browsers read <c>/\host</c> as another site), nor whitespace or control characters
    /// (browsers strip some of them before reading the scheme), nor credentials in the URL.
    /// </summary>
    public static bool IsSafeLink(string url)
    {
        if (url.Length == 0 || url.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) || url.Contains('\\', StringComparison.Ordinal)
            || url.StartsWith("//", StringComparison.Ordinal))
        {
            return false;
        }

        // Without a ':' before the first '/', '?' or '#' there is no scheme: a reference within this site.
        var end = url.IndexOfAny(['/', '?', '#']);
        if (!(end < 0 ? url : url[..end]).Contains(':', StringComparison.Ordinal))
        {
            return true;
        }

        return Uri.TryCreate(url, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            && url.StartsWith(uri.Scheme + "://", StringComparison.OrdinalIgnoreCase)
            && !string.IsNullOrEmpty(uri.Host)
            && string.IsNullOrEmpty(uri.UserInfo);
    }

    public static async Task<Alert?> FindAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<Alert>(new CommandDefinition(
            $"{Select} WHERE a.id = @id", new { id }, cancellationToken: cancellationToken));
}
