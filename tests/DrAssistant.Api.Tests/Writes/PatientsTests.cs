using System.Net;
using System.Text.Json;
using Dapper;

namespace DrAssistant.Api.Tests.Writes;

public sealed class PatientsTests(ApiFactory api) : IClassFixture<ApiFactory>, IAsyncLifetime
{
    private HttpClient _client = null!;

    public async Task InitializeAsync() => _client = (await api.NewClientAsync("receptionist")).Client;

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ARegisteredPatientIsReadBackWithDocumentsAndAllergies()
    {
        var mrn = Unique("MRN");
        var created = await _client.PostJsonAsync("/api/patients", new
        {
            firstName = "Priya", lastName = "Patel", dateOfBirth = "1988-07-15", gender = "female", mrn, abhaId = Unique("91"),
            phone = "+91 98200 00000", email = "priya@example.in", bloodGroup = "B+", allergies = new[] { "penicillin", "peanuts" },
            address = new { line1 = "12 MG Road", city = "Bengaluru", pin = "560001" },
            emergencyContact = new { name = "Raj Patel", phone = "+91 98200 11111" },
        });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.JsonAsync()).GetProperty("id").GetGuid();
        var patient = await (await _client.GetAsync($"/api/patients/{id}")).JsonAsync();
        Assert.Equal(mrn, patient.GetProperty("mrn").GetString());
        Assert.Equal("1988-07-15", patient.GetProperty("dateOfBirth").GetString());
        Assert.Equal("Bengaluru", patient.GetProperty("address").GetProperty("city").GetString());
        Assert.Equal(["penicillin", "peanuts"], patient.GetProperty("allergies").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("active", patient.GetProperty("status").GetString());
    }

    [Fact]
    public async Task ATakenMrnOrAbhaIdIsAConflictNamingTheField()
    {
        var mrn = Unique("MRN");
        var abha = Unique("91");
        await _client.PostJsonAsync("/api/patients", NewPatient(mrn: mrn, abha: abha));

        var sameMrn = await _client.PostJsonAsync("/api/patients", NewPatient(mrn: mrn));
        var sameAbha = await _client.PostJsonAsync("/api/patients", NewPatient(abha: abha));

        Assert.Equal(HttpStatusCode.Conflict, sameMrn.StatusCode);
        Assert.True((await sameMrn.JsonAsync()).GetProperty("errors").TryGetProperty("mrn", out _));
        Assert.Equal(HttpStatusCode.Conflict, sameAbha.StatusCode);
        Assert.True((await sameAbha.JsonAsync()).GetProperty("errors").TryGetProperty("abhaId", out _));
    }

    [Theory]
    [InlineData("firstName", "")]
    [InlineData("lastName", "A name far longer than the fifty characters that the column holds!")]
    [InlineData("gender", "unknown")]
    [InlineData("dateOfBirth", "2999-01-01")]
    [InlineData("email", "no-at-sign")]
    [InlineData("bloodGroup", "C+")]
    [InlineData("mrn", "M012345678901234567890123456789012345678901234567890123456789")]
    public async Task AnInvalidFieldIsA400NamingIt(string field, string value)
    {
        var body = NewPatient();
        body[field] = value;

        var response = await _client.PostJsonAsync("/api/patients", body);

        Assert.Contains(field, await response.InvalidFieldsAsync());
    }

    [Fact]
    public async Task AMalformedDateIsA400NamingTheField()
    {
        var body = NewPatient();
        body["dateOfBirth"] = "15/07/1988";

        var response = await _client.PostJsonAsync("/api/patients", body);

        Assert.Contains("dateOfBirth", await response.InvalidFieldsAsync());
    }

    [Fact]
    public async Task SearchFindsByNamePrefixMrnOrAbhaIdAndPages()
    {
        var last = Unique("Venkat");
        var mrn = Unique("MRN");
        var abha = Unique("91");
        var one = await CreateAsync(NewPatient("Lakshmi", last, mrn: mrn));
        var two = await CreateAsync(NewPatient("Lalitha", last, abha: abha));
        await CreateAsync(NewPatient("Someone", "Else"));

        var byName = await SearchAsync($"la {last[..8].ToLowerInvariant()}");
        var byMrn = await SearchAsync(mrn);
        var byAbha = await SearchAsync(abha);
        var paged = await (await _client.GetAsync($"/api/patients?query={last}&pageSize=1")).JsonAsync();

        Assert.Equal([one, two], byName);
        Assert.Equal([one], byMrn);
        Assert.Equal([two], byAbha);
        Assert.Single(paged.GetProperty("items").EnumerateArray());
        Assert.True(paged.GetProperty("hasMore").GetBoolean());
    }

    [Fact]
    public async Task SearchTreatsLikeWildcardsAsPlainCharacters()
    {
        var id = await CreateAsync(NewPatient("Percy", Unique("O_Brien")));

        Assert.DoesNotContain(id, await SearchAsync("%"));
        Assert.Empty(await SearchAsync("_"));
    }

    [Fact]
    public async Task DemographicsAreCachedUntilThePatientChanges()
    {
        var id = await CreateAsync(NewPatient("Nandini", "Rao"));
        var first = await (await _client.GetAsync($"/api/patients/{id}/demographics")).JsonAsync();

        await api.Seed.ExecuteAsync("UPDATE patients SET first_name = 'Changed' WHERE id = @id", new { id });
        var cached = await (await _client.GetAsync($"/api/patients/{id}/demographics")).JsonAsync();
        var body = NewPatient("Nandhini", "Rao");
        body["status"] = "active";
        var updated = await _client.PutJsonAsync($"/api/patients/{id}", body);
        var fresh = await (await _client.GetAsync($"/api/patients/{id}/demographics")).JsonAsync();

        Assert.Equal("Nandini", first.GetProperty("firstName").GetString());
        Assert.Equal(["id", "mrn", "abhaId", "firstName", "lastName", "dateOfBirth", "gender", "phone", "email"],
            first.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Nandini", cached.GetProperty("firstName").GetString());
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("Nandhini", fresh.GetProperty("firstName").GetString());
    }

    [Fact]
    public async Task UpdatingAnUnknownPatientIs404AndAPatientCanBeMarkedDeceased()
    {
        var id = await CreateAsync(NewPatient());
        var body = NewPatient();
        body["status"] = "deceased";

        var unknown = await _client.PutJsonAsync($"/api/patients/{Guid.NewGuid()}", body);
        var updated = await (await _client.PutJsonAsync($"/api/patients/{id}", body)).JsonAsync();

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("deceased", updated.GetProperty("status").GetString());
    }

    private async Task<Guid> CreateAsync(Dictionary<string, object?> body) =>
        (await (await _client.PostJsonAsync("/api/patients", body)).ReadAsync<JsonElement>()).GetProperty("id").GetGuid();

    private async Task<List<Guid>> SearchAsync(string query) =>
        (await (await _client.GetAsync($"/api/patients?query={Uri.EscapeDataString(query)}&pageSize=100")).JsonAsync())
        .GetProperty("items").EnumerateArray().Select(p => p.GetProperty("id").GetGuid()).ToList();

    private static Dictionary<string, object?> NewPatient(string first = "Test", string last = "Patient", string? mrn = null, string? abha = null) => new()
    {
        ["firstName"] = first, ["lastName"] = last, ["dateOfBirth"] = "1970-01-01", ["gender"] = "other", ["mrn"] = mrn, ["abhaId"] = abha,
    };

    private static string Unique(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..(prefix.Length + 10)];
}
