using System.Net;

namespace DrAssistant.Api.Tests.Writes;

/// <summary>
/// A prescription belongs to its prescriber (the doctor who wrote the draft) and an order to the doctor who placed it:
/// another doctor may read them but not change, sign, send or cancel them (403).
/// </summary>
public sealed class PrescriberTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task ThePrescriberIsTheDoctorWhoWritesTheDraftWhoeverTheEncountersDoctorIs()
    {
        var (encounterDoctor, _) = await api.NewClientAsync("doctor");
        var (colleague, colleagueClient) = await api.NewClientAsync("doctor");
        var encounter = await api.Seed.EncounterAsync(encounterDoctor, await api.Seed.PatientAsync(), DateTime.UtcNow.AddMinutes(-10));

        var created = await (await colleagueClient.PostJsonAsync("/api/prescriptions", new
        {
            encounterId = encounter, items = new[] { new { medicationName = "Cetirizine", dosage = "10 mg", frequency = "at night" } },
        })).JsonAsync();

        Assert.Equal(colleague, created.GetProperty("doctorId").GetGuid());
    }

    [Fact]
    public async Task APrescriptionWrittenByAnotherDoctorCannotBeEditedSignedSentOrCancelled()
    {
        var (author, authorClient) = await api.NewClientAsync("doctor");
        var (_, other) = await api.NewClientAsync("doctor");
        var encounter = await api.Seed.EncounterAsync(author, await api.Seed.PatientAsync(), DateTime.UtcNow.AddMinutes(-10));
        var prescription = await (await authorClient.PostJsonAsync("/api/prescriptions", new
        {
            encounterId = encounter, items = new[] { new { medicationName = "Metformin", dosage = "500 mg", frequency = "twice a day" } },
        })).JsonAsync();
        var id = prescription.GetProperty("id").GetGuid();
        var item = prescription.GetProperty("items")[0].GetProperty("id").GetGuid();
        var medication = new { medicationName = "Insulin", dosage = "10 units", frequency = "at night" };

        var added = await other.PostJsonAsync($"/api/prescriptions/{id}/items", medication);
        var changed = await other.PutJsonAsync($"/api/prescriptions/{id}/items/{item}", medication);
        var removed = await other.DeleteAsync($"/api/prescriptions/{id}/items/{item}");
        var edited = await other.PutJsonAsync($"/api/prescriptions/{id}", new { validFrom = "2027-01-01" });
        var signedByOther = await other.PostAsync($"/api/prescriptions/{id}/sign", null);
        var read = await other.GetAsync($"/api/prescriptions/{id}");
        Assert.Equal(HttpStatusCode.OK, (await authorClient.PostAsync($"/api/prescriptions/{id}/sign", null)).StatusCode);
        var sent = await other.PostJsonAsync($"/api/prescriptions/{id}/send", new { pharmacyId = Guid.NewGuid() });
        var cancelled = await other.PostAsync($"/api/prescriptions/{id}/cancel", null);
        var after = await (await authorClient.GetAsync($"/api/prescriptions/{id}")).JsonAsync();

        Assert.All([added, changed, removed, edited, signedByOther, sent, cancelled],
            r => Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("signed", after.GetProperty("status").GetString());
        Assert.Equal(["Metformin"], after.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("medicationName").GetString()));
        Assert.Equal(author, after.GetProperty("doctorId").GetGuid());
    }

    [Fact]
    public async Task AnUnknownPrescriptionIs404ForEveryoneBeforeOwnershipIsChecked()
    {
        var (_, client) = await api.NewClientAsync("doctor");

        var sign = await client.PostAsync($"/api/prescriptions/{Guid.NewGuid()}/sign", null);
        var cancel = await client.PostAsync($"/api/prescriptions/{Guid.NewGuid()}/cancel", null);
        var item = await client.DeleteAsync($"/api/prescriptions/{Guid.NewGuid()}/items/{Guid.NewGuid()}");

        Assert.All([sign, cancel, item], r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
    }

    [Fact]
    public async Task AnOrderPlacedByAnotherDoctorCannotBeChangedSubmittedOrCancelled()
    {
        var (author, authorClient) = await api.NewClientAsync("doctor");
        var (_, other) = await api.NewClientAsync("doctor");
        var encounter = await api.Seed.EncounterAsync(author, await api.Seed.PatientAsync(), DateTime.UtcNow.AddMinutes(-10));
        var order = await (await authorClient.PostJsonAsync("/api/orders", new
        {
            encounterId = encounter, orderType = "lab", draft = true, items = new[] { new { itemCode = "58410-2", itemName = "CBC" } },
        })).JsonAsync();
        var id = order.GetProperty("id").GetGuid();
        var item = order.GetProperty("items")[0].GetProperty("id").GetGuid();

        var added = await other.PostJsonAsync($"/api/orders/{id}/items", new { itemCode = "2345-7", itemName = "Glucose" });
        var removed = await other.DeleteAsync($"/api/orders/{id}/items/{item}");
        var edited = await other.PutJsonAsync($"/api/orders/{id}", new { orderType = "imaging" });
        var submitted = await other.PostAsync($"/api/orders/{id}/submit", null);
        var cancelled = await other.PostAsync($"/api/orders/{id}/cancel", null);
        var submittedByAuthor = await authorClient.PostAsync($"/api/orders/{id}/submit", null);

        Assert.All([added, removed, edited, submitted, cancelled], r => Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode));
        Assert.Equal(HttpStatusCode.OK, submittedByAuthor.StatusCode);
        Assert.Equal(author, (await submittedByAuthor.JsonAsync()).GetProperty("doctorId").GetGuid());
    }

    [Fact]
    public async Task AnOrderBelongsToTheDoctorWhoPlacesItWhoeverTheEncountersDoctorIs()
    {
        var (encounterDoctor, _) = await api.NewClientAsync("doctor");
        var (colleague, colleagueClient) = await api.NewClientAsync("doctor");
        var encounter = await api.Seed.EncounterAsync(encounterDoctor, await api.Seed.PatientAsync(), DateTime.UtcNow.AddMinutes(-10));

        var order = await (await colleagueClient.PostJsonAsync("/api/orders", new
        {
            encounterId = encounter, orderType = "imaging", items = new[] { new { itemCode = "71046", itemName = "Chest X-ray" } },
        })).JsonAsync();

        Assert.Equal(colleague, order.GetProperty("doctorId").GetGuid());
    }
}
