using Dapper;
using DrAssistant.Api.Infrastructure;
using Npgsql;

namespace DrAssistant.Api.Alerts;

/// <summary>The alerts table. An unread alert shows on its recipient's dashboard: every write tells the <see cref="CachePolicy"/>.</summary>
public static class AlertsQueries
{
    public const string Select = """
        SELECT a.id, a.user_id, a.patient_id, CASE WHEN p.id IS NULL THEN NULL ELSE p.first_name || ' ' || p.last_name END AS patient_name,
               a.alert_type, a.severity, a.title, a.message, a.is_read, a.created_at, a.read_at, a.source, a.source_id, a.action_url,
               a.created_by
        FROM alerts a
        LEFT JOIN patients p ON p.id = a.patient_id
        """;

    /// <summary>Most severe first (by rank, not by the word), then newest.</summary>
    public static readonly string SeverityOrder = $"{Vocabulary.AlertSeverityRank("a.severity")} DESC, a.created_at DESC, a.id";

    public static Task<IEnumerable<Alert>> ListAsync(
        NpgsqlDataSource db, Guid userId, bool unreadOnly, PageRequest paging, CancellationToken cancellationToken) =>
        db.QueryAsync<Alert>($"""
            {Select}
            WHERE a.user_id = @userId AND (NOT @unreadOnly OR NOT a.is_read)
            ORDER BY {SeverityOrder}
            LIMIT @Limit OFFSET @Offset
            """, new { userId, unreadOnly, paging.Limit, paging.Offset }, cancellationToken);

    public static Task<Alert?> FindAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken) =>
        db.QuerySingleOrDefaultAsync<Alert>(FindSql, new { id }, cancellationToken);

    /// <summary>Raises an alert; <paramref name="createdBy"/> is who is signed in (NULL only for alerts the system raises).</summary>
    public static async Task<Alert> RaiseAsync(NpgsqlDataSource db, CachePolicy cache, AlertRequest request, Guid createdBy, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<Guid>(new CommandDefinition("""
            INSERT INTO alerts (user_id, patient_id, alert_type, severity, title, message, source, source_id, action_url, created_by)
            VALUES (@UserId, @PatientId, @AlertType, @Severity, @Title, @Message, @Source, @SourceId, @ActionUrl, @CreatedBy)
            RETURNING id
            """, new
        {
            request.UserId, request.PatientId, request.AlertType, request.Severity, request.Title, request.Message, request.Source,
            request.SourceId, request.ActionUrl, CreatedBy = createdBy,
        }, cancellationToken: cancellationToken));
        await cache.AlertChangedAsync(request.UserId!.Value);
        return (await FindAsync(connection, id, cancellationToken))!;
    }

    /// <summary>Only the recipient reads an alert; reading twice keeps the first read_at.</summary>
    public static async Task<(MarkReadResult Result, Alert? Alert)> MarkReadAsync(
        NpgsqlDataSource db, CachePolicy cache, Guid id, Guid me, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE alerts SET is_read = true, read_at = coalesce(read_at, now()) WHERE id = @id AND user_id = @me",
            new { id, me }, cancellationToken: cancellationToken));
        var alert = await FindAsync(connection, id, cancellationToken);
        if (alert is null)
        {
            return (MarkReadResult.NotFound, null);
        }

        if (updated == 0)
        {
            return (MarkReadResult.NotYours, null);
        }

        await cache.AlertChangedAsync(alert.UserId);
        return (MarkReadResult.Done, alert);
    }

    private const string FindSql = $"{Select} WHERE a.id = @id";

    private static async Task<Alert?> FindAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<Alert>(new CommandDefinition(FindSql, new { id }, cancellationToken: cancellationToken));
}
