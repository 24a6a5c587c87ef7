using System.Text.Json;
using System.Text.RegularExpressions;

namespace DrAssistant.Api.Tests.Contract;

public sealed partial class OpenApiTests(OpenApiTests.ExposedApi api) : IClassFixture<OpenApiTests.ExposedApi>
{
    [Fact]
    public async Task EveryApiEndpointIsDocumentedWithItsResponses()
    {
        var document = await (await api.CreateClient().GetAsync("/openapi/v1.json")).JsonAsync();
        var paths = document.GetProperty("paths");

        var dashboard = paths.GetProperty("/api/doctors/{id}/dashboard").GetProperty("get");
        Assert.Equal(["200", "400", "404"], dashboard.GetProperty("responses").EnumerateObject().Select(r => r.Name).Order());
        var createPatient = paths.GetProperty("/api/patients").GetProperty("post");
        Assert.Equal(["201", "400", "409"], createPatient.GetProperty("responses").EnumerateObject().Select(r => r.Name).Order());
        Assert.True(createPatient.TryGetProperty("requestBody", out _));
        Assert.All(paths.EnumerateObject().SelectMany(p => p.Value.EnumerateObject()),
            operation => Assert.True(operation.Value.TryGetProperty("summary", out _), $"{operation.Name} has no summary"));
        Assert.True(paths.EnumerateObject().Count(p => p.Name.StartsWith("/api/", StringComparison.Ordinal)) >= 30);
    }

    [Fact]
    public async Task TheRecordingUploadDocumentsItsAudioTypesTheFormAndItsRefusals()
    {
        var document = await (await api.CreateClient().GetAsync("/openapi/v1.json")).JsonAsync();
        var upload = document.GetProperty("paths").GetProperty("/api/encounters/{id}/recordings").GetProperty("post");

        var types = upload.GetProperty("requestBody").GetProperty("content").EnumerateObject().Select(c => c.Name).ToList();
        Assert.Contains("audio/webm", types);
        Assert.Contains("multipart/form-data", types);
        Assert.True(upload.GetProperty("requestBody").GetProperty("content").GetProperty("multipart/form-data")
            .GetProperty("schema").GetProperty("properties").TryGetProperty("file", out _));
        var responses = upload.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToList();
        Assert.Contains("413", responses);
        Assert.Contains("415", responses);
        Assert.Contains("503", responses);
    }

    [Fact]
    public async Task EveryRequestOfTheHttpFileTargetsADocumentedOperation()
    {
        var document = await (await api.CreateClient().GetAsync("/openapi/v1.json")).JsonAsync();
        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (Method: o.Name.ToUpperInvariant(), Pattern: Template(p.Name))))
            .ToList();
        var file = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "DrAssistant.Api", "DrAssistant.Api.http"));

        var requests = RequestLine().Matches(file).Select(m => (Method: m.Groups[1].Value, Path: m.Groups[2].Value)).ToList();

        Assert.True(requests.Count >= 15);
        foreach (var (method, path) in requests.Where(r => r.Path.StartsWith("/api/", StringComparison.Ordinal)))
        {
            Assert.Contains(operations, o => o.Method == method && o.Pattern.IsMatch(path));
        }
    }

    /// <summary>"/api/patients/{id}/timeline" as a regex that "/api/patients/{{patient...}}/timeline" matches.</summary>
    private static Regex Template(string path) =>
        new("^" + Regex.Replace(Regex.Escape(path), @"\\\{[^}]+}", "[^/]+") + "$");

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory!.FullName, "DrAssistant.sln")))
        {
            directory = directory.Parent;
        }

        return directory.FullName;
    }

    [GeneratedRegex(@"^(GET|POST|PUT|DELETE) \{\{api\}\}([^?\s]+)", RegexOptions.Multiline)]
    private static partial Regex RequestLine();

    /// <summary>Outside Development the document is served only when asked for (see SecurityHeadersTests).</summary>
    public sealed class ExposedApi : ApiFactory
    {
        protected override Dictionary<string, string?> Settings => new() { ["Api:ExposeOpenApi"] = "true" };
    }
}
