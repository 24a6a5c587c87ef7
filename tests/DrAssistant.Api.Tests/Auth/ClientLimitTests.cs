using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace DrAssistant.Api.Tests.Auth;

/// <summary>
/// The per-client sign-in limit: one address over it gets 429 while others sign in. The test server has no network,
/// so a test-only startup filter gives each request the address named in <see cref="ClientAddressFilter.Header"/>
/// (the API itself trusts no such header).
/// </summary>
public sealed class ClientLimitTests(ClientLimitTests.FiveAttemptsAMinute api, ITestOutputHelper output) : IClassFixture<ClientLimitTests.FiveAttemptsAMinute>
{
    [Fact]
    public async Task AClientOverItsLimitGets429WhileAnotherClientSignsInNormally()
    {
        var doctor = await api.Seed.DoctorAsync();
        var username = await UsernameAsync(doctor);
        var gate = new TaskCompletionSource();
        // Unknown usernames: only the per-client limit can stop these (no account to lock).
        var flood = Enumerable.Range(0, 20).Select(async i =>
        {
            var client = From("203.0.113.7");
            await gate.Task;
            return await client.PostJsonAsync("/api/auth/login", new { username = $"guess{i}{Guid.NewGuid():N}"[..20], password = "guess" });
        }).ToList();
        var colleague = Task.Run(async () =>
        {
            var client = From("198.51.100.20");
            await gate.Task;
            return await client.PostJsonAsync("/api/auth/login", new { username, password = Seed.Password });
        });

        gate.SetResult();
        var answers = await Task.WhenAll(flood);
        var signedIn = await colleague;
        var afterwards = await From("203.0.113.7").PostJsonAsync("/api/auth/login", new { username, password = Seed.Password });

        var limited = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        output.WriteLine($"one client, 20 attempts at once (limit 5 a minute): {answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized)} × 401, {limited.Count} × 429; another client: {(int)signedIn.StatusCode}");
        Assert.Equal(15, limited.Count);
        Assert.Equal(5, answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized));
        Assert.All(limited, a => Assert.True(a.Headers.RetryAfter?.Delta > TimeSpan.Zero, "429 without Retry-After"));
        Assert.Equal("application/problem+json", limited[0].Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        // The right password from the limited address waits too: the limit is on the address, not on the password.
        Assert.Equal(HttpStatusCode.TooManyRequests, afterwards.StatusCode);
    }

    [Fact]
    public async Task AnIPv6ClientIsLimitedByItsSlash64()
    {
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 7; i++)
        {
            // A host owning a /64 changes its last 64 bits at will.
            var client = From($"2001:db8:1:2::{i + 1:x}");
            answers.Add((await client.PostJsonAsync("/api/auth/login", new { username = $"v6guess{i}{Guid.NewGuid():N}"[..20], password = "guess" })).StatusCode);
        }

        var otherNetwork = await From("2001:db8:1:3::1").PostJsonAsync("/api/auth/login", new { username = $"v6other{Guid.NewGuid():N}"[..20], password = "guess" });

        Assert.Equal(5, answers.Count(a => a == HttpStatusCode.Unauthorized));
        Assert.Equal(2, answers.Count(a => a == HttpStatusCode.TooManyRequests));
        Assert.Equal(HttpStatusCode.Unauthorized, otherNetwork.StatusCode);
    }

    private HttpClient From(string address)
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Add(ClientAddressFilter.Header, address);
        return client;
    }

    private async Task<string> UsernameAsync(Guid id)
    {
        await using var connection = await api.Db.OpenConnectionAsync();
        return await Dapper.SqlMapper.ExecuteScalarAsync<string>(connection, "SELECT username FROM users WHERE id = @id", new { id }) ?? "";
    }

    public sealed class FiveAttemptsAMinute : ApiFactory
    {
        protected override Dictionary<string, string?> Settings => new()
        {
            ["Sessions:ClientLoginLimit"] = "5",
            ["Sessions:ClientLoginWindow"] = "00:01:00",
        };

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, ClientAddressFilter>());
        }
    }
}

/// <summary>
/// The password-hashing gate: with one hash at a time and two waiting, a burst from many addresses gets quick 503s
/// with <c>Retry-After</c> for the rest, never a 500, and the API keeps answering.
/// </summary>
public sealed class HashingLimitTests(HashingLimitTests.OneHashAtATime api, ITestOutputHelper output) : IClassFixture<HashingLimitTests.OneHashAtATime>
{
    [Fact]
    public async Task ABurstOfSignInsBeyondTheHashingQueueIs503WithRetryAfter()
    {
        var gate = new TaskCompletionSource();
        var burst = Enumerable.Range(0, 24).Select(async i =>
        {
            var client = api.CreateClient();
            client.DefaultRequestHeaders.Add(ClientAddressFilter.Header, $"192.0.2.{i + 1}");
            await gate.Task;
            return await client.PostJsonAsync("/api/auth/login", new { username = $"burst{i}{Guid.NewGuid():N}"[..20], password = "guess" });
        }).ToList();

        gate.SetResult();
        var answers = await Task.WhenAll(burst);

        var busy = answers.Where(a => a.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        var checkedCount = answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized);
        output.WriteLine($"24 sign-ins at once, 1 hash at a time and 2 waiting: {checkedCount} checked (401), {busy.Count} busy (503), others {answers.Length - checkedCount - busy.Count}");
        Assert.Equal(answers.Length, checkedCount + busy.Count);
        Assert.NotEmpty(busy);
        Assert.InRange(checkedCount, 3, 23);
        Assert.All(busy, a => Assert.True(a.Headers.RetryAfter?.Delta > TimeSpan.Zero, "503 without Retry-After"));
    }

    public sealed class OneHashAtATime : ApiFactory
    {
        protected override Dictionary<string, string?> Settings => new()
        {
            ["Sessions:MaxConcurrentPasswordHashes"] = "1",
            ["Sessions:PasswordHashQueueLimit"] = "2",
        };

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, ClientAddressFilter>());
        }
    }
}

/// <summary>Test only: the request's client address from a header, as a real connection would give it.</summary>
public sealed class ClientAddressFilter : IStartupFilter
{
    public const string Header = "X-Test-Client-Address";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (IPAddress.TryParse(context.Request.Headers[Header].ToString(), out var address))
            {
                context.Connection.RemoteIpAddress = address;
            }

            return nextMiddleware(context);
        });
        next(app);
    };
}

/// <summary>A locked account unlocks by itself when its window ends (a short window here).</summary>
public sealed class LockExpiryTests(LockExpiryTests.ShortWindow api) : IClassFixture<LockExpiryTests.ShortWindow>
{
    [Fact]
    public async Task ALockedAccountSignsInAgainOnceItsWindowHasPassed()
    {
        var doctor = await api.Seed.DoctorAsync();
        await using var connection = await api.Db.OpenConnectionAsync();
        var username = await Dapper.SqlMapper.ExecuteScalarAsync<string>(connection, "SELECT username FROM users WHERE id = @doctor", new { doctor });
        // At once, so the five fit in the window however slow the machine.
        await Task.WhenAll(Enumerable.Range(0, 5).Select(i => api.CreateClient().PostJsonAsync("/api/auth/login", new { username, password = $"guess {i}" })));

        var locked = await api.CreateClient().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password });
        var retryAfter = locked.Headers.RetryAfter?.Delta ?? TimeSpan.Zero;
        await Task.Delay(retryAfter + TimeSpan.FromSeconds(0.5));
        var later = await api.CreateClient().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password });

        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(6));
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
    }

    public sealed class ShortWindow : ApiFactory
    {
        protected override Dictionary<string, string?> Settings => new() { ["Sessions:FailureWindow"] = "00:00:06" };
    }
}
