using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Notes;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.GridFS;

namespace DrAssistant.Api.Recordings;

/// <summary>
/// The recordings' data access: metadata in <c>voiceRecordings</c>, the audio in GridFS (bucket <c>fs</c>). Returns
/// documents and outcomes, never HTTP answers. Uploads go through <see cref="BeginUpload"/>.
/// </summary>
public sealed class RecordingsQueries(NotesDatabase mongo, ILogger<RecordingsQueries> logger)
{
    /// <summary>An upload for the encounter: it owns the audio it writes until <see cref="RecordingUpload.Keep"/>.</summary>
    public RecordingUpload BeginUpload(EncounterParties encounter) => new(mongo.Audio, this, encounter, logger);

    public Task<VoiceRecording?> FindAsync(ObjectId id, CancellationToken cancellationToken) =>
        mongo.Recordings.Find(r => r.Id == id).FirstOrDefaultAsync(cancellationToken)!;

    /// <summary>An encounter's recordings, newest first.</summary>
    public async Task<PagedList<RecordingResponse>> EncounterRecordingsAsync(Guid encounterId, PageRequest paging, CancellationToken cancellationToken)
    {
        var recordings = await mongo.Recordings.Find(r => r.EncounterId == encounterId)
            .Sort(Builders<VoiceRecording>.Sort.Descending(r => r.CreatedAt).Descending(r => r.Id))
            .Skip(paging.Offset).Limit(paging.Limit)
            .ToListAsync(cancellationToken);
        return paging.ToPage(recordings.Select(RecordingResponse.From));
    }

    public Task InsertAsync(VoiceRecording recording, CancellationToken cancellationToken) =>
        mongo.Recordings.InsertOneAsync(recording, cancellationToken: cancellationToken);

    /// <summary>The audio, seekable (a range is read from the chunk it starts in, not from the beginning); null when it is gone.</summary>
    public async Task<GridFSDownloadStream?> OpenAudioAsync(ObjectId fileId, CancellationToken cancellationToken)
    {
        try
        {
            return await mongo.Audio.OpenDownloadStreamAsync(fileId, new GridFSDownloadOptions { Seekable = true }, cancellationToken);
        }
        catch (GridFSFileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Marks the recording, only while its status allows the step (<see cref="RecordingsRules.Steps"/>): the recording as
    /// written, or else as it is now (null when gone).
    /// </summary>
    public async Task<(VoiceRecording? Written, VoiceRecording? Current)> SetStatusAsync(
        ObjectId id, RecordingStatus status, ObjectId? transcriptionId, ProcessingStats? stats, DateTime now, CancellationToken cancellationToken)
    {
        var update = Builders<VoiceRecording>.Update;
        var changes = update.Combine(
            update.Set(r => r.Status, status),
            update.Set(r => r.UpdatedAt, now),
            transcriptionId is { } note ? update.Set(r => r.TranscriptionId, note) : update.Unset(r => r.TranscriptionId),
            stats is null ? update.Unset(r => r.Metadata!.ProcessingStats) : update.Set(r => r.Metadata!.ProcessingStats, stats));
        var written = await mongo.Recordings.FindOneAndUpdateAsync(
            Builders<VoiceRecording>.Filter.Eq(r => r.Id, id) & Builders<VoiceRecording>.Filter.In(r => r.Status, RecordingsRules.Steps[status]),
            changes,
            new FindOneAndUpdateOptions<VoiceRecording> { ReturnDocument = ReturnDocument.After },
            cancellationToken);
        return written is not null ? (written, null) : (null, await FindAsync(id, cancellationToken));
    }

    /// <summary>Metadata first, then the audio: if the second step fails, the sweep finds the audio without a recording. False when there was none.</summary>
    public async Task<bool> DeleteAsync(ObjectId id, CancellationToken cancellationToken)
    {
        var deleted = await mongo.Recordings.FindOneAndDeleteAsync(r => r.Id == id, cancellationToken: cancellationToken);
        if (deleted is null)
        {
            return false;
        }

        await TryDeleteAudioAsync(deleted.FileId);
        return true;
    }

    /// <summary>
    /// Deletes GridFS files with their chunks; returns how many file documents were deleted. The file document goes
    /// first (as the drivers do: no reader finds a file whose chunks are going), then the chunks (see <see cref="DeleteChunksAsync"/>).
    /// Not the driver's GridFS delete, which removes chunk 0 first.
    /// </summary>
    public async Task<int> DeleteAudioAsync(IReadOnlyCollection<ObjectId> fileIds, CancellationToken cancellationToken)
    {
        var deleted = await mongo.AudioFiles.DeleteManyAsync(Builders<BsonDocument>.Filter.In("_id", fileIds), cancellationToken);
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
        await mongo.AudioChunks.DeleteManyAsync(ofFiles & filter.Gt("n", 0), cancellationToken);
        await mongo.AudioChunks.DeleteManyAsync(ofFiles & filter.Eq("n", 0), cancellationToken);
    }

    /// <summary>Deletes a file's audio now, even when the request was cancelled; what it cannot delete the sweep will.</summary>
    public async Task TryDeleteAudioAsync(ObjectId fileId)
    {
        try
        {
            await DeleteAudioAsync([fileId], CancellationToken.None);
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException)
        {
            logger.LogWarning("Could not delete audio {FileId} ({Reason}); the sweep will.", fileId, ex.Message);
        }
    }
}
