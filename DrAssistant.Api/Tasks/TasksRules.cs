using System.Security.Claims;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;

namespace DrAssistant.Api.Tasks;

/// <summary>A task's statuses, its lifecycle, who may see and change it, and what a valid request is (no I/O).</summary>
public static class TasksRules
{
    public const string Pending = "pending";
    public const string InProgress = "in_progress";
    public const string Completed = "completed";
    public const string Cancelled = "cancelled";

    /// <summary>Every status, as the database's CHECK constraint allows them.</summary>
    public static readonly string[] Statuses = [Pending, InProgress, Completed, Cancelled];

    /// <summary>Each action (<c>POST /api/tasks/{id}/{action}</c>) and the steps it allows; an open task may also be edited.</summary>
    public static readonly Lifecycle Steps = new(
        ("start", Pending, InProgress),
        ("complete", Pending, Completed),
        ("complete", InProgress, Completed),
        ("cancel", Pending, Cancelled),
        ("cancel", InProgress, Cancelled));

    /// <summary>An action in a sentence: "A task that is completed cannot be started."</summary>
    public static string Done(string action) => action switch
    {
        "start" => "started",
        _ => Steps.Of(action).To,
    };

    /// <summary>The assignee, the creator, or an administrator.</summary>
    public static bool IsOwnedBy(StaffTask task, ClaimsPrincipal user) =>
        task.AssignedTo == user.Id() || task.CreatedBy == user.Id() || user.IsAdmin();

    /// <summary>Its owners, and clinical staff when it concerns a patient.</summary>
    public static bool IsVisibleTo(StaffTask task, ClaimsPrincipal user) =>
        IsOwnedBy(task, user) || (task.PatientId is not null && user.Can(Permissions.ReadEncounters));

    /// <summary>Your own tasks; a patient's tasks for clinical staff; anyone's for administrators.</summary>
    public static bool MayList(ClaimsPrincipal user, Guid? assignedTo, Guid? createdBy, Guid? patientId)
    {
        var mine = (assignedTo is null || assignedTo == user.Id()) && (createdBy is null || createdBy == user.Id());
        return user.IsAdmin() || (mine && (patientId is null || user.Can(Permissions.ReadEncounters)));
    }

    public static Validation Validate(TaskRequest r) => new Validation()
        .Required("title", r.Title, 100)
        .MaxLength("description", r.Description, 10_000)
        .OneOf("priority", r.Priority, Vocabulary.TaskPriorities, required: false)
        .OneOf("taskType", r.TaskType, Vocabulary.TaskTypes);
}
