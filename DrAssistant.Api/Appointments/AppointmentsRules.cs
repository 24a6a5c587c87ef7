using DrAssistant.Api.Infrastructure;

namespace DrAssistant.Api.Appointments;

/// <summary>The appointment's statuses, its lifecycle and what a valid request is (no I/O).</summary>
public static class AppointmentsRules
{
    public const string Scheduled = "scheduled";
    public const string Confirmed = "confirmed";
    public const string CheckedIn = "checked_in";
    public const string InProgress = "in_progress";
    public const string Completed = "completed";
    public const string Cancelled = "cancelled";
    public const string NoShow = "no_show";

    /// <summary>Every status, as the database's CHECK constraint allows them.</summary>
    public static readonly string[] Statuses = [Scheduled, Confirmed, CheckedIn, InProgress, Completed, Cancelled, NoShow];

    /// <summary>The visit's progress: each action (the endpoint <c>POST /api/appointments/{id}/{action}</c>) and the steps it allows.</summary>
    public static readonly Lifecycle Steps = new(
        ("confirm", Scheduled, Confirmed),
        ("check-in", Scheduled, CheckedIn),
        ("check-in", Confirmed, CheckedIn),
        ("start", CheckedIn, InProgress),
        ("check-out", CheckedIn, Completed),
        ("check-out", InProgress, Completed),
        ("cancel", Scheduled, Cancelled),
        ("cancel", Confirmed, Cancelled),
        ("cancel", CheckedIn, Cancelled),
        ("no-show", Scheduled, NoShow),
        ("no-show", Confirmed, NoShow));

    /// <summary>Appointments that no longer hold their slot.</summary>
    public static readonly string[] Released = [Cancelled, NoShow];

    /// <summary>The words of a status in a sentence ("checked in").</summary>
    public static string Spoken(string status) => status.Replace('_', ' ');

    public static Validation Validate(AppointmentRequest r) => new Validation()
        .Required("doctorId", r.DoctorId).NotEmpty("doctorId", r.DoctorId)
        .Required("patientId", r.PatientId).NotEmpty("patientId", r.PatientId)
        .Required("startTime", r.StartTime).Instant("startTime", r.StartTime)
        .Required("endTime", r.EndTime).Instant("endTime", r.EndTime)
        .When(r.StartTime is not null && r.EndTime is not null && r.EndTime <= r.StartTime, "endTime", "endTime must be after startTime.")
        .When(r.StartTime is not null && r.EndTime is not null && r.EndTime - r.StartTime > TimeSpan.FromHours(24), "endTime", "An appointment lasts at most 24 hours.")
        .OneOf("appointmentType", r.AppointmentType, Vocabulary.AppointmentTypes)
        .MaxLength("reason", r.Reason, 255)
        .MaxLength("notes", r.Notes, 10_000);

    public static Validation ValidateList(Guid? doctorId, Guid? patientId, DateTimeOffset? from, DateTimeOffset? to, string? status) => new Validation()
        .When(doctorId is null && patientId is null, "doctorId", "Give doctorId or patientId.")
        .When(from is not null && to is not null && to <= from, "to", "to must be after from.")
        .OneOf("status", status, Statuses, required: false);
}
