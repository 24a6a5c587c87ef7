using System.Net;
using System.Text;
using Xunit.Abstractions;

namespace DrAssistant.Api.Tests.Resilience;

/// <summary>
/// Text PostgreSQL cannot store (a NUL character, half a surrogate pair, a \u0000 escape in a JSON document) is the
/// client's 400 naming the field, never a 503 that looks like an outage, and it never leaves a pooled connection that
/// breaks the next good request. The API here has a pool of one connection, so the next request always gets the
/// connection the bad one used.
/// </summary>
public sealed class BadInputTests(BadInputTests.PoolOfOne api, ITestOutputHelper output) : IClassFixture<BadInputTests.PoolOfOne>
{
    private static readonly DateTime Slot = new(2027, 3, 1, 3, 30, 0, DateTimeKind.Utc);

    /// <summary>
    /// Before: the NUL went to PostgreSQL (22021 at Bind) and answered 503; as the second use of the search statement it
    /// was the execution Npgsql auto-prepared, and the next valid search answered 500 "unexpected backend message DataRow".
    /// </summary>
    [Fact]
    public async Task ANulInAQueryStringIsA400AndTheTwentyRequestsAfterItSucceedOnTheSameConnection()
    {
        var (_, client) = await api.NewClientAsync("receptionist");
        await api.Seed.PatientAsync("Asha", "Raoult");

        var first = await client.GetAsync("/api/patients?query=Raoult");
        var bad = await client.GetAsync("/api/patients?query=Rao%00ult");
        var after = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            after.Add((await client.GetAsync("/api/patients?query=Raoult")).StatusCode);
        }

        output.WriteLine($"valid {(int)first.StatusCode}, bad {(int)bad.StatusCode}, then 20 valid: {Counts(after)}");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Contains("query", await bad.InvalidFieldsAsync());
        Assert.All(after, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    [Fact]
    public async Task ANulInABodyIsA400NamingTheFieldAndTheTwentyBookingsAfterItSucceed()
    {
        var (_, client) = await api.NewClientAsync("receptionist");
        var (doctor, patient) = (await api.Seed.DoctorAsync(), await api.Seed.PatientAsync());

        var first = await client.PostJsonAsync("/api/appointments", Booking(doctor, patient, Slot, "Fever"));
        var bad = await client.PostJsonAsync("/api/appointments", Booking(doctor, patient, Slot.AddHours(1), "Fever\u0000"));
        var after = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            after.Add((await client.PostJsonAsync("/api/appointments", Booking(doctor, patient, Slot.AddHours(2 + i), "Cough"))).StatusCode);
        }

        output.WriteLine($"valid {(int)first.StatusCode}, bad {(int)bad.StatusCode}, then 20 valid: {Counts(after)}");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Contains("reason", await bad.InvalidFieldsAsync());
        Assert.All(after, s => Assert.Equal(HttpStatusCode.Created, s));
    }

    public static TheoryData<string, string, string, string> TextPostgresCannotStore => new()
    {
        { "POST", "/api/patients", """{"firstName":"As\u0000ha","lastName":"Rao","dateOfBirth":"1980-01-01","gender":"female"}""", "firstName" },
        { "POST", "/api/patients", """{"firstName":"Asha","lastName":"Rao","dateOfBirth":"1980-01-01","gender":"female","address":{"city":"Pu\u0000ne"}}""", "address" },
        { "POST", "/api/patients", """{"firstName":"\ud800","lastName":"Rao","dateOfBirth":"1980-01-01","gender":"female"}""", "firstName" },
        { "POST", "/api/patients", """{"firstName":"Asha","lastName":"Rao","dateOfBirth":"1980-01-01","gender":"female","allergies":["pea\u0000nuts"]}""", "allergies[0]" },
        { "GET", "/api/patients?query=%00", "", "query" },
        { "GET", "/api/patients?status=active%00", "", "status" },
    };

    [Theory]
    [MemberData(nameof(TextPostgresCannotStore))]
    public async Task TextPostgresCannotStoreIsA400NamingTheField(string method, string url, string body, string field)
    {
        var (_, client) = await api.NewClientAsync("receptionist");
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (body.Length > 0)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        var response = await client.SendAsync(request);

        Assert.Contains(field, await response.InvalidFieldsAsync());
    }

    [Fact]
    public async Task ANulInAPreferencesDocumentIsA400AndNothingIsStored()
    {
        var (me, client) = await api.NewClientAsync("doctor");

        var response = await client.PutAsync($"/api/users/{me}/preferences",
            new StringContent("""{"theme":"dark\u0000"}""", Encoding.UTF8, "application/json"));
        var stored = await (await client.GetAsync($"/api/users/{me}/preferences")).JsonAsync();

        Assert.Contains("theme", await response.InvalidFieldsAsync());
        Assert.False(stored.TryGetProperty("theme", out _));
    }

    private static string Counts(IEnumerable<HttpStatusCode> statuses) =>
        string.Join(", ", statuses.GroupBy(s => (int)s).OrderBy(g => g.Key).Select(g => $"{g.Key} × {g.Count()}"));

    private static object Booking(Guid doctor, Guid patient, DateTime start, string reason) => new
    {
        doctorId = doctor, patientId = patient, startTime = start, endTime = start.AddMinutes(20), appointmentType = "in_person", reason,
    };

    /// <summary>The API with a pool of one PostgreSQL connection and auto-prepare as in production.</summary>
    public sealed class PoolOfOne : ApiFactory
    {
        protected override Dictionary<string, string?> Settings => new()
        {
            ["ConnectionStrings:postgresdb"] = Database.ConnectionString + ";Maximum Pool Size=1",
        };
    }
}
