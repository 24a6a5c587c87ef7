using System.Security.Claims;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;
using MongoDB.Driver.GridFS;

namespace DrAssistant.Api.Notes;

/// <summary>Settings under <c>Recordings</c>.</summary>
public sealed class RecordingOptions
{
    public const string SectionName = "Recordings";

    /// <summary>What browsers and dictation devices record; used when <see cref="AllowedMimeTypes"/> is not configured.</summary>
    public static readonly string[] DefaultMimeTypes = ["audio/webm", "audio/ogg", "audio/wav", "audio/x-wav", "audio/mpeg", "audio/mp4"];

    /// <summary>The largest recording accepted, in bytes (the audio itself; a multipart envelope may add a little).</summary>
    public long MaxBytes { get; set; } = 100 * 1024 * 1024;

    /// <summary>
    /// Media types accepted, without parameters (<c>audio/webm;codecs=opus</c> is <c>audio/webm</c>). Nullable because the
    /// configuration binder appends to an array that already has elements instead of replacing it.
    /// </summary>
    public string[]? AllowedMimeTypes { get; set; }

    /// <summary>How long a recording is kept after its upload; then the TTL index removes its metadata and the sweep its audio.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Written to <c>retentionPolicy.retentionReason</c>.</summary>
    public string RetentionReason { get; set; } = "Clinic policy: visit audio is kept until the note is written and reviewed.";

    /// <summary>How often the sweep looks for GridFS audio that no recording refers to.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Audio younger than this is never swept: longer than any upload takes, so an upload in progress is safe.</summary>
    public TimeSpan SweepGracePeriod { get; set; } = TimeSpan.FromHours(6);

    public IReadOnlyList<string> MimeTypes => AllowedMimeTypes is { Length: > 0 } configured ? configured : DefaultMimeTypes;

    /// <summary>The request body limit of the upload endpoint: the audio plus room for a multipart envelope and its fields.</summary>
    public long MaxRequestBytes => MaxBytes + 64 * 1024;
}

/// <summary>
/// The MongoDB side of the API: clinical notes, recording metadata and the GridFS audio. Always registered, so handlers
/// can take it whether or not MongoDB is configured; when it is not, <see cref="IsConfigured"/> is false and every notes
/// endpoint answers 503 while the timeline and the encounter answer without notes.
/// </summary>
public sealed class NotesStore
{
    public const string FilesCollectionName = VoiceRecording.GridFsBucketName + ".files";
    public const string ChunksCollectionName = VoiceRecording.GridFsBucketName + ".chunks";

    /// <summary>An encounter's recordings are few; the cap keeps its answer bounded anyway.</summary>
    public const int EncounterRecordingLimit = 50;

    /// <summary>The fields a <see cref="NoteSummary"/> needs, so lists never load whole notes.</summary>
    internal static readonly ProjectionDefinition<ClinicalNote> SummaryFields = Builders<ClinicalNote>.Projection
        .Include(n => n.EncounterId).Include(n => n.PatientId).Include(n => n.DoctorId).Include(n => n.Status)
        .Include(n => n.NoteType).Include("content.subjective.chiefComplaint").Include("content.assessment.clinicalImpression")
        .Include(n => n.SignedBy).Include(n => n.SignedAt).Include(n => n.CreatedAt).Include(n => n.UpdatedAt)
        .Include("metadata.editCount");

    private readonly IMongoDatabase? _database;
    private readonly SchemaGate _schema;
    private readonly Lazy<GridFSBucket> _audio;
    private readonly ILogger<NotesStore> _logger;

    public NotesStore(IServiceProvider services, SchemaGate schema, ILogger<NotesStore> logger)
    {
        _database = services.GetService<IMongoDatabase>();
        _schema = schema;
        _logger = logger;
        // One bucket for the process: it checks for its indexes (which the migrator created) once, not per upload.
        _audio = new Lazy<GridFSBucket>(() => new GridFSBucket(Database, new GridFSBucketOptions { BucketName = VoiceRecording.GridFsBucketName }));
    }

    public bool IsConfigured => _database is not null;

    /// <summary>
    /// The database, once the schema gate has read its step (until then, as when it is unreachable, notes answer 503:
    /// never a write to a MongoDB whose validators and indexes nobody has seen).
    /// </summary>
    public IMongoDatabase Database => _database is null
        ? throw new InvalidOperationException("MongoDB is not configured (ConnectionStrings:mongodb).")
        : _schema.MongoUsable ? _database : throw new NotesSchemaUnverifiedException(_schema.State.Summary);

    public IMongoCollection<ClinicalNote> Notes => Database.GetCollection<ClinicalNote>(ClinicalNote.CollectionName);

    public IMongoCollection<VoiceRecording> Recordings => Database.GetCollection<VoiceRecording>(VoiceRecording.CollectionName);

    public GridFSBucket Audio => _audio.Value;

    public IMongoCollection<BsonDocument> AudioFiles => Database.GetCollection<BsonDocument>(FilesCollectionName);

    public IMongoCollection<BsonDocument> AudioChunks => Database.GetCollection<BsonDocument>(ChunksCollectionName);

    /// <summary>The answer of every notes and recordings endpoint when MongoDB is not configured.</summary>
    public static ProblemHttpResult NotConfigured() => TypedResults.Problem(
        title: "Service unavailable",
        detail: "The clinical notes store is not configured (ConnectionStrings:mongodb).",
        statusCode: StatusCodes.Status503ServiceUnavailable);

    /// <summary>Whether an exception means MongoDB could not be reached (the caller degrades rather than fails).</summary>
    public static bool IsUnavailable(Exception exception) =>
        exception is MongoConnectionException or TimeoutException or MongoExecutionTimeoutException or NotesSchemaUnverifiedException;

    /// <summary>
    /// Deletes GridFS files with their chunks; returns how many file documents were deleted. The file document goes
    /// first (as the drivers do: no reader finds a file whose chunks are going), then the chunks (see <see cref="DeleteChunksAsync"/>).
    /// </summary>
    public async Task<int> DeleteAudioAsync(IReadOnlyCollection<ObjectId> fileIds, CancellationToken cancellationToken)
    {
        var deleted = await AudioFiles.DeleteManyAsync(Builders<BsonDocument>.Filter.In("_id", fileIds), cancellationToken);
        await DeleteChunksAsync(fileIds, cancellationToken);
        return (int)deleted.DeletedCount;
    }

    /// <summary>
    /// Deletes the chunks of these files, chunk 0 last: should this stop half way, the first chunk is still there for
    /// the sweep, which finds dead uploads by their first chunk.
    /// </summary>
    public async Task DeleteChunksAsync(IReadOnlyCollection<ObjectId> fileIds, CancellationToken cancellationToken)
    {
        var filter = Builders<BsonDocument>.Filter;
        var ofFiles = filter.In("files_id", fileIds);
        await AudioChunks.DeleteManyAsync(ofFiles & filter.Gt("n", 0), cancellationToken);
        await AudioChunks.DeleteManyAsync(ofFiles & filter.Eq("n", 0), cancellationToken);
    }

    /// <summary>A patient's notes, newest first (pattern 2), as summaries.</summary>
    public async Task<PagedList<NoteSummary>> PatientNotesAsync(Guid patientId, PageRequest paging, CancellationToken cancellationToken)
    {
        var notes = await Notes.Find(n => n.PatientId == patientId)
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
        if (!IsConfigured || !user.Can(Permissions.ReadNotes))
        {
            return null;
        }

        try
        {
            return await PatientNotesAsync(patientId, paging, cancellationToken);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            _logger.LogWarning("Patient timeline without notes: MongoDB is unavailable ({Reason}).", ex.Message);
            return null;
        }
    }

    /// <summary>
    /// Pattern 3's MongoDB part in one round trip: the encounter's current note (most recently updated) and its
    /// recordings, newest first, through <c>$unionWith</c>. Null as for <see cref="TryPatientNotesAsync"/>.
    /// </summary>
    public async Task<EncounterNotes?> TryEncounterNotesAsync(ClaimsPrincipal user, Guid encounterId, CancellationToken cancellationToken)
    {
        if (!IsConfigured || !user.Can(Permissions.ReadNotes))
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
            var documents = await Notes.Aggregate(PipelineDefinition<ClinicalNote, BsonDocument>.Create(pipeline), cancellationToken: cancellationToken)
                .ToListAsync(cancellationToken);
            var note = documents.Where(d => d[source] == "note").Select(d => BsonSerializer.Deserialize<ClinicalNote>(d)).FirstOrDefault();
            var recordings = documents.Where(d => d[source] == "recording").Select(d => BsonSerializer.Deserialize<VoiceRecording>(d))
                .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id)
                .Select(RecordingResponse.From).ToList();
            return new EncounterNotes(note is null ? null : NoteResponse.From(note), recordings);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            _logger.LogWarning("Encounter without notes and recordings: MongoDB is unavailable ({Reason}).", ex.Message);
            return null;
        }
    }
}

/// <summary>An encounter's current note (null when it has none yet) and its recordings.</summary>
public sealed record EncounterNotes(NoteResponse? CurrentNote, IReadOnlyList<RecordingResponse> Recordings);
