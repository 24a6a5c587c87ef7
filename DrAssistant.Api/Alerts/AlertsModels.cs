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

/// <summary>How marking an alert read ended.</summary>
public enum MarkReadResult
{
    Done,
    NotFound,
    /// <summary>Someone else's alert: only its recipient reads it.</summary>
    NotYours,
}
