using System.Net;
using System.Text.Json;

namespace DrAssistant.Api.Tests.Writes;

/// <summary>Encounters, prescriptions and orders written through the API.</summary>
public sealed class ClinicalWorkTests(ApiFactory api) : IClassFixture<ApiFactory>, IAsyncLifetime
{
    private Guid _doctor;
    private HttpClient _client = null!;

    /// <summary>Each test acts as a doctor of its own, who is also the doctor of the encounters it creates.</summary>
    public async Task InitializeAsync() => (_doctor, _client) = await api.NewClientAsync("doctor");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task AnEncounterOpenedForAnAppointmentIsCompletedWithAnEndTime()
    {
        var (doctor, patient) = (await api.Seed.DoctorAsync(), await api.Seed.PatientAsync());
        var appointment = await api.Seed.AppointmentAsync(doctor, patient, DateTime.UtcNow.AddHours(-1));

        var opened = await _client.PostJsonAsync("/api/encounters", new
        {
            doctorId = doctor, patientId = patient, appointmentId = appointment, encounterType = "office_visit",
            startTime = DateTime.UtcNow.AddMinutes(-30), chiefComplaint = "Headache",
        });
        var id = (await opened.JsonAsync()).GetProperty("id").GetGuid();
        var completed = await _client.PostJsonAsync($"/api/encounters/{id}/complete", new { });
        var again = await _client.PostJsonAsync($"/api/encounters/{id}/complete", new { });

        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        Assert.Equal("in_progress", (await opened.JsonAsync()).GetProperty("status").GetString());
        var closed = await completed.JsonAsync();
        Assert.Equal("completed", closed.GetProperty("status").GetString());
        Assert.True(closed.GetProperty("endTime").GetDateTime() > closed.GetProperty("startTime").GetDateTime());
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task AnEncounterForSomeoneElsesAppointmentIsA400()
    {
        var (doctor, patient) = (await api.Seed.DoctorAsync(), await api.Seed.PatientAsync());
        var appointment = await api.Seed.AppointmentAsync(doctor, await api.Seed.PatientAsync(), DateTime.UtcNow);

        var response = await _client.PostJsonAsync("/api/encounters", new
        {
            doctorId = doctor, patientId = patient, appointmentId = appointment, encounterType = "office_visit",
        });

        Assert.Contains("appointmentId", await response.InvalidFieldsAsync());
    }

    [Fact]
    public async Task APrescriptionIsWrittenEditedWhileDraftThenSignedSentAndDispensed()
    {
        var encounter = await EncounterAsync();

        var created = await _client.PostJsonAsync("/api/prescriptions", new
        {
            encounterId = encounter.Id, validUntil = DateTime.UtcNow.AddDays(30).ToString("yyyy-MM-dd"),
            items = new[] { new { medicationName = "Amoxicillin", dosage = "500 mg", frequency = "three times a day", duration = "5 days", refills = 1 } },
        });
        var prescription = await created.JsonAsync();
        var id = prescription.GetProperty("id").GetGuid();
        var added = await (await _client.PostJsonAsync($"/api/prescriptions/{id}/items",
            new { medicationName = "Paracetamol", dosage = "650 mg", frequency = "as needed" })).JsonAsync();
        var signed = await _client.PostAsync($"/api/prescriptions/{id}/sign", null);
        var editAfterSigning = await _client.PostJsonAsync($"/api/prescriptions/{id}/items",
            new { medicationName = "Cetirizine", dosage = "10 mg", frequency = "at night" });
        var sent = await _client.PostJsonAsync($"/api/prescriptions/{id}/send", new { pharmacyId = Guid.NewGuid() });
        var dispensed = await _client.PostAsync($"/api/prescriptions/{id}/dispense", null);
        var cancelAfterDispensing = await _client.PostAsync($"/api/prescriptions/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(encounter.PatientId, prescription.GetProperty("patientId").GetGuid());
        Assert.Equal(encounter.DoctorId, prescription.GetProperty("doctorId").GetGuid());
        Assert.Equal("draft", prescription.GetProperty("status").GetString());
        Assert.Equal(["Amoxicillin", "Paracetamol"], added.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("medicationName").GetString()));
        Assert.Equal("signed", (await signed.JsonAsync()).GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, (await signed.JsonAsync()).GetProperty("signedAt").ValueKind);
        Assert.Equal(HttpStatusCode.Conflict, editAfterSigning.StatusCode);
        Assert.Equal("sent", (await sent.JsonAsync()).GetProperty("status").GetString());
        Assert.Equal("dispensed", (await dispensed.JsonAsync()).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, cancelAfterDispensing.StatusCode);
    }

    [Fact]
    public async Task OnlyThePrescriberSignsAndANurseCannotPrescribe()
    {
        var encounter = await EncounterAsync();
        var created = await (await _client.PostJsonAsync("/api/prescriptions", new
        {
            encounterId = encounter.Id, items = new[] { new { medicationName = "Metformin", dosage = "500 mg", frequency = "twice a day" } },
        })).JsonAsync();
        var (_, otherDoctor) = await api.NewClientAsync("doctor");
        var (_, nurse) = await api.NewClientAsync("nurse");

        var signedByOther = await otherDoctor.PostAsync($"/api/prescriptions/{created.GetProperty("id").GetGuid()}/sign", null);
        var signedByNurse = await nurse.PostAsync($"/api/prescriptions/{created.GetProperty("id").GetGuid()}/sign", null);
        var writtenByNurse = await nurse.PostJsonAsync("/api/prescriptions", new { encounterId = encounter.Id });

        Assert.Equal(HttpStatusCode.Forbidden, signedByOther.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, signedByNurse.StatusCode);
        Assert.Contains("sign:prescriptions", (await signedByNurse.JsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, writtenByNurse.StatusCode);
    }

    [Fact]
    public async Task APrescriptionWithoutItemsCanBeWrittenButNotSigned()
    {
        var encounter = await EncounterAsync();

        var created = await (await _client.PostJsonAsync("/api/prescriptions", new { encounterId = encounter.Id })).JsonAsync();
        var sign = await _client.PostAsync($"/api/prescriptions/{created.GetProperty("id").GetGuid()}/sign", null);

        Assert.Equal(0, created.GetProperty("items").GetArrayLength());
        Assert.Equal(HttpStatusCode.Conflict, sign.StatusCode);
    }

    [Fact]
    public async Task AnItemCanBeChangedAndRemovedWhileTheDraftLasts()
    {
        var encounter = await EncounterAsync();
        var created = await (await _client.PostJsonAsync("/api/prescriptions", new
        {
            encounterId = encounter.Id,
            items = new[] { new { medicationName = "Ibuprofen", dosage = "400 mg", frequency = "twice a day" } },
        })).JsonAsync();
        var id = created.GetProperty("id").GetGuid();
        var item = created.GetProperty("items")[0].GetProperty("id").GetGuid();

        var changed = await (await _client.PutJsonAsync($"/api/prescriptions/{id}/items/{item}",
            new { medicationName = "Ibuprofen", dosage = "200 mg", frequency = "twice a day" })).JsonAsync();
        var removed = await (await _client.DeleteAsync($"/api/prescriptions/{id}/items/{item}")).JsonAsync();
        var removedAgain = await _client.DeleteAsync($"/api/prescriptions/{id}/items/{item}");

        Assert.Equal("200 mg", changed.GetProperty("items")[0].GetProperty("dosage").GetString());
        Assert.Equal(0, removed.GetProperty("items").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, removedAgain.StatusCode);
    }

    [Theory]
    [InlineData("encounterId")]
    [InlineData("validUntil")]
    [InlineData("items[0].dosage")]
    [InlineData("items[0].refills")]
    public async Task AnInvalidPrescriptionIsA400NamingTheField(string field)
    {
        var encounter = await EncounterAsync();
        object body = field switch
        {
            "encounterId" => new { encounterId = Guid.NewGuid() },
            "validUntil" => new { encounterId = encounter.Id, validFrom = "2026-05-10", validUntil = "2026-05-01" },
            "items[0].dosage" => new { encounterId = encounter.Id, items = new[] { new { medicationName = "X", frequency = "daily" } } },
            _ => new { encounterId = encounter.Id, items = new[] { new { medicationName = "X", dosage = "1", frequency = "daily", refills = -1 } } },
        };

        var response = await _client.PostJsonAsync("/api/prescriptions", body);

        Assert.Contains(field, await response.InvalidFieldsAsync());
    }

    [Fact]
    public async Task AnOrderIsPlacedStartedAndCompletedAndADraftNeedsItemsToBeSubmitted()
    {
        var encounter = await EncounterAsync();

        var placed = await (await _client.PostJsonAsync("/api/orders", new
        {
            encounterId = encounter.Id, orderType = "lab",
            items = new[] { new { itemCode = "58410-2", itemName = "Complete blood count" }, new { itemCode = "2345-7", itemName = "Glucose" } },
        })).JsonAsync();
        var id = placed.GetProperty("id").GetGuid();
        var started = await (await _client.PostAsync($"/api/orders/{id}/start", null)).JsonAsync();
        var itemAfterStart = await _client.PostJsonAsync($"/api/orders/{id}/items", new { itemCode = "X", itemName = "Y" });
        var completed = await (await _client.PostAsync($"/api/orders/{id}/complete", null)).JsonAsync();
        var draft = await (await _client.PostJsonAsync("/api/orders", new { encounterId = encounter.Id, orderType = "imaging", draft = true })).JsonAsync();
        var emptySubmit = await _client.PostAsync($"/api/orders/{draft.GetProperty("id").GetGuid()}/submit", null);
        var noItems = await _client.PostJsonAsync("/api/orders", new { encounterId = encounter.Id, orderType = "lab" });

        Assert.Equal("ordered", placed.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, placed.GetProperty("orderedAt").ValueKind);
        Assert.Equal(2, placed.GetProperty("items").GetArrayLength());
        Assert.Equal("in_progress", started.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, itemAfterStart.StatusCode);
        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, completed.GetProperty("completedAt").ValueKind);
        Assert.Equal("draft", draft.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, emptySubmit.StatusCode);
        Assert.Contains("items", await noItems.InvalidFieldsAsync());
    }

    [Fact]
    public async Task AnOrderOfAnUnknownTypeOrForACancelledEncounterIsA400()
    {
        var encounter = await EncounterAsync();
        await _client.PostAsync($"/api/encounters/{encounter.Id}/cancel", null);

        var badType = await _client.PostJsonAsync("/api/orders", new { encounterId = encounter.Id, orderType = "blood", draft = true });
        var cancelled = await _client.PostJsonAsync("/api/orders", new { encounterId = encounter.Id, orderType = "lab", draft = true });

        Assert.Contains("orderType", await badType.InvalidFieldsAsync());
        Assert.Contains("encounterId", await cancelled.InvalidFieldsAsync());
    }

    private async Task<(Guid Id, Guid PatientId, Guid DoctorId)> EncounterAsync()
    {
        var patient = await api.Seed.PatientAsync();
        return (await api.Seed.EncounterAsync(_doctor, patient, DateTime.UtcNow.AddMinutes(-20)), patient, _doctor);
    }
}
