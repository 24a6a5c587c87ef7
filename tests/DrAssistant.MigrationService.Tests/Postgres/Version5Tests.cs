using Dapper;
using DrAssistant.Testing;
using Npgsql;

namespace DrAssistant.MigrationService.Tests.Postgres;

/// <summary>
/// Schema version 5 adds the dashboard's two partial indexes over the rows already there, and its Down gives back
/// exactly version 4's schema (the single-column indexes of versions 2 and 3 were never touched).
/// </summary>
public sealed class Version5Tests
{
    [Fact]
    public async Task DownDropsTheTwoPartialIndexesAndLeavesVersion4sSchemaExactly()
    {
        await using var atFour = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        Assert.Equal(0, (await Migrator.RunAsync(atFour.ConnectionString, "migrate", "--to", "4")).ExitCode);
        await using var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        Assert.Equal(0, (await Migrator.RunAsync(database.ConnectionString, "migrate")).ExitCode);
        await using var db = new NpgsqlConnection(database.ConnectionString);

        var down = await Migrator.RunAsync(database.ConnectionString, "rollback", "--to", "4");

        Assert.Equal(0, down.ExitCode);
        Assert.Equal(0, await db.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM pg_indexes WHERE indexname IN ('idx_tasks_assignee_pending', 'idx_alerts_user_unread')"));
        Assert.Equal(await Catalog.SnapshotAsync(atFour.ConnectionString), await Catalog.SnapshotAsync(database.ConnectionString));
        Assert.Equal(0, (await Migrator.RunAsync(database.ConnectionString, "migrate")).ExitCode);
        Assert.Equal(2, await db.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM pg_indexes WHERE indexname IN ('idx_tasks_assignee_pending', 'idx_alerts_user_unread')"));
    }

    [Fact]
    public async Task TheIndexesHoldOnlyTheOpenRowsOfADatabaseThatHadDataAlready()
    {
        await using var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        Assert.Equal(0, (await Migrator.RunAsync(database.ConnectionString, "migrate", "--to", "4")).ExitCode);
        await using var db = new NpgsqlConnection(database.ConnectionString);
        await db.ExecuteAsync("""
            INSERT INTO users (username, email, full_name, role, password_hash) VALUES ('dr.a', 'a@clinic.example', 'Dr. A', 'doctor', 'x');
            INSERT INTO tasks (title, assigned_to, created_by, status, task_type)
            SELECT 'T' || s, u.id, u.id, s, 'review' FROM users u, unnest(ARRAY['pending', 'in_progress', 'completed', 'pending']) s;
            INSERT INTO alerts (user_id, alert_type, severity, title, message, is_read)
            SELECT u.id, 'system', 'high', 'A', 'm', r FROM users u, unnest(ARRAY[true, false, false, true, true]) r;
            """);

        Assert.Equal(0, (await Migrator.RunAsync(database.ConnectionString, "migrate")).ExitCode);

        // The planner's own count of index entries (exact after VACUUM on a table this small).
        await db.ExecuteAsync("VACUUM tasks, alerts");
        Assert.Equal(2, await db.ExecuteScalarAsync<int>("SELECT reltuples::int FROM pg_class WHERE relname = 'idx_tasks_assignee_pending'"));
        Assert.Equal(2, await db.ExecuteScalarAsync<int>("SELECT reltuples::int FROM pg_class WHERE relname = 'idx_alerts_user_unread'"));
    }
}
