using System.Security.Claims;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Notes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace DrAssistant.Api.Encounters;

/// <summary>The visits that happened: opened (from an appointment or not), edited, completed or cancelled; and pattern 3.</summary>
public static class EncountersApi
{
    private const string What = "encounter";

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
        var validation = EncountersRules.ValidateList(patientId, doctorId);
        var paging = PageRequest.From(page, pageSize, validation);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        return TypedResults.Ok(await EncountersQueries.ListAsync(db, patientId, doctorId, paging, cancellationToken));
    }

    /// <summary>
    /// One round trip to each store, side by side: PostgreSQL for the encounter with its people, prescriptions and
    /// orders; MongoDB for its current note and recordings (left out, not failed, when MongoDB cannot answer).
    /// </summary>
    public static async Task<Results<Ok<EncounterDetails>, NotFound>> GetEncounter(
        Guid id, NpgsqlDataSource db, NotesQueries notes, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var notesRead = notes.TryEncounterNotesAsync(user, id, cancellationToken);
        if (await EncountersQueries.DetailsAsync(db, id, cancellationToken) is not { } details)
        {
            return TypedResults.NotFound();
        }

        var encounterNotes = await notesRead;
        return TypedResults.Ok(details with
        {
            CurrentNote = encounterNotes?.CurrentNote, Recordings = encounterNotes?.Recordings, NotesAvailable = encounterNotes is not null,
        });
    }

    public static Task<Results<Created<Encounter>, ValidationProblem>> OpenEncounter(
        CreateEncounterRequest request, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        EncountersRules.ValidateOpen(request).CreateIfValid(() => EncountersQueries.OpenAsync(db, request, cancellationToken), encounter => $"/api/encounters/{encounter.Id}");

    public static Task<Results<Ok<Encounter>, NotFound, ValidationProblem, Conflict<ProblemDetails>>> UpdateEncounter(
        Guid id, UpdateEncounterRequest request, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        EncountersRules.ValidateUpdate(request).MoveIfValid(() => EncountersQueries.UpdateAsync(db, id, request, cancellationToken), What, EncountersRules.Edited, Ok);

    /// <summary>Closes an encounter, at the end it gives or now.</summary>
    public static Task<Results<Ok<Encounter>, NotFound, ValidationProblem, Conflict<ProblemDetails>>> CompleteEncounter(
        Guid id, CompleteEncounterRequest? request, NpgsqlDataSource db, TimeProvider time, CancellationToken cancellationToken) =>
        EncountersRules.ValidateComplete(request).MoveIfValid(
            () => EncountersQueries.CompleteAsync(db, id, request?.EndTime?.UtcDateTime ?? time.GetUtcNow().UtcDateTime, cancellationToken),
            What, EncountersRules.Completed, Ok);

    public static async Task<Results<Ok<Encounter>, NotFound, Conflict<ProblemDetails>>> CancelEncounter(
        Guid id, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        (await EncountersQueries.CancelAsync(db, id, cancellationToken)).Answer(What, EncountersRules.Cancelled, Ok).Unowned();

    private static Ok<Encounter> Ok(Encounter encounter) => TypedResults.Ok(encounter);
}
