using System.Net;
using DrAssistant.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace DrAssistant.Api.Tests.Resilience;

/// <summary>
/// Stores stopped while requests flow, by tests that own the servers: the API answers 503 (never 500, never a hang past
/// its timeouts) or fails closed, and comes back by itself when the store does. Counts are printed in the test output.
/// </summary>
public sealed class OutageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task WhilePostgresIsDownTheApiAnswers503QuicklyAndRecoversByItself()
    {
        await using var api = new OwnStores(ownPostgres: true, ownRedis: false);
        await api.InitializeAsync();
        var (_, client) = await api.NewClientAsync("receptionist");
        var patient = await api.Seed.PatientAsync();
        await using var traffic = new Traffic(() => client, $"/api/patients/{patient}");
        await traffic.WaitForAsync(HttpStatusCode.OK, TimeSpan.Zero, Recovery);

        var down = traffic.Now;
        await api.Postgres!.StopAsync();
        await traffic.WaitForAsync(HttpStatusCode.ServiceUnavailable, down, Recovery);
        await Task.Delay(3000);
        var up = traffic.Now;
        await api.Postgres.StartAsync();
        var recovered = await traffic.WaitForAsync(HttpStatusCode.OK, up, Recovery);

        var during = traffic.Results.Where(r => r.At >= down && r.At < up).ToList();
        output.WriteLine($"PostgreSQL outage: {traffic.Summary()}; during the outage {traffic.Summary(down)}; recovered {(recovered - up).TotalSeconds:0.0} s after restart");
        Assert.DoesNotContain(traffic.Results, r => r.Status == HttpStatusCode.InternalServerError);
        Assert.Contains(during, r => r.Status == HttpStatusCode.ServiceUnavailable);
        // Bounded by the connect timeout (2 s here), not Npgsql's 15 s default.
        Assert.All(during, r => Assert.True(r.Latency < TimeSpan.FromSeconds(8), $"a request took {r.Latency}"));
    }

    [SkippableFact]
    public async Task WhileRedisIsDownSessionsFailClosedAndSignInWorksAgainWhenItReturns()
    {
        await using var api = new OwnStores(ownPostgres: false, ownRedis: true);
        await api.InitializeAsync();
        var (user, client) = await api.NewClientAsync("receptionist");
        var patient = await api.Seed.PatientAsync();
        await using var traffic = new Traffic(() => client, $"/api/patients/{patient}");
        await traffic.WaitForAsync(HttpStatusCode.OK, TimeSpan.Zero, Recovery);

        var down = traffic.Now;
        await api.Redis!.StopAsync();
        await traffic.WaitForAsync(HttpStatusCode.Unauthorized, down, Recovery);
        var login = await LoginAsync(api, user);
        var up = traffic.Now;
        await api.Redis.StartAsync();

        // Redis came back empty: the old session is gone, a new sign-in works without restarting the API.
        HttpResponseMessage relogin;
        var deadline = DateTime.UtcNow + Recovery;
        do
        {
            await Task.Delay(250);
            relogin = await LoginAsync(api, user);
        }
        while (relogin.StatusCode != HttpStatusCode.OK && DateTime.UtcNow < deadline);

        var during = traffic.Results.Where(r => r.At >= down && r.At < up).ToList();
        output.WriteLine($"Redis outage: {traffic.Summary()}; during the outage {traffic.Summary(down)}; login during outage {(int)login.StatusCode}, after {(int)relogin.StatusCode}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, login.StatusCode);
        Assert.DoesNotContain(during, r => r.Status == HttpStatusCode.OK && r.At > down + TimeSpan.FromSeconds(2));
        Assert.DoesNotContain(traffic.Results, r => r.Status == HttpStatusCode.InternalServerError);
        Assert.Equal(HttpStatusCode.OK, relogin.StatusCode);
    }

    [SkippableFact]
    public async Task WhileTheCacheIsDownReadsKeepWorkingAndTheCacheIsUsedAgainWhenItReturns()
    {
        await using var cacheRedis = await RedisServer.StartDedicatedAsync();
        await using var api = new OwnStores(ownPostgres: false, ownRedis: false, cache: cacheRedis.ConnectionString);
        await api.InitializeAsync();
        var (_, client) = await api.NewClientAsync("receptionist");
        var patient = await api.Seed.PatientAsync();
        await using var traffic = new Traffic(() => client, $"/api/patients/{patient}/demographics");
        await traffic.WaitForAsync(HttpStatusCode.OK, TimeSpan.Zero, Recovery);

        var down = traffic.Now;
        await cacheRedis.StopAsync();
        await Task.Delay(3000);
        var up = traffic.Now;
        await cacheRedis.StartAsync();
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(cacheRedis.ConnectionString);
        var deadline = DateTime.UtcNow + Recovery;
        while (!await redis.GetDatabase().KeyExistsAsync($"patient:{patient}:demographics") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        var during = traffic.Results.Where(r => r.At >= down && r.At < up).ToList();
        output.WriteLine($"Cache outage: {traffic.Summary()}; during the outage {traffic.Summary(down)}");
        Assert.NotEmpty(during);
        Assert.All(during, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.True(await redis.GetDatabase().KeyExistsAsync($"patient:{patient}:demographics"), "the cache was not filled again");
    }

    private static async Task<HttpResponseMessage> LoginAsync(ApiFactory api, Guid user)
    {
        string? username;
        await using (var connection = await api.Db.OpenConnectionAsync())
        {
            username = await Dapper.SqlMapper.ExecuteScalarAsync<string>(connection, "SELECT username FROM users WHERE id = @user", new { user });
        }

        return await api.CreateClient().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password });
    }

    /// <summary>The API over stores this test may stop: its own PostgreSQL and/or Redis (skipped when it cannot own them).</summary>
    private sealed class OwnStores(bool ownPostgres, bool ownRedis, string? cache = null) : ApiFactory
    {
        public PostgresServer? Postgres { get; private set; }

        public RedisServer? Redis { get; private set; }

        protected override Dictionary<string, string?> Settings => new()
        {
            ["Database:ConnectTimeoutSeconds"] = "2",
            ["Database:CommandTimeoutSeconds"] = "5",
            ["ConnectionStrings:cache"] = cache,
        };

        public override async Task InitializeAsync()
        {
            if (ownRedis)
            {
                Redis = await RedisServer.StartDedicatedAsync();
                RedisConnectionString = Redis.ConnectionString;
            }

            await base.InitializeAsync();
        }

        protected override async Task<TestDatabase> CreateDatabaseAsync()
        {
            if (!ownPostgres)
            {
                return await base.CreateDatabaseAsync();
            }

            (Postgres, var database) = await DedicatedDatabaseAsync();
            return database;
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            if (Redis is not null)
            {
                await Redis.DisposeAsync();
            }
        }
    }
}
