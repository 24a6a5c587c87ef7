using System.Globalization;
using System.Security.Claims;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Alerts;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Tasks;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

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
/// Pattern 1, the doctor's day: appointments (a half-open range of instants, [local midnight, next local midnight) in
/// the clinic's time zone), pending tasks most urgent first, unread alerts most severe first. One round trip to
/// PostgreSQL; the day's appointments come from Redis when cached (for the clinic's own time zone).
/// </summary>
public static class DashboardApi
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public const string AppointmentsSql = """
        SELECT a.id, a.patient_id, p.first_name || ' ' || p.last_name AS patient_name, p.first_name AS patient_first_name,
               p.last_name AS patient_last_name, p.date_of_birth AS patient_date_of_birth,
               a.start_time, a.end_time, a.status, a.appointment_type, a.reason
        FROM appointments a
        JOIN patients p ON p.id = a.patient_id
        WHERE a.doctor_id = @doctorId AND a.start_time >= @dayStart AND a.start_time < @dayEnd
        ORDER BY a.start_time, a.id
        """;

    public static readonly string PendingTasksSql = $"""
        SELECT id, title, description, assigned_to, created_by, patient_id, encounter_id, due_date, priority, status, task_type,
               created_at, updated_at, completed_at
        FROM tasks
        WHERE assigned_to = @doctorId AND status = 'pending'
        ORDER BY {Vocabulary.TaskPriorityRank("priority")} DESC, due_date NULLS LAST, created_at, id
        LIMIT @taskLimit
        """;

    public static readonly string UnreadAlertsSql = $"""
        {AlertsApi.Select}
        WHERE a.user_id = @doctorId AND NOT a.is_read
        ORDER BY {Vocabulary.AlertSeverityRank("a.severity")} DESC, a.created_at DESC, a.id
        LIMIT @alertLimit
        """;

    public const string CountsSql = """
        SELECT u.full_name,
               (SELECT count(*) FROM tasks WHERE assigned_to = u.id AND status = 'pending') AS pending_tasks,
               (SELECT count(*) FROM alerts WHERE user_id = u.id AND NOT is_read) AS unread_alerts
        FROM users u
        WHERE u.id = @doctorId AND u.role = 'doctor'
        """;

    public static IEndpointRouteBuilder MapDashboardApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/doctors").WithTags("Dashboard")
            .MapGet("/{id:guid}/dashboard", GetDashboard)
            .RequireAuthorization(Permissions.ReadDashboard)
            .WithSummary("A doctor's day: appointments, pending tasks (most urgent first), unread alerts (most severe first)")
            .WithDescription("date is YYYY-MM-DD in timeZone (an IANA zone such as Asia/Kolkata); both default to today in the clinic's zone.");
        return app;
    }

    public static async Task<Results<Ok<DoctorDashboard>, NotFound, ValidationProblem, ForbidHttpResult>> GetDashboard(
        Guid id, string? date, string? timeZone, int? taskLimit, int? alertLimit, ClaimsPrincipal user,
        NpgsqlDataSource db, RedisCache cache, ClinicClock clock, IOptions<CacheOptions> lifetimes, CancellationToken cancellationToken)
    {
        // A dashboard holds the doctor's own tasks and alerts: only they read it.
        if (user.Id() != id)
        {
            return TypedResults.Forbid();
        }

        var validation = new Validation()
            .Range("taskLimit", taskLimit, 1, MaxLimit)
            .Range("alertLimit", alertLimit, 1, MaxLimit);
        var zone = clock.ClinicZone;
        if (timeZone is not null && !ClinicClock.TryFindZone(timeZone, out zone))
        {
            validation.Add("timeZone", "timeZone must be an IANA time zone such as Asia/Kolkata.");
        }

        DateOnly day = default;
        if (date is not null && !DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day))
        {
            validation.Add("date", "date must be a calendar date as YYYY-MM-DD.");
        }
        else if (date is not null && !Instants.InRange(day))
        {
            // Beyond these years the day's end cannot even be computed (9999-12-31) or its start is not an instant (0001-01-01).
            validation.Add("date", Instants.OutOfRange("date"));
        }

        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        day = date is null ? clock.Today(zone) : day;
        var (dayStart, dayEnd) = ClinicClock.DayRange(day, zone);
        var (tasksShown, alertsShown) = (taskLimit ?? DefaultLimit, alertLimit ?? DefaultLimit);

        // Cache keys name a date, not a zone: only the clinic's own days are cached.
        var clinicDay = zone.Id == clock.ClinicZone.Id;
        var registry = CacheKeys.DoctorDashboards(id);
        var answerKey = CacheKeys.DoctorDashboard(id, day, tasksShown, alertsShown);
        var cacheKey = clinicDay ? CacheKeys.DoctorSchedule(id, day) : null;
        var answer = new CacheLookup<DoctorDashboard>(false, null, false);
        var cached = new CacheLookup<List<ScheduledAppointment>>(false, null, false);
        if (cacheKey is not null)
        {
            // The whole answer and the day's schedule in one round trip: on a miss of the first, the second is needed.
            (answer, cached) = await cache.TryGetBothAsync<DoctorDashboard, List<ScheduledAppointment>>(
                ("doctor-dashboard", answerKey, registry), ("doctor-schedule", cacheKey));
            if (answer.Found)
            {
                return TypedResults.Ok(answer.Value!);
            }
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var sql = $"{CountsSql};\n{(cached.Found ? "" : AppointmentsSql + ";\n")}{PendingTasksSql};\n{UnreadAlertsSql};";
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, new
        {
            doctorId = id,
            dayStart,
            dayEnd,
            taskLimit = tasksShown,
            alertLimit = alertsShown,
        }, cancellationToken: cancellationToken));

        var doctor = await results.ReadSingleOrDefaultAsync<(string FullName, long PendingTasks, long UnreadAlerts)?>();
        var appointments = cached.Found ? cached.Value! : (await results.ReadAsync<ScheduledAppointment>()).ToList();
        var tasks = (await results.ReadAsync<StaffTask>()).ToList();
        var alerts = (await results.ReadAsync<Alert>()).ToList();
        if (doctor is null)
        {
            return TypedResults.NotFound();
        }

        if (!cached.Found && cached.Writable && cacheKey is not null)
        {
            // Only if no appointment of that day was written since the lookup (its version is unchanged).
            await cache.SetAsync("doctor-schedule", cacheKey, appointments, lifetimes.Value.DoctorSchedule, cached.Version);
        }

        var dashboard = new DoctorDashboard(id, doctor.Value.FullName, day, zone.Id, dayStart, dayEnd, appointments,
            new Slice<StaffTask>(tasks, (int)doctor.Value.PendingTasks), new Slice<Alert>(alerts, (int)doctor.Value.UnreadAlerts));
        if (clinicDay && cached.Writable && answer.Writable)
        {
            // Only if nothing of the doctor's was written since the lookup (the family's version is unchanged).
            await cache.SetInFamilyAsync("doctor-dashboard", registry, answerKey, dashboard, lifetimes.Value.DoctorDashboard, answer.Version);
        }

        return TypedResults.Ok(dashboard);
    }
}
