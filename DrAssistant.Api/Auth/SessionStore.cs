using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using StackExchange.Redis;

namespace DrAssistant.Api.Auth;

/// <summary>Settings under <c>Sessions</c>.</summary>
public sealed class SessionOptions
{
    public const string SectionName = "Sessions";

    /// <summary>A session not used for this long expires.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>No session lives longer than this, however active.</summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Activity is written back at most this often (not on every request).</summary>
    public TimeSpan ActivityResolution { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Failed logins for one username within <see cref="FailureWindow"/> before it is throttled.</summary>
    public int MaxFailedLogins { get; set; } = 5;

    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>The value of <c>session:{sessionId}</c>; times are Unix seconds, as in the design.</summary>
public sealed record Session(
    [property: JsonPropertyName("userId")] Guid UserId,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("expires")] long Expires,
    [property: JsonPropertyName("lastActivity")] long LastActivity,
    [property: JsonPropertyName("permissions")] string[] Permissions);

/// <summary>Redis could not be reached: authentication fails closed.</summary>
public sealed class SessionStoreUnavailableException(Exception inner) : Exception("The session store is unavailable.", inner);

/// <summary>
/// Sessions live in Redis alone. The client holds a random token; Redis holds <c>session:{sha256(token)}</c>, so a
/// copy of Redis gives no usable token. Each user's sessions are listed in <c>user:{id}:sessions</c>, so all of them
/// can be ended when the user is deactivated.
/// </summary>
public sealed class SessionStore(IConnectionMultiplexer redis, IOptions<SessionOptions> options, TimeProvider time)
{
    public static string SessionKey(string sessionId) => $"session:{sessionId}";

    public static string UserSessionsKey(Guid userId) => $"user:{userId}:sessions";

    private static string FailuresKey(string username) => $"login-failures:{username.ToLowerInvariant()}";

    /// <summary>The session id for a token: what Redis stores, never the token itself.</summary>
    public static string SessionIdOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public async Task<(string Token, Session Session)> CreateAsync(Guid userId, string role)
    {
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var session = new Session(userId, role, now, now + (long)options.Value.IdleTimeout.TotalSeconds, now, Permissions.For(role));
        var id = SessionIdOf(token);
        await Guard(async () =>
        {
            var batch = redis.GetDatabase().CreateTransaction();
            _ = batch.StringSetAsync(SessionKey(id), JsonSerializer.Serialize(session), options.Value.IdleTimeout);
            _ = batch.SetAddAsync(UserSessionsKey(userId), id);
            _ = batch.KeyExpireAsync(UserSessionsKey(userId), options.Value.MaxLifetime);
            await batch.ExecuteAsync();
            return true;
        });
        return (token, session);
    }

    /// <summary>
    /// The live session for a token, extended by this activity (sliding up to the maximum lifetime), or null when it
    /// does not exist or has expired.
    /// </summary>
    public async Task<Session?> GetAndTouchAsync(string token)
    {
        var id = SessionIdOf(token);
        var db = redis.GetDatabase();
        var value = await Guard(() => db.StringGetAsync(SessionKey(id)));
        if (!value.HasValue)
        {
            return null;
        }

        var session = JsonSerializer.Deserialize<Session>((string)value!)!;
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (session.Expires <= now)
        {
            await Guard(() => db.KeyDeleteAsync(SessionKey(id)));
            return null;
        }

        if (now - session.LastActivity >= options.Value.ActivityResolution.TotalSeconds)
        {
            var hardLimit = session.Created + (long)options.Value.MaxLifetime.TotalSeconds;
            var expires = Math.Min(now + (long)options.Value.IdleTimeout.TotalSeconds, hardLimit);
            session = session with { LastActivity = now, Expires = expires };
            await Guard(() => db.StringSetAsync(SessionKey(id), JsonSerializer.Serialize(session), TimeSpan.FromSeconds(Math.Max(1, expires - now))));
        }

        return session;
    }

    public async Task EndAsync(string token, Guid userId)
    {
        var id = SessionIdOf(token);
        await Guard(async () =>
        {
            var db = redis.GetDatabase();
            await db.KeyDeleteAsync(SessionKey(id));
            await db.SetRemoveAsync(UserSessionsKey(userId), id);
            return true;
        });
    }

    /// <summary>Ends every session of a user (deactivation).</summary>
    public async Task EndAllAsync(Guid userId)
    {
        await Guard(async () =>
        {
            var db = redis.GetDatabase();
            var ids = await db.SetMembersAsync(UserSessionsKey(userId));
            var keys = ids.Select(i => (RedisKey)SessionKey(i!)).Append(UserSessionsKey(userId)).ToArray();
            await db.KeyDeleteAsync(keys);
            return true;
        });
    }

    /// <summary>Whether this username has failed too often lately; how long until it may try again.</summary>
    public async Task<TimeSpan?> ThrottledForAsync(string username)
    {
        var db = redis.GetDatabase();
        var failures = await Guard(() => db.StringGetAsync(FailuresKey(username)));
        if (!failures.HasValue || (long)failures < options.Value.MaxFailedLogins)
        {
            return null;
        }

        return await Guard(() => db.KeyTimeToLiveAsync(FailuresKey(username))) ?? options.Value.FailureWindow;
    }

    public async Task RecordFailureAsync(string username)
    {
        var db = redis.GetDatabase();
        var count = await Guard(() => db.StringIncrementAsync(FailuresKey(username)));
        if (count == 1)
        {
            await Guard(() => db.KeyExpireAsync(FailuresKey(username), options.Value.FailureWindow));
        }
    }

    public Task ClearFailuresAsync(string username) => Guard(() => redis.GetDatabase().KeyDeleteAsync(FailuresKey(username)));

    private static async Task<T> Guard<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new SessionStoreUnavailableException(ex);
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
