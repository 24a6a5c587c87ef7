using System.Diagnostics;
using MongoDB.Bson;
using MongoDB.Driver;

namespace DrAssistant.Api.Recordings;

/// <summary>
/// At most one recording sweep at a time across API instances: the document <c>{_id: "recording-sweep"}</c> in
/// <c>_sweepLock</c>, as the migrator's <c>_migrationLock</c>: an owner and an <c>expiresAt</c> computed by the server
/// (<c>$$NOW</c> + the lease), so the machines' clocks do not matter. Taken by one conditional upsert, only when the
/// lease is free (absent, expired or already ours) and no sweep completed within the minimum gap; renewed while the
/// sweep runs; handed back at the end with when it completed and what it removed. An instance that dies stops
/// renewing and another takes over once the lease expires.
/// </summary>
public sealed class SweepLease : IAsyncDisposable
{
    public const string CollectionName = "_sweepLock";
    public const string LockId = "recording-sweep";

    private static readonly FilterDefinition<BsonDocument> ById = Builders<BsonDocument>.Filter.Eq("_id", LockId);

    private readonly IMongoCollection<BsonDocument> _collection;
    private readonly TimeSpan _duration;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopRenewing = new();
    private readonly Stopwatch _sinceRenewal = Stopwatch.StartNew();
    private readonly Task _renewing;
    private BsonDocument? _completed;
    private volatile bool _lost;

    private SweepLease(IMongoCollection<BsonDocument> collection, string owner, TimeSpan duration, ILogger logger)
    {
        _collection = collection;
        _duration = duration;
        _logger = logger;
        Owner = owner;
        _renewing = RenewAsync();
    }

    public string Owner { get; }

    /// <summary>True once the lease could not be renewed for a whole lease, or another instance took it over.</summary>
    public bool IsLost => _lost || _sinceRenewal.Elapsed >= _duration;

    /// <summary>
    /// The lease, or null with the reason when another instance holds it or a sweep completed less than
    /// <paramref name="minimumGap"/> ago (several instances then share one sweep per interval rather than each run one).
    /// </summary>
    public static async Task<(SweepLease? Lease, string? Busy)> TryAcquireAsync(
        IMongoDatabase database, string owner, TimeSpan duration, TimeSpan minimumGap, ILogger logger, CancellationToken cancellationToken)
    {
        var collection = database.GetCollection<BsonDocument>(CollectionName);
        var free = new BsonDocument("$or", new BsonArray
        {
            new BsonDocument("$lte", new BsonArray { "$expiresAt", "$$NOW" }),
            new BsonDocument("$eq", new BsonArray { "$owner", new BsonDocument("$literal", owner) }),
        });
        // A missing lastCompletedAt makes the sum null, which orders before any date: due.
        var due = new BsonDocument("$lte", new BsonArray
        {
            new BsonDocument("$add", new BsonArray { "$lastCompletedAt", (long)minimumGap.TotalMilliseconds }),
            "$$NOW",
        });
        var ours = new BsonDocument
        {
            { "_id", LockId },
            { "owner", new BsonDocument("$literal", owner) },
            { "host", new BsonDocument("$literal", Environment.MachineName) },
            { "pid", new BsonDocument("$literal", Environment.ProcessId) },
            { "acquiredAt", "$$NOW" },
            { "expiresAt", ExpiresAt(duration) },
        };
        var take = new BsonDocument("$cond", new BsonArray
        {
            new BsonDocument("$and", new BsonArray { free, due }),
            // Keeps what the last sweep recorded (lastCompletedAt, lastResult).
            new BsonDocument("$mergeObjects", new BsonArray { "$$ROOT", ours }),
            "$$ROOT",
        });

        try
        {
            var after = await collection.FindOneAndUpdateAsync(
                ById,
                Builders<BsonDocument>.Update.Pipeline(new BsonDocument[] { new("$replaceWith", take) }),
                new FindOneAndUpdateOptions<BsonDocument> { IsUpsert = true, ReturnDocument = ReturnDocument.After },
                cancellationToken);
            if (after.GetValue("owner", BsonNull.Value) == owner)
            {
                return (new SweepLease(collection, owner, duration, logger), null);
            }

            return (null, after.GetValue("owner", BsonNull.Value) is BsonString holder && after.GetValue("expiresAt", BsonNull.Value) is BsonDateTime expires
                    && expires.ToUniversalTime() > DateTime.UtcNow
                ? $"another instance sweeps ({holder.Value})"
                : $"a sweep completed less than {minimumGap} ago");
        }
        catch (Exception ex) when (ex is MongoCommandException { Code: 11000 } or MongoWriteException { WriteError.Category: ServerErrorCategory.DuplicateKey })
        {
            // Two instances upserted the absent document at once; the other one's insert won.
            return (null, "another instance took the lease a moment ago");
        }
    }

    /// <summary>Records that the sweep completed (and what it removed) when the lease is handed back.</summary>
    public void Completed(SweepResult result) => _completed = new BsonDocument
    {
        { "filesDeleted", result.FilesDeleted },
        { "unfinishedUploadsDeleted", result.UnfinishedUploadsDeleted },
        { "filesExamined", result.FilesExamined },
        { "uploadsExamined", result.UploadsExamined },
        { "by", Owner },
    };

    public async ValueTask DisposeAsync()
    {
        await _stopRenewing.CancelAsync();
        await _renewing;
        _stopRenewing.Dispose();
        var release = new BsonDocument { { "expiresAt", "$$NOW" } };
        if (_completed is not null)
        {
            release.Add("lastCompletedAt", "$$NOW").Add("lastResult", new BsonDocument("$literal", _completed));
        }

        try
        {
            // Not the sweep's token: a stopping instance must still hand the lease back rather than make the others wait.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _collection.UpdateOneAsync(
                ById & Builders<BsonDocument>.Filter.Eq("owner", Owner),
                Builders<BsonDocument>.Update.Pipeline(new BsonDocument[] { new("$set", release), new("$unset", "owner") }),
                cancellationToken: timeout.Token);
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException or OperationCanceledException)
        {
            _logger.LogWarning("Could not hand back the recording sweep's lease ({Reason}); it expires by itself within {Duration}.", ex.Message, _duration);
        }
    }

    private static BsonDocument ExpiresAt(TimeSpan duration) =>
        new("$add", new BsonArray { "$$NOW", (long)duration.TotalMilliseconds });

    private async Task RenewAsync()
    {
        using var timer = new PeriodicTimer(_duration / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopRenewing.Token))
            {
                try
                {
                    var result = await _collection.UpdateOneAsync(
                        ById & Builders<BsonDocument>.Filter.Eq("owner", Owner),
                        Builders<BsonDocument>.Update.Pipeline(new BsonDocument[] { new("$set", new BsonDocument("expiresAt", ExpiresAt(_duration))) }),
                        cancellationToken: _stopRenewing.Token);
                    if (result.MatchedCount == 0)
                    {
                        _lost = true;
                        _logger.LogError("The recording sweep's lease of {Owner} was taken over by another instance.", Owner);
                        return;
                    }

                    _sinceRenewal.Restart();
                }
                catch (Exception ex) when (ex is MongoException or TimeoutException)
                {
                    // Still ours until it expires; IsLost turns true if no renewal succeeds for a whole lease.
                    _logger.LogWarning("Could not renew the recording sweep's lease: {Reason}", ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (_stopRenewing.IsCancellationRequested)
        {
            // Handed back.
        }
    }
}
