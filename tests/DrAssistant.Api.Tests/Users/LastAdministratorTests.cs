using System.Net;
using Dapper;

namespace DrAssistant.Api.Tests.Users;

/// <summary>The clinic always keeps an active administrator (the race of two at once is in AccountRaceTests).</summary>
public sealed class LastAdministratorTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Theory]
    [InlineData("receptionist", "active", "role")]
    [InlineData("admin", "inactive", "status")]
    [InlineData("admin", "suspended", "status")]
    public async Task TheLastActiveAdministratorCannotBeDemotedOrDeactivated(string role, string status, string field)
    {
        var (admin, client) = await api.NewClientAsync("admin");
        // This class's database is its own: make this the clinic's only active administrator.
        await api.Seed.ExecuteAsync("UPDATE users SET status = 'inactive' WHERE role = 'admin' AND id <> @admin", new { admin });
        var username = await UsernameAsync(admin);

        var response = await client.PutJsonAsync($"/api/users/{admin}", new
        {
            username, email = $"{username}@clinic.example", fullName = "The Admin", role, status,
        });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.True(body.GetProperty("errors").TryGetProperty(field, out _), body.ToString());
        await using var connection = await api.Db.OpenConnectionAsync();
        Assert.Equal(("admin", "active"), await connection.QuerySingleAsync<(string, string)>("SELECT role, status FROM users WHERE id = @admin", new { admin }));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/auth/me")).StatusCode);
    }

    [Fact]
    public async Task WithAnotherActiveAdministratorOneMayStepDown()
    {
        var (admin, client) = await api.NewClientAsync("admin");
        var (other, _) = await api.NewClientAsync("admin");
        await api.Seed.ExecuteAsync("UPDATE users SET status = 'inactive' WHERE role = 'admin' AND id <> ALL(@keep)", new { keep = new[] { admin, other } });
        var username = await UsernameAsync(admin);

        var response = await client.PutJsonAsync($"/api/users/{admin}", new
        {
            username, email = $"{username}@clinic.example", fullName = "Former Admin", role = "receptionist", status = "active",
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // A new role ends the sessions of the old one, the caller's own included.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/auth/me")).StatusCode);
    }

    private async Task<string> UsernameAsync(Guid id)
    {
        await using var connection = await api.Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<string>("SELECT username FROM users WHERE id = @id", new { id }) ?? "";
    }
}
