using Dapper;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Orders;
using DrAssistant.Api.Prescriptions;
using Npgsql;

namespace DrAssistant.Api.Encounters;

/// <summary>The SQL of encounters: the list, pattern 3's batch, and every write, each returning a domain outcome.</summary>
public static class EncountersQueries
{
    public const string Columns = """
        id, appointment_id, doctor_id, patient_id, encounter_type, start_time, end_time, chief_complaint, status, created_at, updated_at
        """;

    /// <summary>Prescriptions and orders of one encounter are few; the cap keeps an answer bounded anyway.</summary>
    public const int ChildLimit = 200;

    private static readonly Step Complete = new(EncountersRules.Completed, EncountersRules.Steps.From(EncountersRules.Completed), ", end_time = @end");
    private static readonly Step Cancel = new(EncountersRules.Cancelled, EncountersRules.Steps.From(EncountersRules.Cancelled));

    public static async Task<PagedList<EncounterSummary>> ListAsync(
        NpgsqlDataSource db, Guid? patientId, Guid? doctorId, PageRequest paging, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<EncounterSummary>(new CommandDefinition("""
            SELECT e.id, e.appointment_id, e.doctor_id, u.full_name AS doctor_name, e.patient_id, e.encounter_type,
                   e.start_time, e.end_time, e.chief_complaint, e.status
            FROM encounters e JOIN users u ON u.id = e.doctor_id
            WHERE (@patientId::uuid IS NULL OR e.patient_id = @patientId) AND (@doctorId::uuid IS NULL OR e.doctor_id = @doctorId)
            ORDER BY e.start_time DESC, e.id
            LIMIT @Limit OFFSET @Offset
            """, new { patientId, doctorId, paging.Limit, paging.Offset }, cancellationToken: cancellationToken));
        return paging.ToPage(rows);
    }

    /// <summary>
    /// Pattern 3's PostgreSQL half in one round trip: the encounter with its people, prescriptions and orders (the notes
    /// left out: MongoDB's half is the caller's). Null when there is no such encounter.
    /// </summary>
    public static async Task<EncounterDetails?> DetailsAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT e.id, e.appointment_id, e.doctor_id, e.patient_id, e.encounter_type, e.start_time, e.end_time,
                   e.chief_complaint, e.status, e.created_at, e.updated_at,
                   p.first_name AS patient_first_name, p.last_name AS patient_last_name, p.date_of_birth AS patient_date_of_birth,
                   p.gender AS patient_gender, p.mrn AS patient_mrn, p.abha_id AS patient_abha_id,
                   u.full_name AS doctor_full_name, u.specialty AS doctor_specialty
            FROM encounters e
            JOIN patients p ON p.id = e.patient_id
            JOIN users u ON u.id = e.doctor_id
            WHERE e.id = @id;

            {PrescriptionsQueries.Select} WHERE p.encounter_id = @id ORDER BY p.created_at DESC, p.id LIMIT {ChildLimit};

            {OrdersQueries.Select} WHERE o.encounter_id = @id ORDER BY o.created_at DESC, o.id LIMIT {ChildLimit};
            """, new { id }, cancellationToken: cancellationToken));

        var row = await results.ReadSingleOrDefaultAsync<EncounterRow>();
        var prescriptions = (await results.ReadAsync<Prescription>()).ToList();
        var orders = (await results.ReadAsync<Order>()).ToList();
        if (row is null)
        {
            return null;
        }

        var encounter = new Encounter(row.Id, row.AppointmentId, row.DoctorId, row.PatientId, row.EncounterType, row.StartTime,
            row.EndTime, row.ChiefComplaint, row.Status, row.CreatedAt, row.UpdatedAt);
        var patient = new EncounterPatient(row.PatientId, row.PatientFirstName, row.PatientLastName, row.PatientDateOfBirth,
            row.PatientGender, row.PatientMrn, row.PatientAbhaId);
        var doctor = new EncounterDoctor(row.DoctorId, row.DoctorFullName, row.DoctorSpecialty);
        return new EncounterDetails(encounter, patient, doctor, prescriptions, orders, null, null, false);
    }

    /// <summary>
    /// Holds an encounter that is not cancelled (<c>FOR SHARE</c>) until the transaction ends, so that it cannot be
    /// cancelled while something is written in it; its patient, or null when there is no such encounter open.
    /// </summary>
    public static async Task<Guid?> HoldAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, CancellationToken cancellationToken)
    {
        var encounter = await connection.QuerySingleOrDefaultAsync<(Guid PatientId, string Status)?>(new CommandDefinition(
            "SELECT patient_id, status FROM encounters WHERE id = @id FOR SHARE", new { id }, transaction, cancellationToken: cancellationToken));
        return encounter is { } held && EncountersRules.Open.Contains(held.Status) ? held.PatientId : null;
    }

    public static async Task<Changed<Encounter>> OpenAsync(NpgsqlDataSource db, CreateEncounterRequest request, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The appointment is held (FOR SHARE) until the encounter is written: it cannot move to another doctor or patient
        // between the check and the insert.
        var people = await connection.QuerySingleAsync<(bool IsDoctor, Guid? AppointmentPatient, Guid? AppointmentDoctor)>(new CommandDefinition("""
            SELECT EXISTS (SELECT 1 FROM users WHERE id = @DoctorId AND role = 'doctor'), a.patient_id, a.doctor_id
            FROM (SELECT 1) one
            LEFT JOIN LATERAL (SELECT patient_id, doctor_id FROM appointments WHERE id = @AppointmentId FOR SHARE) a ON true
            """, request, transaction, cancellationToken: cancellationToken));
        if (!people.IsDoctor)
        {
            return Refusal.Invalid("doctorId", "No doctor with this id.");
        }

        if (request.AppointmentId is not null
            && (people.AppointmentPatient != request.PatientId || people.AppointmentDoctor != request.DoctorId))
        {
            return Refusal.Invalid("appointmentId", "No appointment with this id for this patient and doctor.");
        }

        try
        {
            var encounter = await connection.QuerySingleAsync<Encounter>(new CommandDefinition($"""
                INSERT INTO encounters (appointment_id, doctor_id, patient_id, encounter_type, start_time, chief_complaint)
                VALUES (@AppointmentId, @DoctorId, @PatientId, @EncounterType, coalesce(@StartTime, now()), @ChiefComplaint)
                RETURNING {Columns}
                """, new { request.AppointmentId, request.DoctorId, request.PatientId, request.EncounterType, StartTime = request.StartTime?.UtcDateTime, request.ChiefComplaint },
                transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            return encounter;
        }
        catch (PostgresException ex) when (DbErrors.IsInvalid(ex))
        {
            return Refusal.Invalid(ex);
        }
    }

    /// <summary>One conditional UPDATE: a cancel in between leaves nothing to edit, never an edited cancelled encounter.</summary>
    public static async Task<Changed<Encounter>> UpdateAsync(NpgsqlDataSource db, Guid id, UpdateEncounterRequest request, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var encounter = await connection.QuerySingleOrDefaultAsync<Encounter>(new CommandDefinition($"""
            UPDATE encounters
            SET encounter_type = @EncounterType, start_time = @StartTime, end_time = @EndTime, chief_complaint = @ChiefComplaint
            WHERE id = @id AND status = ANY(@open)
            RETURNING {Columns}
            """, new { id, request.EncounterType, StartTime = request.StartTime?.UtcDateTime, EndTime = request.EndTime?.UtcDateTime, request.ChiefComplaint, open = EncountersRules.Open },
            cancellationToken: cancellationToken));
        if (encounter is not null)
        {
            return encounter;
        }

        return await FindAsync(connection, id, cancellationToken) is { } current ? Refusal.WrongStatus(current.Status) : Refusal.NotFound;
    }

    /// <summary>
    /// Closes an encounter in one conditional UPDATE that also checks the end against the start as it is then, so an
    /// edit of the start in between cannot slip an end before it.
    /// </summary>
    public static async Task<Changed<Encounter>> CompleteAsync(NpgsqlDataSource db, Guid id, DateTime end, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var encounter = await connection.QuerySingleOrDefaultAsync<Encounter>(new CommandDefinition($"""
            UPDATE encounters SET status = @To{Complete.Set}
            WHERE id = @id AND status = ANY(@From) AND start_time < @end
            RETURNING {Columns}
            """, new { id, end, Complete.To, Complete.From }, cancellationToken: cancellationToken));
        if (encounter is not null)
        {
            return encounter;
        }

        return await FindAsync(connection, id, cancellationToken) switch
        {
            null => Refusal.NotFound,
            { Status: var status } when !Complete.From.Contains(status) => Refusal.WrongStatus(status),
            _ => Refusal.Invalid("endTime", "endTime must be after the encounter's start."),
        };
    }

    public static Task<Changed<Encounter>> CancelAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken) =>
        Transitions.MoveAsync(db, "encounters", id, Cancel, connection => FindAsync(connection, id, cancellationToken), cancellationToken);

    private static async Task<Encounter?> FindAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<Encounter>(new CommandDefinition(
            $"SELECT {Columns} FROM encounters WHERE id = @id", new { id }, cancellationToken: cancellationToken));

    private sealed record EncounterRow(
        Guid Id, Guid? AppointmentId, Guid DoctorId, Guid PatientId, string EncounterType, DateTime StartTime, DateTime? EndTime,
        string? ChiefComplaint, string Status, DateTime CreatedAt, DateTime UpdatedAt,
        string PatientFirstName, string PatientLastName, DateOnly PatientDateOfBirth, string PatientGender, string? PatientMrn,
        string? PatientAbhaId, string DoctorFullName, string? DoctorSpecialty);
}
