using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting;

namespace DrAssistant.Api.Tests.Contract;

/// <summary>
/// What every answer says about itself, over real Kestrel (the test server adds no <c>Server</c> header of its own,
/// so only a real server shows that none is sent).
/// </summary>
public sealed class SecurityHeadersTests(SecurityHeadersTests.OnKestrel api) : IClassFixture<SecurityHeadersTests.OnKestrel>
{
    [Fact]
    public async Task EveryApiAnswerIsNoStoreAndNosniffAndNoneNamesTheServer()
    {
        var (id, client) = await api.NewClientAsync("receptionist");
        var anonymous = api.CreateClient();

        var answers = new Dictionary<string, HttpResponseMessage>
        {
            ["200 sign-in"] = await anonymous.PostJsonAsync("/api/auth/login", new { username = await UsernameAsync(id), password = Seed.Password }),
            ["200 me"] = await client.GetAsync("/api/auth/me"),
            ["200 list"] = await client.GetAsync("/api/patients?query=a"),
            ["400"] = await client.PostAsync("/api/patients", new StringContent("""{"firstName": 42}""", Encoding.UTF8, "application/json")),
            ["401"] = await anonymous.GetAsync("/api/patients?query=a"),
            ["403"] = await client.GetAsync("/api/encounters"),
            ["404"] = await client.GetAsync($"/api/patients/{Guid.NewGuid()}"),
        };
        var alive = await anonymous.GetAsync("/alive");

        foreach (var (name, response) in answers)
        {
            Assert.True(name.StartsWith(((int)response.StatusCode).ToString(), StringComparison.Ordinal), $"{name}: got {(int)response.StatusCode}");
            Assert.True(response.Headers.CacheControl?.NoStore == true, $"{name}: Cache-Control {response.Headers.CacheControl}");
            Assert.Equal(["nosniff"], response.Headers.GetValues("X-Content-Type-Options"));
            Assert.False(response.Headers.Contains("Server"), $"{name}: Server {string.Join(",", response.Headers.Server)}");
        }

        Assert.Equal(["nosniff"], alive.Headers.GetValues("X-Content-Type-Options"));
        Assert.False(alive.Headers.Contains("Server"));
    }

    private async Task<string> UsernameAsync(Guid id)
    {
        await using var connection = await api.Db.OpenConnectionAsync();
        return await Dapper.SqlMapper.ExecuteScalarAsync<string>(connection, "SELECT username FROM users WHERE id = @id", new { id }) ?? "";
    }

    public sealed class OnKestrel : ApiFactory
    {
        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            UseKestrel(0);
        }
    }
}

/// <summary>The OpenAPI document and Scalar: served in Development, elsewhere only when <c>Api:ExposeOpenApi</c> is true.</summary>
public sealed class OpenApiExposureTests
{
    [Theory]
    [InlineData("Development", null, true)]
    [InlineData("Production", null, false)]
    [InlineData("Staging", "false", false)]
    [InlineData("Production", "true", true)]
    public async Task TheDocumentAndScalarAreServedOnlyWhereTheyShouldBe(string environment, string? expose, bool served)
    {
        await using var api = new InEnvironment(environment, expose);
        await api.InitializeAsync();
        var client = api.CreateClient();

        var document = await client.GetAsync("/openapi/v1.json");
        var scalar = await client.GetAsync("/scalar");

        if (served)
        {
            Assert.Equal(HttpStatusCode.OK, document.StatusCode);
            Assert.Equal(HttpStatusCode.OK, scalar.StatusCode);
        }
        else
        {
            Assert.True(document.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized, $"document: {(int)document.StatusCode}");
            Assert.True(scalar.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized, $"scalar: {(int)scalar.StatusCode}");
            Assert.DoesNotContain("\"openapi\"", await document.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    private sealed class InEnvironment(string environment, string? expose) : ApiFactory
    {
        protected override Dictionary<string, string?> Settings => expose is null ? [] : new() { ["Api:ExposeOpenApi"] = expose };

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseEnvironment(environment);
        }
    }
}
