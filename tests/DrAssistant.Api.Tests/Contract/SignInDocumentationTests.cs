using System.Text.Json;
using DrAssistant.Api.ApiReference;
using DrAssistant.Api.Auth;
using Microsoft.AspNetCore.Hosting;

namespace DrAssistant.Api.Tests.Contract;

/// <summary>The OpenAPI document tells a developer (and Scalar) how to sign in and what each operation needs.</summary>
public sealed class SignInDocumentationTests(OpenApiTests.ExposedApi api) : IClassFixture<OpenApiTests.ExposedApi>
{
    [Fact]
    public async Task TheDocumentDeclaresTheBearerTokenOfTheLogin()
    {
        var document = await DocumentAsync();

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty(SignInDocumentation.SchemeName);
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        Assert.Contains("POST /api/auth/login", scheme.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryOperationButTheLoginAndTheProbesRequiresTheToken()
    {
        var operations = Operations(await DocumentAsync()).ToList();

        var open = operations.Where(o => !o.Operation.TryGetProperty("security", out _)).Select(o => o.Name).ToList();
        Assert.Equal(["POST /api/auth/login"], open.Where(n => n.Contains(" /api/", StringComparison.Ordinal)));
        foreach (var (name, operation) in operations.Where(o => o.Operation.TryGetProperty("security", out _)))
        {
            var requirement = Assert.Single(operation.GetProperty("security").EnumerateArray());
            Assert.True(requirement.TryGetProperty(SignInDocumentation.SchemeName, out _), $"{name} does not name the bearer scheme");
        }
    }

    [Theory]
    [InlineData("GET /api/doctors/{id}/dashboard", Permissions.ReadDashboard, "doctor")]
    [InlineData("POST /api/patients", Permissions.WritePatients, "receptionist")]
    [InlineData("POST /api/notes/{id}/sign", Permissions.SignNotes, "doctor")]
    [InlineData("GET /api/users", Permissions.ReadUsers, "admin")]
    public async Task AnOperationNamesThePermissionItNeedsAndTheRolesThatHoldIt(string name, string permission, string aRoleThatHoldsIt)
    {
        var operation = Operations(await DocumentAsync()).Single(o => o.Name == name).Operation;

        Assert.Equal([permission], operation.GetProperty(SignInDocumentation.PermissionsExtension).EnumerateArray().Select(p => p.GetString()));
        var description = operation.GetProperty("description").GetString()!;
        Assert.Contains($"`{permission}`", description, StringComparison.Ordinal);
        Assert.Contains(aRoleThatHoldsIt, description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryPermissionTheApiChecksIsDocumentedOnSomeOperation()
    {
        var documented = Operations(await DocumentAsync())
            .Where(o => o.Operation.TryGetProperty(SignInDocumentation.PermissionsExtension, out _))
            .SelectMany(o => o.Operation.GetProperty(SignInDocumentation.PermissionsExtension).EnumerateArray().Select(p => p.GetString()))
            .ToHashSet();

        Assert.Equal(Permissions.All.Order(), documented.Order());
    }

    [Fact]
    public async Task ScalarOpensWithTheBearerSchemeAndKeepsThePastedToken()
    {
        await using var development = api.WithWebHostBuilder(builder => builder.UseEnvironment("Development"));

        var response = await development.CreateClient().GetAsync("/scalar/");
        var page = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"preferredSecurityScheme", page, StringComparison.Ordinal);
        Assert.Contains($"\"{SignInDocumentation.SchemeName}\"", page, StringComparison.Ordinal);
        Assert.Contains("\"persistAuth\":true", page, StringComparison.Ordinal);
    }

    private async Task<JsonElement> DocumentAsync() =>
        await (await api.CreateClient().GetAsync("/openapi/v1.json")).JsonAsync();

    private static IEnumerable<(string Name, JsonElement Operation)> Operations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject()
                .Where(o => o.Name is "get" or "post" or "put" or "delete" or "patch")
                .Select(o => ($"{o.Name.ToUpperInvariant()} {path.Name}", o.Value)));
}
