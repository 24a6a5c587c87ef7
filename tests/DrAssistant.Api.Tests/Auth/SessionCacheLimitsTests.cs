using System.Net;
using DrAssistant.Api.Auth;
using DrAssistant.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace DrAssistant.Api.Tests.Auth;

/// <summary>
/// Where the local session cache cannot vouch for a session it does not answer: a Redis that refuses client tracking
/// (an ACL without <c>CLIENT TRACKING</c>) leaves every lookup to Redis, and a Redis that stops answering (frozen) stops
/// the cache within four heartbeats, after which sessions fail closed as they always did. On Redis servers of their own.
/// </summary>
public sealed class SessionCacheLimitsTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task ARedisThatRefusesClientTrackingLeavesEveryLookupToRedisAndSessionsStillWork()
    {
        await using var redis = await RedisServer.StartDedicatedAsync();
        await using (var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            // Everything but client tracking, behind a password.
            await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", "api", "on", ">api secret", "~*", "&*", "+@all", "-client|tracking");
        }

        await using var api = new OnRedis($"{redis.ConnectionString},user=api,password=api secret");
        await api.InitializeAsync();
        var cache = api.Services.GetRequiredService<SessionCache>();
        var (_, client) = await api.NewClientAsync("nurse");

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            answers.Add((await client.GetAsync("/api/auth/me")).StatusCode);
            await Task.Delay(100);
        }

        var logout = await client.PostAsync("/api/auth/logout", null);
        var after = await client.GetAsync("/api/auth/me");

        output.WriteLine($"answers {string.Join(", ", answers)}; cache live {cache.IsLive}, hits/misses {cache.Counts}");
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a));
        Assert.False(cache.IsLive);
        Assert.Equal(0, cache.Counts.Hits);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [SkippableFact]
    public async Task AFrozenRedisStopsTheCacheWithinFourHeartbeatsAndSessionsFailClosedUntilItAnswersAgain()
    {
        await using var redis = await RedisServer.StartDedicatedAsync();
        await using var api = new OnRedis(redis.ConnectionString, heartbeat: "00:00:00.050");
        await api.InitializeAsync();
        var cache = api.Services.GetRequiredService<SessionCache>();
        await WaitAsync(() => cache.IsLive);
        var (_, client) = await api.NewClientAsync("nurse");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/auth/me")).StatusCode);
        var hits = cache.Counts.Hits;
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/auth/me")).StatusCode);
        Assert.True(cache.Counts.Hits > hits, "the session was not answered from the cache");

        HttpStatusCode whileFrozen;
        bool liveWhileFrozen;
        await redis.FreezeAsync();
        try
        {
            // Four heartbeats are 200 ms; a Redis that sends nothing (not even the heartbeat's answer) is not trusted.
            await Task.Delay(600);
            liveWhileFrozen = cache.IsLive;
            whileFrozen = (await client.GetAsync("/api/auth/me")).StatusCode;
        }
        finally
        {
            await redis.ThawAsync();
        }

        await WaitAsync(() => cache.IsLive);
        var thawed = (await client.GetAsync("/api/auth/me")).StatusCode;

        output.WriteLine($"frozen: cache live {liveWhileFrozen}, request {whileFrozen}; thawed: {thawed}; hits/misses {cache.Counts}");
        Assert.False(liveWhileFrozen);
        Assert.Equal(HttpStatusCode.Unauthorized, whileFrozen);
        Assert.Equal(HttpStatusCode.OK, thawed);
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "the condition did not hold within 30 s");
            await Task.Delay(50);
        }
    }

    private sealed class OnRedis(string redis, string? heartbeat = null) : ApiFactory
    {
        protected override Dictionary<string, string?> Settings => heartbeat is null ? [] : new() { ["Sessions:InvalidationHeartbeat"] = heartbeat };

        public override Task InitializeAsync()
        {
            RedisConnectionString = redis;
            return base.InitializeAsync();
        }
    }
}
