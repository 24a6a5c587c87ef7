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

    /// <summary>
    /// Sessions read from Redis are kept in the process and dropped the moment Redis says they changed (client tracking,
    /// see <see cref="SessionCache"/>); false reads Redis on every request.
    /// </summary>
    public bool LocalCache { get; set; } = true;

    /// <summary>How often the invalidation connection asks Redis whether it is still there; silent for four of these, the cache stops answering.</summary>
    public TimeSpan InvalidationHeartbeat { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Password checks for one account within <see cref="FailureWindow"/> before it is locked (a successful sign-in
    /// starts the count again).
    /// </summary>
    public int MaxFailedLogins { get; set; } = 5;

    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Sign-in attempts one client address may make within <see cref="ClientLoginWindow"/> (a sliding window).</summary>
    public int ClientLoginLimit { get; set; } = 20;

    public TimeSpan ClientLoginWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Password hashes computed at once, whoever asks (PBKDF2 is CPU work: the rest of the API keeps the other cores).</summary>
    public int MaxConcurrentPasswordHashes { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Requests waiting for a hash slot; beyond this they get 503 with <c>Retry-After</c>.</summary>
    public int PasswordHashQueueLimit { get; set; } = 64;
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
/// can be ended when the user changes (role, password, status).
/// </summary>
public sealed class SessionStore(IConnectionMultiplexer redis, IOptions<SessionOptions> options, TimeProvider time, SessionCache? cache = null)
{
    private const string SessionPrefix = "session:";

    /// <summary>
    /// Ends the sessions listed for a user, all but ARGV[1] (empty: all), in one step: a session created meanwhile is
    /// either listed before the script runs (and ended) or after it (and checked by the login against the user's row).
    /// The session keys are built from the list, so this needs a single Redis (not a cluster), as the design has.
    /// </summary>
    private const string EndSessionsScript = """
        local ended = 0
        for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          if id ~= ARGV[1] then
            ended = ended + redis.call('DEL', ARGV[2] .. id)
            redis.call('SREM', KEYS[1], id)
          end
        end
        return ended
        """;

    public static string SessionKey(string sessionId) => SessionPrefix + sessionId;

    public static string UserSessionsKey(Guid userId) => $"user:{userId}:sessions";

    /// <summary>The session id for a token: what Redis stores, never the token itself.</summary>
    public static string SessionIdOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public async Task<(string Token, Session Session)> CreateAsync(Guid userId, string role)
    {
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var instant = time.GetUtcNow();
        var now = instant.ToUnixTimeSeconds();
        var expires = SecondAtOrAfter(instant + options.Value.IdleTimeout);
        var session = new Session(userId, role, now, expires, now, Permissions.For(role));
        var id = SessionIdOf(token);
        await Guard(async () =>
        {
            var batch = redis.GetDatabase().CreateTransaction();
            _ = batch.StringSetAsync(SessionKey(id), JsonSerializer.Serialize(session, SessionJson.Default.Session), Until(expires, instant));
            _ = batch.SetAddAsync(UserSessionsKey(userId), id);
            _ = batch.KeyExpireAsync(UserSessionsKey(userId), options.Value.MaxLifetime);
            await batch.ExecuteAsync();
            return true;
        });
        return (token, session);
    }

    /// <summary>
    /// The live session for a token, extended by this activity (sliding up to the maximum lifetime), or null when it
    /// does not exist or has expired. Answered from <see cref="SessionCache"/> when it can vouch for the session,
    /// otherwise read from Redis.
    /// </summary>
    public async Task<Session?> GetAndTouchAsync(string token)
    {
        var id = SessionIdOf(token);
        var db = redis.GetDatabase();
        Session? session = null;
        if (cache is null || !cache.TryGet(id, out session))
        {
            var generation = cache?.Generation ?? 0;
            var value = await Guard(() => db.StringGetAsync(SessionKey(id)));
            if (!value.HasValue)
            {
                return null;
            }

            session = JsonSerializer.Deserialize((string)value!, SessionJson.Default.Session)!;
            cache?.Store(id, session, generation);
        }

        var instant = time.GetUtcNow();
        var now = instant.ToUnixTimeSeconds();
        if (session.Expires <= now)
        {
            cache?.Forget(id);
            await Guard(() => db.KeyDeleteAsync(SessionKey(id)));
            return null;
        }

        if (now - session.LastActivity >= options.Value.ActivityResolution.TotalSeconds)
        {
            var hardLimit = session.Created + (long)options.Value.MaxLifetime.TotalSeconds;
            var expires = Math.Min(SecondAtOrAfter(instant + options.Value.IdleTimeout), hardLimit);
            var touched = session with { LastActivity = now, Expires = expires };
            // SET … XX: only while the key still exists. A session ended since the GET above stays ended; a refresh
            // must never write it back. (The write invalidates the cached copy everywhere, this one included.)
            var written = await Guard(() => db.StringSetAsync(
                SessionKey(id), JsonSerializer.Serialize(touched, SessionJson.Default.Session), Until(expires, instant), When.Exists));
            if (!written)
            {
                cache?.Forget(id);
                return null;
            }

            session = touched;
        }

        return session;
    }

    public async Task EndAsync(string token, Guid userId)
    {
        var id = SessionIdOf(token);
        await Guard(async () =>
        {
            var db = redis.GetDatabase();
            cache?.Forget(id);
            await db.KeyDeleteAsync(SessionKey(id));
            // Also what makes the end of the session reach every instance at once: Redis wrote the invalidation of the key
            // to their sockets before it answers this second command (see SessionCache).
            await db.SetRemoveAsync(UserSessionsKey(userId), id);
            return true;
        });
    }

    /// <summary>Ends every session of a user (role change, password reset, deactivation); returns how many were live.</summary>
    public Task<long> EndAllAsync(Guid userId) => EndSessionsAsync(userId, keep: string.Empty);

    /// <summary>Ends every session of a user but one (your own password change keeps the session that made it).</summary>
    public Task<long> EndAllButAsync(Guid userId, string keepSessionId) => EndSessionsAsync(userId, keepSessionId);

    private Task<long> EndSessionsAsync(Guid userId, string keep) => Guard(async () =>
    {
        var db = redis.GetDatabase();
        var ended = (long)await db.ScriptEvaluateAsync(EndSessionsScript, [UserSessionsKey(userId)], [keep, SessionPrefix]);
        // Redis wrote the invalidations of the ended sessions to every instance's socket before it answers this: once
        // the change is answered, no instance serves them again (see SessionCache).
        await db.PingAsync();
        return ended;
    });

    /// <summary>
    /// Any failure to reach Redis as one exception, so callers fail closed. A connection dying under a command can
    /// also surface as a cancelled task (no caller token is ever passed to Redis here, so a cancellation is Redis's).
    /// </summary>
    internal static async Task<T> Guard<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            throw new SessionStoreUnavailableException(ex);
        }
    }

    /// <summary>
    /// The design keeps Unix seconds: an expiry is rounded up to a whole second, so an idle timeout is never cut short
    /// by the fraction of the second in which the session was last used.
    /// </summary>
    private static long SecondAtOrAfter(DateTimeOffset instant) => (long)Math.Ceiling(instant.ToUnixTimeMilliseconds() / 1000.0);

    /// <summary>The key's time to live: until <paramref name="expires"/> (at least a millisecond, as Redis requires).</summary>
    private static TimeSpan Until(long expires, DateTimeOffset instant) =>
        TimeSpan.FromMilliseconds(Math.Max(1, (DateTimeOffset.FromUnixTimeSeconds(expires) - instant).TotalMilliseconds));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>The session's JSON, generated at build time (read on every request that misses the local cache).</summary>
[JsonSerializable(typeof(Session))]
internal sealed partial class SessionJson : JsonSerializerContext;
