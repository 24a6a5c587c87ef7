using System.Net;
using DrAssistant.Testing;

namespace DrAssistant.Api.Tests.Resilience;

/// <summary>The API over a Redis that does not answer: PostgreSQL answers instead, and writes still succeed.</summary>
public sealed class RedisDownTests(RedisDownTests.WithoutRedis api) : IClassFixture<RedisDownTests.WithoutRedis>
{
    private readonly HttpClient _client = api.CreateClient();

    [Fact]
    public async Task ReadsThatWouldUseTheCacheStillAnswerFromPostgres()
    {
        var doctor = await api.Seed.DoctorAsync();
        var patient = await api.Seed.PatientAsync("Sunil", "Joshi");
        await api.Seed.AppointmentAsync(doctor, patient, DateTime.UtcNow.Date.AddHours(6));

        var demographics = await _client.GetAsync($"/api/patients/{patient}/demographics");
        var dashboard = await _client.GetAsync($"/api/doctors/{doctor}/dashboard");
        var preferences = await _client.GetAsync($"/api/users/{doctor}/preferences");

        Assert.Equal(HttpStatusCode.OK, demographics.StatusCode);
        Assert.Equal("Sunil", (await demographics.JsonAsync()).GetProperty("firstName").GetString());
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Equal(HttpStatusCode.OK, preferences.StatusCode);
    }

    [Fact]
    public async Task WritesSucceedAndTheirCacheDeletesAreKeptForLater()
    {
        var patient = await api.Seed.PatientAsync();
        var cache = api.Services.GetService(typeof(Infrastructure.RedisCache)) as Infrastructure.RedisCache;

        var updated = await _client.PutJsonAsync($"/api/patients/{patient}", new
        {
            firstName = "New", lastName = "Name", dateOfBirth = "1980-01-01", gender = "male", status = "active",
        });
        var read = await (await _client.GetAsync($"/api/patients/{patient}/demographics")).JsonAsync();

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("New", read.GetProperty("firstName").GetString());
        Assert.True(cache!.PendingDeletes >= 1);
    }

    [Fact]
    public async Task ADeadRedisCostsNoMoreThanItsTimeout()
    {
        var patient = await api.Seed.PatientAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/api/patients/{patient}/demographics")).StatusCode);
        }

        // Ten reads, each bounded by the fail-fast connection state, not ten connect timeouts.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    public sealed class WithoutRedis : ApiFactory
    {
        public override async Task InitializeAsync()
        {
            // A port nothing listens on: Redis is down from the start.
            RedisConnectionString = $"127.0.0.1:{Tools.FreePort()},connectTimeout=500";
            await base.InitializeAsync();
        }
    }
}
