using DrAssistant.Api.Alerts;
using DrAssistant.Api.Tasks;

namespace DrAssistant.Api.Dashboard;

/// <summary>An appointment on a doctor's day: what pattern 1 lists and <c>doctor:{id}:schedule:{date}</c> caches.</summary>
public sealed record ScheduledAppointment(
    Guid Id,
    Guid PatientId,
    string PatientName,
    string PatientFirstName,
    string PatientLastName,
    DateOnly PatientDateOfBirth,
    DateTime StartTime,
    DateTime EndTime,
    string Status,
    string AppointmentType,
    string? Reason);

/// <summary>The first items of a list, and how many there are in all.</summary>
public sealed record Slice<T>(IReadOnlyList<T> Items, int Total);

public sealed record DoctorDashboard(
    Guid DoctorId,
    string DoctorName,
    DateOnly Date,
    string TimeZone,
    DateTime DayStart,
    DateTime DayEnd,
    IReadOnlyList<ScheduledAppointment> Appointments,
    Slice<StaffTask> PendingTasks,
    Slice<Alert> UnreadAlerts);

/// <summary>
/// One doctor's day as asked for: the day in <see cref="Zone"/>, and how many tasks and alerts to list.
/// <see cref="ClinicDay"/>: the zone is the clinic's own (cache keys name a date, not a zone: only those days are cached).
/// </summary>
public sealed record DashboardQuery(Guid DoctorId, DateOnly Day, TimeZoneInfo Zone, bool ClinicDay, int TaskLimit, int AlertLimit);
