using System.Security.Claims;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Encounters;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Notes;
using DrAssistant.Api.Orders;
using DrAssistant.Api.Prescriptions;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace DrAssistant.Api.Patients;

/// <summary>
/// Pattern 2: a patient's history, newest first, each list paged on its own. The notes come from MongoDB: when it is
/// not configured or unreachable (or the caller may not read notes), <c>notes</c> is null and <c>notesAvailable</c> false.
/// </summary>
public sealed record PatientTimeline(
    PatientDemographics Patient,
    PagedList<EncounterSummary> Encounters,
    PagedList<Prescription> Prescriptions,
    PagedList<Order> Orders,
    PagedList<NoteSummary>? Notes,
    bool NotesAvailable);

public static class TimelineApi
{
    public const string EncountersSql = """
        SELECT e.id, e.appointment_id, e.doctor_id, u.full_name AS doctor_name, e.patient_id, e.encounter_type,
               e.start_time, e.end_time, e.chief_complaint, e.status
        FROM encounters e JOIN users u ON u.id = e.doctor_id
        WHERE e.patient_id = @id
        ORDER BY e.start_time DESC, e.id
        LIMIT @Limit OFFSET @Offset
        """;

    public const string PrescriptionsSql = $"""
        {PrescriptionsQueries.Select}
        WHERE p.patient_id = @id
        ORDER BY p.created_at DESC, p.id
        LIMIT @Limit OFFSET @Offset
        """;

    public const string OrdersSql = $"""
        {OrdersQueries.Select}
        WHERE o.patient_id = @id
        ORDER BY o.created_at DESC, o.id
        LIMIT @Limit OFFSET @Offset
        """;

    public const string PatientSql = """
        SELECT id, mrn, abha_id, first_name, last_name, date_of_birth, gender, phone, email FROM patients WHERE id = @id
        """;

    public static IEndpointRouteBuilder MapTimelineApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/patients").WithTags("Patients")
            .MapGet("/{id:guid}/timeline", GetTimeline)
            .RequireAuthorization(Permissions.ReadEncounters)
            .WithSummary("A patient's encounters, prescriptions and orders (with items) and clinical notes, newest first; page and pageSize apply to each list");
        return app;
    }

    /// <summary>
    /// One round trip to each store, side by side: PostgreSQL for the patient and the three pages, each read through its
    /// index; MongoDB for the page of notes (left out, not failed, when MongoDB cannot answer).
    /// </summary>
    public static async Task<Results<Ok<PatientTimeline>, NotFound, ValidationProblem>> GetTimeline(
        Guid id, int? page, int? pageSize, NpgsqlDataSource db, NotesQueries notes, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        var paging = PageRequest.From(page, pageSize, validation);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var notesRead = notes.TryPatientNotesAsync(user, id, paging, cancellationToken);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
            $"{PatientSql};\n{EncountersSql};\n{PrescriptionsSql};\n{OrdersSql};",
            new { id, paging.Limit, paging.Offset }, cancellationToken: cancellationToken));
        var patient = await results.ReadSingleOrDefaultAsync<PatientDemographics>();
        var encounters = paging.ToPage(await results.ReadAsync<EncounterSummary>());
        var prescriptions = paging.ToPage(await results.ReadAsync<Prescription>());
        var orders = paging.ToPage(await results.ReadAsync<Order>());
        var patientNotes = await notesRead;
        return patient is null
            ? TypedResults.NotFound()
            : TypedResults.Ok(new PatientTimeline(patient, encounters, prescriptions, orders, patientNotes, patientNotes is not null));
    }
}
