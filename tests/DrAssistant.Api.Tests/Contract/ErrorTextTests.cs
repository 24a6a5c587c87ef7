using System.Net;
using System.Text;
using System.Text.Json;

namespace DrAssistant.Api.Tests.Contract;

/// <summary>A refused request names the field and the rule in the API's words, never a .NET type or the binder's.</summary>
public sealed class ErrorTextTests(ApiFactory api) : IClassFixture<ApiFactory>, IAsyncLifetime
{
    private HttpClient _client = null!;

    public async Task InitializeAsync() => _client = (await api.NewClientAsync("receptionist")).Client;

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("/api/patients?query=a&page=abc", "page", "page must be a whole number.")]
    [InlineData("/api/patients?query=a&pageSize=1.5", "pageSize", "pageSize must be a whole number.")]
    [InlineData("/api/tasks?patientId=not-an-id", "patientId", "patientId must be an id (a UUID).")]
    public async Task AQueryValueOfTheWrongKindNamesTheParameterAndWhatItMustBe(string url, string field, string message)
    {
        var response = await _client.GetAsync(url);

        var body = await AssertCleanAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal([message], body.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData("""[1, 2, 3]""", "body", "The body must be an object.")]
    [InlineData("""{"firstName": 42}""", "firstName", "firstName must be a string.")]
    [InlineData("""{"firstName": "A", "dateOfBirth": true}""", "dateOfBirth", "dateOfBirth must be a date (YYYY-MM-DD).")]
    [InlineData("""{"firstName": "A", "allergies": "peanuts"}""", "allergies", "allergies must be a list.")]
    [InlineData("""{"firstName": "A", "allergies": [1]}""", "allergies[0]", "allergies[0] must be a string.")]
    [InlineData("""{"firstName": "A", "lastName": """, "body", null)]
    [InlineData("", "body", "A JSON body is required.")]
    public async Task ABodyThatCannotBeReadNamesTheFieldAndTheRule(string json, string field, string? message)
    {
        var response = await _client.PostAsync("/api/patients", new StringContent(json, Encoding.UTF8, "application/json"));

        var body = await AssertCleanAsync(response, HttpStatusCode.BadRequest);
        var messages = body.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()).ToList();
        if (message is not null)
        {
            Assert.Equal([message], messages);
        }
        else
        {
            Assert.StartsWith("The body is not valid JSON", Assert.Single(messages), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AMissingRequiredMemberIsNamedByItsPath()
    {
        var (_, nurse) = await api.NewClientAsync("nurse");

        var response = await nurse.PostJsonAsync("/api/notes", new
        {
            encounterId = Guid.NewGuid(),
            content = new { plan = new { medications = new[] { new { dosage = "75 mg" } } } },
        });

        var body = await AssertCleanAsync(response, HttpStatusCode.BadRequest);
        var (field, messages) = body.GetProperty("errors").EnumerateObject().Select(e => (e.Name, e.Value)).Single();
        Assert.StartsWith("content.plan.medications[0].", field, StringComparison.Ordinal);
        Assert.Equal($"{field} is required.", messages[0].GetString());
    }

    [Fact]
    public async Task ABodyThatIsNotJsonIs415()
    {
        var response = await _client.PostAsync("/api/patients", new StringContent("firstName=A", Encoding.UTF8, "text/plain"));

        await AssertCleanAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    /// <summary>The answer has the status, is ProblemDetails, and names nothing of .NET.</summary>
    private static async Task<JsonElement> AssertCleanAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        foreach (var leak in new[] { "DrAssistant.", "System.", "Nullable", "Int32", "Guid ", "Request request", "bind parameter", "Path:", "LineNumber" })
        {
            Assert.DoesNotContain(leak, text, StringComparison.Ordinal);
        }

        return JsonDocument.Parse(text).RootElement;
    }
}
