using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using StackExchange.Redis;

namespace DrAssistant.Api.Infrastructure;

/// <summary>Lifetimes of the cached values, under <c>Cache</c> in configuration; zero turns a family off.</summary>
public sealed class CacheOptions
{
    public const string SectionName = "Cache";

    public TimeSpan PatientDemographics { get; set; } = TimeSpan.FromHours(6);

    public TimeSpan DoctorSchedule { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan UserPreferences { get; set; } = TimeSpan.FromHours(6);

    /// <summary>A whole dashboard answer: short, since pending tasks and unread alerts move all day.</summary>
    public TimeSpan DoctorDashboard { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest a request waits for the cache's Redis before answering from PostgreSQL.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>While Redis keeps failing, one warning per interval (with a count), not one per request.</summary>
    public TimeSpan WarningInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Cache-aside over Redis. The cache only accelerates: PostgreSQL stays the source of truth, writes delete keys
/// (never rewrite them), and when Redis is unreachable or slow every read falls back to the database: a Redis operation
/// waits at most <see cref="CacheOptions.Timeout"/>, and any failure of it (error, timeout, cancellation) is a miss.
/// A delete that failed is remembered and retried; until it succeeds, that key is read past, never served stale.
/// <para>
/// A read that misses loads from PostgreSQL and then writes the cache; a write that lands in between (commit, then
/// delete) would otherwise be undone by that late cache write, leaving a stale value for its whole lifetime. So every
/// delete also replaces the key's version (<c>{key}:version</c>, a random token), the reader notes the version before
/// it loads, and its cache write is conditional on the version being unchanged (one MULTI/EXEC with a condition).
/// </para>
/// </summary>
public sealed class RedisCache
{
    /// <summary>How long a version outlives the last delete: far longer than any load from PostgreSQL.</summary>
    private static readonly TimeSpan VersionLifetime = TimeSpan.FromDays(1);

    private readonly IConnectionMultiplexer _redis;
    private readonly ILogger<RedisCache> _logger;
    private readonly CacheOptions _options;
    private readonly TimeProvider _time;
    private readonly JsonSerializerOptions _json;
    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _errors;
    private readonly ConcurrentDictionary<string, byte> _pendingDeletes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _pendingFamilies = new(StringComparer.Ordinal);
    private readonly Lock _warningLock = new();
    private readonly Dictionary<string, (long LoggedAt, int Since)> _warnings = new(StringComparer.Ordinal);

    /// <summary>The connection name of a Redis for the cache alone; absent, the cache uses the sessions' Redis.</summary>
    public const string ConnectionName = "cache";

    public RedisCache(
        [FromKeyedServices(ConnectionName)] IConnectionMultiplexer redis, ILogger<RedisCache> logger, IMeterFactory meters,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, IOptions<CacheOptions> options, TimeProvider time)
    {
        _redis = redis;
        _logger = logger;
        _options = options.Value;
        _time = time;
        _json = json.Value.SerializerOptions;
        var meter = meters.Create(ApiTelemetry.MeterName);
        _hits = meter.CreateCounter<long>("drassistant.cache.hits", description: "Reads served from Redis.");
        _misses = meter.CreateCounter<long>("drassistant.cache.misses", description: "Reads that went to PostgreSQL.");
        _errors = meter.CreateCounter<long>("drassistant.cache.errors", description: "Redis operations that failed or timed out.");
    }

    /// <summary>Keys whose deletion failed and is still to be retried.</summary>
    public int PendingDeletes => _pendingDeletes.Count;

    public async Task<T?> GetOrLoadAsync<T>(string family, string key, TimeSpan lifetime, Func<CancellationToken, Task<T?>> load, CancellationToken cancellationToken)
        where T : class
    {
        var cached = await TryGetAsync<T>(family, key);
        if (cached.Found)
        {
            return cached.Value;
        }

        var value = await load(cancellationToken);
        if (value is not null && cached.Writable)
        {
            await SetAsync(family, key, value, lifetime, cached.Version);
        }

        return value;
    }

    /// <summary>
    /// The cached value, if any. <see cref="CacheLookup{T}.Writable"/> is false when Redis failed or the key awaits a
    /// retried delete: then the caller must not write what it loads. <see cref="CacheLookup{T}.Version"/> is what a
    /// later <see cref="SetAsync{T}"/> (or <see cref="SetInFamilyAsync{T}"/>) must find unchanged to write; for a family
    /// member, it is the version of the <paramref name="registry"/>.
    /// </summary>
    public async Task<CacheLookup<T>> TryGetAsync<T>(string family, string key, string? registry = null) where T : class
    {
        if (Skipped(key, registry))
        {
            return Miss<T>(family, writable: false);
        }

        try
        {
            var values = await BoundedAsync(_redis.GetDatabase().StringGetAsync([key, VersionKey(registry ?? key)]));
            return Found<T>(family, values[0], values[1]);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Failed(ex, "read", key, new("cache.family", family));
            return Miss<T>(family, writable: false);
        }
    }

    /// <summary>
    /// Two lookups (as <see cref="TryGetAsync{T}"/>) in one round trip to Redis, for a value and what it is made from
    /// (the dashboard and its day's schedule): a request that misses the first pays one wait, not two. When the first is
    /// found, the second is reported not found and not writable (it is not needed).
    /// </summary>
    public async Task<(CacheLookup<TFirst> First, CacheLookup<TSecond> Second)> TryGetBothAsync<TFirst, TSecond>(
        (string Family, string Key, string? Registry) first, (string Family, string Key) second)
        where TFirst : class
        where TSecond : class
    {
        var (askFirst, askSecond) = (!Skipped(first.Key, first.Registry), !Skipped(second.Key, null));
        if (!askFirst || !askSecond)
        {
            // Rare (a delete awaits its retry): each on its own.
            return (askFirst ? await TryGetAsync<TFirst>(first.Family, first.Key, first.Registry) : Miss<TFirst>(first.Family, writable: false),
                    askSecond ? await TryGetAsync<TSecond>(second.Family, second.Key) : Miss<TSecond>(second.Family, writable: false));
        }

        try
        {
            var values = await BoundedAsync(_redis.GetDatabase().StringGetAsync(
                [first.Key, VersionKey(first.Registry ?? first.Key), second.Key, VersionKey(second.Key)]));
            var answer = Found<TFirst>(first.Family, values[0], values[1]);
            // The second is what the first is made from: not needed (nor counted) when the first was found.
            return (answer, answer.Found ? new CacheLookup<TSecond>(false, null, false) : Found<TSecond>(second.Family, values[2], values[3]));
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Failed(ex, "read", $"{first.Key}, {second.Key}", new("cache.family", first.Family));
            return (Miss<TFirst>(first.Family, writable: false), Miss<TSecond>(second.Family, writable: false));
        }
    }

    /// <summary>A key (or its family) whose delete awaits a retry is read past, and what is loaded is not written.</summary>
    private bool Skipped(string key, string? registry) =>
        _pendingDeletes.ContainsKey(key) || (registry is not null && _pendingDeletes.ContainsKey(registry));

    private CacheLookup<T> Miss<T>(string family, bool writable, RedisValue? version = null) where T : class
    {
        _misses.Add(1, new KeyValuePair<string, object?>("cache.family", family));
        return new CacheLookup<T>(false, null, writable, version);
    }

    private CacheLookup<T> Found<T>(string family, RedisValue value, RedisValue version) where T : class
    {
        if (!value.HasValue)
        {
            return Miss<T>(family, writable: true, version);
        }

        try
        {
            var found = JsonSerializer.Deserialize<T>((string)value!, _json);
            _hits.Add(1, new KeyValuePair<string, object?>("cache.family", family));
            return new CacheLookup<T>(true, found, true, version);
        }
        catch (JsonException ex)
        {
            // A value that no longer reads (its shape changed): a miss.
            Failed(ex, "read", family, new("cache.family", family));
            return Miss<T>(family, writable: false);
        }
    }

    /// <summary>
    /// Caches a value. With <paramref name="version"/> (from the lookup made before loading), only if no delete came
    /// in between.
    /// </summary>
    public async Task SetAsync<T>(string family, string key, T value, TimeSpan lifetime, RedisValue? version = null)
    {
        if (lifetime <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            var transaction = _redis.GetDatabase().CreateTransaction();
            Guard(transaction, key, version);
            _ = transaction.StringSetAsync(key, JsonSerializer.Serialize(value, _json), lifetime);
            await BoundedAsync(transaction.ExecuteAsync());
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Failed(ex, "write", key, new("cache.family", family));
        }
    }

    /// <summary>Caches a value and lists its key in <paramref name="registry"/>, so the whole family can be dropped.</summary>
    public async Task SetInFamilyAsync<T>(string family, string registry, string key, T value, TimeSpan lifetime, RedisValue? version = null)
    {
        if (lifetime <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            var transaction = _redis.GetDatabase().CreateTransaction();
            Guard(transaction, registry, version);
            _ = transaction.StringSetAsync(key, JsonSerializer.Serialize(value, _json), lifetime);
            _ = transaction.SetAddAsync(registry, key);
            // The list outlives its members a little, so it never forgets a live one.
            _ = transaction.KeyExpireAsync(registry, lifetime + TimeSpan.FromMinutes(1));
            await BoundedAsync(transaction.ExecuteAsync());
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Failed(ex, "write", key, new("cache.family", family));
        }
    }

    /// <summary>Drops every key listed in <paramref name="registries"/> (and the lists). Never fails the write.</summary>
    public async Task RemoveFamiliesAsync(params string[] registries)
    {
        foreach (var registry in registries.Distinct(StringComparer.Ordinal))
        {
            try
            {
                await RemoveFamilyAsync(registry);
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                _pendingDeletes[registry] = 0;
                _pendingFamilies[registry] = 0;
                Failed(ex, "delete", registry, new("cache.family", "invalidation"));
            }
        }
    }

    private async Task RemoveFamilyAsync(string registry)
    {
        var db = _redis.GetDatabase();
        // The new version first: a reader that loaded before it can no longer add a member.
        await BoundedAsync(db.StringSetAsync(VersionKey(registry), NewVersion(), VersionLifetime));
        var members = await BoundedAsync(db.SetMembersAsync(registry));
        await BoundedAsync(db.KeyDeleteAsync(members.Select(m => (RedisKey)(string)m!).Append(registry).ToArray()));
    }

    /// <summary>Drops keys after a write. Never fails the write: a failed delete is retried in the background.</summary>
    public async Task RemoveAsync(params string[] keys)
    {
        if (keys.Length == 0)
        {
            return;
        }

        try
        {
            await RemoveKeysAsync(keys);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            foreach (var key in keys)
            {
                _pendingDeletes[key] = 0;
            }

            Failed(ex, "delete", string.Join(", ", keys), new("cache.family", "invalidation"));
        }
    }

    private async Task RemoveKeysAsync(string[] keys)
    {
        var transaction = _redis.GetDatabase().CreateTransaction();
        foreach (var key in keys)
        {
            _ = transaction.StringSetAsync(VersionKey(key), NewVersion(), VersionLifetime);
        }

        _ = transaction.KeyDeleteAsync(keys.Select(k => (RedisKey)k).ToArray());
        await BoundedAsync(transaction.ExecuteAsync());
    }

    /// <summary>Retries the deletes that failed; called periodically.</summary>
    public async Task RetryPendingDeletesAsync()
    {
        foreach (var key in _pendingDeletes.Keys)
        {
            try
            {
                if (_pendingFamilies.ContainsKey(key))
                {
                    await RemoveFamilyAsync(key);
                    _pendingFamilies.TryRemove(key, out _);
                }
                else
                {
                    await RemoveKeysAsync([key]);
                }

                _pendingDeletes.TryRemove(key, out _);
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                return;
            }
        }
    }

    private static string VersionKey(string key) => key + ":version";

    private static string NewVersion() => Guid.NewGuid().ToString("N");

    /// <summary>The transaction applies only if the version is still the one read (or still absent).</summary>
    private static void Guard(ITransaction transaction, string key, RedisValue? version)
    {
        if (version is { } expected)
        {
            transaction.AddCondition(expected.IsNull
                ? Condition.KeyNotExists(VersionKey(key))
                : Condition.StringEqual(VersionKey(key), expected));
        }
    }

    /// <summary>
    /// Waits for Redis at most <see cref="CacheOptions.Timeout"/>. StackExchange.Redis checks its own timeouts about once
    /// a second, so a frozen server would otherwise cost a read a second or more.
    /// </summary>
    private async Task<T> BoundedAsync<T>(Task<T> operation)
    {
        try
        {
            return await operation.WaitAsync(_options.Timeout);
        }
        catch (TimeoutException)
        {
            // The abandoned operation fails later; observe it so it is not reported as unobserved.
            _ = operation.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }

    /// <summary>
    /// Whatever Redis can do wrong: an error, a timeout (ours or the client's), an operation the client cancelled while it
    /// reconnects (a <see cref="TaskCanceledException"/> that once escaped as a 500), the error of its socket's pipe with
    /// which StackExchange.Redis fails pending operations when it drops a connection that stopped answering
    /// (<see cref="InvalidOperationException"/> "Reading is not allowed after reader was completed", seen with a frozen
    /// server), a client being disposed at shutdown; and a cached value that no longer reads (a miss, rewritten).
    /// </summary>
    private static bool IsRedisFailure(Exception ex) => ex is RedisException or TimeoutException or OperationCanceledException
        or InvalidOperationException or IOException or ObjectDisposedException or JsonException;

    /// <summary>
    /// Counts every failure; warns once per <see cref="CacheOptions.WarningInterval"/> for each kind of operation, with
    /// the number of failures since the last warning, not once per read of an outage.
    /// </summary>
    private void Failed(Exception ex, string operation, string key, KeyValuePair<string, object?> tag)
    {
        _errors.Add(1, tag);
        int since;
        lock (_warningLock)
        {
            var now = _time.GetTimestamp();
            if (_warnings.TryGetValue(operation, out var last) && _time.GetElapsedTime(last.LoggedAt, now) < _options.WarningInterval)
            {
                _warnings[operation] = last with { Since = last.Since + 1 };
                return;
            }

            since = last.Since;
            _warnings[operation] = (now, 0);
        }

        _logger.LogWarning("Redis {Operation} of {Key} failed ({Reason}); answering from PostgreSQL. {Since} more failures of this kind since the " +
                           "previous warning; the next is logged after {Interval}.", operation, key, ex.Message, since, _options.WarningInterval);
    }
}

/// <summary>
/// What a cache read found. <see cref="Version"/> is the key's (or family's) version when the read was made, for a
/// conditional write of what the caller then loads.
/// </summary>
public readonly record struct CacheLookup<T>(bool Found, T? Value, bool Writable, RedisValue? Version = null) where T : class;

/// <summary>
/// Retries failed cache deletes every few seconds, so a key is never left stale once Redis is back. The list of failed
/// deletes lives in this process (another instance may serve such a key until this one's retry lands): a stopping
/// instance tries them once more rather than take them away with it.
/// </summary>
public sealed class CacheInvalidationRetry(RedisCache cache, ILogger<CacheInvalidationRetry> logger) : BackgroundService
{
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (cache.PendingDeletes > 0)
        {
            await cache.RetryPendingDeletesAsync();
            if (cache.PendingDeletes > 0)
            {
                logger.LogWarning("Stopping with {Count} cache deletes Redis refused; those keys may be served until their lifetime ends.", cache.PendingDeletes);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (cache.PendingDeletes > 0)
            {
                await cache.RetryPendingDeletesAsync();
            }
        }
    }
}
