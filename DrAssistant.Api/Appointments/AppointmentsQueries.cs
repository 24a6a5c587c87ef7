using Dapper;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Users;
using Npgsql;
using static DrAssistant.Api.Appointments.AppointmentsRules;

namespace DrAssistant.Api.Appointments;

/// <summary>
/// The appointments table. Every write, once committed, tells the <see cref="CachePolicy"/> which doctor-days it touched
/// (before and after), so their cached schedules and dashboards are dropped.
/// </summary>
public static class AppointmentsQueries
{
    private const string Columns = """
        id, doctor_id, patient_id, start_time, end_time, status, appointment_type, reason, notes, created_by,
        check_in_time, check_out_time, created_at, updated_at
        """;

    /// <summary>What arriving at a status also records.</summary>
    private static readonly Dictionary<string, string> Stamps = new(StringComparer.Ordinal)
    {
        [CheckedIn] = ", check_in_time = now()",
        [Completed] = ", check_out_time = now()",
    };

    public static Task<IEnumerable<Appointment>> ListAsync(
        NpgsqlDataSource db, Guid? doctorId, Guid? patientId, DateTimeOffset? from, DateTimeOffset? to, string? status, PageRequest paging,
        CancellationToken cancellationToken)
        => db.QueryAsync<Appointment>($"""
            SELECT {Columns}
            FROM appointments
            WHERE (@doctorId::uuid IS NULL OR doctor_id = @doctorId)
              AND (@patientId::uuid IS NULL OR patient_id = @patientId)
              AND (@from::timestamptz IS NULL OR start_time >= @from)
              AND (@to::timestamptz IS NULL OR start_time < @to)
              AND (@status::varchar IS NULL OR status = @status)
            ORDER BY start_time, id
            LIMIT @Limit OFFSET @Offset
            """, new { doctorId, patientId, from = from?.UtcDateTime, to = to?.UtcDateTime, status, paging.Limit, paging.Offset }, cancellationToken);

    public static Task<Appointment?> FindAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken) =>
        db.QuerySingleOrDefaultAsync<Appointment>($"SELECT {Columns} FROM appointments WHERE id = @id", new { id }, cancellationToken);

    /// <summary>
    /// Books a slot. The early check (INSERT … WHERE NOT EXISTS) gives the friendly answer in the common case; what
    /// guarantees it is the exclusion constraint no_overlapping_appointments (schema version 4): of bookings racing for
    /// one slot, whose checks cannot see each other's uncommitted rows, exactly one commits and the others get 23P01,
    /// the same <see cref="AppointmentResult.SlotTaken"/>.
    /// </summary>
    public static async Task<AppointmentOutcome> BookAsync(
        NpgsqlDataSource db, CachePolicy cache, AppointmentRequest request, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (!await IsDoctorAsync(connection, null, request.DoctorId, cancellationToken))
        {
            return new(AppointmentResult.NotADoctor);
        }

        try
        {
            var appointment = await connection.QuerySingleOrDefaultAsync<Appointment>(new CommandDefinition($"""
                INSERT INTO appointments (doctor_id, patient_id, start_time, end_time, appointment_type, reason, notes, created_by)
                SELECT @DoctorId, @PatientId, @StartTime, @EndTime, @AppointmentType, @Reason, @Notes, @CreatedBy
                WHERE NOT EXISTS (
                    SELECT 1 FROM appointments
                    WHERE doctor_id = @DoctorId AND status <> ALL(@Released)
                      AND start_time < @EndTime AND end_time > @StartTime)
                RETURNING {Columns}
                """, Parameters(request), cancellationToken: cancellationToken));
            if (appointment is null)
            {
                return new(AppointmentResult.SlotTaken);
            }

            await cache.AppointmentChangedAsync(appointment.Slot);
            return new(AppointmentResult.Done, appointment);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ExclusionViolation)
        {
            return new(AppointmentResult.SlotTaken);
        }
    }

    /// <summary>
    /// Changes an appointment, holding its row lock from the first read to the write: a cancel or another change waits,
    /// so the status checked is the status changed, and the days whose caches are dropped are the days it really moved
    /// from. The slot is guaranteed as for a booking (23P01 → the same <see cref="AppointmentResult.SlotTaken"/>).
    /// </summary>
    public static async Task<AppointmentOutcome> RescheduleAsync(
        NpgsqlDataSource db, CachePolicy cache, Guid id, AppointmentRequest request, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await connection.QuerySingleOrDefaultAsync<Appointment>(new CommandDefinition(
            $"SELECT {Columns} FROM appointments WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: cancellationToken));
        if (before is null)
        {
            return new(AppointmentResult.NotFound);
        }

        if (Steps.IsFinal(before.Status))
        {
            return new(AppointmentResult.WrongStatus, Status: before.Status);
        }

        if (!await IsDoctorAsync(connection, transaction, request.DoctorId, cancellationToken))
        {
            return new(AppointmentResult.NotADoctor);
        }

        try
        {
            var parameters = new DynamicParameters(Parameters(request));
            parameters.Add("id", id);
            var appointment = await connection.QuerySingleOrDefaultAsync<Appointment>(new CommandDefinition($"""
                UPDATE appointments
                SET doctor_id = @DoctorId, patient_id = @PatientId, start_time = @StartTime, end_time = @EndTime,
                    appointment_type = @AppointmentType, reason = @Reason, notes = @Notes
                WHERE id = @id
                  AND NOT EXISTS (
                    SELECT 1 FROM appointments other
                    WHERE other.id <> @id AND other.doctor_id = @DoctorId AND other.status <> ALL(@Released)
                      AND other.start_time < @EndTime AND other.end_time > @StartTime)
                RETURNING {Columns}
                """, parameters, transaction, cancellationToken: cancellationToken));
            if (appointment is null)
            {
                return new(AppointmentResult.SlotTaken);
            }

            await transaction.CommitAsync(cancellationToken);
            await cache.AppointmentChangedAsync(before.Slot, appointment.Slot);
            return new(AppointmentResult.Done, appointment);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ExclusionViolation)
        {
            return new(AppointmentResult.SlotTaken);
        }
    }

    /// <summary>One step of the lifecycle in one conditional UPDATE: two clients cannot both take it, and the row returned is the one written.</summary>
    public static async Task<AppointmentOutcome> MoveAsync(
        NpgsqlDataSource db, CachePolicy cache, Guid id, string action, CancellationToken cancellationToken)
    {
        var (to, from) = Steps.Of(action);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var appointment = await connection.QuerySingleOrDefaultAsync<Appointment>(new CommandDefinition($"""
            UPDATE appointments SET status = @to{Stamps.GetValueOrDefault(to, "")}
            WHERE id = @id AND status = ANY(@from)
            RETURNING {Columns}
            """, new { id, to, from }, cancellationToken: cancellationToken));
        if (appointment is null)
        {
            var status = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "SELECT status FROM appointments WHERE id = @id", new { id }, cancellationToken: cancellationToken));
            return status is null ? new(AppointmentResult.NotFound) : new(AppointmentResult.WrongStatus, Status: status);
        }

        await cache.AppointmentChangedAsync(appointment.Slot);
        return new(AppointmentResult.Done, appointment);
    }

    /// <summary>The doctor must be a user with the doctor role; a missing patient is left to the foreign key.</summary>
    private static Task<bool> IsDoctorAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid? doctorId, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            $"SELECT EXISTS (SELECT 1 FROM users WHERE id = @doctorId AND role = '{UsersRules.Doctor}')", new { doctorId }, transaction, cancellationToken: cancellationToken));

    private static object Parameters(AppointmentRequest r) => new
    {
        r.DoctorId,
        r.PatientId,
        StartTime = r.StartTime?.UtcDateTime,
        EndTime = r.EndTime?.UtcDateTime,
        r.AppointmentType,
        r.Reason,
        r.Notes,
        r.CreatedBy,
        Released,
    };
}
