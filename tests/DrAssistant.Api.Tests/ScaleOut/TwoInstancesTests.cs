using System.Net;
using System.Net.Http.Headers;
using DrAssistant.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace DrAssistant.Api.Tests.ScaleOut;

/// <summary>
/// Two API instances over the same PostgreSQL database and Redis, as the AppHost's two replicas (or a deployment's N)
/// run behind one endpoint: whatever a request does on one, the next request sees on the other, whichever it reaches.
/// Sessions, the sign-in throttle and the cache live in Redis; nothing that matters is kept in one instance.
/// </summary>
public sealed class TwoInstancesTests(TwoInstancesTests.Pair instances, ITestOutputHelper output) : IClassFixture<TwoInstancesTests.Pair>
{
    private ApiFactory One => instances.One;

    private ApiFactory Other => instances.Other;

    [Fact]
    public async Task ASessionMadeOnOneInstanceWorksOnTheOther()
    {
        var (id, username) = await UserAsync("nurse");

        var token = await SignInAsync(One, username);
        var me = await WithToken(Other, token).GetAsync("/api/auth/me");

        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal(id, (await me.JsonAsync()).GetProperty("user").GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task LogoutOnOneInstanceEndsTheSessionOnBoth()
    {
        var (_, username) = await UserAsync("nurse");
        var token = await SignInAsync(One, username);
        Assert.Equal(HttpStatusCode.OK, (await WithToken(Other, token).GetAsync("/api/auth/me")).StatusCode);

        var logout = await WithToken(Other, token).PostAsync("/api/auth/logout", null);

        Assert.True(logout.IsSuccessStatusCode, $"logout: {(int)logout.StatusCode}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await WithToken(One, token).GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await WithToken(Other, token).GetAsync("/api/auth/me")).StatusCode);
    }

    [Fact]
    public async Task AWriteThroughOneInstanceDropsTheCachedReadOfTheOther()
    {
        var (_, username) = await UserAsync("receptionist");
        var token = await SignInAsync(One, username);
        var patient = await One.Seed.PatientAsync(first: "Before");
        // The other instance reads (and caches) the demographics first.
        Assert.Equal("Before", (await (await WithToken(Other, token).GetAsync($"/api/patients/{patient}/demographics")).JsonAsync()).GetProperty("firstName").GetString());
        Assert.True(await instances.Redis.KeyExistsAsync($"patient:{patient}:demographics"), "the read was not cached");

        var updated = await WithToken(One, token).PutJsonAsync($"/api/patients/{patient}", new
        {
            firstName = "After", lastName = "Rao", dateOfBirth = "1980-04-02", gender = "female", status = "active",
        });

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("After", (await (await WithToken(Other, token).GetAsync($"/api/patients/{patient}/demographics")).JsonAsync()).GetProperty("firstName").GetString());
    }

    [Fact]
    public async Task ABookingThroughOneInstanceShowsAtOnceOnTheDoctorsDashboardCachedByTheOther()
    {
        var (doctor, username) = await UserAsync("doctor");
        var token = await SignInAsync(Other, username);
        var patient = await One.Seed.PatientAsync();
        var start = new DateTime(2031, 5, 6, 5, 0, 0, DateTimeKind.Utc);
        var dashboard = $"/api/doctors/{doctor}/dashboard?date=2031-05-06";
        Assert.Empty((await (await WithToken(Other, token).GetAsync(dashboard)).JsonAsync()).GetProperty("appointments").EnumerateArray());
        Assert.True(await instances.Redis.SetLengthAsync($"doctor:{doctor}:dashboards") > 0, "the dashboard was not cached");

        var booked = await WithToken(One, token).PostJsonAsync("/api/appointments", new
        {
            doctorId = doctor, patientId = patient, startTime = start, endTime = start.AddMinutes(20), appointmentType = "in_person", reason = "Fever",
        });

        Assert.Equal(HttpStatusCode.Created, booked.StatusCode);
        Assert.Single((await (await WithToken(Other, token).GetAsync(dashboard)).JsonAsync()).GetProperty("appointments").EnumerateArray());
    }

    [Fact]
    public async Task ARoleChangeThroughOneInstanceAppliesOnTheOtherAtOnce()
    {
        var (id, username) = await UserAsync("doctor");
        var doctor = WithToken(Other, await SignInAsync(Other, username));
        Assert.Equal(HttpStatusCode.OK, (await doctor.GetAsync($"/api/encounters?doctorId={id}")).StatusCode);
        var (_, adminName) = await UserAsync("admin");
        var admin = WithToken(One, await SignInAsync(One, adminName));

        var demoted = await admin.PutJsonAsync($"/api/users/{id}", new
        {
            username, email = $"{username}@clinic.example", fullName = "Demoted Doctor", role = "receptionist", status = "active",
        });

        Assert.Equal(HttpStatusCode.OK, demoted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await doctor.GetAsync($"/api/encounters?doctorId={id}")).StatusCode);
        var receptionist = WithToken(Other, await SignInAsync(Other, username));
        Assert.Equal(HttpStatusCode.Forbidden, (await receptionist.GetAsync($"/api/encounters?doctorId={id}")).StatusCode);
    }

    [Fact]
    public async Task WrongPasswordsSpreadOverBothInstancesLockTheAccountOnBoth()
    {
        var (_, username) = await UserAsync("nurse");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            var instance = i % 2 == 0 ? One : Other;
            statuses.Add((await instance.CreateClient().PostJsonAsync("/api/auth/login", new { username, password = "not the password" })).StatusCode);
        }

        output.WriteLine($"six wrong passwords, alternating instances: {string.Join(", ", statuses.Select(s => (int)s))}");
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 5), statuses.Take(5));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[5]);
        // Even the right password, on either instance, waits for the window.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await One.CreateClient().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password })).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await Other.CreateClient().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password })).StatusCode);
    }

    private async Task<(Guid Id, string Username)> UserAsync(string role)
    {
        var id = await One.Seed.UserAsync(role);
        await using var connection = await One.Db.OpenConnectionAsync();
        var username = await Dapper.SqlMapper.ExecuteScalarAsync<string>(connection, "SELECT username FROM users WHERE id = @id", new { id });
        return (id, username!);
    }

    private static async Task<string> SignInAsync(ApiFactory instance, string username)
    {
        var response = await instance.CreateClient().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password });
        return (await response.ReadAsync<System.Text.Json.JsonElement>()).GetProperty("token").GetString()!;
    }

    private static HttpClient WithToken(ApiFactory instance, string token)
    {
        var client = instance.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Two API hosts, each with its own process-wide state (pools, caches, limiters), over one database and one Redis.</summary>
    public sealed class Pair : IAsyncLifetime
    {
        public ApiFactory One { get; } = new();

        public ApiFactory Other { get; private set; } = null!;

        /// <summary>The shared Redis, to see what the instances cached.</summary>
        public IDatabase Redis => _redis!.GetDatabase();

        private ConnectionMultiplexer? _redis;

        public async Task InitializeAsync()
        {
            await One.InitializeAsync();
            Other = new SameStores(One);
            await Other.InitializeAsync();
            One.CreateClient();
            Other.CreateClient();
            _redis = await ConnectionMultiplexer.ConnectAsync(One.RedisConnectionString);
        }

        public async Task DisposeAsync()
        {
            await _redis!.DisposeAsync();
            await ((IAsyncLifetime)Other).DisposeAsync();
            await ((IAsyncLifetime)One).DisposeAsync();
        }
    }

    /// <summary>An API over another instance's database and Redis.</summary>
    private sealed class SameStores(ApiFactory peer) : ApiFactory
    {
        public override async Task InitializeAsync()
        {
            RedisConnectionString = peer.RedisConnectionString;
            await base.InitializeAsync();
        }

        protected override Task<TestDatabase> CreateDatabaseAsync() =>
            Task.FromResult(new TestDatabase(peer.Database.Server, peer.Database.Name, peer.Database.ConnectionString));
    }
}
