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
}

/// <summary>The key families of the design, shared with other services.</summary>
public static class CacheKeys
{
    public static string PatientDemographics(Guid patientId) => $"patient:{patientId}:demographics";

    public static string DoctorSchedule(Guid doctorId, DateOnly date) => $"doctor:{doctorId}:schedule:{date:yyyy-MM-dd}";

    public static string UserPreferences(Guid userId) => $"user:{userId}:preferences";

    /// <summary>
    /// The API's own key (not part of the shared design): a whole dashboard answer, listed in
    /// <see cref="DoctorDashboards"/> so that any change to the doctor's appointments, tasks or alerts drops them all.
    /// </summary>
    public static string DoctorDashboard(Guid doctorId, DateOnly date, int taskLimit, int alertLimit) =>
        $"doctor:{doctorId}:dashboard:{date:yyyy-MM-dd}:{taskLimit}:{alertLimit}";

    public static string DoctorDashboards(Guid doctorId) => $"doctor:{doctorId}:dashboards";
}

/// <summary>
/// Cache-aside over Redis. The cache only accelerates: PostgreSQL stays the source of truth, writes delete keys
/// (never rewrite them), and when Redis is unreachable every read falls back to the database with a warning.
/// A delete that failed is remembered and retried; until it succeeds, that key is read past, never served stale.
/// </summary>
public sealed class RedisCache
{
    private readonly IConnectionMultiplexer _redis;
    private readonly ILogger<RedisCache> _logger;
    private readonly JsonSerializerOptions _json;
    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _errors;
    private readonly ConcurrentDictionary<string, byte> _pendingDeletes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _pendingFamilies = new(StringComparer.Ordinal);

    /// <summary>The connection name of a Redis for the cache alone; absent, the cache uses the sessions' Redis.</summary>
    public const string ConnectionName = "cache";

    public RedisCache([FromKeyedServices(ConnectionName)] IConnectionMultiplexer redis, ILogger<RedisCache> logger, IMeterFactory meters, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
    {
        _redis = redis;
        _logger = logger;
        _json = json.Value.SerializerOptions;
        var meter = meters.Create(ApiTelemetry.MeterName);
        _hits = meter.CreateCounter<long>("drassistant.cache.hits", description: "Reads served from Redis.");
        _misses = meter.CreateCounter<long>("drassistant.cache.misses", description: "Reads that went to PostgreSQL.");
        _errors = meter.CreateCounter<long>("drassistant.cache.errors", description: "Redis operations that failed.");
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
            await SetAsync(family, key, value, lifetime);
        }

        return value;
    }

    /// <summary>
    /// The cached value, if any. <see cref="CacheLookup{T}.Writable"/> is false when Redis failed or the key awaits a
    /// retried delete: then the caller must not write what it loads.
    /// </summary>
    public async Task<CacheLookup<T>> TryGetAsync<T>(string family, string key, string? registry = null) where T : class
    {
        var tag = new KeyValuePair<string, object?>("cache.family", family);
        if (_pendingDeletes.ContainsKey(key) || (registry is not null && _pendingDeletes.ContainsKey(registry)))
        {
            _misses.Add(1, tag);
            return new CacheLookup<T>(false, null, false);
        }

        try
        {
            var cached = await _redis.GetDatabase().StringGetAsync(key);
            if (cached.HasValue)
            {
                _hits.Add(1, tag);
                return new CacheLookup<T>(true, JsonSerializer.Deserialize<T>((string)cached!, _json), true);
            }

            _misses.Add(1, tag);
            return new CacheLookup<T>(false, null, true);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _misses.Add(1, tag);
            Failed(ex, "read", key, tag);
            return new CacheLookup<T>(false, null, false);
        }
    }

    public async Task SetAsync<T>(string family, string key, T value, TimeSpan lifetime)
    {
        if (lifetime <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await _redis.GetDatabase().StringSetAsync(key, JsonSerializer.Serialize(value, _json), lifetime);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Failed(ex, "write", key, new("cache.family", family));
        }
    }

    /// <summary>Caches a value and lists its key in <paramref name="registry"/>, so the whole family can be dropped.</summary>
    public async Task SetInFamilyAsync<T>(string family, string registry, string key, T value, TimeSpan lifetime)
    {
        if (lifetime <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            var transaction = _redis.GetDatabase().CreateTransaction();
            _ = transaction.StringSetAsync(key, JsonSerializer.Serialize(value, _json), lifetime);
            _ = transaction.SetAddAsync(registry, key);
            // The list outlives its members a little, so it never forgets a live one.
            _ = transaction.KeyExpireAsync(registry, lifetime + TimeSpan.FromMinutes(1));
            await transaction.ExecuteAsync();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
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
            catch (Exception ex) when (ex is RedisException or TimeoutException)
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
        var members = await db.SetMembersAsync(registry);
        await db.KeyDeleteAsync(members.Select(m => (RedisKey)(string)m!).Append(registry).ToArray());
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
            await _redis.GetDatabase().KeyDeleteAsync(keys.Select(k => (RedisKey)k).ToArray());
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            foreach (var key in keys)
            {
                _pendingDeletes[key] = 0;
            }

            Failed(ex, "delete", string.Join(", ", keys), new("cache.family", "invalidation"));
        }
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
                    await _redis.GetDatabase().KeyDeleteAsync(key);
                }

                _pendingDeletes.TryRemove(key, out _);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                return;
            }
        }
    }

    private void Failed(Exception ex, string operation, string key, KeyValuePair<string, object?> tag)
    {
        _errors.Add(1, tag);
        _logger.LogWarning("Redis {Operation} of {Key} failed ({Reason}); answering from PostgreSQL.", operation, key, ex.Message);
    }
}

public readonly record struct CacheLookup<T>(bool Found, T? Value, bool Writable) where T : class;

/// <summary>Retries failed cache deletes every few seconds, so a key is never left stale once Redis is back.</summary>
public sealed class CacheInvalidationRetry(RedisCache cache) : BackgroundService
{
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
