using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.GridFS;

namespace DrAssistant.Api.Notes;

/// <summary>A GridFS file as the sweep sees it.</summary>
public readonly record struct StoredAudio(ObjectId Id, DateTime UploadDate);

/// <summary>What one sweep removed.</summary>
public sealed record SweepResult(int FilesDeleted, int UnfinishedUploadsDeleted);

/// <summary>
/// Which GridFS audio has no recording any more, without a server. Audio younger than the cutoff is never chosen: the
/// file of an upload is written before its recording, so a young file without one may be an upload finishing now.
/// </summary>
public static class OrphanAudio
{
    /// <summary>Files no recording refers to (its metadata was deleted, or expired by the TTL index), uploaded before the cutoff.</summary>
    public static IReadOnlyList<ObjectId> Files(IEnumerable<StoredAudio> files, IReadOnlySet<ObjectId> referenced, DateTime cutoffUtc) =>
        [.. files.Where(f => f.UploadDate < cutoffUtc && !referenced.Contains(f.Id)).Select(f => f.Id)];

    /// <summary>
    /// Chunks of uploads that never finished (the process died before writing the file document), begun before the
    /// cutoff: the driver makes a file's id when the upload starts, so the id's time is the upload's start.
    /// </summary>
    public static IReadOnlyList<ObjectId> UnfinishedUploads(IEnumerable<ObjectId> chunkFileIds, IReadOnlySet<ObjectId> files, DateTime cutoffUtc) =>
        [.. chunkFileIds.Distinct().Where(id => id.CreationTime < cutoffUtc && !files.Contains(id))];

    /// <summary>The smallest ObjectId made at <paramref name="utc"/> (to the second), to select ids older than an instant by index.</summary>
    public static ObjectId SmallestIdAt(DateTime utc)
    {
        var bytes = new byte[12];
        var seconds = (uint)new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeSeconds();
        bytes[0] = (byte)(seconds >> 24);
        bytes[1] = (byte)(seconds >> 16);
        bytes[2] = (byte)(seconds >> 8);
        bytes[3] = (byte)seconds;
        return new ObjectId(bytes);
    }
}

/// <summary>
/// Removes GridFS audio that no recording refers to. The TTL index on <c>retentionPolicy.expiresAt</c> deletes a
/// recording's metadata when its retention ends but cannot touch GridFS; this sweep deletes the audio left behind
/// (and the chunks of uploads that died), so no audio outlives its retention by more than one interval.
/// </summary>
public sealed class RecordingSweep(NotesStore store, IOptions<RecordingOptions> options, TimeProvider time, ILogger<RecordingSweep> logger)
{
    private const int Batch = 500;

    public async Task<SweepResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow().UtcDateTime - options.Value.SweepGracePeriod;

        // Every file a recording refers to. One pass over the recordings (there is no index on fileId to look them up
        // by); a clinic's recordings fit in memory as ids.
        var referenced = new HashSet<ObjectId>();
        var fileIds = Builders<VoiceRecording>.Projection.Include(r => r.FileId).Exclude(r => r.Id);
        using (var cursor = await store.Recordings.Find(FilterDefinition<VoiceRecording>.Empty).Project(fileIds).ToCursorAsync(cancellationToken))
        {
            while (await cursor.MoveNextAsync(cancellationToken))
            {
                referenced.UnionWith(cursor.Current.Select(r => r["fileId"].AsObjectId));
            }
        }

        var filesDeleted = 0;
        var candidates = store.AudioFiles
            .Find(Builders<BsonDocument>.Filter.Lt("uploadDate", cutoff))
            .Project(Builders<BsonDocument>.Projection.Include("_id").Include("uploadDate"));
        using (var cursor = await candidates.ToCursorAsync(cancellationToken))
        {
            while (await cursor.MoveNextAsync(cancellationToken))
            {
                var files = cursor.Current.Select(f => new StoredAudio(f["_id"].AsObjectId, f["uploadDate"].ToUniversalTime())).ToList();
                foreach (var id in OrphanAudio.Files(files, referenced, cutoff))
                {
                    await DeleteFileAsync(id, cancellationToken);
                    filesDeleted++;
                }
            }
        }

        var unfinished = await DeleteUnfinishedUploadsAsync(cutoff, cancellationToken);
        if (filesDeleted + unfinished > 0)
        {
            logger.LogInformation("Recording sweep deleted {Files} audio files without a recording and {Unfinished} unfinished uploads.", filesDeleted, unfinished);
        }

        return new SweepResult(filesDeleted, unfinished);
    }

    private async Task DeleteFileAsync(ObjectId id, CancellationToken cancellationToken)
    {
        try
        {
            await store.Audio.DeleteAsync(id, cancellationToken);
        }
        catch (GridFSFileNotFoundException)
        {
            // Another replica's sweep, or a delete of the recording, got there first.
        }
    }

    private async Task<int> DeleteUnfinishedUploadsAsync(DateTime cutoff, CancellationToken cancellationToken)
    {
        // Distinct over the unique {files_id, n} index reads the index, not the audio.
        var begunBefore = Builders<BsonDocument>.Filter.Lt("files_id", OrphanAudio.SmallestIdAt(cutoff));
        using var ids = await store.AudioChunks.DistinctAsync<ObjectId>("files_id", begunBefore, cancellationToken: cancellationToken);
        var deleted = 0;
        while (await ids.MoveNextAsync(cancellationToken))
        {
            foreach (var batch in ids.Current.Chunk(Batch))
            {
                var existing = await store.AudioFiles
                    .Find(Builders<BsonDocument>.Filter.In("_id", batch))
                    .Project(Builders<BsonDocument>.Projection.Include("_id"))
                    .ToListAsync(cancellationToken);
                var files = existing.Select(f => f["_id"].AsObjectId).ToHashSet();
                foreach (var id in OrphanAudio.UnfinishedUploads(batch, files, cutoff))
                {
                    await store.AudioChunks.DeleteManyAsync(Builders<BsonDocument>.Filter.Eq("files_id", id), cancellationToken);
                    deleted++;
                }
            }
        }

        return deleted;
    }
}

/// <summary>Runs <see cref="RecordingSweep"/> every <c>Recordings:SweepInterval</c>; a failed sweep is logged and retried next time.</summary>
public sealed class RecordingSweeper(RecordingSweep sweep, IOptions<RecordingOptions> options, ILogger<RecordingSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await sweep.RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (NotesStore.IsUnavailable(ex))
            {
                logger.LogWarning("Recording sweep skipped: MongoDB is unavailable ({Reason}).", ex.Message);
            }
            catch (Exception ex) when (ex is MongoException)
            {
                logger.LogError(ex, "Recording sweep failed; it runs again in {Interval}.", options.Value.SweepInterval);
            }
        }
    }
}
