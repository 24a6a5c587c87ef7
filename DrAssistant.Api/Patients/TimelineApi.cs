using System.Security.Claims;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Notes;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace DrAssistant.Api.Patients;

/// <summary>Pattern 2, a patient's history (see <see cref="PatientTimeline"/>).</summary>
public static class TimelineApi
{
    public static IEndpointRouteBuilder MapTimelineApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/patients").WithTags("Patients")
            .MapGet("/{id:guid}/timeline", GetTimeline)
            .RequireAuthorization(Permissions.ReadEncounters)
            .WithSummary("A patient's encounters, prescriptions and orders (with items) and clinical notes, newest first; page and pageSize apply to each list");
        return app;
    }

    /// <summary>
    /// One round trip to each store, side by side: PostgreSQL for the patient and the three pages; MongoDB for the page
    /// of notes (left out, not failed, when MongoDB cannot answer).
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
        var (patient, encounters, prescriptions, orders) = await TimelineQueries.ReadAsync(db, id, paging, cancellationToken);
        var patientNotes = await notesRead;
        return patient is null
            ? TypedResults.NotFound()
            : TypedResults.Ok(new PatientTimeline(patient, encounters, prescriptions, orders, patientNotes, patientNotes is not null));
    }
}
