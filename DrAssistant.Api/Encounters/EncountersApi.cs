using System.Security.Claims;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Notes;
using DrAssistant.Api.Orders;
using DrAssistant.Api.Prescriptions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace DrAssistant.Api.Encounters;

/// <summary>The visits that happened: opened (from an appointment or not), edited, completed or cancelled; and pattern 3.</summary>
public static class EncountersApi
{
    private const string Columns = """
        id, appointment_id, doctor_id, patient_id, encounter_type, start_time, end_time, chief_complaint, status, created_at, updated_at
        """;

    /// <summary>Prescriptions and orders of one encounter are few; the cap keeps an answer bounded anyway.</summary>
    private const int ChildLimit = 200;

    private static readonly Step Cancel = new("cancelled", ["in_progress"]);

    public static IEndpointRouteBuilder MapEncountersApi(this IEndpointRouteBuilder app)
    {
        var encounters = app.MapGroup("/api/encounters").WithTags("Encounters");
        encounters.MapGet("/", ListEncounters).RequireAuthorization(Permissions.ReadEncounters).WithSummary("A patient's or a doctor's encounters, newest first, paged");
        encounters.MapGet("/{id:guid}", GetEncounter).RequireAuthorization(Permissions.ReadEncounters)
            .WithSummary("An encounter with the patient and doctor, its prescriptions and orders with their items, its current note and recordings");
        encounters.MapPost("/", OpenEncounter).RequireAuthorization(Permissions.WriteEncounters).WithSummary("Open an encounter (optionally for an appointment)");
        encounters.MapPut("/{id:guid}", UpdateEncounter).RequireAuthorization(Permissions.WriteEncounters).WithSummary("Change an encounter's type, times and chief complaint");
        encounters.MapPost("/{id:guid}/complete", CompleteEncounter).RequireAuthorization(Permissions.WriteEncounters).WithSummary("Close an encounter (end time defaults to now)");
        encounters.MapPost("/{id:guid}/cancel", CancelEncounter).RequireAuthorization(Permissions.WriteEncounters).WithSummary("Cancel an encounter in progress");
        return app;
    }

    public static async Task<Results<Ok<PagedList<EncounterSummary>>, ValidationProblem>> ListEncounters(
        NpgsqlDataSource db, Guid? patientId, Guid? doctorId, int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var validation = new Validation().When(patientId is null && doctorId is null, "patientId", "Give patientId or doctorId.");
        var paging = PageRequest.From(page, pageSize, validation);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<EncounterSummary>(new CommandDefinition("""
            SELECT e.id, e.appointment_id, e.doctor_id, u.full_name AS doctor_name, e.patient_id, e.encounter_type,
                   e.start_time, e.end_time, e.chief_complaint, e.status
            FROM encounters e JOIN users u ON u.id = e.doctor_id
            WHERE (@patientId::uuid IS NULL OR e.patient_id = @patientId) AND (@doctorId::uuid IS NULL OR e.doctor_id = @doctorId)
            ORDER BY e.start_time DESC, e.id
            LIMIT @Limit OFFSET @Offset
            """, new { patientId, doctorId, paging.Limit, paging.Offset }, cancellationToken: cancellationToken));
        return TypedResults.Ok(paging.ToPage(rows));
    }

    /// <summary>
    /// One round trip to each store, side by side: PostgreSQL for the encounter with its people, prescriptions and
    /// orders; MongoDB for its current note and recordings (left out, not failed, when MongoDB cannot answer).
    /// </summary>
    public static async Task<Results<Ok<EncounterDetails>, NotFound>> GetEncounter(
        Guid id, NpgsqlDataSource db, NotesQueries notes, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var notesRead = notes.TryEncounterNotesAsync(user, id, cancellationToken);
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

            {PrescriptionsApi.Select} WHERE p.encounter_id = @id ORDER BY p.created_at DESC, p.id LIMIT {ChildLimit};

            {OrdersApi.Select} WHERE o.encounter_id = @id ORDER BY o.created_at DESC, o.id LIMIT {ChildLimit};
            """, new { id }, cancellationToken: cancellationToken));

        var row = await results.ReadSingleOrDefaultAsync<EncounterRow>();
        var prescriptions = (await results.ReadAsync<Prescription>()).ToList();
        var orders = (await results.ReadAsync<Order>()).ToList();
        if (row is null)
        {
            return TypedResults.NotFound();
        }

        var encounter = new Encounter(row.Id, row.AppointmentId, row.DoctorId, row.PatientId, row.EncounterType, row.StartTime,
            row.EndTime, row.ChiefComplaint, row.Status, row.CreatedAt, row.UpdatedAt);
        var patient = new EncounterPatient(row.PatientId, row.PatientFirstName, row.PatientLastName, row.PatientDateOfBirth,
            row.PatientGender, row.PatientMrn, row.PatientAbhaId);
        var doctor = new EncounterDoctor(row.DoctorId, row.DoctorFullName, row.DoctorSpecialty);
        var encounterNotes = await notesRead;
        return TypedResults.Ok(new EncounterDetails(encounter, patient, doctor, prescriptions, orders,
            encounterNotes?.CurrentNote, encounterNotes?.Recordings, encounterNotes is not null));
    }

    public static async Task<Results<Created<Encounter>, ValidationProblem>> OpenEncounter(
        CreateEncounterRequest request, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Required("doctorId", request.DoctorId)
            .Required("patientId", request.PatientId)
            .OneOf("encounterType", request.EncounterType, Vocabulary.EncounterTypes)
            .Instant("startTime", request.StartTime)
            .MaxLength("chiefComplaint", request.ChiefComplaint, 10_000);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

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
            return Problems.Invalid("doctorId", "No doctor with this id.");
        }

        if (request.AppointmentId is not null
            && (people.AppointmentPatient != request.PatientId || people.AppointmentDoctor != request.DoctorId))
        {
            return Problems.Invalid("appointmentId", "No appointment with this id for this patient and doctor.");
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
            return TypedResults.Created($"/api/encounters/{encounter.Id}", encounter);
        }
        catch (PostgresException ex) when (DbErrors.IsInvalid(ex))
        {
            return DbErrors.Invalid(ex);
        }
    }

    public static async Task<Results<Ok<Encounter>, NotFound, ValidationProblem, Conflict<ProblemDetails>>> UpdateEncounter(
        Guid id, UpdateEncounterRequest request, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .OneOf("encounterType", request.EncounterType, Vocabulary.EncounterTypes)
            .Required("startTime", request.StartTime)
            .Instant("startTime", request.StartTime)
            .Instant("endTime", request.EndTime)
            .When(request.EndTime <= request.StartTime, "endTime", "endTime must be after startTime.")
            .MaxLength("chiefComplaint", request.ChiefComplaint, 10_000);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        // One conditional UPDATE: a cancel in between leaves nothing to edit (409), never an edited cancelled encounter.
        var encounter = await connection.QuerySingleOrDefaultAsync<Encounter>(new CommandDefinition($"""
            UPDATE encounters
            SET encounter_type = @EncounterType, start_time = @StartTime, end_time = @EndTime, chief_complaint = @ChiefComplaint
            WHERE id = @id AND status <> 'cancelled'
            RETURNING {Columns}
            """, new { id, request.EncounterType, StartTime = request.StartTime?.UtcDateTime, EndTime = request.EndTime?.UtcDateTime, request.ChiefComplaint },
            cancellationToken: cancellationToken));
        if (encounter is not null)
        {
            return TypedResults.Ok(encounter);
        }

        var exists = await FindAsync(connection, id, cancellationToken);
        return exists is null ? TypedResults.NotFound() : Problems.WrongStatus("encounter", exists.Status, "edited");
    }

    /// <summary>
    /// Closes an encounter in one conditional UPDATE that also checks the end against the start as it is then, so an
    /// edit of the start in between cannot slip an end before it.
    /// </summary>
    public static async Task<Results<Ok<Encounter>, NotFound, ValidationProblem, Conflict<ProblemDetails>>> CompleteEncounter(
        Guid id, CompleteEncounterRequest? request, NpgsqlDataSource db, TimeProvider time, CancellationToken cancellationToken)
    {
        var validation = new Validation().Instant("endTime", request?.EndTime);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var end = request?.EndTime?.UtcDateTime ?? time.GetUtcNow().UtcDateTime;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var encounter = await connection.QuerySingleOrDefaultAsync<Encounter>(new CommandDefinition($"""
            UPDATE encounters SET status = 'completed', end_time = @end
            WHERE id = @id AND status = 'in_progress' AND start_time < @end
            RETURNING {Columns}
            """, new { id, end }, cancellationToken: cancellationToken));
        if (encounter is not null)
        {
            return TypedResults.Ok(encounter);
        }

        var current = await FindAsync(connection, id, cancellationToken);
        if (current is null)
        {
            return TypedResults.NotFound();
        }

        return current.Status != "in_progress"
            ? Problems.WrongStatus("encounter", current.Status, "completed")
            : Problems.Invalid("endTime", "endTime must be after the encounter's start.");
    }

    public static async Task<Results<Ok<Encounter>, NotFound, Conflict<ProblemDetails>>> CancelEncounter(
        Guid id, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (moved, status) = await Transitions.MoveAsync(connection, "encounters", id, Cancel, cancellationToken);
        if (status is null)
        {
            return TypedResults.NotFound();
        }

        return moved ? TypedResults.Ok((await FindAsync(connection, id, cancellationToken))!) : Problems.WrongStatus("encounter", status, "cancelled");
    }

    private static async Task<Encounter?> FindAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<Encounter>(new CommandDefinition(
            $"SELECT {Columns} FROM encounters WHERE id = @id", new { id }, cancellationToken: cancellationToken));

    private sealed record EncounterRow(
        Guid Id, Guid? AppointmentId, Guid DoctorId, Guid PatientId, string EncounterType, DateTime StartTime, DateTime? EndTime,
        string? ChiefComplaint, string Status, DateTime CreatedAt, DateTime UpdatedAt,
        string PatientFirstName, string PatientLastName, DateOnly PatientDateOfBirth, string PatientGender, string? PatientMrn,
        string? PatientAbhaId, string DoctorFullName, string? DoctorSpecialty);
}
