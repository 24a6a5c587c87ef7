using System.Security.Claims;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Npgsql;
using static DrAssistant.Api.Tasks.TasksRules;

namespace DrAssistant.Api.Tasks;

/// <summary>The tasks table. A task shows on its assignee's dashboard: every write tells the <see cref="CachePolicy"/>.</summary>
public static class TasksQueries
{
    public const string Columns = """
        id, title, description, assigned_to, created_by, patient_id, encounter_id, due_date, priority, status, task_type,
        created_at, updated_at, completed_at
        """;

    /// <summary>Most urgent first (by clinical rank, not by the word), then by due date (none last).</summary>
    public static readonly string UrgencyOrder = $"{Vocabulary.TaskPriorityRank("priority")} DESC, due_date NULLS LAST, created_at, id";

    /// <summary>What arriving at a status also records.</summary>
    private static readonly Dictionary<string, string> Stamps = new(StringComparer.Ordinal) { [Completed] = ", completed_at = now()" };

    public static Task<IEnumerable<StaffTask>> ListAsync(
        NpgsqlDataSource db, Guid? assignedTo, Guid? createdBy, Guid? patientId, string? status, PageRequest paging, CancellationToken cancellationToken) =>
        db.QueryAsync<StaffTask>($"""
            SELECT {Columns}
            FROM tasks
            WHERE (@assignedTo::uuid IS NULL OR assigned_to = @assignedTo)
              AND (@createdBy::uuid IS NULL OR created_by = @createdBy)
              AND (@patientId::uuid IS NULL OR patient_id = @patientId)
              AND (@status::varchar IS NULL OR status = @status)
            ORDER BY {UrgencyOrder}
            LIMIT @Limit OFFSET @Offset
            """, new { assignedTo, createdBy, patientId, status, paging.Limit, paging.Offset }, cancellationToken);

    public static Task<StaffTask?> FindAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken) =>
        db.QuerySingleOrDefaultAsync<StaffTask>(FindSql, new { id }, cancellationToken);

    public static async Task<StaffTask> CreateAsync(
        NpgsqlDataSource db, CachePolicy cache, TaskRequest request, Guid createdBy, CancellationToken cancellationToken)
    {
        var task = await db.QuerySingleAsync<StaffTask>($"""
            INSERT INTO tasks (title, description, assigned_to, created_by, patient_id, encounter_id, due_date, priority, task_type)
            VALUES (@Title, @Description, @AssignedTo, @CreatedBy, @PatientId, @EncounterId, @DueDate, coalesce(@Priority, 'medium'), @TaskType)
            RETURNING {Columns}
            """, Parameters(request, createdBy), cancellationToken);
        await cache.TaskChangedAsync(task.AssignedTo);
        return task;
    }

    /// <summary>Changes an open task (one whose status some step still leaves) that <paramref name="user"/> owns.</summary>
    public static async Task<TaskOutcome> UpdateAsync(
        NpgsqlDataSource db, CachePolicy cache, Guid id, TaskRequest request, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var existing = await FindAsync(connection, id, cancellationToken);
        if (existing is not null && !IsOwnedBy(existing, user))
        {
            return new(TaskResult.NotYours);
        }

        var parameters = new DynamicParameters(Parameters(request, user.Id()));
        parameters.Add("id", id);
        parameters.Add("open", Steps.Open);
        var task = await connection.QuerySingleOrDefaultAsync<StaffTask>(new CommandDefinition($"""
            UPDATE tasks
            SET title = @Title, description = @Description, assigned_to = @AssignedTo, patient_id = @PatientId,
                encounter_id = @EncounterId, due_date = @DueDate, priority = coalesce(@Priority, priority), task_type = @TaskType
            WHERE id = @id AND status = ANY(@open)
            RETURNING {Columns}
            """, parameters, cancellationToken: cancellationToken));
        if (task is not null)
        {
            await cache.TaskChangedAsync(task.AssignedTo, existing?.AssignedTo);
            return new(TaskResult.Done, task);
        }

        var current = await FindAsync(connection, id, cancellationToken);
        return current is null ? new(TaskResult.NotFound) : new(TaskResult.WrongStatus, Status: current.Status);
    }

    /// <summary>One step of the lifecycle, in one conditional UPDATE (two clients cannot both take it).</summary>
    public static async Task<TaskOutcome> MoveAsync(
        NpgsqlDataSource db, CachePolicy cache, Guid id, string action, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await FindAsync(connection, id, cancellationToken) is { } existing && !IsOwnedBy(existing, user))
        {
            return new(TaskResult.NotYours);
        }

        var (to, from) = Steps.Of(action);
        var (moved, status) = await Transitions.MoveAsync(connection, "tasks", id, new Step(to, from, Stamps.GetValueOrDefault(to, "")), cancellationToken);
        if (status is null)
        {
            return new(TaskResult.NotFound);
        }

        if (!moved)
        {
            return new(TaskResult.WrongStatus, Status: status);
        }

        var task = (await FindAsync(connection, id, cancellationToken))!;
        await cache.TaskChangedAsync(task.AssignedTo);
        return new(TaskResult.Done, task);
    }

    private const string FindSql = $"SELECT {Columns} FROM tasks WHERE id = @id";

    private static async Task<StaffTask?> FindAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<StaffTask>(new CommandDefinition(FindSql, new { id }, cancellationToken: cancellationToken));

    private static object Parameters(TaskRequest r, Guid createdBy) => new
    {
        r.Title, r.Description, r.AssignedTo, CreatedBy = createdBy, r.PatientId, r.EncounterId, DueDate = r.DueDate?.UtcDateTime, r.Priority, r.TaskType,
    };
}
