using System.Net;
using System.Text;
using Dapper;

namespace DrAssistant.Api.Tests.Resilience;

/// <summary>Malformed and hostile requests get a 4xx ProblemDetails and change no data; never a 500.</summary>
public sealed class HostileInputTests(ApiFactory api) : IClassFixture<ApiFactory>, IAsyncLifetime
{
    private HttpClient _client = null!;

    public async Task InitializeAsync() => _client = (await api.NewClientAsync("receptionist")).Client;

    public Task DisposeAsync() => Task.CompletedTask;

    public static TheoryData<string, string> Bodies => new()
    {
        { "truncated JSON", """{"firstName": "Asha", "lastName": """ },
        { "wrong type", """{"firstName": 42, "lastName": "Rao", "dateOfBirth": "1980-01-01", "gender": "female"}""" },
        { "not an object", """[1, 2, 3]""" },
        { "deep nesting", new string('[', 5000) + new string(']', 5000) },
        { "nested document", """{"firstName":"A","lastName":"B","dateOfBirth":"1980-01-01","gender":"male","address":""" + new string('[', 100) + new string(']', 100) + "}" },
        { "SQL in a name", """{"firstName": "Robert'); DROP TABLE patients;--", "lastName": "Tables", "dateOfBirth": "1980-01-01", "gender": "male", "mrn": "' OR 1=1 --0123456789012345678901234567890123456789012345"}""" },
        { "empty body", "" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task AMalformedOrHostileBodyIsRefusedWithA4xxAndNothingIsWritten(string kind, string body)
    {
        var before = await CountPatientsAsync();

        var response = await _client.PostAsync("/api/patients", new StringContent(body, Encoding.UTF8, "application/json"));

        var status = (int)response.StatusCode;
        Assert.True(status is >= 400 and < 500, $"{kind}: {status} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await CountPatientsAsync());
    }

    [Fact]
    public async Task AWrongTypeNamesTheField()
    {
        var response = await _client.PostAsync("/api/patients",
            new StringContent("""{"firstName": 42}""", Encoding.UTF8, "application/json"));

        Assert.Contains("firstName", await response.InvalidFieldsAsync());
    }

    [Fact]
    public async Task InvalidUtf8IsA400()
    {
        byte[] invalid = [0xC3, 0x28, 0xFF];
        var bytes = Encoding.UTF8.GetBytes("{\"firstName\": \"A").Concat(invalid).Concat(Encoding.UTF8.GetBytes("\", \"lastName\": \"B\"}")).ToArray();
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };

        var response = await _client.PostAsync("/api/patients", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task AnOversizedBodyIsA413()
    {
        var huge = new string('x', 40 * 1024 * 1024);
        var response = await _client.PostAsync("/api/patients",
            new StringContent($$"""{"firstName": "{{huge}}"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Theory]
    [InlineData("/api/patients?pageSize=2147483647")]
    [InlineData("/api/patients?page=-1")]
    [InlineData("/api/patients?pageSize=abc")]
    [InlineData("/api/patients?query=%27%20OR%201%3D1%20--")]
    [InlineData("/api/doctors/00000000-0000-0000-0000-000000000000/dashboard?date=%27;DROP")]
    public async Task HostileQueryStringsAre4xxOrEmptyResultsNeverErrors(string url)
    {
        var response = await _client.GetAsync(url);

        Assert.True((int)response.StatusCode is 200 or (>= 400 and < 500), $"{url}: {(int)response.StatusCode}");
        if (response.StatusCode == HttpStatusCode.OK)
        {
            Assert.Equal(0, (await response.JsonAsync()).GetProperty("items").GetArrayLength());
        }
    }

    [Fact]
    public async Task AnIdThatIsNotAGuidIs404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/patients/not-a-guid")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/patients/1%20OR%201=1")).StatusCode);
    }

    private async Task<long> CountPatientsAsync()
    {
        await using var connection = await api.Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM patients");
    }
}
