namespace DrAssistant.Api.Infrastructure;

/// <summary>An appointment's place on a doctor's day: what decides which cached schedule it is part of.</summary>
public readonly record struct DoctorSlot(Guid DoctorId, DateTime StartTime);

/// <summary>Where a patient's fields are copied into cached values: appointments on doctors' days, unread alerts.</summary>
public sealed record PatientEmbeds(IReadOnlyList<DoctorSlot> Appointments, IReadOnlyList<Guid> AlertRecipients);

/// <summary>
/// What each write drops from the cache, and every key name, in one place (access-patterns.md, "Redis cache"). The
/// queries call one method per write event after the write has committed; the cache is never rewritten, only emptied.
/// <list type="table">
/// <item><term>appointment changed</term><description>the schedule of each doctor-day it was or is on, and those doctors' dashboards</description></item>
/// <item><term>task changed</term><description>the dashboards of its assignees (before and after)</description></item>
/// <item><term>alert changed</term><description>its recipient's dashboards</description></item>
/// <item><term>patient changed</term><description>the demographics, and every schedule and dashboard that shows the patient's name</description></item>
/// <item><term>user changed</term><description>the preferences, and the dashboards that show the user's name</description></item>
/// </list>
/// </summary>
public sealed class CachePolicy(RedisCache cache, ClinicClock clock)
{
    /// <summary>Family names: the <c>cache.family</c> tag of the hit/miss/error counters.</summary>
    public const string DemographicsFamily = "patient-demographics";
    public const string ScheduleFamily = "doctor-schedule";
    public const string PreferencesFamily = "user-preferences";
    public const string DashboardFamily = "doctor-dashboard";

    /// <summary><c>patient:{id}:demographics</c>, the design's key (shared with other services).</summary>
    public static string PatientDemographicsKey(Guid patientId) => $"patient:{patientId}:demographics";

    /// <summary><c>doctor:{id}:schedule:{date}</c>, the design's key: the date is a calendar day in the clinic's zone.</summary>
    public static string DoctorScheduleKey(Guid doctorId, DateOnly date) => $"doctor:{doctorId}:schedule:{date:yyyy-MM-dd}";

    /// <summary><c>user:{id}:preferences</c>, the design's key.</summary>
    public static string UserPreferencesKey(Guid userId) => $"user:{userId}:preferences";

    /// <summary>
    /// The API's own key (not part of the shared design): a whole dashboard answer, listed in
    /// <see cref="DoctorDashboardsKey"/> so that any change to what it shows drops them all.
    /// </summary>
    public static string DoctorDashboardKey(Guid doctorId, DateOnly date, int taskLimit, int alertLimit) =>
        $"doctor:{doctorId}:dashboard:{date:yyyy-MM-dd}:{taskLimit}:{alertLimit}";

    /// <summary>The list of a doctor's cached dashboard answers.</summary>
    public static string DoctorDashboardsKey(Guid doctorId) => $"doctor:{doctorId}:dashboards";

    /// <summary>The schedule key of the clinic-local day an appointment starts on.</summary>
    public string ScheduleKeyOf(DoctorSlot slot) => DoctorScheduleKey(slot.DoctorId, ClinicClock.LocalDate(slot.StartTime, clock.ClinicZone));

    /// <summary>An appointment was booked, moved or changed status: every version of it (before and after) counts.</summary>
    public async Task AppointmentChangedAsync(params DoctorSlot[] versions)
    {
        await cache.RemoveAsync([.. versions.Select(ScheduleKeyOf).Distinct(StringComparer.Ordinal)]);
        await DropDashboardsAsync(versions.Select(v => v.DoctorId));
    }

    /// <summary>A task shows on its assignee's dashboard: old and new assignee.</summary>
    public Task TaskChangedAsync(params Guid?[] assignees) => DropDashboardsAsync(assignees.OfType<Guid>());

    /// <summary>An alert shows on its recipient's dashboard.</summary>
    public Task AlertChangedAsync(Guid recipient) => DropDashboardsAsync([recipient]);

    /// <summary>
    /// A patient's record changed: the cached demographics, and (since a schedule lists patient names) the schedule of
    /// every doctor-day on which the patient has an appointment, with those doctors' dashboards and the dashboards whose
    /// unread alerts name the patient. The dashboard caches any day it is asked for, so every appointment counts.
    /// </summary>
    public async Task PatientChangedAsync(Guid patientId, PatientEmbeds embeds)
    {
        await cache.RemoveAsync([PatientDemographicsKey(patientId), .. embeds.Appointments.Select(ScheduleKeyOf).Distinct(StringComparer.Ordinal)]);
        await DropDashboardsAsync(embeds.Appointments.Select(a => a.DoctorId).Concat(embeds.AlertRecipients));
    }

    /// <summary>A user's profile or preferences changed: the preferences, and the dashboards that carry the name.</summary>
    public async Task UserChangedAsync(Guid userId)
    {
        await cache.RemoveAsync(UserPreferencesKey(userId));
        await DropDashboardsAsync([userId]);
    }

    private Task DropDashboardsAsync(IEnumerable<Guid> doctors) =>
        cache.RemoveFamiliesAsync([.. doctors.Distinct().Select(DoctorDashboardsKey)]);
}
