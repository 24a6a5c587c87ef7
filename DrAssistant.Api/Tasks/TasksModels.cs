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

/// <summary>How a change of a task ended.</summary>
public enum TaskResult
{
    Done,
    NotFound,
    /// <summary>The caller is neither its assignee, its creator nor an administrator.</summary>
    NotYours,
    /// <summary>Its status does not allow the change (<see cref="TaskOutcome.Status"/> says which it is).</summary>
    WrongStatus,
}

public sealed record TaskOutcome(TaskResult Result, StaffTask? Task = null, string? Status = null);
