using System.Threading.RateLimiting;
using DrAssistant.Api.Users;

namespace DrAssistant.Api.Auth;

/// <summary>Every hash slot and queue place is taken: the caller answers 503 with <c>Retry-After</c>.</summary>
public sealed class PasswordHashingBusyException() : Exception("Too many password checks are waiting.");

/// <summary>
/// The one gate to PBKDF2 for requests: at most <see cref="SessionOptions.MaxConcurrentPasswordHashes"/> hashes at
/// once in this process, the rest queued (oldest first) up to <see cref="SessionOptions.PasswordHashQueueLimit"/>.
/// Sign-in floods then cost a bounded share of the CPU, and the rest of the API keeps answering.
/// </summary>
public sealed class PasswordHashing : IDisposable
{
    private readonly ConcurrencyLimiter _limiter;

    public PasswordHashing(IOptions<SessionOptions> options)
    {
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = Math.Max(1, options.Value.MaxConcurrentPasswordHashes),
            QueueLimit = Math.Max(0, options.Value.PasswordHashQueueLimit),
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    public Task<bool> VerifyAsync(string hash, string password, CancellationToken cancellationToken) =>
        RunAsync(() => Passwords.Verify(hash, password), cancellationToken);

    public Task<string> HashAsync(string password, CancellationToken cancellationToken) =>
        RunAsync(() => Passwords.Hash(password), cancellationToken);

    private async Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        using var lease = await _limiter.AcquireAsync(1, cancellationToken);
        if (!lease.IsAcquired)
        {
            throw new PasswordHashingBusyException();
        }

        return work();
    }

    public void Dispose() => _limiter.Dispose();
}
