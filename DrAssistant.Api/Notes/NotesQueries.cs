using System.Linq.Expressions;
using System.Security.Claims;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Recordings;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;
using Npgsql;

namespace DrAssistant.Api.Notes;

/// <summary>
/// The notes' data access: reads and conditional writes of <c>clinicalNotes</c>, and what PostgreSQL knows of the
/// encounter a note (or recording) is for. Returns documents and outcomes, never HTTP answers. The timeline and the
/// encounter read their notes through <see cref="TryPatientNotesAsync"/> and <see cref="TryEncounterNotesAsync"/>.
/// </summary>
public sealed class NotesQueries(NotesDatabase mongo, NpgsqlDataSource db, ILogger<NotesQueries> logger)
{
    /// <summary>An encounter's recordings are few; the cap keeps its answer bounded anyway.</summary>
    public const int EncounterRecordingLimit = 50;

    /// <summary>The fields a <see cref="NoteSummary"/> needs, so lists never load whole notes.</summary>
    internal static readonly ProjectionDefinition<ClinicalNote> SummaryFields = Builders<ClinicalNote>.Projection
        .Include(n => n.EncounterId).Include(n => n.PatientId).Include(n => n.DoctorId).Include(n => n.Status)
        .Include(n => n.NoteType).Include("content.subjective.chiefComplaint").Include("content.assessment.clinicalImpression")
        .Include(n => n.SignedBy).Include(n => n.SignedAt).Include(n => n.CreatedAt).Include(n => n.UpdatedAt)
        .Include("metadata.editCount");

    /// <summary>
    /// The encounter a note or recording is for, as PostgreSQL has it; null when there is none. Asked only once MongoDB
    /// can take the note: an API without MongoDB says so (503) rather than judging the encounter.
    /// </summary>
    public async Task<EncounterParties?> FindEncounterAsync(Guid id, CancellationToken cancellationToken)
    {
        mongo.EnsureConfigured();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<EncounterParties>(new CommandDefinition(
            "SELECT id, patient_id, doctor_id, status FROM encounters WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    public Task<ClinicalNote?> FindAsync(ObjectId id, CancellationToken cancellationToken) =>
        mongo.Notes.Find(n => n.Id == id).FirstOrDefaultAsync(cancellationToken)!;

    /// <summary>Whether the encounter has a note with this id (a recording's transcription must be one).</summary>
    public async Task<bool> EncounterHasNoteAsync(ObjectId noteId, Guid encounterId, CancellationToken cancellationToken) =>
        await mongo.Notes.CountDocumentsAsync(n => n.Id == noteId && n.EncounterId == encounterId, cancellationToken: cancellationToken) > 0;

    /// <summary>An encounter's current note: the most recently updated.</summary>
    public Task<ClinicalNote?> EncounterNoteAsync(Guid encounterId, CancellationToken cancellationToken) =>
        mongo.Notes.Find(n => n.EncounterId == encounterId)
            .Sort(Builders<ClinicalNote>.Sort.Descending(n => n.UpdatedAt).Descending(n => n.Id))
            .FirstOrDefaultAsync(cancellationToken)!;

    public Task InsertAsync(ClinicalNote note, CancellationToken cancellationToken) =>
        mongo.Notes.InsertOneAsync(note, cancellationToken: cancellationToken);

    /// <summary>
    /// MongoDB's <c>$text</c> over the indexed fields (chief complaint, history, impression, follow-up, transcript): any
    /// term matches, a note matching more terms (or matching them more often) scores higher. Ties go to the newest.
    /// </summary>
    public async Task<PagedList<NoteSearchHit>> SearchAsync(string q, Guid? patientId, Guid? doctorId, PageRequest paging, CancellationToken cancellationToken)
    {
        var documents = await mongo.Notes.Find(SearchFilter(q, patientId, doctorId))
            .Project<BsonDocument>(SummaryFields.MetaTextScore("score"))
            .Sort(Builders<ClinicalNote>.Sort.MetaTextScore("score").Descending(n => n.UpdatedAt).Descending(n => n.Id))
            .Skip(paging.Offset).Limit(paging.Limit)
            .ToListAsync(cancellationToken);
        return paging.ToPage(documents.Select(d =>
            new NoteSearchHit(NoteSummary.From(BsonSerializer.Deserialize<ClinicalNote>(d)), d["score"].ToDouble())));
    }

    /// <summary>
    /// One step of the lifecycle as one conditional write (see <see cref="WriteFilter"/>): the note as written, or, when
    /// the condition failed, the note as it is now (null when it is gone) for the caller to say why.
    /// </summary>
    public async Task<NoteWrite> WriteAsync(ObjectId id, int version, NoteStep step, UpdateDefinition<ClinicalNote> changes, CancellationToken cancellationToken)
    {
        var written = await mongo.Notes.FindOneAndUpdateAsync(
            WriteFilter(id, version, NotesRules.Steps[step].From),
            changes,
            new FindOneAndUpdateOptions<ClinicalNote> { ReturnDocument = ReturnDocument.After },
            cancellationToken);
        return written is not null ? new NoteWrite(written, null) : new NoteWrite(null, await FindAsync(id, cancellationToken));
    }

    /// <summary>A patient's notes, newest first (pattern 2), as summaries.</summary>
    public async Task<PagedList<NoteSummary>> PatientNotesAsync(Guid patientId, PageRequest paging, CancellationToken cancellationToken)
    {
        var notes = await mongo.Notes.Find(n => n.PatientId == patientId)
            .Project<ClinicalNote>(SummaryFields)
            .Sort(Builders<ClinicalNote>.Sort.Descending(n => n.CreatedAt).Descending(n => n.Id))
            .Skip(paging.Offset).Limit(paging.Limit)
            .ToListAsync(cancellationToken);
        return paging.ToPage(notes.Select(NoteSummary.From));
    }

    /// <summary>
    /// The timeline's notes, or null when there are none to give: MongoDB not configured or unreachable (logged), or a
    /// caller without <c>read:notes</c>. The timeline answers either way.
    /// </summary>
    public async Task<PagedList<NoteSummary>?> TryPatientNotesAsync(ClaimsPrincipal user, Guid patientId, PageRequest paging, CancellationToken cancellationToken)
    {
        if (!mongo.IsConfigured || !user.Can(Permissions.ReadNotes))
        {
            return null;
        }

        try
        {
            return await PatientNotesAsync(patientId, paging, cancellationToken);
        }
        catch (Exception ex) when (NotesDatabase.IsUnavailable(ex))
        {
            logger.LogWarning("Patient timeline without notes: MongoDB is unavailable ({Reason}).", ex.Message);
            return null;
        }
    }

    /// <summary>
    /// Pattern 3's MongoDB part in one round trip: the encounter's current note (most recently updated) and its
    /// recordings, newest first, through <c>$unionWith</c>. Null as for <see cref="TryPatientNotesAsync"/>.
    /// </summary>
    public async Task<EncounterNotes?> TryEncounterNotesAsync(ClaimsPrincipal user, Guid encounterId, CancellationToken cancellationToken)
    {
        if (!mongo.IsConfigured || !user.Can(Permissions.ReadNotes))
        {
            return null;
        }

        const string source = "__source";
        var encounter = new BsonDocument("encounterId", encounterId.ToString());
        BsonDocument[] pipeline =
        [
            new("$match", encounter),
            new("$sort", new BsonDocument { { "updatedAt", -1 }, { "_id", -1 } }),
            new("$limit", 1),
            new("$addFields", new BsonDocument(source, "note")),
            new("$unionWith", new BsonDocument
            {
                { "coll", VoiceRecording.CollectionName },
                {
                    "pipeline", new BsonArray
                    {
                        new BsonDocument("$match", encounter),
                        new BsonDocument("$sort", new BsonDocument { { "createdAt", -1 }, { "_id", -1 } }),
                        new BsonDocument("$limit", EncounterRecordingLimit),
                        new BsonDocument("$addFields", new BsonDocument(source, "recording")),
                    }
                },
            }),
        ];

        try
        {
            var documents = await mongo.Notes.Aggregate(PipelineDefinition<ClinicalNote, BsonDocument>.Create(pipeline), cancellationToken: cancellationToken)
                .ToListAsync(cancellationToken);
            var note = documents.Where(d => d[source] == "note").Select(d => BsonSerializer.Deserialize<ClinicalNote>(d)).FirstOrDefault();
            var recordings = documents.Where(d => d[source] == "recording").Select(d => BsonSerializer.Deserialize<VoiceRecording>(d))
                .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id)
                .Select(RecordingResponse.From).ToList();
            return new EncounterNotes(note is null ? null : NoteResponse.From(note), recordings);
        }
        catch (Exception ex) when (NotesDatabase.IsUnavailable(ex))
        {
            logger.LogWarning("Encounter without notes and recordings: MongoDB is unavailable ({Reason}).", ex.Message);
            return null;
        }
    }

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
            update.Set(n => n.NoteType, NotesRules.ParseNoteType(request.NoteType)!.Value),
            SetOrUnset(n => n.Content, request.Content),
            SetOrUnset(n => n.RawTranscription, request.RawTranscription),
            SetOrUnset(n => n.AiSummary, request.AiSummary),
            SetOrUnset(n => n.AiConfidenceScore, request.AiConfidenceScore),
            SetOrUnset(n => n.Metadata!.TemplateUsed, request.TemplateUsed),
            SetOrUnset(n => n.Metadata!.CompletionTime, request.CompletionTime),
            SetOrUnset(n => n.Metadata!.AiAssisted, request.AiAssisted),
            NotesRules.Tags(request.Tags) is { Count: > 0 } tags ? update.Set(n => n.Tags, tags) : update.Unset(n => n.Tags),
            update.Set(n => n.Metadata!.WordCount, NotesRules.WordCount(request.Content, request.RawTranscription)),
            Written(now, new NoteEdit { EditedAt = now, EditedBy = editor, Action = NotesRules.UpdateAction, Changes = request.Changes }));
    }

    internal static UpdateDefinition<ClinicalNote> SignChanges(Guid doctor, DateTime now)
    {
        var update = Builders<ClinicalNote>.Update;
        return update.Combine(
            update.Set(n => n.Status, NoteStatus.Signed),
            update.Set(n => n.SignedBy, doctor),
            update.Set(n => n.SignedAt, now),
            Written(now, new NoteEdit { EditedAt = now, EditedBy = doctor, Action = NotesRules.SignAction, Changes = "Signed" }));
    }

    /// <summary>An amendment: the new content, and the content it replaces kept in the history with the reason.</summary>
    internal static UpdateDefinition<ClinicalNote> AmendChanges(ClinicalNote current, AmendNoteRequest request, Guid doctor, DateTime now)
    {
        var update = Builders<ClinicalNote>.Update;
        return update.Combine(
            update.Set(n => n.Status, NoteStatus.Amended),
            update.Set(n => n.Content, request.Content),
            update.Set(n => n.Metadata!.WordCount, NotesRules.WordCount(request.Content, current.RawTranscription)),
            Written(now, new NoteEdit
            {
                EditedAt = now,
                EditedBy = doctor,
                Action = NotesRules.AmendAction,
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
}

/// <summary>A conditional write's outcome: the note as written, or else the note as it is now (null when gone).</summary>
public sealed record NoteWrite(ClinicalNote? Written, ClinicalNote? Current);

/// <summary>An encounter's current note (null when it has none yet) and its recordings.</summary>
public sealed record EncounterNotes(NoteResponse? CurrentNote, IReadOnlyList<RecordingResponse> Recordings);
