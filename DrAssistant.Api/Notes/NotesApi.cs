using System.Linq.Expressions;
using System.Security.Claims;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;
using Npgsql;

namespace DrAssistant.Api.Notes;

/// <summary>
/// Clinical notes (MongoDB <c>clinicalNotes</c>): a draft per encounter, edited, signed by its doctor, amended once
/// signed; listed per patient, searched by full text. Every change names the version it edits (<c>If-Match</c>), so
/// two people editing the same note cannot silently overwrite each other: the second gets a 409.
/// </summary>
public static class NotesApi
{
    /// <summary>A draft is edited and signed; a signed (or already amended) note is only amended.</summary>
    private static readonly NoteStatus[] Editable = [NoteStatus.Draft];
    private static readonly NoteStatus[] Amendable = [NoteStatus.Signed, NoteStatus.Amended];

    public static IEndpointRouteBuilder MapNotesApi(this IEndpointRouteBuilder app)
    {
        // A stored note that breaks a rule of the collection's validator is a 422 naming the field, not a 500.
        var notes = app.MapGroup("/api/notes").WithTags("Notes").WithDocumentRefusals();
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

        app.MapGroup("/api/encounters").WithTags("Notes")
            .MapGet("/{id:guid}/note", GetEncounterNote).RequireAuthorization(Permissions.ReadNotes)
            .WithSummary("An encounter's current note (the most recently updated)").ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static async Task<Results<Ok<PagedList<NoteSummary>>, ValidationProblem, ProblemHttpResult>> ListPatientNotes(
        Guid? patientId, int? page, int? pageSize, NotesStore store, CancellationToken cancellationToken)
    {
        var validation = new Validation().Required("patientId", patientId);
        var paging = PageRequest.From(page, pageSize, validation);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        if (!store.IsConfigured)
        {
            return NotesStore.NotConfigured();
        }

        return TypedResults.Ok(await store.PatientNotesAsync(patientId!.Value, paging, cancellationToken));
    }

    /// <summary>
    /// MongoDB's <c>$text</c> over the indexed fields (chief complaint, history, impression, follow-up, transcript): any
    /// term matches, a note matching more terms (or matching them more often) scores higher. Ties go to the newest.
    /// </summary>
    public static async Task<Results<Ok<PagedList<NoteSearchHit>>, ValidationProblem, ProblemHttpResult>> SearchNotes(
        string? q, Guid? patientId, Guid? doctorId, int? page, int? pageSize, NotesStore store, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Required("q", q, 200)
            .When(patientId is null && doctorId is null, "patientId", "Give patientId or doctorId: a search is scoped to a patient or a doctor.");
        var paging = PageRequest.From(page, pageSize, validation);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        if (!store.IsConfigured)
        {
            return NotesStore.NotConfigured();
        }

        var documents = await store.Notes.Find(SearchFilter(q!, patientId, doctorId))
            .Project<BsonDocument>(NotesStore.SummaryFields.MetaTextScore("score"))
            .Sort(Builders<ClinicalNote>.Sort.MetaTextScore("score").Descending(n => n.UpdatedAt).Descending(n => n.Id))
            .Skip(paging.Offset).Limit(paging.Limit)
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(paging.ToPage(documents.Select(d =>
            new NoteSearchHit(NoteSummary.From(BsonSerializer.Deserialize<ClinicalNote>(d)), d["score"].ToDouble()))));
    }

    public static async Task<Results<Ok<NoteResponse>, NotFound, ProblemHttpResult>> GetNote(
        string id, NotesStore store, HttpResponse response, CancellationToken cancellationToken)
    {
        if (!ObjectId.TryParse(id, out var noteId))
        {
            return TypedResults.NotFound();
        }

        if (!store.IsConfigured)
        {
            return NotesStore.NotConfigured();
        }

        var note = await FindAsync(store, noteId, cancellationToken);
        return note is null ? TypedResults.NotFound() : Answer(note, response);
    }

    public static async Task<Results<Ok<NoteResponse>, NotFound, ProblemHttpResult>> GetEncounterNote(
        Guid id, NotesStore store, HttpResponse response, CancellationToken cancellationToken)
    {
        if (!store.IsConfigured)
        {
            return NotesStore.NotConfigured();
        }

        var note = await store.Notes.Find(n => n.EncounterId == id)
            .Sort(Builders<ClinicalNote>.Sort.Descending(n => n.UpdatedAt).Descending(n => n.Id))
            .FirstOrDefaultAsync(cancellationToken);
        return note is null ? TypedResults.NotFound() : Answer(note, response);
    }

    public static async Task<Results<Created<NoteResponse>, ValidationProblem, ProblemHttpResult>> CreateNote(
        CreateNoteRequest request, NotesStore store, NpgsqlDataSource db, TimeProvider time, HttpResponse response, CancellationToken cancellationToken)
    {
        var validation = NoteRules.ValidateCreate(request);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        if (!store.IsConfigured)
        {
            return NotesStore.NotConfigured();
        }

        var encounter = await FindEncounterAsync(db, request.EncounterId!.Value, cancellationToken);
        if (encounter is null || encounter.Status == "cancelled")
        {
            return Problems.Invalid("encounterId", "No open or completed encounter with this id.");
        }

        var note = NoteRules.NewNote(request, encounter, NoteRules.Now(time));
        await store.Notes.InsertOneAsync(note, cancellationToken: cancellationToken);
        response.Headers.ETag = NoteRules.ETag(NoteRules.Version(note));
        return TypedResults.Created($"/api/notes/{note.Id}", NoteResponse.From(note));
    }

    public static async Task<Results<Ok<NoteResponse>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ProblemHttpResult>> UpdateNote(
        string id, UpdateNoteRequest request, [FromHeader(Name = "If-Match")] string? ifMatch, ClaimsPrincipal user, NotesStore store,
        TimeProvider time, HttpResponse response, CancellationToken cancellationToken)
    {
        if (!ObjectId.TryParse(id, out var noteId))
        {
            return TypedResults.NotFound();
        }

        var precondition = NoteRules.ParseIfMatch(ifMatch, out var version);
        var validation = NoteRules.ValidateUpdate(request);
        if (!Checked(validation, precondition))
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        if (precondition == Precondition.Missing)
        {
            return PreconditionRequired();
        }

        if (!store.IsConfigured)
        {
            return NotesStore.NotConfigured();
        }

        var changes = EditChanges(request, user.Id(), NoteRules.Now(time));
        var updated = await WriteAsync(store, noteId, version, Editable, changes, cancellationToken);
        if (updated is not null)
        {
            return Answer(updated, response);
        }

        return await RefusalAsync(store, noteId, version, Editable, "edited", cancellationToken) is { } refused ? refused : TypedResults.NotFound();
    }

    public static async Task<Results<Ok<NoteResponse>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult, ProblemHttpResult>> SignNote(
        string id, [FromHeader(Name = "If-Match")] string? ifMatch, ClaimsPrincipal user, NotesStore store, TimeProvider time,
        HttpResponse response, CancellationToken cancellationToken)
    {
        if (!ObjectId.TryParse(id, out var noteId))
        {
            return TypedResults.NotFound();
        }

        var precondition = NoteRules.ParseIfMatch(ifMatch, out var version);
        var validation = new Validation();
        if (!Checked(validation, precondition))
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        if (precondition == Precondition.Missing)
        {
            return PreconditionRequired();
        }

        if (!store.IsConfigured)
        {
            return NotesStore.NotConfigured();
        }

        var current = await FindAsync(store, noteId, cancellationToken);
        if (current is null)
        {
            return TypedResults.NotFound();
        }

        // Only the note's doctor signs it, as only the prescriber signs a prescription.
        if (current.DoctorId != user.Id())
        {
            return TypedResults.Forbid();
        }

        var changes = SignChanges(user.Id(), NoteRules.Now(time));
        var signed = await WriteAsync(store, noteId, version, Editable, changes, cancellationToken);
        if (signed is not null)
        {
            return Answer(signed, response);
        }

        return await RefusalAsync(store, noteId, version, Editable, "signed", cancellationToken) is { } refused ? refused : TypedResults.NotFound();
    }

    public static async Task<Results<Ok<NoteResponse>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult, ProblemHttpResult>> AmendNote(
        string id, AmendNoteRequest request, [FromHeader(Name = "If-Match")] string? ifMatch, ClaimsPrincipal user, NotesStore store,
        TimeProvider time, HttpResponse response, CancellationToken cancellationToken)
    {
        if (!ObjectId.TryParse(id, out var noteId))
        {
            return TypedResults.NotFound();
        }

        var precondition = NoteRules.ParseIfMatch(ifMatch, out var version);
        var validation = NoteRules.ValidateAmend(request);
        if (!Checked(validation, precondition))
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        if (precondition == Precondition.Missing)
        {
            return PreconditionRequired();
        }

        if (!store.IsConfigured)
        {
            return NotesStore.NotConfigured();
        }

        var current = await FindAsync(store, noteId, cancellationToken);
        if (current is null)
        {
            return TypedResults.NotFound();
        }

        // An amendment changes what the doctor signed, so it is theirs to make.
        if (current.DoctorId != user.Id())
        {
            return TypedResults.Forbid();
        }

        if (current.Status == NoteStatus.Draft)
        {
            return Problems.Conflict("A draft is edited, not amended; amend a note once it is signed.", "status");
        }

        if (NoteRules.Version(current) != version)
        {
            return Stale(version, NoteRules.Version(current));
        }

        if (NoteRules.Amendments(current) >= NoteRules.MaxAmendments)
        {
            return Problems.Conflict($"A note is amended at most {NoteRules.MaxAmendments} times; write a new note for this encounter.", "status");
        }

        // The content replaced is the version read above: the write below applies only while it is still current.
        var changes = AmendChanges(current, request, user.Id(), NoteRules.Now(time));
        var amended = await WriteAsync(store, noteId, version, Amendable, changes, cancellationToken);
        if (amended is not null)
        {
            return Answer(amended, response);
        }

        return await RefusalAsync(store, noteId, version, Amendable, "amended", cancellationToken) is { } refused ? refused : TypedResults.NotFound();
    }

    public static async Task<EncounterParties?> FindEncounterAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<EncounterParties>(new CommandDefinition(
            "SELECT id, patient_id, doctor_id, status FROM encounters WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    private static Task<ClinicalNote?> FindAsync(NotesStore store, ObjectId id, CancellationToken cancellationToken) =>
        store.Notes.Find(n => n.Id == id).FirstOrDefaultAsync(cancellationToken)!;

    /// <summary>One conditional write (see <see cref="WriteFilter"/>); null when the condition failed.</summary>
    private static Task<ClinicalNote?> WriteAsync(
        NotesStore store, ObjectId id, int version, NoteStatus[] statuses, UpdateDefinition<ClinicalNote> changes, CancellationToken cancellationToken) =>
        store.Notes.FindOneAndUpdateAsync(
            WriteFilter(id, version, statuses),
            changes,
            new FindOneAndUpdateOptions<ClinicalNote> { ReturnDocument = ReturnDocument.After },
            cancellationToken)!;

    /// <summary>
    /// The note, only if it is still at <paramref name="version"/> and in one of <paramref name="statuses"/>: the
    /// check and the write are one operation on the server, so a concurrent writer can never be overwritten.
    /// </summary>
    internal static FilterDefinition<ClinicalNote> WriteFilter(ObjectId id, int version, NoteStatus[] statuses)
    {
        var filter = Builders<ClinicalNote>.Filter;
        // A note written by another service may have no edit count yet: that is version 0.
        var atVersion = version == 0
            ? filter.Eq(n => n.Metadata!.EditCount, 0) | filter.Eq(n => n.Metadata!.EditCount, null)
            : filter.Eq(n => n.Metadata!.EditCount, version);
        return filter.Eq(n => n.Id, id) & filter.In(n => n.Status, statuses) & atVersion;
    }

    /// <summary>The text search, within the patient's or the doctor's notes (both when both are given).</summary>
    internal static FilterDefinition<ClinicalNote> SearchFilter(string q, Guid? patientId, Guid? doctorId)
    {
        var filter = Builders<ClinicalNote>.Filter;
        var scope = filter.Text(q);
        if (patientId is not null)
        {
            scope &= filter.Eq(n => n.PatientId, patientId.Value);
        }

        if (doctorId is not null)
        {
            scope &= filter.Eq(n => n.DoctorId, doctorId.Value);
        }

        return scope;
    }

    /// <summary>An edit of a draft: the editable fields as sent (absent ones removed), the word count, and the write's bookkeeping.</summary>
    internal static UpdateDefinition<ClinicalNote> EditChanges(UpdateNoteRequest request, Guid editor, DateTime now)
    {
        var update = Builders<ClinicalNote>.Update;
        return update.Combine(
            update.Set(n => n.NoteType, NoteRules.ParseNoteType(request.NoteType)!.Value),
            SetOrUnset(n => n.Content, request.Content),
            SetOrUnset(n => n.RawTranscription, request.RawTranscription),
            SetOrUnset(n => n.AiSummary, request.AiSummary),
            SetOrUnset(n => n.AiConfidenceScore, request.AiConfidenceScore),
            SetOrUnset(n => n.Metadata!.TemplateUsed, request.TemplateUsed),
            SetOrUnset(n => n.Metadata!.CompletionTime, request.CompletionTime),
            SetOrUnset(n => n.Metadata!.AiAssisted, request.AiAssisted),
            NoteRules.Tags(request.Tags) is { Count: > 0 } tags ? update.Set(n => n.Tags, tags) : update.Unset(n => n.Tags),
            update.Set(n => n.Metadata!.WordCount, NoteRules.WordCount(request.Content, request.RawTranscription)),
            Written(now, new NoteEdit { EditedAt = now, EditedBy = editor, Action = NoteRules.UpdateAction, Changes = request.Changes }));
    }

    internal static UpdateDefinition<ClinicalNote> SignChanges(Guid doctor, DateTime now)
    {
        var update = Builders<ClinicalNote>.Update;
        return update.Combine(
            update.Set(n => n.Status, NoteStatus.Signed),
            update.Set(n => n.SignedBy, doctor),
            update.Set(n => n.SignedAt, now),
            Written(now, new NoteEdit { EditedAt = now, EditedBy = doctor, Action = NoteRules.SignAction, Changes = "Signed" }));
    }

    /// <summary>An amendment: the new content, and the content it replaces kept in the history with the reason.</summary>
    internal static UpdateDefinition<ClinicalNote> AmendChanges(ClinicalNote current, AmendNoteRequest request, Guid doctor, DateTime now)
    {
        var update = Builders<ClinicalNote>.Update;
        return update.Combine(
            update.Set(n => n.Status, NoteStatus.Amended),
            update.Set(n => n.Content, request.Content),
            update.Set(n => n.Metadata!.WordCount, NoteRules.WordCount(request.Content, current.RawTranscription)),
            Written(now, new NoteEdit
            {
                EditedAt = now,
                EditedBy = doctor,
                Action = NoteRules.AmendAction,
                Changes = request.Reason,
                PreviousContent = current.Content,
            }));
    }

    /// <summary>What every write changes: the time, the version (edit count) and the history.</summary>
    internal static UpdateDefinition<ClinicalNote> Written(DateTime now, NoteEdit edit)
    {
        var update = Builders<ClinicalNote>.Update;
        return update.Combine(
            update.Set(n => n.UpdatedAt, now),
            update.Inc(n => n.Metadata!.EditCount, 1),
            update.Push(n => n.Metadata!.EditHistory, edit));
    }

    /// <summary>Absent optional fields are removed, never written as null (the validator refuses null where it wants a type).</summary>
    private static UpdateDefinition<ClinicalNote> SetOrUnset<TField>(Expression<Func<ClinicalNote, TField>> field, TField value) =>
        value is null
            ? Builders<ClinicalNote>.Update.Unset(new ExpressionFieldDefinition<ClinicalNote>(field))
            : Builders<ClinicalNote>.Update.Set(field, value);

    /// <summary>
    /// Why a conditional write did not apply: its status forbids the step, or someone wrote first (a 409 either way);
    /// null when the note is gone.
    /// </summary>
    private static async Task<Conflict<ProblemDetails>?> RefusalAsync(
        NotesStore store, ObjectId id, int version, NoteStatus[] statuses, string step, CancellationToken cancellationToken)
    {
        var current = await FindAsync(store, id, cancellationToken);
        if (current is null)
        {
            return null;
        }

        return statuses.Contains(current.Status) ? Stale(version, NoteRules.Version(current)) : Problems.WrongStatus("note", NoteRules.Word(current.Status), step);
    }

    private static Conflict<ProblemDetails> Stale(int sent, int current)
    {
        var conflict = Problems.Conflict(
            $"The note changed since version {sent} (it is at version {current}): reload it and apply your change again.", "If-Match");
        conflict.Value!.Extensions["currentVersion"] = current;
        return conflict;
    }

    /// <summary>Adds a malformed <c>If-Match</c> to the request's other mistakes; true when there are none.</summary>
    private static bool Checked(Validation validation, Precondition precondition) => validation
        .When(precondition == Precondition.Invalid, "If-Match", "If-Match must be one strong ETag as this API issues them, e.g. \"3\".")
        .IsValid;

    private static ProblemHttpResult PreconditionRequired() => TypedResults.Problem(
        title: "Precondition required",
        detail: "Send If-Match with the note's ETag (from reading it), so a change cannot overwrite a newer version unseen.",
        statusCode: StatusCodes.Status428PreconditionRequired);

    private static Ok<NoteResponse> Answer(ClinicalNote note, HttpResponse response)
    {
        response.Headers.ETag = NoteRules.ETag(NoteRules.Version(note));
        return TypedResults.Ok(NoteResponse.From(note));
    }

    private static RouteHandlerBuilder WithPreconditions(this RouteHandlerBuilder builder) => builder
        .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status428PreconditionRequired)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
}
