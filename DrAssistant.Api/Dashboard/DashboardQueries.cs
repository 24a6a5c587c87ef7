using Dapper;
using DrAssistant.Api.Alerts;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Tasks;
using DrAssistant.Api.Users;
using Npgsql;

namespace DrAssistant.Api.Dashboard;

/// <summary>
/// Pattern 1, the doctor's day: appointments (a half-open range of instants, [local midnight, next local midnight) in
/// the day's time zone), pending tasks most urgent first, unread alerts most severe first. Two cache tiers: the whole
/// answer (short-lived, dropped by any write the <see cref="CachePolicy"/> says it shows) and the day's schedule (the
/// design's <c>doctor:{id}:schedule:{date}</c>), both read from Redis in one round trip; then one round trip to PostgreSQL.
/// </summary>
public static class DashboardQueries
{
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
        SELECT {TasksQueries.Columns}
        FROM tasks
        WHERE assigned_to = @doctorId AND status = '{TasksRules.Pending}'
        ORDER BY {TasksQueries.UrgencyOrder}
        LIMIT @taskLimit
        """;

    public static readonly string UnreadAlertsSql = $"""
        {AlertsQueries.Select}
        WHERE a.user_id = @doctorId AND NOT a.is_read
        ORDER BY {AlertsQueries.SeverityOrder}
        LIMIT @alertLimit
        """;

    public static readonly string CountsSql = $"""
        SELECT u.full_name,
               (SELECT count(*) FROM tasks WHERE assigned_to = u.id AND status = '{TasksRules.Pending}') AS pending_tasks,
               (SELECT count(*) FROM alerts WHERE user_id = u.id AND NOT is_read) AS unread_alerts
        FROM users u
        WHERE u.id = @doctorId AND u.role = '{UsersRules.Doctor}'
        """;

    /// <summary>The doctor's day, from the cache where it can be; null when <see cref="DashboardQuery.DoctorId"/> is no doctor.</summary>
    public static async Task<DoctorDashboard?> ReadAsync(
        NpgsqlDataSource db, RedisCache cache, CacheOptions lifetimes, DashboardQuery query, CancellationToken cancellationToken)
    {
        var registry = CachePolicy.DoctorDashboardsKey(query.DoctorId);
        var answerKey = CachePolicy.DoctorDashboardKey(query.DoctorId, query.Day, query.TaskLimit, query.AlertLimit);
        var scheduleKey = CachePolicy.DoctorScheduleKey(query.DoctorId, query.Day);
        var answer = new CacheLookup<DoctorDashboard>(false, null, false);
        var schedule = new CacheLookup<List<ScheduledAppointment>>(false, null, false);
        if (query.ClinicDay)
        {
            // The whole answer and the day's schedule in one round trip: on a miss of the first, the second is needed.
            (answer, schedule) = await cache.TryGetBothAsync<DoctorDashboard, List<ScheduledAppointment>>(
                (CachePolicy.DashboardFamily, answerKey, registry), (CachePolicy.ScheduleFamily, scheduleKey));
            if (answer.Found)
            {
                return answer.Value;
            }
        }

        var dashboard = await LoadAsync(db, query, schedule.Found ? schedule.Value : null, cancellationToken);
        if (dashboard is null || !query.ClinicDay)
        {
            return dashboard;
        }

        if (!schedule.Found && schedule.Writable)
        {
            // Only if no appointment of that day was written since the lookup (its version is unchanged).
            await cache.SetAsync(CachePolicy.ScheduleFamily, scheduleKey, dashboard.Appointments, lifetimes.DoctorSchedule, schedule.Version);
        }

        if (schedule.Writable && answer.Writable)
        {
            // Only if nothing of the doctor's was written since the lookup (the family's version is unchanged).
            await cache.SetInFamilyAsync(CachePolicy.DashboardFamily, registry, answerKey, dashboard, lifetimes.DoctorDashboard, answer.Version);
        }

        return dashboard;
    }

    /// <summary>
    /// One batch: the counts, the tasks, the alerts, and last (only when <paramref name="cached"/> did not give them) the
    /// day's appointments, so the read order never depends on the cache.
    /// </summary>
    private static async Task<DoctorDashboard?> LoadAsync(
        NpgsqlDataSource db, DashboardQuery query, IReadOnlyList<ScheduledAppointment>? cached, CancellationToken cancellationToken)
    {
        var (dayStart, dayEnd) = ClinicClock.DayRange(query.Day, query.Zone);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var sql = $"{CountsSql};\n{PendingTasksSql};\n{UnreadAlertsSql};{(cached is null ? "\n" + AppointmentsSql + ";" : "")}";
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, new
        {
            doctorId = query.DoctorId,
            dayStart,
            dayEnd,
            taskLimit = query.TaskLimit,
            alertLimit = query.AlertLimit,
        }, cancellationToken: cancellationToken));

        var doctor = await results.ReadSingleOrDefaultAsync<(string FullName, long PendingTasks, long UnreadAlerts)?>();
        var tasks = (await results.ReadAsync<StaffTask>()).ToList();
        var alerts = (await results.ReadAsync<Alert>()).ToList();
        var appointments = cached ?? (await results.ReadAsync<ScheduledAppointment>()).ToList();
        return doctor is not { } found
            ? null
            : new DoctorDashboard(query.DoctorId, found.FullName, query.Day, query.Zone.Id, dayStart, dayEnd, appointments,
                new Slice<StaffTask>(tasks, (int)found.PendingTasks), new Slice<Alert>(alerts, (int)found.UnreadAlerts));
    }
}
