using System.Security.Claims;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace DrAssistant.Api.Appointments;

public sealed record Appointment(
    Guid Id,
    Guid DoctorId,
    Guid PatientId,
    DateTime StartTime,
    DateTime EndTime,
    string Status,
    string AppointmentType,
    string? Reason,
    string? Notes,
    Guid? CreatedBy,
    DateTime? CheckInTime,
    DateTime? CheckOutTime,
    DateTime CreatedAt,
    DateTime UpdatedAt);

public sealed record AppointmentRequest(
    Guid? DoctorId,
    Guid? PatientId,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    string? AppointmentType,
    string? Reason = null,
    string? Notes = null,
    Guid? CreatedBy = null);

/// <summary>
/// Booking and the visit's progress (confirm, check in, start, check out, cancel, no-show). Every change drops the
/// cached schedule of the doctor's day (<c>doctor:{id}:schedule:{date}</c>) for the days it touched.
/// </summary>
public static class AppointmentsApi
{
    private const string Columns = """
        id, doctor_id, patient_id, start_time, end_time, status, appointment_type, reason, notes, created_by,
        check_in_time, check_out_time, created_at, updated_at
        """;

    /// <summary>Appointments that no longer hold their slot.</summary>
    private static readonly string[] Released = ["cancelled", "no_show"];

    /// <summary>Which statuses each step may leave; the rest are a 409.</summary>
    private static readonly Dictionary<string, Step> Steps = new(StringComparer.Ordinal)
    {
        ["confirm"] = new("confirmed", ["scheduled"]),
        ["check-in"] = new("checked_in", ["scheduled", "confirmed"], ", check_in_time = now()"),
        ["start"] = new("in_progress", ["checked_in"]),
        ["check-out"] = new("completed", ["checked_in", "in_progress"], ", check_out_time = now()"),
        ["cancel"] = new("cancelled", ["scheduled", "confirmed", "checked_in"]),
        ["no-show"] = new("no_show", ["scheduled", "confirmed"]),
    };

    public static IEndpointRouteBuilder MapAppointmentsApi(this IEndpointRouteBuilder app)
    {
        var appointments = app.MapGroup("/api/appointments").WithTags("Appointments");
        appointments.MapGet("/", ListAppointments).RequireAuthorization(Permissions.ReadAppointments).WithSummary("A doctor's or a patient's appointments in a period, paged");
        appointments.MapGet("/{id:guid}", GetAppointment).RequireAuthorization(Permissions.ReadAppointments).WithSummary("One appointment");
        appointments.MapPost("/", BookAppointment).RequireAuthorization(Permissions.WriteAppointments).WithSummary("Book an appointment (the doctor's slot must be free)");
        appointments.MapPut("/{id:guid}", RescheduleAppointment).RequireAuthorization(Permissions.WriteAppointments).WithSummary("Change an appointment's time, people, type or notes");
        foreach (var step in Steps.Keys)
        {
            appointments.MapPost($"/{{id:guid}}/{step}", (Guid id, NpgsqlDataSource db, RedisCache cache, ClinicClock clock, CancellationToken ct) =>
                    MoveAsync(id, step, db, cache, clock, ct))
                .RequireAuthorization(Permissions.WriteAppointments)
                .WithName($"Appointment{string.Concat(step.Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..]))}")
                .WithSummary($"Mark the appointment {Steps[step].To.Replace('_', ' ')}");
        }

        return app;
    }

    public static async Task<Results<Ok<PagedList<Appointment>>, ValidationProblem>> ListAppointments(
        NpgsqlDataSource db, Guid? doctorId, Guid? patientId, DateTimeOffset? from, DateTimeOffset? to, string? status,
        int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .When(doctorId is null && patientId is null, "doctorId", "Give doctorId or patientId.")
            .When(from is not null && to is not null && to <= from, "to", "to must be after from.")
            .OneOf("status", status, Vocabulary.AppointmentStatuses, required: false);
        var paging = PageRequest.From(page, pageSize, validation);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Appointment>(new CommandDefinition($"""
            SELECT {Columns}
            FROM appointments
            WHERE (@doctorId::uuid IS NULL OR doctor_id = @doctorId)
              AND (@patientId::uuid IS NULL OR patient_id = @patientId)
              AND (@from::timestamptz IS NULL OR start_time >= @from)
              AND (@to::timestamptz IS NULL OR start_time < @to)
              AND (@status::varchar IS NULL OR status = @status)
            ORDER BY start_time, id
            LIMIT @Limit OFFSET @Offset
            """, new { doctorId, patientId, from = from?.UtcDateTime, to = to?.UtcDateTime, status, paging.Limit, paging.Offset },
            cancellationToken: cancellationToken));
        return TypedResults.Ok(paging.ToPage(rows));
    }

    public static async Task<Results<Ok<Appointment>, NotFound>> GetAppointment(Guid id, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var appointment = await FindAsync(connection, id, cancellationToken);
        return appointment is null ? TypedResults.NotFound() : TypedResults.Ok(appointment);
    }

    /// <summary>
    /// Books a slot. The early check (INSERT … WHERE NOT EXISTS) gives the friendly 409 in the common case; what
    /// guarantees it is the exclusion constraint no_overlapping_appointments (schema version 4): of bookings racing for
    /// one slot, whose checks cannot see each other's uncommitted rows, exactly one commits and the others get 23P01,
    /// answered with the same 409.
    /// </summary>
    public static async Task<Results<Created<Appointment>, ValidationProblem, Conflict<ProblemDetails>>> BookAppointment(
        AppointmentRequest request, ClaimsPrincipal user, NpgsqlDataSource db, RedisCache cache, ClinicClock clock, CancellationToken cancellationToken)
    {
        var validation = Validate(request);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        // Who booked it is who is signed in, whatever the body says.
        request = request with { CreatedBy = user.Id() };
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await CheckPeopleAsync(connection, request, cancellationToken) is { } invalid)
        {
            return invalid;
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
                return SlotTaken();
            }

            await InvalidateAsync(cache, clock, appointment);
            return TypedResults.Created($"/api/appointments/{appointment.Id}", appointment);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ExclusionViolation)
        {
            return SlotTaken();
        }
        catch (PostgresException ex) when (DbErrors.IsInvalid(ex))
        {
            return DbErrors.Invalid(ex);
        }
    }

    /// <summary>
    /// Changes an appointment, holding its row lock from the first read to the write: a cancel or another change waits,
    /// so the status checked is the status changed, and the days whose caches are dropped are the days it really moved
    /// from. The slot is guaranteed as for a booking (23P01 → the same 409).
    /// </summary>
    public static async Task<Results<Ok<Appointment>, NotFound, ValidationProblem, Conflict<ProblemDetails>>> RescheduleAppointment(
        Guid id, AppointmentRequest request, NpgsqlDataSource db, RedisCache cache, ClinicClock clock, CancellationToken cancellationToken)
    {
        var validation = Validate(request);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await connection.QuerySingleOrDefaultAsync<Appointment>(new CommandDefinition(
            $"SELECT {Columns} FROM appointments WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: cancellationToken));
        if (before is null)
        {
            return TypedResults.NotFound();
        }

        if (Released.Contains(before.Status) || before.Status == "completed")
        {
            return Conflict($"A {before.Status.Replace('_', ' ')} appointment cannot be changed.");
        }

        if (await CheckPeopleAsync(connection, request, cancellationToken, transaction) is { } invalid)
        {
            return invalid;
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
                return SlotTaken();
            }

            await transaction.CommitAsync(cancellationToken);
            await InvalidateAsync(cache, clock, before, appointment);
            return TypedResults.Ok(appointment);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ExclusionViolation)
        {
            return SlotTaken();
        }
        catch (PostgresException ex) when (DbErrors.IsInvalid(ex))
        {
            return DbErrors.Invalid(ex);
        }
    }

    public static async Task<Results<Ok<Appointment>, NotFound, Conflict<ProblemDetails>>> MoveAsync(
        Guid id, string step, NpgsqlDataSource db, RedisCache cache, ClinicClock clock, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var target = Steps[step];
        // One conditional UPDATE: two clients cannot both take the step, and the row returned is the one written.
        var appointment = await connection.QuerySingleOrDefaultAsync<Appointment>(new CommandDefinition($"""
            UPDATE appointments SET status = @To{target.Set}
            WHERE id = @id AND status = ANY(@From)
            RETURNING {Columns}
            """, new { id, target.To, target.From }, cancellationToken: cancellationToken));
        if (appointment is null)
        {
            var status = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "SELECT status FROM appointments WHERE id = @id", new { id }, cancellationToken: cancellationToken));
            return status is null
                ? TypedResults.NotFound()
                : Problems.WrongStatus("appointment", status, $"marked {target.To.Replace('_', ' ')}");
        }

        await InvalidateAsync(cache, clock, appointment);
        return TypedResults.Ok(appointment);
    }

    /// <summary>Drops the cached schedules of the days these appointments touch, and their doctors' dashboards.</summary>
    private static async Task InvalidateAsync(RedisCache cache, ClinicClock clock, params Appointment[] appointments)
    {
        await cache.RemoveAsync([.. appointments.Select(a => ScheduleKey(a, clock)).Distinct()]);
        await cache.RemoveFamiliesAsync([.. appointments.Select(a => CacheKeys.DoctorDashboards(a.DoctorId))]);
    }

    /// <summary>The schedule cache key of the clinic-local day an appointment starts on.</summary>
    public static string ScheduleKey(Appointment appointment, ClinicClock clock) =>
        CacheKeys.DoctorSchedule(appointment.DoctorId, ClinicClock.LocalDate(appointment.StartTime, clock.ClinicZone));

    private static async Task<Appointment?> FindAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<Appointment>(new CommandDefinition(
            $"SELECT {Columns} FROM appointments WHERE id = @id", new { id }, cancellationToken: cancellationToken));

    /// <summary>The doctor must be a user with the doctor role; a missing patient is left to the foreign key.</summary>
    private static async Task<ValidationProblem?> CheckPeopleAsync(
        NpgsqlConnection connection, AppointmentRequest request, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        var isDoctor = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM users WHERE id = @DoctorId AND role = 'doctor')", new { request.DoctorId }, transaction, cancellationToken: cancellationToken));
        return isDoctor ? null : Problems.Invalid("doctorId", "No doctor with this id.");
    }

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

    private static Validation Validate(AppointmentRequest r) => new Validation()
        .Required("doctorId", r.DoctorId).NotEmpty("doctorId", r.DoctorId)
        .Required("patientId", r.PatientId).NotEmpty("patientId", r.PatientId)
        .Required("startTime", r.StartTime).Instant("startTime", r.StartTime)
        .Required("endTime", r.EndTime).Instant("endTime", r.EndTime)
        .When(r.StartTime is not null && r.EndTime is not null && r.EndTime <= r.StartTime, "endTime", "endTime must be after startTime.")
        .When(r.StartTime is not null && r.EndTime is not null && r.EndTime - r.StartTime > TimeSpan.FromHours(24), "endTime", "An appointment lasts at most 24 hours.")
        .OneOf("appointmentType", r.AppointmentType, Vocabulary.AppointmentTypes)
        .MaxLength("reason", r.Reason, 255)
        .MaxLength("notes", r.Notes, 10_000);

    private static Conflict<ProblemDetails> SlotTaken() =>
        Problems.Conflict("The doctor already has an appointment in that time.", "startTime");

    private static Conflict<ProblemDetails> Conflict(string detail) => Problems.Conflict(detail, "status");
}
