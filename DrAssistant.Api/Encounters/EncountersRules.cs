using DrAssistant.Api.Infrastructure;

namespace DrAssistant.Api.Encounters;

/// <summary>The rules of encounters that need no server: their statuses, their lifecycle and request validation.</summary>
public static class EncountersRules
{
    public const string InProgress = "in_progress";
    public const string Completed = "completed";
    public const string Cancelled = "cancelled";

    /// <summary>An encounter in progress is completed or cancelled; nothing comes after either.</summary>
    public static readonly Lifecycle Steps = new((InProgress, Completed), (InProgress, Cancelled));

    /// <summary>An encounter is edited (and written in: prescriptions, orders) unless it is cancelled.</summary>
    public static readonly string[] Open = [InProgress, Completed];

    /// <summary>The word of the 409 for an edit of a cancelled encounter.</summary>
    public const string Edited = "edited";

    public const int MaxText = 10_000;

    public static Validation ValidateList(Guid? patientId, Guid? doctorId) =>
        new Validation().When(patientId is null && doctorId is null, "patientId", "Give patientId or doctorId.");

    public static Validation ValidateOpen(CreateEncounterRequest request) => new Validation()
        .Required("doctorId", request.DoctorId)
        .Required("patientId", request.PatientId)
        .OneOf("encounterType", request.EncounterType, Vocabulary.EncounterTypes)
        .Instant("startTime", request.StartTime)
        .MaxLength("chiefComplaint", request.ChiefComplaint, MaxText);

    public static Validation ValidateUpdate(UpdateEncounterRequest request) => new Validation()
        .OneOf("encounterType", request.EncounterType, Vocabulary.EncounterTypes)
        .Required("startTime", request.StartTime)
        .Instant("startTime", request.StartTime)
        .Instant("endTime", request.EndTime)
        .When(request.EndTime <= request.StartTime, "endTime", "endTime must be after startTime.")
        .MaxLength("chiefComplaint", request.ChiefComplaint, MaxText);

    public static Validation ValidateComplete(CompleteEncounterRequest? request) => new Validation().Instant("endTime", request?.EndTime);
}
