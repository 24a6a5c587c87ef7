using System.Security.Claims;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using static DrAssistant.Api.Tasks.TasksRules;

namespace DrAssistant.Api.Tasks;

/// <summary>Work items for staff; lists are most urgent first (by clinical rank, not by the word), then by due date.</summary>
public static class TasksApi
{
    public static IEndpointRouteBuilder MapTasksApi(this IEndpointRouteBuilder app)
    {
        var tasks = app.MapGroup("/api/tasks").WithTags("Tasks");
        tasks.MapGet("/", ListTasks).RequireAuthorization(Permissions.ReadTasks)
            .WithSummary("Your tasks (assigned to or created by you; by default those assigned to you), or a patient's, most urgent first, paged");
        tasks.MapGet("/{id:guid}", GetTask).RequireAuthorization(Permissions.ReadTasks).WithSummary("One task");
        tasks.MapPost("/", CreateTask).RequireAuthorization(Permissions.WriteTasks).WithSummary("Create a task");
        tasks.MapPut("/{id:guid}", UpdateTask).RequireAuthorization(Permissions.WriteTasks).WithSummary("Change an open task");
        MapStep(tasks, "start", "StartTask", "Start a pending task");
        MapStep(tasks, "complete", "CompleteTask", "Complete an open task");
        MapStep(tasks, "cancel", "CancelTask", "Cancel an open task");
        return app;
    }

    private static void MapStep(RouteGroupBuilder tasks, string action, string name, string summary) =>
        tasks.MapPost($"/{{id:guid}}/{action}", (Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CachePolicy cache, CancellationToken ct) =>
                MoveAsync(id, user, action, db, cache, ct))
            .RequireAuthorization(Permissions.WriteTasks).WithName(name).WithSummary(summary);

    public static async Task<Results<Ok<PagedList<StaffTask>>, ValidationProblem, ForbidHttpResult>> ListTasks(
        NpgsqlDataSource db, ClaimsPrincipal user, Guid? assignedTo, Guid? createdBy, Guid? patientId, string? status, int? page, int? pageSize,
        CancellationToken cancellationToken)
    {
        if (assignedTo is null && createdBy is null && patientId is null)
        {
            assignedTo = user.Id();
        }

        if (!MayList(user, assignedTo, createdBy, patientId))
        {
            return TypedResults.Forbid();
        }

        var validation = new Validation().OneOf("status", status, Statuses, required: false);
        var paging = PageRequest.From(page, pageSize, validation);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        return TypedResults.Ok(paging.ToPage(await TasksQueries.ListAsync(db, assignedTo, createdBy, patientId, status, paging, cancellationToken)));
    }

    public static async Task<Results<Ok<StaffTask>, NotFound, ForbidHttpResult>> GetTask(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var task = await TasksQueries.FindAsync(db, id, cancellationToken);
        if (task is null)
        {
            return TypedResults.NotFound();
        }

        return IsVisibleTo(task, user) ? TypedResults.Ok(task) : TypedResults.Forbid();
    }

    public static async Task<Results<Created<StaffTask>, ValidationProblem>> CreateTask(
        TaskRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CachePolicy cache, CancellationToken cancellationToken)
    {
        var validation = Validate(request);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            var task = await TasksQueries.CreateAsync(db, cache, request, user.Id(), cancellationToken);
            return TypedResults.Created($"/api/tasks/{task.Id}", task);
        }
        catch (PostgresException ex) when (DbErrors.IsInvalid(ex))
        {
            return DbErrors.Invalid(ex);
        }
    }

    public static async Task<Results<Ok<StaffTask>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult>> UpdateTask(
        Guid id, TaskRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CachePolicy cache, CancellationToken cancellationToken)
    {
        var validation = Validate(request);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            var outcome = await TasksQueries.UpdateAsync(db, cache, id, request, user, cancellationToken);
            return outcome.Result switch
            {
                TaskResult.Done => TypedResults.Ok(outcome.Task!),
                TaskResult.NotFound => TypedResults.NotFound(),
                TaskResult.NotYours => TypedResults.Forbid(),
                _ => Problems.WrongStatus("task", outcome.Status!, "edited"),
            };
        }
        catch (PostgresException ex) when (DbErrors.IsInvalid(ex))
        {
            return DbErrors.Invalid(ex);
        }
    }

    public static async Task<Results<Ok<StaffTask>, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> MoveAsync(
        Guid id, ClaimsPrincipal user, string action, NpgsqlDataSource db, CachePolicy cache, CancellationToken cancellationToken)
    {
        var outcome = await TasksQueries.MoveAsync(db, cache, id, action, user, cancellationToken);
        return outcome.Result switch
        {
            TaskResult.Done => TypedResults.Ok(outcome.Task!),
            TaskResult.NotFound => TypedResults.NotFound(),
            TaskResult.NotYours => TypedResults.Forbid(),
            _ => Problems.WrongStatus("task", outcome.Status!, Done(action)),
        };
    }
}
