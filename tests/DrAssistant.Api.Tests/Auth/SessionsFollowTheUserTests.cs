using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Users;
using DrAssistant.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DrAssistant.Api.Tests.Auth;

/// <summary>A session holds the rights of the moment it was made, so every change to those rights ends it.</summary>
public sealed class SessionsFollowTheUserTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task ADemotedDoctorsOldTokenLosesTheDoctorsPermissionsAtOnce()
    {
        var (id, username) = await UserAsync("doctor");
        var doctor = WithToken(await TokenAsync(username));
        Assert.Equal(HttpStatusCode.OK, (await doctor.GetAsync($"/api/encounters?doctorId={id}")).StatusCode);
        var (_, admin) = await api.NewClientAsync("admin");

        var demoted = await admin.PutJsonAsync($"/api/users/{id}", Profile(username, role: "receptionist"));

        Assert.Equal(HttpStatusCode.OK, demoted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await doctor.GetAsync($"/api/encounters?doctorId={id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await doctor.GetAsync("/api/auth/me")).StatusCode);
        // Signed in again, the user has the new role's rights and /me says so.
        var receptionist = WithToken(await TokenAsync(username));
        var me = await (await receptionist.GetAsync("/api/auth/me")).JsonAsync();
        Assert.Equal("receptionist", me.GetProperty("role").GetString());
        Assert.Equal("receptionist", me.GetProperty("user").GetProperty("role").GetString());
        Assert.DoesNotContain("read:encounters", me.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, (await receptionist.GetAsync($"/api/encounters?doctorId={id}")).StatusCode);
    }

    [Fact]
    public async Task AProfileEditThatKeepsRoleAndStatusKeepsTheSessions()
    {
        var (id, username) = await UserAsync("nurse");
        var nurse = WithToken(await TokenAsync(username));
        var (_, admin) = await api.NewClientAsync("admin");

        var edited = await admin.PutJsonAsync($"/api/users/{id}", Profile(username, role: "nurse", fullName: "Nurse Renamed"));

        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await nurse.GetAsync("/api/auth/me")).StatusCode);
    }

    [Fact]
    public async Task ChangingYourOwnPasswordWithoutTheCurrentOneIs400NamingIt()
    {
        var (id, username) = await UserAsync("nurse");
        var client = WithToken(await TokenAsync(username));

        var response = await client.PutJsonAsync($"/api/users/{id}/password", new { password = "a brand new secret" });

        Assert.Contains("currentPassword", await response.InvalidFieldsAsync());
        Assert.Equal(HttpStatusCode.OK, (await Anonymous().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password })).StatusCode);
    }

    [Fact]
    public async Task AWrongCurrentPasswordIs403AndChangesNothing()
    {
        var (id, username) = await UserAsync("nurse");
        var client = WithToken(await TokenAsync(username));

        var response = await client.PutJsonAsync($"/api/users/{id}/password", new { currentPassword = "not my password", password = "a brand new secret" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty("currentPassword", out _));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Anonymous().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password })).StatusCode);
    }

    [Fact]
    public async Task WrongCurrentPasswordsCountLikeFailedSignInsAndLockTheAccount()
    {
        var (id, username) = await UserAsync("nurse");
        var client = WithToken(await TokenAsync(username));

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add((await client.PutJsonAsync($"/api/users/{id}/password", new { currentPassword = $"guess {i}", password = "a brand new secret" })).StatusCode);
        }

        var rightOne = await client.PutJsonAsync($"/api/users/{id}/password", new { currentPassword = Seed.Password, password = "a brand new secret" });
        var signIn = await Anonymous().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password });

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Forbidden, 5).Append(HttpStatusCode.TooManyRequests), answers);
        Assert.Equal(HttpStatusCode.TooManyRequests, rightOne.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, signIn.StatusCode);
    }

    [Fact]
    public async Task YourOwnPasswordChangeEndsYourOtherSessionsAndKeepsThisOne()
    {
        var (id, username) = await UserAsync("doctor");
        var here = WithToken(await TokenAsync(username));
        var elsewhere = WithToken(await TokenAsync(username));

        var changed = await here.PutJsonAsync($"/api/users/{id}/password", new { currentPassword = Seed.Password, password = "a brand new secret" });

        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await here.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await elsewhere.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Anonymous().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Anonymous().PostJsonAsync("/api/auth/login", new { username, password = "a brand new secret" })).StatusCode);
    }

    [Fact]
    public async Task AnAdministratorsResetEndsEverySessionOfTheUser()
    {
        var (id, username) = await UserAsync("nurse");
        var first = WithToken(await TokenAsync(username));
        var second = WithToken(await TokenAsync(username));
        var (_, admin) = await api.NewClientAsync("admin");

        var reset = await admin.PutJsonAsync($"/api/users/{id}/password", new { password = "a temporary secret" });

        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await first.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Anonymous().PostJsonAsync("/api/auth/login", new { username, password = "a temporary secret" })).StatusCode);
    }

    [Fact]
    public async Task AnotherUsersPasswordIsNotYoursToSet()
    {
        var (id, _) = await UserAsync("nurse");
        var (_, doctor) = await api.NewClientAsync("doctor");

        var response = await doctor.PutJsonAsync($"/api/users/{id}/password", new { currentPassword = Seed.Password, password = "a brand new secret" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData("password123")]
    [InlineData("Qwerty123")]
    [InlineData("12345678")]
    [InlineData("DemoClinic#2025")]
    [InlineData("{username}")]
    [InlineData("{USERNAME}")]
    [InlineData("{email}")]
    public async Task ACommonPasswordOrTheUsernameOrEmailIsRefused(string password)
    {
        var (id, username) = await UserAsync("nurse");
        var client = WithToken(await TokenAsync(username));
        password = password.Replace("{username}", username, StringComparison.Ordinal)
            .Replace("{USERNAME}", username.ToUpperInvariant(), StringComparison.Ordinal)
            .Replace("{email}", $"{username}@clinic.example", StringComparison.Ordinal);

        var response = await client.PutJsonAsync($"/api/users/{id}/password", new { currentPassword = Seed.Password, password });

        Assert.Equal(["password"], await response.InvalidFieldsAsync());
    }

    [Fact]
    public async Task ANewUserCannotGetACommonPasswordOrTheirUsername()
    {
        var (_, admin) = await api.NewClientAsync("admin");
        var name = $"new{Guid.NewGuid():N}"[..16];

        var common = await admin.PostJsonAsync("/api/users", new { username = name, email = $"{name}@clinic.example", fullName = "N", role = "nurse", password = "iloveyou" });
        var own = await admin.PostJsonAsync("/api/users", new { username = name, email = $"{name}@clinic.example", fullName = "N", role = "nurse", password = name });

        Assert.Equal(["password"], await common.InvalidFieldsAsync());
        Assert.Equal(["password"], await own.InvalidFieldsAsync());
    }

    [Fact]
    public async Task AnAdministratorUnlocksALockedAccount()
    {
        var (id, username) = await UserAsync("doctor");
        for (var i = 0; i < 5; i++)
        {
            await Anonymous().PostJsonAsync("/api/auth/login", new { username, password = $"guess {i}" });
        }

        var locked = await Anonymous().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password });
        var (_, admin) = await api.NewClientAsync("admin");
        var (_, nurse) = await api.NewClientAsync("nurse");
        var byNurse = await nurse.PostAsync($"/api/users/{id}/unlock", null);
        var unlocked = await admin.PostAsync($"/api/users/{id}/unlock", null);
        var unknown = await admin.PostAsync($"/api/users/{Guid.NewGuid()}/unlock", null);
        var signIn = await Anonymous().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password });

        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byNurse.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, unlocked.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
    }

    [Fact]
    public async Task AUsernameSignsInWhateverItsCaseAndSpacesAndCountsAsOneAccount()
    {
        var (_, username) = await UserAsync("doctor");
        var upper = username.ToUpperInvariant();

        var signIn = await Anonymous().PostJsonAsync("/api/auth/login", new { username = $"  {upper} ", password = Seed.Password });
        for (var i = 0; i < 5; i++)
        {
            await Anonymous().PostJsonAsync("/api/auth/login", new { username = i % 2 == 0 ? upper : username, password = $"guess {i}" });
        }

        var locked = await Anonymous().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password });

        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
    }

    [Fact]
    public async Task AUsernameNobodyHasLeavesNothingInRedis()
    {
        var (_, known) = await UserAsync("doctor");
        var nobody = $"nobody{Guid.NewGuid():N}"[..20];
        await using var redis = await ConnectionMultiplexer.ConnectAsync(api.RedisConnectionString);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await Anonymous().PostJsonAsync("/api/auth/login", new { username = nobody, password = "guess" })).StatusCode);
        }

        await Anonymous().PostJsonAsync("/api/auth/login", new { username = known, password = "guess" });

        Assert.False(await redis.GetDatabase().KeyExistsAsync(LoginThrottle.Key(nobody)));
        Assert.True(await redis.GetDatabase().KeyExistsAsync(LoginThrottle.Key(known)));
    }

    [Fact]
    public async Task WithoutRedisARoleChangeOrAPasswordResetIs503AndChangesNothing()
    {
        // The handlers themselves, over this test's database and a Redis nobody answers at (a session could not even
        // be checked over HTTP then).
        var (id, username) = await UserAsync("doctor");
        var options = Options.Create(new SessionOptions());
        await using var deadRedis = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { $"127.0.0.1:{Tools.FreePort()}" }, AbortOnConnectFail = false, ConnectTimeout = 500, AsyncTimeout = 500,
            BacklogPolicy = BacklogPolicy.FailFast,
        });
        var sessions = new SessionStore(deadRedis, options, TimeProvider.System);
        var throttle = new LoginThrottle(deadRedis, options);
        using var hashing = new PasswordHashing(options);
        var admin = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, Guid.NewGuid().ToString()), new Claim(CurrentUser.PermissionClaim, Permissions.AdminUsers)], "test"));
        var context = new DefaultHttpContext { RequestServices = api.Services };
        var before = await RowAsync(id);

        var roleChange = await UsersApi.UpdateUser(id, new UpdateUserRequest(username, $"{username}@clinic.example", before.FullName, "nurse", "active"),
            api.Db, sessions, CancellationToken.None);
        var reset = await UsersApi.SetPassword(id, new SetPasswordRequest("a temporary secret"), admin, context, api.Db, sessions, throttle, hashing,
            CancellationToken.None);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, Assert.IsType<ProblemHttpResult>(roleChange.Result).StatusCode);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, Assert.IsType<ProblemHttpResult>(reset.Result).StatusCode);
        Assert.Equal(before, await RowAsync(id));
    }

    private async Task<(string Role, string FullName, string PasswordHash)> RowAsync(Guid id)
    {
        await using var connection = await api.Db.OpenConnectionAsync();
        return await connection.QuerySingleAsync<(string, string, string)>("SELECT role, full_name, password_hash FROM users WHERE id = @id", new { id });
    }

    private static object Profile(string username, string role, string fullName = "Test User") => new
    {
        username, email = $"{username}@clinic.example", fullName, role, status = "active",
    };

    private async Task<(Guid Id, string Username)> UserAsync(string role)
    {
        var id = await api.Seed.UserAsync(role);
        await using var connection = await api.Db.OpenConnectionAsync();
        return (id, await connection.ExecuteScalarAsync<string>("SELECT username FROM users WHERE id = @id", new { id }) ?? "");
    }

    private async Task<string> TokenAsync(string username)
    {
        var response = await Anonymous().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password });
        return (await response.JsonAsync()).GetProperty("token").GetString()!;
    }

    private HttpClient Anonymous() => api.CreateClient();

    private HttpClient WithToken(string token)
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
