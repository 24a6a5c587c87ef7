using System.Diagnostics;
using System.Runtime.CompilerServices;
using DrAssistant.Api.Notes;
using MongoDB.Bson;
using MongoDB.Driver;

namespace DrAssistant.Api.Recordings;

/// <summary>A GridFS file as the sweep sees it.</summary>
public readonly record struct StoredAudio(ObjectId Id, DateTime UploadDate);

/// <summary>What one sweep examined and removed; <see cref="Skipped"/> says why it did not run.</summary>
public sealed record SweepResult(int FilesDeleted, int UnfinishedUploadsDeleted)
{
    public int FilesExamined { get; init; }

    public int UploadsExamined { get; init; }

    /// <summary>Why this instance did not sweep (another one holds the lease, or swept a moment ago); null when it swept.</summary>
    public string? Skipped { get; init; }
}

/// <summary>One bounded batch of the walk: how many it looked at and which of them are to be removed.</summary>
public sealed record SweepBatch(int Examined, IReadOnlyList<ObjectId> Orphans);

/// <summary>
/// The questions the sweep asks MongoDB, each about one bounded batch, so memory and every answer stay bounded
/// whatever the number of files: a page of files (or of uploads that wrote chunks) by ascending id after a given one,
/// and which ids of a page something refers to (or have a file document). <see cref="MongoAudioCatalog"/> asks them
/// through indexes.
/// </summary>
public interface IAudioCatalog
{
    /// <summary>Up to <paramref name="limit"/> files with an ObjectId greater than <paramref name="after"/>, uploaded before <paramref name="uploadedBefore"/>, by ascending id.</summary>
    Task<IReadOnlyList<StoredAudio>> FilesAsync(ObjectId after, DateTime uploadedBefore, int limit, CancellationToken cancellationToken);

    /// <summary>Which of <paramref name="fileIds"/> a recording (<c>fileId</c>) or a note (<c>attachments</c>) refers to.</summary>
    Task<IReadOnlySet<ObjectId>> ReferencedAsync(IReadOnlyList<ObjectId> fileIds, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> distinct file ids of uploads that wrote a first chunk, greater than <paramref name="after"/> and less than <paramref name="before"/>, ascending.</summary>
    Task<IReadOnlyList<ObjectId>> UploadsAsync(ObjectId after, ObjectId before, int limit, CancellationToken cancellationToken);

    /// <summary>Which of <paramref name="fileIds"/> have their file document.</summary>
    Task<IReadOnlySet<ObjectId>> ExistingFilesAsync(IReadOnlyList<ObjectId> fileIds, CancellationToken cancellationToken);
}

/// <summary>
/// Which GridFS audio nothing refers to any more, decided without a server. Audio younger than the cutoff is never
/// chosen: the file of an upload is written before its recording, so a young file without one may be an upload
/// finishing now. A file is kept while a recording or a note's <c>attachments</c> refers to it.
/// </summary>
public static class OrphanAudio
{
    /// <summary>Files nothing refers to (their recording was deleted, or expired by the TTL index), uploaded before the cutoff.</summary>
    public static IReadOnlyList<ObjectId> Files(IEnumerable<StoredAudio> files, IReadOnlySet<ObjectId> referenced, DateTime cutoffUtc) =>
        [.. files.Where(f => f.UploadDate < cutoffUtc && !referenced.Contains(f.Id)).Select(f => f.Id)];

    /// <summary>
    /// Chunks of uploads that never finished (the process died before writing the file document), begun before the
    /// cutoff: the driver makes a file's id when the upload starts, so the id's time is the upload's start.
    /// </summary>
    public static IReadOnlyList<ObjectId> UnfinishedUploads(IEnumerable<ObjectId> chunkFileIds, IReadOnlySet<ObjectId> files, DateTime cutoffUtc) =>
        [.. chunkFileIds.Distinct().Where(id => id.CreationTime < cutoffUtc && !files.Contains(id))];

    /// <summary>
    /// Walks every file uploaded before the cutoff, <paramref name="batchSize"/> at a time, and yields each batch with
    /// the files nothing refers to. Holds one batch at a time: the caller removes a batch's orphans before the next is read.
    /// </summary>
    public static async IAsyncEnumerable<SweepBatch> OrphanFilesAsync(
        IAudioCatalog catalog, DateTime cutoffUtc, int batchSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var after = ObjectId.Empty;
        while (true)
        {
            var files = await catalog.FilesAsync(after, cutoffUtc, batchSize, cancellationToken);
            if (files.Count == 0)
            {
                yield break;
            }

            var ids = Page([.. files.Select(f => f.Id)], after, batchSize);
            var referenced = await catalog.ReferencedAsync(ids, cancellationToken);
            yield return new SweepBatch(files.Count, Files(files, referenced, cutoffUtc));
            if (files.Count < batchSize)
            {
                yield break;
            }

            after = ids[^1];
        }
    }

    /// <summary>
    /// Walks the uploads that wrote chunks and began before the cutoff, <paramref name="batchSize"/> at a time, and yields
    /// each batch with those that have no file document: uploads that died. One batch held at a time.
    /// </summary>
    public static async IAsyncEnumerable<SweepBatch> UnfinishedUploadsAsync(
        IAudioCatalog catalog, DateTime cutoffUtc, int batchSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var after = ObjectId.Empty;
        var before = SmallestIdAt(cutoffUtc);
        while (true)
        {
            var uploads = await catalog.UploadsAsync(after, before, batchSize, cancellationToken);
            if (uploads.Count == 0)
            {
                yield break;
            }

            var ids = Page(uploads, after, batchSize);
            var files = await catalog.ExistingFilesAsync(ids, cancellationToken);
            yield return new SweepBatch(uploads.Count, UnfinishedUploads(ids, files, cutoffUtc));
            if (uploads.Count < batchSize)
            {
                yield break;
            }

            after = ids[^1];
        }
    }

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

    /// <summary>
    /// A page as the walk needs it: at most a batch, ascending, after the previous page. Anything else would make the
    /// walk repeat itself for ever or skip files, so it stops the sweep instead.
    /// </summary>
    private static IReadOnlyList<ObjectId> Page(IReadOnlyList<ObjectId> ids, ObjectId after, int batchSize)
    {
        if (ids.Count > batchSize)
        {
            throw new InvalidOperationException($"A page of the sweep held {ids.Count} ids, more than its batch of {batchSize}.");
        }

        var previous = after;
        foreach (var id in ids)
        {
            if (id <= previous)
            {
                throw new InvalidOperationException($"A page of the sweep is not in ascending id order after {after} ({id} after {previous}).");
            }

            previous = id;
        }

        return ids;
    }
}

/// <summary>The sweep's questions asked of MongoDB, each through an index and answered with at most one batch.</summary>
public sealed class MongoAudioCatalog(NotesDatabase store) : IAudioCatalog
{
    private static readonly FilterDefinitionBuilder<BsonDocument> Filter = Builders<BsonDocument>.Filter;

    public async Task<IReadOnlyList<StoredAudio>> FilesAsync(ObjectId after, DateTime uploadedBefore, int limit, CancellationToken cancellationToken)
    {
        // Walked by _id (keyset paging on the _id index, hinted so the planner cannot choose uploadDate_1 and sort);
        // the young files at the end of the index are few and filtered out.
        var files = await store.AudioFiles
            .Find(Filter.Gt("_id", after) & Filter.Lt("uploadDate", uploadedBefore), new FindOptions { Hint = new BsonDocument("_id", 1) })
            .Sort(Builders<BsonDocument>.Sort.Ascending("_id"))
            .Limit(limit)
            .Project(Builders<BsonDocument>.Projection.Include("uploadDate"))
            .ToListAsync(cancellationToken);
        return [.. files.Select(f => new StoredAudio(f["_id"].AsObjectId, f["uploadDate"].ToUniversalTime()))];
    }

    public async Task<IReadOnlySet<ObjectId>> ReferencedAsync(IReadOnlyList<ObjectId> fileIds, CancellationToken cancellationToken)
    {
        // One round trip: recordings by fileId_1, notes by attachments_1 (multikey); grouped, so the answer holds each
        // referenced id of the batch once however many documents refer to it.
        var batch = new BsonDocument("$in", new BsonArray(fileIds));
        BsonDocument[] pipeline =
        [
            new("$match", new BsonDocument("fileId", batch)),
            new("$project", new BsonDocument("_id", "$fileId")),
            new("$unionWith", new BsonDocument
            {
                { "coll", ClinicalNote.CollectionName },
                {
                    "pipeline", new BsonArray
                    {
                        new BsonDocument("$match", new BsonDocument("attachments", batch)),
                        new BsonDocument("$project", new BsonDocument { { "_id", 0 }, { "attachments", 1 } }),
                        new BsonDocument("$unwind", "$attachments"),
                        new BsonDocument("$match", new BsonDocument("attachments", batch)),
                        new BsonDocument("$project", new BsonDocument("_id", "$attachments")),
                    }
                },
            }),
            new("$group", new BsonDocument("_id", "$_id")),
        ];
        var referenced = await store.Recordings
            .Aggregate(PipelineDefinition<VoiceRecording, BsonDocument>.Create(pipeline), cancellationToken: cancellationToken)
            .ToListAsync(cancellationToken);
        return referenced.Where(r => r["_id"].IsObjectId).Select(r => r["_id"].AsObjectId).ToHashSet();
    }

    public async Task<IReadOnlyList<ObjectId>> UploadsAsync(ObjectId after, ObjectId before, int limit, CancellationToken cancellationToken)
    {
        // Every upload writes chunk 0 first (and the deletes here remove it last), so the first chunks name every upload
        // once; the unique {files_id: 1, n: 1} index answers this without reading a chunk's audio, skipping the others.
        var firstChunks = await store.AudioChunks
            .Find(Filter.Gt("files_id", after) & Filter.Lt("files_id", before) & Filter.Eq("n", 0),
                new FindOptions { Hint = new BsonDocument { { "files_id", 1 }, { "n", 1 } } })
            .Sort(Builders<BsonDocument>.Sort.Ascending("files_id"))
            .Limit(limit)
            .Project(Builders<BsonDocument>.Projection.Include("files_id").Exclude("_id"))
            .ToListAsync(cancellationToken);
        return [.. firstChunks.Select(c => c["files_id"].AsObjectId)];
    }

    public async Task<IReadOnlySet<ObjectId>> ExistingFilesAsync(IReadOnlyList<ObjectId> fileIds, CancellationToken cancellationToken)
    {
        var files = await store.AudioFiles
            .Find(Filter.In("_id", fileIds))
            .Project(Builders<BsonDocument>.Projection.Include("_id"))
            .ToListAsync(cancellationToken);
        return files.Select(f => f["_id"].AsObjectId).ToHashSet();
    }
}

/// <summary>
/// Removes GridFS audio nothing refers to. The TTL index on <c>retentionPolicy.expiresAt</c> deletes a recording's
/// metadata when its retention ends but cannot touch GridFS; this sweep deletes the audio left behind (files that no
/// recording and no note's <c>attachments</c> refer to) and the chunks of uploads that died, so no audio outlives its
/// retention by more than one interval. It walks the files in bounded batches, asking through indexes, and holds a
/// lease so that one instance at a time sweeps.
/// </summary>
public sealed class RecordingSweep(NotesDatabase store, RecordingsQueries recordings, IOptions<RecordingOptions> options, TimeProvider time, ILogger<RecordingSweep> logger)
{
    /// <summary>Files (or uploads) examined per batch: bounds memory, every answer, and each <c>$in</c>.</summary>
    public const int BatchSize = 500;

    /// <summary>How long the lease lives without renewal; renewed every third of it while sweeping.</summary>
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(2);

    /// <summary>Sweeps now, unless another instance is sweeping.</summary>
    public Task<SweepResult> RunOnceAsync(CancellationToken cancellationToken) => RunOnceAsync(TimeSpan.Zero, cancellationToken);

    /// <param name="minimumGap">Skip when any instance completed a sweep less than this ago (the periodic sweeper
    /// passes half its interval).</param>
    /// <param name="cancellationToken">Stops the sweep between batches.</param>
    public async Task<SweepResult> RunOnceAsync(TimeSpan minimumGap, CancellationToken cancellationToken)
    {
        var owner = $"{Environment.MachineName} pid {Environment.ProcessId} {Guid.NewGuid().ToString("N")[..8]}";
        var (lease, busy) = await SweepLease.TryAcquireAsync(store.Database, owner, LeaseDuration, minimumGap, logger, cancellationToken);
        if (lease is null)
        {
            logger.LogDebug("Recording sweep skipped: {Reason}.", busy);
            return new SweepResult(0, 0) { Skipped = busy };
        }

        await using (lease)
        {
            var clock = Stopwatch.StartNew();
            var cutoff = time.GetUtcNow().UtcDateTime - options.Value.SweepGracePeriod;
            var catalog = new MongoAudioCatalog(store);

            int filesExamined = 0, filesDeleted = 0;
            await foreach (var batch in OrphanAudio.OrphanFilesAsync(catalog, cutoff, BatchSize, cancellationToken))
            {
                filesExamined += batch.Examined;
                if (batch.Orphans.Count > 0)
                {
                    EnsureHeld(lease);
                    filesDeleted += await recordings.DeleteAudioAsync(batch.Orphans, cancellationToken);
                    logger.LogInformation("Recording sweep deleted {Count} audio files no recording or note refers to: {FileIds}",
                        batch.Orphans.Count, string.Join(", ", batch.Orphans));
                }
            }

            int uploadsExamined = 0, unfinished = 0;
            await foreach (var batch in OrphanAudio.UnfinishedUploadsAsync(catalog, cutoff, BatchSize, cancellationToken))
            {
                uploadsExamined += batch.Examined;
                if (batch.Orphans.Count > 0)
                {
                    EnsureHeld(lease);
                    await recordings.DeleteChunksAsync(batch.Orphans, cancellationToken);
                    unfinished += batch.Orphans.Count;
                    logger.LogInformation("Recording sweep deleted the chunks of {Count} uploads that never finished: {FileIds}",
                        batch.Orphans.Count, string.Join(", ", batch.Orphans));
                }
            }

            var result = new SweepResult(filesDeleted, unfinished) { FilesExamined = filesExamined, UploadsExamined = uploadsExamined };
            lease.Completed(result);
            logger.LogInformation(
                "Recording sweep done in {Seconds:0.0} s: examined {FilesExamined} files and {UploadsExamined} uploads older than {Cutoff:O}; " +
                "deleted {Files} files without a recording or note and {Unfinished} unfinished uploads.",
                clock.Elapsed.TotalSeconds, filesExamined, uploadsExamined, cutoff, filesDeleted, unfinished);
            return result;
        }
    }

    /// <summary>Stops before deleting anything once the lease is no longer ours: another instance may be sweeping now.</summary>
    private static void EnsureHeld(SweepLease lease)
    {
        if (lease.IsLost)
        {
            throw new SweepLeaseLostException($"The recording sweep's lease of {lease.Owner} was lost; stopped before deleting more.");
        }
    }
}

/// <summary>The lease ran out under a running sweep; it stopped before deleting anything else.</summary>
public sealed class SweepLeaseLostException(string message) : Exception(message);

/// <summary>
/// Runs <see cref="RecordingSweep"/> every <c>Recordings:SweepInterval</c>; a failed sweep is logged and retried next
/// time. With several instances, the lease lets one sweep at a time, and none within half an interval of the last.
/// </summary>
public sealed class RecordingSweeper(RecordingSweep sweep, IOptions<RecordingOptions> options, ILogger<RecordingSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await sweep.RunOnceAsync(options.Value.SweepInterval / 2, stoppingToken);
            }
            catch (Exception ex) when (NotesDatabase.IsUnavailable(ex))
            {
                logger.LogWarning("Recording sweep skipped: MongoDB is unavailable ({Reason}).", ex.Message);
            }
            catch (Exception ex) when (ex is MongoException or SweepLeaseLostException)
            {
                logger.LogError(ex, "Recording sweep failed; it runs again in {Interval}.", options.Value.SweepInterval);
            }
        }
    }
}
