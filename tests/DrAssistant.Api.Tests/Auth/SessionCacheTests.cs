using System.Net;
using System.Net.Http.Headers;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace DrAssistant.Api.Tests.Auth;

/// <summary>
/// Two API instances over one database and one Redis, each keeping the sessions it read (SessionCache). A session ended
/// anywhere (by the other instance, or straight in Redis) is refused by both on their very next request; an instance
/// whose invalidation connection is lost reads Redis again.
/// <para>
/// Each test first shows that the instance under test answered the session from its own cache (its hit count rose):
/// without the invalidation, its next request would be answered from there too (200), which is what each test refuses.
/// Checked against broken builds: with invalidation messages ignored, the logout, deletion, change and refresh tests
/// fail; with a closed connection taken for a quiet one, the dropped-connection test fails; with the lookup trusting the
/// listener thread to have drained the socket (no drain of its own), the 20 logouts failed in one run of three.
/// </para>
/// </summary>
public sealed class SessionCacheTests(ApiFactory api, ITestOutputHelper output) : IClassFixture<ApiFactory>, IAsyncLifetime
{
    private WebApplicationFactory<Program> _peer = null!;

    public async Task InitializeAsync()
    {
        // A second host of the same application: its own services (its own SessionCache and invalidation connection),
        // the same database and Redis.
        _peer = api.WithWebHostBuilder(_ => { });
        _peer.CreateClient().Dispose();
        await LiveAsync(api);
        await LiveAsync(_peer);
    }

    public async Task DisposeAsync() => await _peer.DisposeAsync();

    [Fact]
    public async Task ALogoutOnOneInstanceIsRefusedByTheOtherOnItsVeryNextRequest()
    {
        const int rounds = 20;
        var refused = 0;
        for (var round = 0; round < rounds; round++)
        {
            var token = await TokenAsync(await api.Seed.UserAsync("nurse"));
            var here = Client(api, token);
            var there = Client(_peer, token);
            await ServedFromCacheAsync(_peer, there);

            var logout = await here.PostAsync("/api/auth/logout", null);

            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
            var next = await there.GetAsync("/api/auth/me");
            refused += next.StatusCode == HttpStatusCode.Unauthorized ? 1 : 0;
            Assert.Equal(HttpStatusCode.Unauthorized, (await here.GetAsync("/api/auth/me")).StatusCode);
        }

        output.WriteLine($"{rounds} logouts on one instance: the other refused the token on its next request {refused} times; " +
                         $"peer cache hits/misses {_peer.Services.GetRequiredService<SessionCache>().Counts}");
        Assert.Equal(rounds, refused);
    }

    [Fact]
    public async Task ASessionDeletedStraightInRedisIsRefusedAtOnceByBothInstances()
    {
        var token = await TokenAsync(await api.Seed.UserAsync("doctor"));
        var here = Client(api, token);
        var there = Client(_peer, token);
        await ServedFromCacheAsync(api, here);
        await ServedFromCacheAsync(_peer, there);

        Assert.True(await RedisAsync().KeyDeleteAsync(SessionStore.SessionKey(SessionStore.SessionIdOf(token))));

        Assert.Equal(HttpStatusCode.Unauthorized, (await there.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await here.GetAsync("/api/auth/me")).StatusCode);
    }

    [Theory]
    [InlineData("role")]
    [InlineData("status")]
    [InlineData("password")]
    public async Task AChangeOfTheUserOnOneInstanceEndsTheirSessionsOnTheOtherAtOnce(string change)
    {
        var user = await api.Seed.UserAsync("doctor");
        var token = await TokenAsync(user);
        var there = Client(_peer, token);
        await ServedFromCacheAsync(_peer, there);
        var (_, admin) = await api.NewClientAsync("admin");
        var username = await UsernameAsync(user);

        var changed = change switch
        {
            "role" => await admin.PutJsonAsync($"/api/users/{user}", Profile(username, "nurse", "active")),
            "status" => await admin.PutJsonAsync($"/api/users/{user}", Profile(username, "doctor", "inactive")),
            _ => await admin.PutJsonAsync($"/api/users/{user}/password", new { password = "a reset secret 1" }),
        };

        Assert.True(changed.IsSuccessStatusCode, $"{(int)changed.StatusCode}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await there.GetAsync("/api/auth/me")).StatusCode);
    }

    [Fact]
    public async Task AnInstanceWhoseInvalidationConnectionDropsReadsRedisAgainAndComesBack()
    {
        var token = await TokenAsync(await api.Seed.UserAsync("nurse"));
        var there = Client(_peer, token);
        var cache = _peer.Services.GetRequiredService<SessionCache>();
        await ServedFromCacheAsync(_peer, there);

        // Cut the peer's invalidation connection, then end the session behind its back: no invalidation can reach it.
        var killed = await KillAsync(cache.ConnectionName);
        await RedisAsync().KeyDeleteAsync(SessionStore.SessionKey(SessionStore.SessionIdOf(token)));

        var next = await there.GetAsync("/api/auth/me");

        Assert.Equal(1, killed);
        Assert.Equal(HttpStatusCode.Unauthorized, next.StatusCode);
        // It reconnects by itself, starts empty, and answers from its cache again.
        await LiveAsync(_peer);
        await ServedFromCacheAsync(_peer, Client(_peer, await TokenAsync(await api.Seed.UserAsync("nurse"))));
    }

    [Fact]
    public async Task ASessionRefreshedByActivityOnOneInstanceIsReadAfreshByTheOther()
    {
        // The refresh (SET … XX) is a change of the key: the other instance drops its copy and reads the new one.
        var user = await api.Seed.UserAsync("nurse");
        var token = await TokenAsync(user);
        var there = Client(_peer, token);
        await ServedFromCacheAsync(_peer, there);
        var key = SessionStore.SessionKey(SessionStore.SessionIdOf(token));
        var stored = (string)(await RedisAsync().StringGetAsync(key))!;
        var older = System.Text.Json.JsonSerializer.Deserialize<Session>(stored)! with { LastActivity = 1 };
        await RedisAsync().StringSetAsync(key, System.Text.Json.JsonSerializer.Serialize(older), TimeSpan.FromMinutes(5));
        var (_, missesBefore) = _peer.Services.GetRequiredService<SessionCache>().Counts;

        Assert.Equal(HttpStatusCode.OK, (await there.GetAsync("/api/auth/me")).StatusCode);

        Assert.True(_peer.Services.GetRequiredService<SessionCache>().Counts.Misses > missesBefore);
        var refreshed = System.Text.Json.JsonSerializer.Deserialize<Session>((string)(await RedisAsync().StringGetAsync(key))!)!;
        Assert.True(refreshed.LastActivity > 1);
    }

    /// <summary>
    /// A request after the first is answered from the instance's cache (its hit count rises). On a loaded machine the
    /// cache may briefly not vouch (its tracking heartbeat late) and read Redis instead, which is correct, so it gets a
    /// few tries; what matters is that the session is cached before what the test does next.
    /// </summary>
    private static async Task ServedFromCacheAsync(WebApplicationFactory<Program> instance, HttpClient client)
    {
        var cache = instance.Services.GetRequiredService<SessionCache>();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/auth/me")).StatusCode);
        for (var attempt = 0; ; attempt++)
        {
            var before = cache.Counts.Hits;
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/auth/me")).StatusCode);
            if (cache.Counts.Hits > before)
            {
                return;
            }

            Assert.True(attempt < 20, "the session was not answered from the instance's cache in 20 tries");
            await Task.Delay(100);
        }
    }

    private static async Task LiveAsync(WebApplicationFactory<Program> instance)
    {
        var cache = instance.Services.GetRequiredService<SessionCache>();
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!cache.IsLive)
        {
            Assert.True(DateTime.UtcNow < until, "the session cache did not connect to Redis within 30 s");
            await Task.Delay(50);
        }
    }

    private async Task<long> KillAsync(string clientName)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(api.RedisConnectionString + ",allowAdmin=true");
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var client = (await server.ClientListAsync()).Single(c => c.Name == clientName);
        return await server.ClientKillAsync(id: client.Id);
    }

    private IDatabase RedisAsync() => api.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

    private async Task<string> UsernameAsync(Guid user)
    {
        await using var connection = await api.Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<string>("SELECT username FROM users WHERE id = @user", new { user }) ?? "";
    }

    private async Task<string> TokenAsync(Guid user)
    {
        var response = await api.CreateClient().PostJsonAsync("/api/auth/login", new { username = await UsernameAsync(user), password = Seed.Password });
        return (await response.JsonAsync()).GetProperty("token").GetString()!;
    }

    private static object Profile(string username, string role, string status) => new
    {
        username, email = $"{username}@clinic.example", fullName = "Test User", role, status,
    };

    private static HttpClient Client(WebApplicationFactory<Program> instance, string token)
    {
        var client = instance.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
