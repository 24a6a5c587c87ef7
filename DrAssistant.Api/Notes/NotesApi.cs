using System.Security.Claims;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DrAssistant.Api.Notes;

/// <summary>
/// Clinical notes (MongoDB <c>clinicalNotes</c>): a draft per encounter, edited, signed by its doctor, amended once
/// signed; listed per patient, searched by full text. Every change names the version it edits (<c>If-Match</c>), so
/// two people editing the same note cannot silently overwrite each other: the second gets a 409. The route groups'
/// preamble (<see cref="NotesEndpoints"/>) has checked ids, bodies and <c>If-Match</c> before a handler runs.
/// </summary>
public static class NotesApi
{
    public static IEndpointRouteBuilder MapNotesApi(this IEndpointRouteBuilder app)
    {
        var notes = app.MapGroup("/api/notes").WithTags("Notes").WithNotesPreamble();
        notes.MapGet("/", ListPatientNotes).RequireAuthorization(Permissions.ReadNotes)
            .WithSummary("A patient's clinical notes, newest first, paged").ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        notes.MapGet("/search", SearchNotes).RequireAuthorization(Permissions.ReadNotes)
            .WithSummary("Full-text search of a patient's or a doctor's notes, most relevant first, paged").ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        notes.MapGet("/{id}", GetNote).RequireAuthorization(Permissions.ReadNotes)
            .WithSummary("A clinical note; its ETag is the version to send back in If-Match").ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        notes.MapPost("/", CreateNote).RequireAuthorization(Permissions.WriteNotes)
            .WithSummary("Write a draft note for an encounter (patient and doctor are the encounter's)").ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity);
        notes.MapPut("/{id}", UpdateNote).RequireAuthorization(Permissions.WriteNotes)
            .WithSummary("Replace a draft's content (If-Match: the ETag of the version edited)").WithPreconditions();
        notes.MapPost("/{id}/sign", SignNote).RequireAuthorization(Permissions.SignNotes)
            .WithSummary("Sign a draft: its doctor only (If-Match); a signed note is no longer editable").WithPreconditions();
        notes.MapPost("/{id}/amend", AmendNote).RequireAuthorization(Permissions.SignNotes)
            .WithSummary("Amend a signed note: its doctor only (If-Match); the signed content is kept in the edit history").WithPreconditions();

        app.MapGroup("/api/encounters").WithTags("Notes").WithNotesPreamble()
            .MapGet("/{id:guid}/note", GetEncounterNote).RequireAuthorization(Permissions.ReadNotes)
            .WithSummary("An encounter's current note (the most recently updated)").ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static async Task<Results<Ok<PagedList<NoteSummary>>, ValidationProblem, ProblemHttpResult>> ListPatientNotes(
        Guid? patientId, int? page, int? pageSize, NotesQueries notes, CancellationToken cancellationToken)
    {
        var validation = new Validation().Required("patientId", patientId);
        var paging = PageRequest.From(page, pageSize, validation);
        return validation.IsValid
            ? TypedResults.Ok(await notes.PatientNotesAsync(patientId!.Value, paging, cancellationToken))
            : TypedResults.ValidationProblem(validation.Errors);
    }

    public static async Task<Results<Ok<PagedList<NoteSearchHit>>, ValidationProblem, ProblemHttpResult>> SearchNotes(
        string? q, Guid? patientId, Guid? doctorId, int? page, int? pageSize, NotesQueries notes, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Required("q", q, 200)
            .When(patientId is null && doctorId is null, "patientId", "Give patientId or doctorId: a search is scoped to a patient or a doctor.");
        var paging = PageRequest.From(page, pageSize, validation);
        return validation.IsValid
            ? TypedResults.Ok(await notes.SearchAsync(q!, patientId, doctorId, paging, cancellationToken))
            : TypedResults.ValidationProblem(validation.Errors);
    }

    public static async Task<Results<Ok<NoteResponse>, NotFound, ProblemHttpResult>> GetNote(
        DocumentId id, NotesQueries notes, HttpResponse response, CancellationToken cancellationToken) =>
        await notes.FindAsync(id.Value, cancellationToken) is { } note ? Answer(note, response) : TypedResults.NotFound();

    public static async Task<Results<Ok<NoteResponse>, NotFound, ProblemHttpResult>> GetEncounterNote(
        Guid id, NotesQueries notes, HttpResponse response, CancellationToken cancellationToken) =>
        await notes.EncounterNoteAsync(id, cancellationToken) is { } note ? Answer(note, response) : TypedResults.NotFound();

    public static async Task<Results<Created<NoteResponse>, ValidationProblem, ProblemHttpResult>> CreateNote(
        CreateNoteRequest request, NotesQueries notes, TimeProvider time, HttpResponse response, CancellationToken cancellationToken)
    {
        var encounter = await notes.FindEncounterAsync(request.EncounterId!.Value, cancellationToken);
        if (encounter is null || encounter.IsCancelled)
        {
            return Problems.Invalid("encounterId", "No open or completed encounter with this id.");
        }

        var note = NotesRules.NewNote(request, encounter, NotesRules.Now(time));
        await notes.InsertAsync(note, cancellationToken);
        response.Headers.ETag = NotesRules.ETag(NotesRules.Version(note));
        return TypedResults.Created($"/api/notes/{note.Id}", NoteResponse.From(note));
    }

    public static async Task<Results<Ok<NoteResponse>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult, ProblemHttpResult>> UpdateNote(
        DocumentId id, UpdateNoteRequest request, IfMatch ifMatch, ClaimsPrincipal user, NotesQueries notes,
        TimeProvider time, HttpResponse response, CancellationToken cancellationToken)
    {
        var changes = NotesQueries.EditChanges(request, user.Id(), NotesRules.Now(time));
        return Outcome(await notes.WriteAsync(id.Value, ifMatch.Version, NoteStep.Edit, changes, cancellationToken), ifMatch.Version, NoteStep.Edit, response);
    }

    public static async Task<Results<Ok<NoteResponse>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult, ProblemHttpResult>> SignNote(
        DocumentId id, IfMatch ifMatch, ClaimsPrincipal user, NotesQueries notes, TimeProvider time,
        HttpResponse response, CancellationToken cancellationToken)
    {
        var current = await notes.FindAsync(id.Value, cancellationToken);
        if (current is null)
        {
            return TypedResults.NotFound();
        }

        // Only the note's doctor signs it, as only the prescriber signs a prescription.
        if (current.DoctorId != user.Id())
        {
            return TypedResults.Forbid();
        }

        var changes = NotesQueries.SignChanges(user.Id(), NotesRules.Now(time));
        return Outcome(await notes.WriteAsync(id.Value, ifMatch.Version, NoteStep.Sign, changes, cancellationToken), ifMatch.Version, NoteStep.Sign, response);
    }

    public static async Task<Results<Ok<NoteResponse>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult, ProblemHttpResult>> AmendNote(
        DocumentId id, AmendNoteRequest request, IfMatch ifMatch, ClaimsPrincipal user, NotesQueries notes,
        TimeProvider time, HttpResponse response, CancellationToken cancellationToken)
    {
        var version = ifMatch.Version;
        var current = await notes.FindAsync(id.Value, cancellationToken);
        if (current is null)
        {
            return TypedResults.NotFound();
        }

        // An amendment changes what the doctor signed, so it is theirs to make.
        if (current.DoctorId != user.Id())
        {
            return TypedResults.Forbid();
        }

        switch (NotesRules.WhyNotAmendable(current, version))
        {
            case AmendRefusal.Draft:
                return Problems.Conflict("A draft is edited, not amended; amend a note once it is signed.", "status");
            case AmendRefusal.Stale:
                return Stale(version, NotesRules.Version(current));
            case AmendRefusal.Exhausted:
                return Problems.Conflict($"A note is amended at most {NotesRules.MaxAmendments} times; write a new note for this encounter.", "status");
        }

        // The content replaced is the version read above: the write below applies only while it is still current.
        var changes = NotesQueries.AmendChanges(current, request, user.Id(), NotesRules.Now(time));
        return Outcome(await notes.WriteAsync(id.Value, version, NoteStep.Amend, changes, cancellationToken), version, NoteStep.Amend, response);
    }

    /// <summary>
    /// A conditional write's answer: the note as written; else why it did not apply: its status forbids the step, or
    /// someone wrote first (a 409 either way); 404 when the note is gone.
    /// </summary>
    private static Results<Ok<NoteResponse>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult, ProblemHttpResult> Outcome(
        NoteWrite write, int version, NoteStep step, HttpResponse response) => write switch
        {
            { Written: { } note } => Answer(note, response),
            { Current: null } => TypedResults.NotFound(),
            { Current: { } current } when NotesRules.Steps[step].From.Contains(current.Status) => Stale(version, NotesRules.Version(current)),
            { Current: { } current } => Problems.WrongStatus("note", NotesRules.Word(current.Status), NotesRules.Steps[step].Done),
        };

    private static Conflict<ProblemDetails> Stale(int sent, int current)
    {
        var conflict = Problems.Conflict(
            $"The note changed since version {sent} (it is at version {current}): reload it and apply your change again.", "If-Match");
        conflict.Value!.Extensions["currentVersion"] = current;
        return conflict;
    }

    private static Ok<NoteResponse> Answer(ClinicalNote note, HttpResponse response)
    {
        response.Headers.ETag = NotesRules.ETag(NotesRules.Version(note));
        return TypedResults.Ok(NoteResponse.From(note));
    }

    private static RouteHandlerBuilder WithPreconditions(this RouteHandlerBuilder builder) => builder
        .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status428PreconditionRequired)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
}
