using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Dapper;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace DrAssistant.Api.Tests.Auth;

public sealed class AuthenticationTests(ApiFactory api, ITestOutputHelper output) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task LoginGivesATokenThatOpensTheApiAndLogoutClosesIt()
    {
        var (id, username) = await UserAsync("nurse");

        var login = await (await Anonymous().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password })).JsonAsync();
        var client = WithToken(login.GetProperty("token").GetString()!);
        var me = await (await client.GetAsync("/api/auth/me")).JsonAsync();
        var logout = await client.PostAsync("/api/auth/logout", null);
        var afterLogout = await client.GetAsync("/api/auth/me");

        Assert.True(login.GetProperty("expiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(25));
        Assert.Equal(id, me.GetProperty("user").GetProperty("id").GetGuid());
        Assert.Equal("nurse", me.GetProperty("role").GetString());
        Assert.Contains("read:patients", me.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterLogout.StatusCode);
    }

    [Fact]
    public async Task TheSessionIsStoredUnderTheDesignsKeyWithUnixTimesAndPermissions()
    {
        var (id, username) = await UserAsync("receptionist");
        var token = (await (await Anonymous().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password })).JsonAsync())
            .GetProperty("token").GetString()!;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(api.RedisConnectionString);

        var stored = System.Text.Json.JsonDocument.Parse(
            (string)(await redis.GetDatabase().StringGetAsync($"session:{DrAssistant.Api.Auth.SessionStore.SessionIdOf(token)}"))!).RootElement;
        var ttl = await redis.GetDatabase().KeyTimeToLiveAsync($"session:{DrAssistant.Api.Auth.SessionStore.SessionIdOf(token)}");

        Assert.Equal(id, stored.GetProperty("userId").GetGuid());
        Assert.Equal("receptionist", stored.GetProperty("role").GetString());
        Assert.InRange(stored.GetProperty("created").GetInt64(), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.True(stored.GetProperty("expires").GetInt64() > stored.GetProperty("created").GetInt64());
        Assert.True(stored.TryGetProperty("lastActivity", out _));
        Assert.DoesNotContain("read:encounters", stored.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
        Assert.True(ttl > TimeSpan.Zero);
        // Redis holds a digest of the token, never the token itself.
        Assert.False(await redis.GetDatabase().KeyExistsAsync($"session:{token}"));
    }

    [Fact]
    public async Task LoginRecordsTheLastLogin()
    {
        var (id, username) = await UserAsync("doctor");

        await Anonymous().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password });

        await using var connection = await api.Db.OpenConnectionAsync();
        var last = await connection.ExecuteScalarAsync<DateTime?>("SELECT last_login_at FROM users WHERE id = @id", new { id });
        Assert.True(last > DateTime.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public async Task AWrongUsernameAndAWrongPasswordGetTheSame401InSimilarTime()
    {
        var (_, username) = await UserAsync("doctor");
        var client = Anonymous();

        var wrongPassword = await client.PostJsonAsync("/api/auth/login", new { username, password = "not the password" });
        var unknownUser = await client.PostJsonAsync("/api/auth/login", new { username = $"nobody{Guid.NewGuid():N}"[..20], password = "not the password" });
        var unknownUserTimes = new List<double>();
        var wrongPasswordTimes = new List<double>();
        // 15 pairs, interleaved so that whatever else the machine does (2 shared cores) falls on both kinds alike, after
        // the two calls above have warmed both paths up. Compared by their medians, which a few stalled requests cannot move.
        for (var i = 0; i < TimingSamples; i++)
        {
            unknownUserTimes.Add(await TimeAsync(() => client.PostJsonAsync("/api/auth/login", new { username = $"timing{i}{Guid.NewGuid():N}"[..20], password = "x" })));
            // A fresh user each time, so the throttle never answers instead.
            var (_, name) = await UserAsync("nurse");
            wrongPasswordTimes.Add(await TimeAsync(() => client.PostJsonAsync("/api/auth/login", new { username = name, password = "wrong" })));
        }

        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownUser.StatusCode);
        Assert.Equal(WithoutTrace(await wrongPassword.Content.ReadAsStringAsync()), WithoutTrace(await unknownUser.Content.ReadAsStringAsync()));
        var (a, b) = (Median(unknownUserTimes), Median(wrongPasswordTimes));
        output.WriteLine($"{TimingSamples} samples each: unknown user median {a:0.0} ms, wrong password median {b:0.0} ms, ratio {Math.Min(a, b) / Math.Max(a, b):0.00}");
        // Both pay for one PBKDF2 verification (ASP.NET Core's PasswordHasher: 100,000 iterations of HMAC-SHA512, tens of
        // milliseconds), which is nearly all of a login's time; the rest (one indexed read, one Redis call) is a few
        // milliseconds. Without the decoy hash an unknown user skips the verification and answers ten or more times
        // faster (ratio under 0.1), so a tolerance of a factor 3 (ratio 0.33) still fails that leak every time while
        // leaving the medians of 15 samples ample room for scheduling noise.
        Assert.True(Math.Min(a, b) >= Math.Max(a, b) / 3, $"unknown user {a:0.0} ms, wrong password {b:0.0} ms");
    }

    private const int TimingSamples = 15;

    [Fact]
    public async Task RepeatedFailuresForOneUsernameAreThrottledEvenWithTheRightPassword()
    {
        var (_, username) = await UserAsync("doctor");
        var (_, other) = await UserAsync("doctor");
        var client = Anonymous();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostJsonAsync("/api/auth/login", new { username, password = "guess" + i })).StatusCode);
        }

        var throttled = await client.PostJsonAsync("/api/auth/login", new { username, password = Seed.Password });
        var otherUser = await client.PostJsonAsync("/api/auth/login", new { username = other, password = Seed.Password });

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal(HttpStatusCode.OK, otherUser.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer")]
    [InlineData("Bearer forged-token-0123456789")]
    [InlineData("Basic dXNlcjpwYXNz")]
    public async Task ARequestWithoutALiveSessionIs401WithProblemDetails(string? authorization)
    {
        var client = Anonymous();
        if (authorization is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        var response = await client.GetAsync("/api/patients?query=a");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task HealthNeedsNoSession()
    {
        // The OpenAPI document needs none either where it is served (Development, or Api:ExposeOpenApi): SecurityHeadersTests.
        Assert.Equal(HttpStatusCode.OK, (await Anonymous().GetAsync("/alive")).StatusCode);
    }

    [Fact]
    public async Task ADeactivatedUserLosesEverySessionAndCannotSignInAgain()
    {
        var (id, username) = await UserAsync("nurse");
        var first = WithToken(await TokenAsync(username));
        var second = WithToken(await TokenAsync(username));
        var (_, admin) = await api.NewClientAsync("admin");

        var deactivated = await admin.PutJsonAsync($"/api/users/{id}", new
        {
            username, email = $"{username}@clinic.example", fullName = "Nurse", role = "nurse", status = "inactive",
        });

        Assert.Equal(HttpStatusCode.OK, deactivated.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await first.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Anonymous().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password })).StatusCode);
    }

    [Fact]
    public async Task ThePasswordHashNeverAppearsInAnyResponse()
    {
        var (id, username) = await UserAsync("admin");
        string hash;
        await using (var connection = await api.Db.OpenConnectionAsync())
        {
            hash = await connection.ExecuteScalarAsync<string>("SELECT password_hash FROM users WHERE id = @id", new { id }) ?? throw new InvalidOperationException("no hash");
        }

        var login = await Anonymous().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password });
        var admin = WithToken((await login.JsonAsync()).GetProperty("token").GetString()!);
        var created = await admin.PostJsonAsync("/api/users", new
        {
            username = $"new{Guid.NewGuid():N}"[..16], email = $"{Guid.NewGuid():N}@clinic.example", fullName = "N", role = "nurse", password = "a fine password",
        });

        var bodies = new List<string>
        {
            await login.Content.ReadAsStringAsync(),
            await created.Content.ReadAsStringAsync(),
            await (await admin.GetAsync("/api/auth/me")).Content.ReadAsStringAsync(),
            await (await admin.GetAsync($"/api/users/{id}")).Content.ReadAsStringAsync(),
            await (await admin.GetAsync("/api/users?pageSize=100")).Content.ReadAsStringAsync(),
        };

        Assert.All(bodies, body =>
        {
            Assert.DoesNotContain(hash, body, StringComparison.Ordinal);
            Assert.DoesNotContain("passwordHash", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("password_hash", body, StringComparison.OrdinalIgnoreCase);
        });
    }

    private async Task<(Guid Id, string Username)> UserAsync(string role)
    {
        var id = await api.Seed.UserAsync(role);
        await using var connection = await api.Db.OpenConnectionAsync();
        return (id, await connection.ExecuteScalarAsync<string>("SELECT username FROM users WHERE id = @id", new { id }) ?? "");
    }

    private async Task<string> TokenAsync(string username) =>
        (await (await Anonymous().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password })).JsonAsync()).GetProperty("token").GetString()!;

    private HttpClient Anonymous() => api.CreateClient();

    private HttpClient WithToken(string token)
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<double> TimeAsync(Func<Task<HttpResponseMessage>> call)
    {
        var clock = Stopwatch.StartNew();
        (await call()).Dispose();
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>The body without its per-request trace id.</summary>
    private static string WithoutTrace(string body) =>
        string.Join(',', System.Text.Json.JsonDocument.Parse(body).RootElement.EnumerateObject().Where(p => p.Name != "traceId").Select(p => $"{p.Name}={p.Value}"));

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
