using DrAssistant.Api.Infrastructure;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.GridFS;

namespace DrAssistant.Api.Notes;

/// <summary>
/// The MongoDB side of the API: clinical notes, recording metadata and the GridFS audio. Always registered, so queries
/// can take it whether or not MongoDB is configured; when it is not, <see cref="IsConfigured"/> is false and the first
/// touch of <see cref="Database"/> throws <see cref="NotesStoreNotConfiguredException"/>, which the notes and recordings
/// route groups answer with a 503 (see <see cref="NotesEndpoints"/>): a request is checked first, the store asked last.
/// </summary>
public sealed class NotesDatabase
{
    public const string FilesCollectionName = VoiceRecording.GridFsBucketName + ".files";
    public const string ChunksCollectionName = VoiceRecording.GridFsBucketName + ".chunks";

    private readonly IMongoDatabase? _database;
    private readonly SchemaGate _schema;
    private readonly Lazy<GridFSBucket> _audio;

    public NotesDatabase(IServiceProvider services, SchemaGate schema)
    {
        _database = services.GetService<IMongoDatabase>();
        _schema = schema;
        // One bucket for the process: it checks for its indexes (which the migrator created) once, not per upload.
        _audio = new Lazy<GridFSBucket>(() => new GridFSBucket(Database, new GridFSBucketOptions { BucketName = VoiceRecording.GridFsBucketName }));
    }

    public bool IsConfigured => _database is not null;

    /// <summary>
    /// The database, once the schema gate has read its step (until then, as when it is unreachable, notes answer 503:
    /// never a write to a MongoDB whose validators and indexes nobody has seen).
    /// </summary>
    public IMongoDatabase Database => _database is null
        ? throw new NotesStoreNotConfiguredException()
        : _schema.MongoUsable ? _database : throw new NotesSchemaUnverifiedException(_schema.State.Summary);

    public IMongoCollection<ClinicalNote> Notes => Database.GetCollection<ClinicalNote>(ClinicalNote.CollectionName);

    public IMongoCollection<VoiceRecording> Recordings => Database.GetCollection<VoiceRecording>(VoiceRecording.CollectionName);

    public GridFSBucket Audio => _audio.Value;

    public IMongoCollection<BsonDocument> AudioFiles => Database.GetCollection<BsonDocument>(FilesCollectionName);

    public IMongoCollection<BsonDocument> AudioChunks => Database.GetCollection<BsonDocument>(ChunksCollectionName);

    /// <summary>Throws <see cref="NotesStoreNotConfiguredException"/> without MongoDB: for a handler about to ask another store first.</summary>
    public void EnsureConfigured()
    {
        if (!IsConfigured)
        {
            throw new NotesStoreNotConfiguredException();
        }
    }

    /// <summary>Whether an exception means MongoDB could not be reached (the caller degrades rather than fails).</summary>
    public static bool IsUnavailable(Exception exception) =>
        exception is MongoConnectionException or TimeoutException or MongoExecutionTimeoutException or NotesSchemaUnverifiedException;
}

/// <summary>MongoDB is not configured (no <c>ConnectionStrings:mongodb</c>): the notes and recordings groups answer 503.</summary>
public sealed class NotesStoreNotConfiguredException()
    : InvalidOperationException("MongoDB is not configured (ConnectionStrings:mongodb).");
