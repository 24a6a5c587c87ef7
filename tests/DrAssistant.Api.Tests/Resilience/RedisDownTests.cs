using System.Net;
using Dapper;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace DrAssistant.Api.Tests.Resilience;

/// <summary>
/// The cache's Redis does not answer (sessions live on another, which does): reads answer from PostgreSQL and
/// writes succeed, their cache deletes kept for later.
/// </summary>
public sealed class CacheDownTests(CacheDownTests.WithoutCache api) : IClassFixture<CacheDownTests.WithoutCache>
{
    [Fact]
    public async Task ReadsThatWouldUseTheCacheStillAnswerFromPostgres()
    {
        var (doctor, client) = await api.NewClientAsync("doctor");
        var patient = await api.Seed.PatientAsync("Sunil", "Joshi");
        await api.Seed.AppointmentAsync(doctor, patient, DateTime.UtcNow.Date.AddHours(6));

        var demographics = await client.GetAsync($"/api/patients/{patient}/demographics");
        var dashboard = await client.GetAsync($"/api/doctors/{doctor}/dashboard");
        var preferences = await client.GetAsync($"/api/users/{doctor}/preferences");

        Assert.Equal(HttpStatusCode.OK, demographics.StatusCode);
        Assert.Equal("Sunil", (await demographics.JsonAsync()).GetProperty("firstName").GetString());
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Equal(HttpStatusCode.OK, preferences.StatusCode);
    }

    [Fact]
    public async Task WritesSucceedAndTheirCacheDeletesAreKeptForLater()
    {
        var (_, client) = await api.NewClientAsync("receptionist");
        var patient = await api.Seed.PatientAsync();
        var cache = api.Services.GetRequiredService<RedisCache>();

        var updated = await client.PutJsonAsync($"/api/patients/{patient}", new
        {
            firstName = "New", lastName = "Name", dateOfBirth = "1980-01-01", gender = "male", status = "active",
        });
        var read = await (await client.GetAsync($"/api/patients/{patient}/demographics")).JsonAsync();

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("New", read.GetProperty("firstName").GetString());
        Assert.True(cache.PendingDeletes >= 1);
    }

    [Fact]
    public async Task ADeadCacheCostsNoMoreThanItsTimeout()
    {
        var (_, client) = await api.NewClientAsync("receptionist");
        var patient = await api.Seed.PatientAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/patients/{patient}/demographics")).StatusCode);
        }

        // Ten reads, each bounded by the fail-fast connection state, not ten connect timeouts.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    public sealed class WithoutCache : ApiFactory
    {
        // A port nothing listens on: the cache's Redis is down from the start.
        protected override Dictionary<string, string?> Settings => new()
        {
            ["ConnectionStrings:cache"] = $"127.0.0.1:{Tools.FreePort()},connectTimeout=500",
        };
    }
}

/// <summary>No Redis at all: there can be no session, so sign-in is unavailable and every request is refused.</summary>
public sealed class RedisDownTests(RedisDownTests.WithoutRedis api) : IClassFixture<RedisDownTests.WithoutRedis>
{
    [Fact]
    public async Task SignInIsUnavailableRatherThanOpen()
    {
        var doctor = await api.Seed.DoctorAsync();
        await using var connection = await api.Db.OpenConnectionAsync();
        var username = await connection.QuerySingleAsync<string>("SELECT username FROM users WHERE id = @doctor", new { doctor });

        var login = await api.CreateClient().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, login.StatusCode);
        Assert.Equal("application/problem+json", login.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AnyTokenIsRefusedWith401()
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", "a-token-that-cannot-be-checked");

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/patients?query=a")).StatusCode);
    }

    [Fact]
    public async Task TheProcessStillReportsItselfAlive()
    {
        Assert.Equal(HttpStatusCode.OK, (await api.CreateClient().GetAsync("/alive")).StatusCode);
    }

    public sealed class WithoutRedis : ApiFactory
    {
        public override async Task InitializeAsync()
        {
            RedisConnectionString = $"127.0.0.1:{Tools.FreePort()},connectTimeout=500";
            await base.InitializeAsync();
        }
    }
}
