using System.Net;
using System.Text.Json;

namespace DrAssistant.Api.Tests.Patterns;

public sealed class TimelineAndEncounterTests(ApiFactory api) : IClassFixture<ApiFactory>, IAsyncLifetime
{
    private HttpClient _client = null!;

    public async Task InitializeAsync() => _client = (await api.NewClientAsync("doctor")).Client;

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task TheTimelineListsEncountersPrescriptionsAndOrdersNewestFirstWithTheirItemsAndDoctors()
    {
        var doctor = await api.Seed.DoctorAsync("Dr. Kavya Menon");
        var patient = await api.Seed.PatientAsync("Ravi", "Kumar");
        var t = new DateTime(2026, 1, 10, 5, 0, 0, DateTimeKind.Utc);
        var older = await api.Seed.EncounterAsync(doctor, patient, t);
        var newer = await api.Seed.EncounterAsync(doctor, patient, t.AddDays(7));
        var withItems = await api.Seed.PrescriptionAsync(older, t.AddMinutes(10), "Amoxicillin", "Paracetamol");
        var withoutItems = await api.Seed.PrescriptionAsync(newer, t.AddDays(7).AddMinutes(5));
        var order = await api.Seed.OrderAsync(newer, t.AddDays(7).AddMinutes(6), "Complete blood count");
        await api.Seed.EncounterAsync(doctor, await api.Seed.PatientAsync(), t);

        var timeline = await (await _client.GetAsync($"/api/patients/{patient}/timeline")).JsonAsync();

        Assert.Equal("Ravi", timeline.GetProperty("patient").GetProperty("firstName").GetString());
        Assert.Equal([newer, older], Ids(timeline.GetProperty("encounters")));
        Assert.Equal("Dr. Kavya Menon", timeline.GetProperty("encounters").GetProperty("items")[0].GetProperty("doctorName").GetString());
        Assert.Equal([withoutItems, withItems], Ids(timeline.GetProperty("prescriptions")));
        var prescriptions = timeline.GetProperty("prescriptions").GetProperty("items");
        Assert.Equal(0, prescriptions[0].GetProperty("items").GetArrayLength());
        Assert.Equal(["Amoxicillin", "Paracetamol"], prescriptions[1].GetProperty("items").EnumerateArray().Select(i => i.GetProperty("medicationName").GetString()));
        Assert.Equal("Dr. Kavya Menon", prescriptions[1].GetProperty("prescriberName").GetString());
        Assert.Equal([order], Ids(timeline.GetProperty("orders")));
        Assert.Equal("Complete blood count", timeline.GetProperty("orders").GetProperty("items")[0].GetProperty("items")[0].GetProperty("itemName").GetString());
    }

    [Fact]
    public async Task TheTimelineIsPagedNewestFirst()
    {
        var doctor = await api.Seed.DoctorAsync();
        var patient = await api.Seed.PatientAsync();
        var start = new DateTime(2025, 6, 1, 4, 0, 0, DateTimeKind.Utc);
        var encounters = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            encounters.Add(await api.Seed.EncounterAsync(doctor, patient, start.AddDays(i)));
        }

        var first = await (await _client.GetAsync($"/api/patients/{patient}/timeline?pageSize=2")).JsonAsync();
        var third = await (await _client.GetAsync($"/api/patients/{patient}/timeline?pageSize=2&page=3")).JsonAsync();

        Assert.Equal([encounters[4], encounters[3]], Ids(first.GetProperty("encounters")));
        Assert.True(first.GetProperty("encounters").GetProperty("hasMore").GetBoolean());
        Assert.Equal([encounters[0]], Ids(third.GetProperty("encounters")));
        Assert.False(third.GetProperty("encounters").GetProperty("hasMore").GetBoolean());
    }

    [Fact]
    public async Task AnUnknownPatientsTimelineIs404AndAHugePageIs400()
    {
        var patient = await api.Seed.PatientAsync();

        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/patients/{Guid.NewGuid()}/timeline")).StatusCode);
        Assert.Contains("pageSize", await (await _client.GetAsync($"/api/patients/{patient}/timeline?pageSize=5000")).InvalidFieldsAsync());
        Assert.Contains("page", await (await _client.GetAsync($"/api/patients/{patient}/timeline?page=0")).InvalidFieldsAsync());
    }

    [Fact]
    public async Task AnEncounterComesWithItsPatientDoctorPrescriptionsAndOrdersNewestFirst()
    {
        var doctor = await api.Seed.DoctorAsync("Dr. Arjun Das", "Pulmonology");
        var patient = await api.Seed.PatientAsync("Leela", "Sharma", "1990-12-24", mrn: $"MRN-{Guid.NewGuid():N}"[..16]);
        var start = new DateTime(2026, 2, 2, 6, 0, 0, DateTimeKind.Utc);
        var encounter = await api.Seed.EncounterAsync(doctor, patient, start, "Breathlessness");
        var first = await api.Seed.PrescriptionAsync(encounter, start.AddMinutes(5), "Salbutamol");
        var second = await api.Seed.PrescriptionAsync(encounter, start.AddMinutes(9));
        var order = await api.Seed.OrderAsync(encounter, start.AddMinutes(7), "Chest X-ray");

        var details = await (await _client.GetAsync($"/api/encounters/{encounter}")).JsonAsync();

        Assert.Equal("Breathlessness", details.GetProperty("encounter").GetProperty("chiefComplaint").GetString());
        var p = details.GetProperty("patient");
        Assert.Equal(("Leela", "Sharma", "1990-12-24", "female"),
            (p.GetProperty("firstName").GetString(), p.GetProperty("lastName").GetString(), p.GetProperty("dateOfBirth").GetString(), p.GetProperty("gender").GetString()));
        Assert.StartsWith("MRN-", p.GetProperty("mrn").GetString(), StringComparison.Ordinal);
        Assert.Equal(("Dr. Arjun Das", "Pulmonology"),
            (details.GetProperty("doctor").GetProperty("fullName").GetString(), details.GetProperty("doctor").GetProperty("specialty").GetString()));
        Assert.Equal([second, first], details.GetProperty("prescriptions").EnumerateArray().Select(x => x.GetProperty("id").GetGuid()));
        Assert.Equal("Salbutamol", details.GetProperty("prescriptions")[1].GetProperty("items")[0].GetProperty("medicationName").GetString());
        Assert.Equal([order], details.GetProperty("orders").EnumerateArray().Select(x => x.GetProperty("id").GetGuid()));
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/encounters/{Guid.NewGuid()}")).StatusCode);
    }

    private static List<Guid> Ids(JsonElement page) =>
        page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetGuid()).ToList();
}
