using System.Net;
using System.Text.Json;
using Dapper;
using DrAssistant.Api.Users;
using DrAssistant.Shared.Accounts;

namespace DrAssistant.Api.Tests.Users;

public sealed class UsersApiTests(ApiFactory api) : IClassFixture<ApiFactory>, IAsyncLifetime
{
    private HttpClient _client = null!;

    public async Task InitializeAsync() => _client = (await api.NewClientAsync("admin")).Client;

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ACreatedUserIsReadBackAsAProfileWithoutThePasswordHash()
    {
        var name = Unique("asha");
        var created = await _client.PostJsonAsync("/api/users", new
        {
            username = name, email = $"{name}@clinic.example", fullName = "Dr. Asha Rao", role = "doctor",
            specialty = "Cardiology", password = "correct horse battery",
            preferences = new { theme = "dark" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var profile = await created.ReadAsync<UserProfile>();

        var response = await _client.GetAsync($"/api/users/{profile.Id}");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"/api/users/{profile.Id}", created.Headers.Location?.ToString());
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal(name, json.GetProperty("username").GetString());
        Assert.Equal("Cardiology", json.GetProperty("specialty").GetString());
        Assert.Equal("active", json.GetProperty("status").GetString());
        Assert.Equal("dark", json.GetProperty("preferences").GetProperty("theme").GetString());
        Assert.DoesNotContain("password", body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ThePasswordIsStoredOnlyAsASaltedHash()
    {
        var first = await CreateAsync(password: "same password 1");
        var second = await CreateAsync(password: "same password 1");

        await using var connection = await api.Db.OpenConnectionAsync();
        var hashes = (await connection.QueryAsync<string>(
            "SELECT password_hash FROM users WHERE id = ANY(@ids)", new { ids = new[] { first.Id, second.Id } })).ToList();

        Assert.Equal(2, hashes.Count);
        Assert.All(hashes, h => Assert.DoesNotContain("same password", h, StringComparison.Ordinal));
        Assert.NotEqual(hashes[0], hashes[1]);
        Assert.All(hashes, h => Assert.True(Passwords.Verify(h, "same password 1")));
    }

    [Fact]
    public async Task ATakenUsernameOrEmailIsAConflictNamingTheField()
    {
        var existing = await CreateAsync();

        var sameName = await _client.PostJsonAsync("/api/users", NewUser(username: existing.Username));
        var sameEmail = await _client.PostJsonAsync("/api/users", NewUser(email: existing.Email));

        Assert.Equal(HttpStatusCode.Conflict, sameName.StatusCode);
        Assert.True((await sameName.JsonAsync()).GetProperty("errors").TryGetProperty("username", out _));
        Assert.Equal(HttpStatusCode.Conflict, sameEmail.StatusCode);
        Assert.True((await sameEmail.JsonAsync()).GetProperty("errors").TryGetProperty("email", out _));
    }

    [Theory]
    [InlineData("username", "")]
    [InlineData("username", "a name with spaces")]
    [InlineData("email", "not-an-email")]
    [InlineData("role", "surgeon")]
    [InlineData("fullName", "")]
    [InlineData("password", "short")]
    [InlineData("phone", "+91 98765 43210 1234 5678")]
    [InlineData("profileImageUrl", "not a url")]
    public async Task AnInvalidFieldIsA400NamingIt(string field, string value)
    {
        var body = NewUser();
        body[field] = value;

        var response = await _client.PostJsonAsync("/api/users", body);

        Assert.Contains(field, await response.InvalidFieldsAsync());
    }

    [Fact]
    public async Task UpdatingAProfileChangesItAndAnUnknownUserIs404()
    {
        var user = await CreateAsync();

        var updated = await _client.PutJsonAsync($"/api/users/{user.Id}", new
        {
            username = user.Username, email = user.Email, fullName = "Dr. Renamed", role = "doctor", status = "suspended",
            specialty = "Neurology",
        });
        var unknown = await _client.PutJsonAsync($"/api/users/{Guid.NewGuid()}", new
        {
            username = Unique("x"), email = $"{Unique("x")}@clinic.example", fullName = "X", role = "nurse", status = "active",
        });

        var profile = await updated.ReadAsync<UserProfile>();
        Assert.Equal(("Dr. Renamed", "suspended", "Neurology"), (profile.FullName, profile.Status, profile.Specialty));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task ListingUsersFiltersByRoleAndPages()
    {
        var nurse = await CreateAsync(role: "nurse");

        var page = await (await _client.GetAsync("/api/users?role=nurse&pageSize=100")).JsonAsync();
        var badRole = await _client.GetAsync("/api/users?role=wizard");
        var hugePage = await _client.GetAsync("/api/users?pageSize=100000");

        Assert.Contains(page.GetProperty("items").EnumerateArray(), u => u.GetProperty("id").GetGuid() == nurse.Id);
        Assert.All(page.GetProperty("items").EnumerateArray(), u => Assert.Equal("nurse", u.GetProperty("role").GetString()));
        Assert.Contains("role", await badRole.InvalidFieldsAsync());
        Assert.Contains("pageSize", await hugePage.InvalidFieldsAsync());
    }

    [Fact]
    public async Task PreferencesAreCachedUntilTheyAreReplaced()
    {
        var user = await CreateAsync();
        await _client.PutJsonAsync($"/api/users/{user.Id}/preferences", new { language = "hi" });
        var first = await (await _client.GetAsync($"/api/users/{user.Id}/preferences")).JsonAsync();

        // Behind the API's back: the cached copy is still served.
        await using (var connection = await api.Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("UPDATE users SET preferences = '{\"language\":\"ta\"}' WHERE id = @id", new { id = user.Id });
        }

        var cached = await (await _client.GetAsync($"/api/users/{user.Id}/preferences")).JsonAsync();
        // Through the API: the write drops the key.
        await _client.PutJsonAsync($"/api/users/{user.Id}/preferences", new { language = "en" });
        var fresh = await (await _client.GetAsync($"/api/users/{user.Id}/preferences")).JsonAsync();

        Assert.Equal("hi", first.GetProperty("language").GetString());
        Assert.Equal("hi", cached.GetProperty("language").GetString());
        Assert.Equal("en", fresh.GetProperty("language").GetString());
    }

    private async Task<UserProfile> CreateAsync(string role = "doctor", string password = "a good password")
    {
        var body = NewUser(role: role);
        body["password"] = password;
        return await (await _client.PostJsonAsync("/api/users", body)).ReadAsync<UserProfile>();
    }

    private static Dictionary<string, object?> NewUser(string? username = null, string? email = null, string role = "doctor")
    {
        var name = username ?? Unique("user");
        return new()
        {
            ["username"] = name, ["email"] = email ?? $"{name}@clinic.example", ["fullName"] = "Test User", ["role"] = role,
            ["password"] = "a good password",
        };
    }

    private static string Unique(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..(prefix.Length + 12)];
}
