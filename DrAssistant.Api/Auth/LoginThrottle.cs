using StackExchange.Redis;

namespace DrAssistant.Api.Auth;

/// <summary>
/// Password checks per account: <c>login-failures:{username}</c> (the username trimmed and case-folded) counts every
/// check <em>before</em> it is made, in one Redis script (increment, start the window on the first, compare), so of N
/// attempts at once at most <see cref="SessionOptions.MaxFailedLogins"/> are ever checked, whatever their order. Once
/// there, even the right password waits for the window to pass (or for an administrator to unlock the account). A
/// successful check starts the count again.
/// </summary>
/// <remarks>
/// Only accounts that exist are counted: a username nobody has makes no key (the per-client rate limit is what slows
/// down guessing those), yet costs the same round trip, so unknown and known usernames answer in similar time and
/// both fail closed when Redis is down.
/// </remarks>
public sealed class LoginThrottle(IConnectionMultiplexer redis, IOptions<SessionOptions> options)
{
    // KEYS[1] the account's counter; ARGV[1] limit, ARGV[2] window (ms), ARGV[3] '1' to count, '0' for a username
    // nobody has (read only). Returns 0 when the password may be checked, else the milliseconds until it may.
    private const string CountScript = """
        if ARGV[3] ~= '1' then
          redis.call('EXISTS', KEYS[1])
          return 0
        end
        local count = redis.call('INCR', KEYS[1])
        local ttl = redis.call('PTTL', KEYS[1])
        if count == 1 or ttl < 0 then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          ttl = tonumber(ARGV[2])
        end
        if count > tonumber(ARGV[1]) then
          return ttl
        end
        return 0
        """;

    // An attempt counted but never checked (no hash slot free) is given back, so a busy server locks nobody out.
    private const string RefundScript = """
        if redis.call('GET', KEYS[1]) and tonumber(redis.call('GET', KEYS[1])) > 0 then
          redis.call('DECR', KEYS[1])
        end
        return 0
        """;

    public static string Normalize(string username) => username.Trim().ToLowerInvariant();

    public static string Key(string username) => $"login-failures:{Normalize(username)}";

    /// <summary>
    /// Counts one password check for this username, atomically; null when it may be made now, else how long until it
    /// may. <paramref name="accountExists"/> false counts nothing.
    /// </summary>
    public async Task<TimeSpan?> CountAttemptAsync(string username, bool accountExists)
    {
        var settings = options.Value;
        var wait = (long)await SessionStore.Guard(() => redis.GetDatabase().ScriptEvaluateAsync(CountScript, [Key(username)],
            [settings.MaxFailedLogins, (long)settings.FailureWindow.TotalMilliseconds, accountExists ? "1" : "0"]));
        return wait > 0 ? TimeSpan.FromMilliseconds(wait) : null;
    }

    /// <summary>Gives back an attempt that was counted but whose password was never checked.</summary>
    public Task RefundAsync(string username) =>
        SessionStore.Guard(() => redis.GetDatabase().ScriptEvaluateAsync(RefundScript, [Key(username)]));

    /// <summary>A successful check, or an administrator's unlock: the count starts again.</summary>
    public Task ResetAsync(string username) => SessionStore.Guard(() => redis.GetDatabase().KeyDeleteAsync(Key(username)));
}
