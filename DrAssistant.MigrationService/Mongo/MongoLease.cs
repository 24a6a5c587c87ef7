using System.Diagnostics;
using MongoDB.Bson;
using MongoDB.Driver;

namespace DrAssistant.MigrationService.Mongo;

/// <summary>
/// The MongoDB migrators' mutual exclusion: one document in <c>_migrationLock</c> naming its owner and when the lease
/// expires. Expiry is computed by the server (<c>$$NOW</c>), so clocks of the machines running migrators do not matter.
/// The lease is taken only when the document is absent, expired or already ours; it is renewed in the background while
/// held and deleted on release if it is still ours. A migrator that is killed simply stops renewing, and the next one
/// takes over once the lease has expired.
/// </summary>
public sealed class MongoLease : IAsyncDisposable
{
    public const string CollectionName = "_migrationLock";

    /// <summary>The one lock document: there is one MongoDB schema per database, so one lease.</summary>
    public const string LockId = "mongo-migrator";

    private static readonly FilterDefinition<BsonDocument> ById = Builders<BsonDocument>.Filter.Eq("_id", LockId);

    private readonly IMongoCollection<BsonDocument> _collection;
    private readonly TimeSpan _duration;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopRenewing = new();
    private readonly Stopwatch _sinceRenewal = Stopwatch.StartNew();
    private readonly Task _renewing;
    private volatile bool _lost;

    private MongoLease(IMongoCollection<BsonDocument> collection, string owner, TimeSpan duration, TimeSpan waited, ILogger logger)
    {
        _collection = collection;
        _duration = duration;
        _logger = logger;
        Owner = owner;
        Waited = waited;
        _renewing = RenewAsync();
    }

    public string Owner { get; }

    public TimeSpan Waited { get; }

    /// <summary>True once another migrator took the lease over, or it could not be renewed for a whole lease.</summary>
    public bool IsLost => _lost || _sinceRenewal.Elapsed >= _duration;

    /// <summary>Takes the lease, waiting while a live one is held by another; null when the wait times out.</summary>
    public static async Task<MongoLease?> AcquireAsync(
        IMongoDatabase database, string owner, MongoMigratorOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var collection = database.GetCollection<BsonDocument>(CollectionName);
        var clock = Stopwatch.StartNew();
        var nextReport = TimeSpan.Zero;
        while (true)
        {
            var holder = await TryTakeAsync(collection, owner, options.LeaseDuration, cancellationToken);
            if (holder is null)
            {
                if (clock.Elapsed > options.LockPollInterval)
                {
                    logger.LogInformation("Took the MongoDB migration lease after waiting {Waited:0.0} s.", clock.Elapsed.TotalSeconds);
                }

                return new MongoLease(collection, owner, options.LeaseDuration, clock.Elapsed, logger);
            }

            if (clock.Elapsed >= options.LockTimeout)
            {
                logger.LogError("Gave up waiting for the MongoDB migration lease after {Waited:0.0} s; it is {Holder}.",
                    clock.Elapsed.TotalSeconds, Describe(holder));
                return null;
            }

            if (clock.Elapsed >= nextReport)
            {
                logger.LogInformation("Waiting for the MongoDB migration lease: it is {Holder}.", Describe(holder));
                nextReport = clock.Elapsed + TimeSpan.FromSeconds(10);
            }

            await Task.Delay(options.LockPollInterval, cancellationToken);
        }
    }

    /// <summary>Who holds the lease and until when, or null when nobody does. Reads only.</summary>
    public static async Task<string?> DescribeHolderAsync(IMongoDatabase database, CancellationToken cancellationToken)
    {
        // Live means unexpired by the server's clock, the clock the lease is taken and renewed by.
        var live = ById & new BsonDocumentFilterDefinition<BsonDocument>(
            new BsonDocument("$expr", new BsonDocument("$gt", new BsonArray { "$expiresAt", "$$NOW" })));
        var holder = await database.GetCollection<BsonDocument>(CollectionName).Find(live).FirstOrDefaultAsync(cancellationToken);
        return holder is null ? null : Describe(holder);
    }

    /// <summary>Stops the run before its next write if the lease is no longer ours.</summary>
    public void EnsureHeld()
    {
        if (IsLost)
        {
            throw new MongoLeaseLostException(
                $"The MongoDB migration lease of {Owner} was lost (taken over after expiry, or not renewable for {_duration}); stopped before the next change.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopRenewing.CancelAsync();
        await _renewing;
        _stopRenewing.Dispose();
        try
        {
            // Not the run's token: a cancelled run must still hand the lease back rather than make the next one wait.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _collection.DeleteOneAsync(Mine(), timeout.Token);
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException or OperationCanceledException)
        {
            _logger.LogWarning("Could not release the MongoDB migration lease ({Reason}); it expires by itself within {Duration}.", ex.Message, _duration);
        }
    }

    /// <summary>
    /// One atomic conditional upsert: the server replaces the lock document with ours only if it is expired or ours,
    /// and inserts it if absent. (A filter on expiry cannot be used: an upsert may not have <c>$expr</c> in its query.)
    /// Returns null when the lease is ours, else the holder's document.
    /// </summary>
    private static async Task<BsonDocument?> TryTakeAsync(
        IMongoCollection<BsonDocument> collection, string owner, TimeSpan duration, CancellationToken cancellationToken)
    {
        var takeable = new BsonDocument("$or", new BsonArray
        {
            new BsonDocument("$lte", new BsonArray { "$expiresAt", "$$NOW" }),
            new BsonDocument("$eq", new BsonArray { "$owner", new BsonDocument("$literal", owner) }),
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
        BsonDocument[] stages = [new("$replaceWith", new BsonDocument("$cond", new BsonArray { takeable, ours, "$$ROOT" }))];

        try
        {
            var after = await collection.FindOneAndUpdateAsync(
                ById,
                Builders<BsonDocument>.Update.Pipeline(stages),
                new FindOneAndUpdateOptions<BsonDocument> { IsUpsert = true, ReturnDocument = ReturnDocument.After },
                cancellationToken);
            return after.GetValue("owner", BsonNull.Value) == owner ? null : after;
        }
        catch (Exception ex) when (ex is MongoCommandException { Code: 11000 } or MongoWriteException { WriteError.Category: ServerErrorCategory.DuplicateKey })
        {
            // Two migrators upserted the absent document at once; the other one's insert won.
            return new BsonDocument("owner", "held by a migrator that took it a moment ago");
        }
    }

    private static BsonDocument ExpiresAt(TimeSpan duration) =>
        new("$add", new BsonArray { "$$NOW", (long)duration.TotalMilliseconds });

    private static string Describe(BsonDocument holder)
    {
        var until = holder.TryGetValue("expiresAt", out var expires) && expires.IsValidDateTime
            ? $" until {expires.ToUniversalTime():O}"
            : string.Empty;
        return $"held by {holder.GetValue("owner", "?")}{until}";
    }

    private FilterDefinition<BsonDocument> Mine() => ById & Builders<BsonDocument>.Filter.Eq("owner", Owner);

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
                        Mine(),
                        Builders<BsonDocument>.Update.Pipeline(new BsonDocument[] { new("$set", new BsonDocument("expiresAt", ExpiresAt(_duration))) }),
                        cancellationToken: _stopRenewing.Token);
                    if (result.MatchedCount == 0)
                    {
                        _lost = true;
                        _logger.LogError("The MongoDB migration lease of {Owner} was taken over by another migrator.", Owner);
                        return;
                    }

                    _sinceRenewal.Restart();
                }
                catch (Exception ex) when (ex is MongoException or TimeoutException)
                {
                    // Still ours until it expires; the next tick tries again, and IsLost turns true if none succeeds.
                    _logger.LogWarning("Could not renew the MongoDB migration lease: {Reason}", ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (_stopRenewing.IsCancellationRequested)
        {
            // Released.
        }
    }
}

/// <summary>The lease ran out from under a running migrator; it stopped before changing anything else.</summary>
public sealed class MongoLeaseLostException(string message) : Exception(message);
