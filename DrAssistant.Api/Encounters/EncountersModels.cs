using DrAssistant.Api.Notes;
using DrAssistant.Api.Recordings;
using DrAssistant.Api.Orders;
using DrAssistant.Api.Prescriptions;

namespace DrAssistant.Api.Encounters;

public sealed record Encounter(
    Guid Id,
    Guid? AppointmentId,
    Guid DoctorId,
    Guid PatientId,
    string EncounterType,
    DateTime StartTime,
    DateTime? EndTime,
    string? ChiefComplaint,
    string Status,
    DateTime CreatedAt,
    DateTime UpdatedAt);

/// <summary>An encounter in a list: with the doctor's name.</summary>
public sealed record EncounterSummary(
    Guid Id,
    Guid? AppointmentId,
    Guid DoctorId,
    string DoctorName,
    Guid PatientId,
    string EncounterType,
    DateTime StartTime,
    DateTime? EndTime,
    string? ChiefComplaint,
    string Status);

public sealed record EncounterPatient(Guid Id, string FirstName, string LastName, DateOnly DateOfBirth, string Gender, string? Mrn, string? AbhaId);

public sealed record EncounterDoctor(Guid Id, string FullName, string? Specialty);

/// <summary>
/// Pattern 3: everything a doctor needs on the encounter screen, in one answer. The note and recordings come from
/// MongoDB: when it is not configured or unreachable (or the caller may not read notes), <c>notesAvailable</c> is false
/// and <c>currentNote</c> and <c>recordings</c> are null; otherwise <c>currentNote</c> is null only when there is none.
/// </summary>
public sealed record EncounterDetails(
    Encounter Encounter,
    EncounterPatient Patient,
    EncounterDoctor Doctor,
    IReadOnlyList<Prescription> Prescriptions,
    IReadOnlyList<Order> Orders,
    NoteResponse? CurrentNote,
    IReadOnlyList<RecordingResponse>? Recordings,
    bool NotesAvailable);

public sealed record CreateEncounterRequest(
    Guid? DoctorId,
    Guid? PatientId,
    string? EncounterType,
    Guid? AppointmentId = null,
    DateTimeOffset? StartTime = null,
    string? ChiefComplaint = null);

public sealed record UpdateEncounterRequest(string? EncounterType, DateTimeOffset? StartTime, DateTimeOffset? EndTime = null, string? ChiefComplaint = null);

public sealed record CompleteEncounterRequest(DateTimeOffset? EndTime = null);
