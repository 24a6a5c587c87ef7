using System.Security.Claims;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace DrAssistant.Api.Tasks;

public sealed record StaffTask(
    Guid Id,
    string Title,
    string? Description,
    Guid? AssignedTo,
    Guid CreatedBy,
    Guid? PatientId,
    Guid? EncounterId,
    DateTime? DueDate,
    string Priority,
    string Status,
    string TaskType,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    DateTime? CompletedAt);

public sealed record TaskRequest(
    string? Title,
    string? TaskType,
    string? Priority = null,
    string? Description = null,
    Guid? AssignedTo = null,
    Guid? PatientId = null,
    Guid? EncounterId = null,
    DateTimeOffset? DueDate = null);

/// <summary>Work items for staff; lists are most urgent first (by clinical rank, not by the word), then by due date.</summary>
public static class TasksApi
{
    private const string Columns = """
        id, title, description, assigned_to, created_by, patient_id, encounter_id, due_date, priority, status, task_type,
        created_at, updated_at, completed_at
        """;

    private static readonly Step Start = new("in_progress", ["pending"]);
    private static readonly Step Complete = new("completed", ["pending", "in_progress"], ", completed_at = now()");
    private static readonly Step Cancel = new("cancelled", ["pending", "in_progress"]);

    public static IEndpointRouteBuilder MapTasksApi(this IEndpointRouteBuilder app)
    {
        var tasks = app.MapGroup("/api/tasks").WithTags("Tasks");
        tasks.MapGet("/", ListTasks).RequireAuthorization(Permissions.ReadTasks)
            .WithSummary("Your tasks (assigned to or created by you; by default those assigned to you), or a patient's, most urgent first, paged");
        tasks.MapGet("/{id:guid}", GetTask).RequireAuthorization(Permissions.ReadTasks).WithSummary("One task");
        tasks.MapPost("/", CreateTask).RequireAuthorization(Permissions.WriteTasks).WithSummary("Create a task");
        tasks.MapPut("/{id:guid}", UpdateTask).RequireAuthorization(Permissions.WriteTasks).WithSummary("Change an open task");
        tasks.MapPost("/{id:guid}/start", (Guid id, ClaimsPrincipal user, NpgsqlDataSource db, RedisCache cache, CancellationToken ct) => MoveAsync(id, user, Start, "started", db, cache, ct))
            .RequireAuthorization(Permissions.WriteTasks).WithName("StartTask").WithSummary("Start a pending task");
        tasks.MapPost("/{id:guid}/complete", (Guid id, ClaimsPrincipal user, NpgsqlDataSource db, RedisCache cache, CancellationToken ct) => MoveAsync(id, user, Complete, "completed", db, cache, ct))
            .RequireAuthorization(Permissions.WriteTasks).WithName("CompleteTask").WithSummary("Complete an open task");
        tasks.MapPost("/{id:guid}/cancel", (Guid id, ClaimsPrincipal user, NpgsqlDataSource db, RedisCache cache, CancellationToken ct) => MoveAsync(id, user, Cancel, "cancelled", db, cache, ct))
            .RequireAuthorization(Permissions.WriteTasks).WithName("CancelTask").WithSummary("Cancel an open task");
        return app;
    }

    public static async Task<Results<Ok<PagedList<StaffTask>>, ValidationProblem, ForbidHttpResult>> ListTasks(
        NpgsqlDataSource db, ClaimsPrincipal user, Guid? assignedTo, Guid? createdBy, Guid? patientId, string? status, int? page, int? pageSize,
        CancellationToken cancellationToken)
    {
        if (assignedTo is null && createdBy is null && patientId is null)
        {
            assignedTo = user.Id();
        }

        // Your own tasks; a patient's tasks for clinical staff; anyone's for administrators.
        var mine = (assignedTo is null || assignedTo == user.Id()) && (createdBy is null || createdBy == user.Id());
        if (!user.IsAdmin() && !(mine && (patientId is null || user.Can(Permissions.ReadEncounters))))
        {
            return TypedResults.Forbid();
        }

        var validation = new Validation()
            .OneOf("status", status, Vocabulary.TaskStatuses, required: false);
        var paging = PageRequest.From(page, pageSize, validation);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<StaffTask>(new CommandDefinition($"""
            SELECT {Columns}
            FROM tasks
            WHERE (@assignedTo::uuid IS NULL OR assigned_to = @assignedTo)
              AND (@createdBy::uuid IS NULL OR created_by = @createdBy)
              AND (@patientId::uuid IS NULL OR patient_id = @patientId)
              AND (@status::varchar IS NULL OR status = @status)
            ORDER BY {Vocabulary.TaskPriorityRank("priority")} DESC, due_date NULLS LAST, created_at, id
            LIMIT @Limit OFFSET @Offset
            """, new { assignedTo, createdBy, patientId, status, paging.Limit, paging.Offset }, cancellationToken: cancellationToken));
        return TypedResults.Ok(paging.ToPage(rows));
    }

    public static async Task<Results<Ok<StaffTask>, NotFound, ForbidHttpResult>> GetTask(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var task = await FindAsync(connection, id, cancellationToken);
        if (task is null)
        {
            return TypedResults.NotFound();
        }

        var visible = IsOwnedBy(task, user) || (task.PatientId is not null && user.Can(Permissions.ReadEncounters));
        return visible ? TypedResults.Ok(task) : TypedResults.Forbid();
    }

    public static async Task<Results<Created<StaffTask>, ValidationProblem>> CreateTask(
        TaskRequest request, ClaimsPrincipal user, NpgsqlDataSource db, RedisCache cache, CancellationToken cancellationToken)
    {
        var validation = Validate(request);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            var task = await connection.QuerySingleAsync<StaffTask>(new CommandDefinition($"""
                INSERT INTO tasks (title, description, assigned_to, created_by, patient_id, encounter_id, due_date, priority, task_type)
                VALUES (@Title, @Description, @AssignedTo, @CreatedBy, @PatientId, @EncounterId, @DueDate, coalesce(@Priority, 'medium'), @TaskType)
                RETURNING {Columns}
                """, Parameters(request, user.Id()), cancellationToken: cancellationToken));
            await DropDashboardsAsync(cache, task);
            return TypedResults.Created($"/api/tasks/{task.Id}", task);
        }
        catch (PostgresException ex) when (DbErrors.IsInvalid(ex))
        {
            return DbErrors.Invalid(ex);
        }
    }

    public static async Task<Results<Ok<StaffTask>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult>> UpdateTask(
        Guid id, TaskRequest request, ClaimsPrincipal user, NpgsqlDataSource db, RedisCache cache, CancellationToken cancellationToken)
    {
        var validation = Validate(request);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            var existing = await FindAsync(connection, id, cancellationToken);
            if (existing is not null && !IsOwnedBy(existing, user))
            {
                return TypedResults.Forbid();
            }

            var parameters = new DynamicParameters(Parameters(request, user.Id()));
            parameters.Add("id", id);
            var task = await connection.QuerySingleOrDefaultAsync<StaffTask>(new CommandDefinition($"""
                UPDATE tasks
                SET title = @Title, description = @Description, assigned_to = @AssignedTo, patient_id = @PatientId,
                    encounter_id = @EncounterId, due_date = @DueDate, priority = coalesce(@Priority, priority), task_type = @TaskType
                WHERE id = @id AND status IN ('pending', 'in_progress')
                RETURNING {Columns}
                """, parameters, cancellationToken: cancellationToken));
            if (task is not null)
            {
                await DropDashboardsAsync(cache, task, existing);
                return TypedResults.Ok(task);
            }

            var current = await FindAsync(connection, id, cancellationToken);
            return current is null ? TypedResults.NotFound() : Problems.WrongStatus("task", current.Status, "edited");
        }
        catch (PostgresException ex) when (DbErrors.IsInvalid(ex))
        {
            return DbErrors.Invalid(ex);
        }
    }

    public static async Task<Results<Ok<StaffTask>, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> MoveAsync(
        Guid id, ClaimsPrincipal user, Step step, string verb, NpgsqlDataSource db, RedisCache cache, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await FindAsync(connection, id, cancellationToken) is { } existing && !IsOwnedBy(existing, user))
        {
            return TypedResults.Forbid();
        }

        var (moved, status) = await Transitions.MoveAsync(connection, "tasks", id, step, cancellationToken);
        if (status is null)
        {
            return TypedResults.NotFound();
        }

        if (!moved)
        {
            return Problems.WrongStatus("task", status, verb);
        }

        var task = (await FindAsync(connection, id, cancellationToken))!;
        await DropDashboardsAsync(cache, task);
        return TypedResults.Ok(task);
    }

    /// <summary>A task shows on its assignee's dashboard: any change drops those cached answers (old and new assignee).</summary>
    private static Task DropDashboardsAsync(RedisCache cache, params StaffTask?[] versions) =>
        cache.RemoveFamiliesAsync([.. versions.Select(t => t?.AssignedTo).OfType<Guid>().Select(CacheKeys.DoctorDashboards)]);

    private static async Task<StaffTask?> FindAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<StaffTask>(new CommandDefinition(
            $"SELECT {Columns} FROM tasks WHERE id = @id", new { id }, cancellationToken: cancellationToken));

    /// <summary>The assignee, the creator, or an administrator.</summary>
    private static bool IsOwnedBy(StaffTask task, ClaimsPrincipal user) =>
        task.AssignedTo == user.Id() || task.CreatedBy == user.Id() || user.IsAdmin();

    private static object Parameters(TaskRequest r, Guid createdBy) => new
    {
        r.Title, r.Description, r.AssignedTo, CreatedBy = createdBy, r.PatientId, r.EncounterId, DueDate = r.DueDate?.UtcDateTime, r.Priority, r.TaskType,
    };

    private static Validation Validate(TaskRequest r) => new Validation()
        .Required("title", r.Title, 100)
        .MaxLength("description", r.Description, 10_000)
        .OneOf("priority", r.Priority, Vocabulary.TaskPriorities, required: false)
        .OneOf("taskType", r.TaskType, Vocabulary.TaskTypes);
}
