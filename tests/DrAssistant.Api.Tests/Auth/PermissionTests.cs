using System.Net;
using DrAssistant.Api.Auth;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace DrAssistant.Api.Tests.Auth;

/// <summary>Each role against a representative endpoint of each permission: allowed, or a 403 naming the permission.</summary>
public sealed class PermissionTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static readonly string Unknown = Guid.NewGuid().ToString();

    /// <summary>Requests that only the permission guards: with it the answer is 200, 400 or 404; without it, 403.</summary>
    private static readonly Dictionary<string, (HttpMethod Method, string Url, object? Body)> Representative = new()
    {
        [Permissions.ReadPatients] = (HttpMethod.Get, $"/api/patients/{Unknown}", null),
        [Permissions.WritePatients] = (HttpMethod.Post, "/api/patients", new { }),
        [Permissions.ReadAppointments] = (HttpMethod.Get, $"/api/appointments/{Unknown}", null),
        [Permissions.WriteAppointments] = (HttpMethod.Post, $"/api/appointments/{Unknown}/cancel", null),
        [Permissions.ReadEncounters] = (HttpMethod.Get, $"/api/encounters/{Unknown}", null),
        [Permissions.WriteEncounters] = (HttpMethod.Post, $"/api/encounters/{Unknown}/cancel", null),
        [Permissions.WritePrescriptions] = (HttpMethod.Post, $"/api/prescriptions/{Unknown}/cancel", null),
        [Permissions.SignPrescriptions] = (HttpMethod.Post, $"/api/prescriptions/{Unknown}/sign", null),
        [Permissions.WriteOrders] = (HttpMethod.Post, $"/api/orders/{Unknown}/cancel", null),
        // Notes endpoints check the request before they need MongoDB, so these answer 400/404 with or without it.
        [Permissions.ReadNotes] = (HttpMethod.Get, "/api/notes/search", null),
        [Permissions.WriteNotes] = (HttpMethod.Post, "/api/notes", new { }),
        [Permissions.SignNotes] = (HttpMethod.Post, $"/api/notes/{Unknown}/sign", null),
        [Permissions.ReadTasks] = (HttpMethod.Get, "/api/tasks", null),
        [Permissions.WriteTasks] = (HttpMethod.Post, "/api/tasks", new { }),
        [Permissions.ReadAlerts] = (HttpMethod.Get, "/api/alerts", null),
        [Permissions.WriteAlerts] = (HttpMethod.Post, "/api/alerts", new { }),
        [Permissions.ReadDashboard] = (HttpMethod.Get, "/api/doctors/{me}/dashboard", null),
        [Permissions.ReadUsers] = (HttpMethod.Get, $"/api/users/{Unknown}", null),
        [Permissions.AdminUsers] = (HttpMethod.Post, "/api/users", new { }),
    };

    public static TheoryData<string> Roles => new(Permissions.ByRole.Keys);

    [Theory]
    [MemberData(nameof(Roles))]
    public async Task EachRoleReachesExactlyTheEndpointsOfItsPermissions(string role)
    {
        var (me, client) = await api.NewClientAsync(role);
        var granted = Permissions.For(role);

        foreach (var (permission, (method, url, body)) in Representative)
        {
            using var request = new HttpRequestMessage(method, url.Replace("{me}", me.ToString(), StringComparison.Ordinal));
            if (body is not null)
            {
                request.Content = System.Net.Http.Json.JsonContent.Create(body);
            }

            var response = await client.SendAsync(request);

            if (granted.Contains(permission))
            {
                Assert.True((int)response.StatusCode is 200 or 400 or 404, $"{role} with {permission}: {(int)response.StatusCode}");
            }
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{role} without {permission}: {(int)response.StatusCode}");
                Assert.Contains(permission, (await response.JsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void TheRoleTableKeepsTheHouseRules()
    {
        // Only doctors sign prescriptions and notes.
        Assert.Equal(["doctor"], Permissions.ByRole.Where(r => r.Value.Contains(Permissions.SignPrescriptions)).Select(r => r.Key));
        Assert.Equal(["doctor"], Permissions.ByRole.Where(r => r.Value.Contains(Permissions.SignNotes)).Select(r => r.Key));
        // Reception manages appointments and demographics, but reads no clinical content.
        Assert.Contains(Permissions.WriteAppointments, Permissions.For("receptionist"));
        Assert.Contains(Permissions.WritePatients, Permissions.For("receptionist"));
        Assert.DoesNotContain(Permissions.ReadEncounters, Permissions.For("receptionist"));
        Assert.DoesNotContain(Permissions.ReadNotes, Permissions.For("receptionist"));
        // Administrators manage users, and only they do.
        Assert.Equal(["admin"], Permissions.ByRole.Where(r => r.Value.Contains(Permissions.AdminUsers)).Select(r => r.Key));
        Assert.DoesNotContain(Permissions.ReadEncounters, Permissions.For("admin"));
    }

    [Fact]
    public void EveryPermissionInTheTableIsExercisedAbove()
    {
        Assert.Equal(Permissions.All.Order(), Representative.Keys.Order());
    }
}

/// <summary>Sessions that expire after seconds, to see idle expiry and the maximum lifetime.</summary>
public sealed class SessionLifetimeTests(SessionLifetimeTests.ShortSessions api) : IClassFixture<SessionLifetimeTests.ShortSessions>
{
    [Fact]
    public async Task AnIdleSessionExpires()
    {
        var (_, client) = await api.NewClientAsync("nurse");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/auth/me")).StatusCode);

        await Task.Delay(TimeSpan.FromSeconds(3.5));

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/auth/me")).StatusCode);
    }

    [Fact]
    public async Task ActivityExtendsASessionButNotBeyondItsMaximumLifetime()
    {
        var (_, client) = await api.NewClientAsync("nurse");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // Used every second: alive past the 2 s idle timeout...
        while (clock.Elapsed < TimeSpan.FromSeconds(4))
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/auth/me")).StatusCode);
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        // ...but not past the 6 s maximum, however active.
        while (clock.Elapsed < TimeSpan.FromSeconds(7.5))
        {
            await client.GetAsync("/api/auth/me");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/auth/me")).StatusCode);
    }

    public sealed class ShortSessions : ApiFactory
    {
        protected override Dictionary<string, string?> Settings => new()
        {
            ["Sessions:IdleTimeout"] = "00:00:02",
            ["Sessions:MaxLifetime"] = "00:00:06",
            ["Sessions:ActivityResolution"] = "00:00:00",
        };
    }
}

/// <summary>The first administrator of an empty database, in Development only.</summary>
public sealed class BootstrapTests
{
    [Fact]
    public async Task InDevelopmentAnEmptyUsersTableGetsTheConfiguredAdministrator()
    {
        var api = new Bootstrapping("Development");
        await api.InitializeAsync();
        try
        {
            api.CreateClient().Dispose();

            var login = await WaitForLoginAsync(api);

            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            Assert.Equal("admin", (await login.JsonAsync()).GetProperty("user").GetProperty("role").GetString());
        }
        finally
        {
            // The factory's own database and data source too, not only the web host (what `await using` would dispose).
            await ((IAsyncLifetime)api).DisposeAsync();
        }
    }

    [Fact]
    public async Task OutsideDevelopmentNoAdministratorIsCreated()
    {
        // The positive path first, observed the same way: were the wait for the bootstrap or the count wrong, the
        // Development run would not show its administrator, and the Production count below could not be trusted.
        Assert.Equal(1, await UsersOnceTheBootstrapIsDoneAsync("Development"));

        Assert.Equal(0, await UsersOnceTheBootstrapIsDoneAsync("Production"));
    }

    /// <summary>
    /// Starts the API, waits until the bootstrap has finished (its <c>ExecuteTask</c>, not a guess at a delay), and
    /// counts the users.
    /// </summary>
    private static async Task<long> UsersOnceTheBootstrapIsDoneAsync(string environment)
    {
        var api = new Bootstrapping(environment);
        await api.InitializeAsync();
        try
        {
            api.CreateClient().Dispose();
            var bootstrap = api.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<DevelopmentAdminBootstrap>().Single();
            await bootstrap.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30));

            await using var connection = await api.Db.OpenConnectionAsync();
            return await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT count(*) FROM users");
        }
        finally
        {
            await ((IAsyncLifetime)api).DisposeAsync();
        }
    }

    private static async Task<HttpResponseMessage> WaitForLoginAsync(ApiFactory api)
    {
        for (var i = 0; ; i++)
        {
            var response = await api.CreateClient().PostJsonAsync("/api/auth/login", new { username = "first.admin", password = "bootstrap password" });
            if (response.StatusCode == HttpStatusCode.OK || i == 50)
            {
                return response;
            }

            await Task.Delay(100);
        }
    }

    private sealed class Bootstrapping(string environment) : ApiFactory
    {
        protected override Dictionary<string, string?> Settings => new()
        {
            ["Bootstrap:AdminUsername"] = "first.admin",
            ["Bootstrap:AdminPassword"] = "bootstrap password",
        };

        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseEnvironment(environment);
        }
    }
}
