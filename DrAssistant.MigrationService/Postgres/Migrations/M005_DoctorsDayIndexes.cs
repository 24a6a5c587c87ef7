using FluentMigrator;

namespace DrAssistant.MigrationService.Postgres.Migrations;

/// <summary>
/// Version 5: the doctor's day does not grow with the clinic. The dashboard asks for one doctor's pending tasks and one
/// user's unread alerts; with the single-column indexes of versions 2 and 3, PostgreSQL ANDs the recipient's index with
/// the status index, and the status side is the whole clinic's pending tasks (unread alerts). These partial indexes hold
/// only the open rows, by recipient, in the order the dashboard lists them, so its first page is the index's first
/// entries for that recipient (no sort) and its counts read only that recipient's open rows.
/// <para>
/// The rank expressions are written exactly as the API's queries write them (Vocabulary.TaskPriorityRank and
/// AlertSeverityRank): PostgreSQL matches an index expression to an ORDER BY only when they are the same expression.
/// They are copied here, not referenced, because an applied migration never changes; a test proves that the queries still
/// match (no Sort node in their plans).
/// </para>
/// </summary>
[Migration(5, "indexes for the doctor's day")]
public sealed class M005_DoctorsDayIndexes : DrMigration
{
    // ORDER BY <rank> DESC, due_date NULLS LAST, created_at, id  (the dashboard's pending tasks)
    private const string TaskRank = "CASE priority WHEN 'urgent' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END";

    // ORDER BY <rank> DESC, created_at DESC, id  (the dashboard's unread alerts)
    private const string AlertRank = "CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END";

    public override void Up()
    {
        Sql($"CREATE INDEX idx_tasks_assignee_pending ON tasks (assigned_to, ({TaskRank}) DESC, due_date ASC NULLS LAST, created_at, id) " +
            "WHERE status = 'pending'");
        Sql("COMMENT ON INDEX idx_tasks_assignee_pending IS " +
            "'A user''s pending tasks, most urgent first (clinical rank), then by due date (none last), oldest, id: the dashboard''s order.'");
        Sql($"CREATE INDEX idx_alerts_user_unread ON alerts (user_id, ({AlertRank}) DESC, created_at DESC, id) WHERE NOT is_read");
        Sql("COMMENT ON INDEX idx_alerts_user_unread IS " +
            "'A user''s unread alerts, most severe first (clinical rank), then newest, id: the dashboard''s order.'");
    }

    public override void Down()
    {
        Sql("DROP INDEX idx_alerts_user_unread");
        Sql("DROP INDEX idx_tasks_assignee_pending");
    }

    private void Sql(string sql) => IfDatabase(ProcessorIdConstants.PostgreSQL).Execute.Sql(sql);
}
