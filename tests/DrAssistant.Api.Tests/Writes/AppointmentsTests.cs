using System.Net;
using System.Text.Json;

namespace DrAssistant.Api.Tests.Writes;

public sealed class AppointmentsTests(ApiFactory api) : IClassFixture<ApiFactory>, IAsyncLifetime
{
    private static readonly DateTime Nine = new(2026, 6, 15, 3, 30, 0, DateTimeKind.Utc);
    private HttpClient _client = null!;

    public async Task InitializeAsync() => _client = (await api.NewClientAsync("receptionist")).Client;

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task AnAppointmentIsBookedCheckedInStartedAndCheckedOut()
    {
        var (doctor, patient) = (await api.Seed.DoctorAsync(), await api.Seed.PatientAsync());
        var booked = await _client.PostJsonAsync("/api/appointments", Booking(doctor, patient, Nine, reason: "Fever for three days"));
        var id = (await booked.JsonAsync()).GetProperty("id").GetGuid();

        var confirmed = await StepAsync(id, "confirm");
        var checkedIn = await StepAsync(id, "check-in");
        var started = await StepAsync(id, "start");
        var checkedOut = await StepAsync(id, "check-out");

        Assert.Equal(HttpStatusCode.Created, booked.StatusCode);
        Assert.Equal("scheduled", (await booked.JsonAsync()).GetProperty("status").GetString());
        Assert.Equal("confirmed", confirmed.GetProperty("status").GetString());
        Assert.Equal("checked_in", checkedIn.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, checkedIn.GetProperty("checkInTime").ValueKind);
        Assert.Equal("in_progress", started.GetProperty("status").GetString());
        Assert.Equal("completed", checkedOut.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, checkedOut.GetProperty("checkOutTime").ValueKind);
    }

    [Fact]
    public async Task AStepTheStatusDoesNotAllowIsAConflictAndAnUnknownAppointmentIs404()
    {
        var (doctor, patient) = (await api.Seed.DoctorAsync(), await api.Seed.PatientAsync());
        var id = await api.Seed.AppointmentAsync(doctor, patient, Nine, status: "cancelled");

        var checkIn = await _client.PostAsync($"/api/appointments/{id}/check-in", null);
        var reschedule = await _client.PutJsonAsync($"/api/appointments/{id}", Booking(doctor, patient, Nine.AddHours(1)));
        var unknown = await _client.PostAsync($"/api/appointments/{Guid.NewGuid()}/cancel", null);

        Assert.Equal(HttpStatusCode.Conflict, checkIn.StatusCode);
        Assert.Contains("cancelled", (await checkIn.JsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, reschedule.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task ADoctorCannotBeDoubleBookedButACancelledSlotIsFreeAgain()
    {
        var (doctor, patient) = (await api.Seed.DoctorAsync(), await api.Seed.PatientAsync());
        var first = (await (await _client.PostJsonAsync("/api/appointments", Booking(doctor, patient, Nine))).JsonAsync()).GetProperty("id").GetGuid();

        var overlapping = await _client.PostJsonAsync("/api/appointments", Booking(doctor, await api.Seed.PatientAsync(), Nine.AddMinutes(10)));
        var adjacent = await _client.PostJsonAsync("/api/appointments", Booking(doctor, patient, Nine.AddMinutes(20)));
        await _client.PostAsync($"/api/appointments/{first}/cancel", null);
        var afterCancel = await _client.PostJsonAsync("/api/appointments", Booking(doctor, patient, Nine.AddMinutes(5), minutes: 10));

        Assert.Equal(HttpStatusCode.Conflict, overlapping.StatusCode);
        Assert.True((await overlapping.JsonAsync()).GetProperty("errors").TryGetProperty("startTime", out _));
        Assert.Equal(HttpStatusCode.Created, adjacent.StatusCode);
        Assert.Equal(HttpStatusCode.Created, afterCancel.StatusCode);
    }

    [Fact]
    public async Task AMissingPatientOrADoctorWhoIsNotADoctorIsA400NamingTheField()
    {
        var (doctor, nurse, patient) = (await api.Seed.DoctorAsync(), await api.Seed.UserAsync("nurse"), await api.Seed.PatientAsync());

        var noPatient = await _client.PostJsonAsync("/api/appointments", Booking(doctor, Guid.NewGuid(), Nine));
        var notADoctor = await _client.PostJsonAsync("/api/appointments", Booking(nurse, patient, Nine));
        var noDoctor = await _client.PostJsonAsync("/api/appointments", Booking(Guid.NewGuid(), patient, Nine));

        Assert.Contains("patientId", await noPatient.InvalidFieldsAsync());
        Assert.Contains("doctorId", await notADoctor.InvalidFieldsAsync());
        Assert.Contains("doctorId", await noDoctor.InvalidFieldsAsync());
    }

    [Theory]
    [InlineData("endTime", "before")]
    [InlineData("appointmentType", "spa")]
    [InlineData("startTime", "missing")]
    [InlineData("reason", "long")]
    [InlineData("startTime", "not-a-time")]
    public async Task AnInvalidBookingIsA400NamingTheField(string field, string problem)
    {
        var (doctor, patient) = (await api.Seed.DoctorAsync(), await api.Seed.PatientAsync());
        var body = new Dictionary<string, object?>
        {
            ["doctorId"] = doctor, ["patientId"] = patient, ["startTime"] = Nine, ["endTime"] = Nine.AddMinutes(15), ["appointmentType"] = "routine",
        };
        switch (problem)
        {
            case "before": body["endTime"] = Nine.AddMinutes(-15); break;
            case "missing": body.Remove(field); break;
            case "long": body[field] = new string('x', 256); break;
            case "not-a-time": body[field] = "tomorrow morning"; break;
            default: body[field] = problem; break;
        }

        var response = await _client.PostJsonAsync("/api/appointments", body);

        Assert.Contains(field, await response.InvalidFieldsAsync());
    }

    [Fact]
    public async Task AnOffsetInTheRequestIsKeptAsTheSameInstant()
    {
        var (doctor, patient) = (await api.Seed.DoctorAsync(), await api.Seed.PatientAsync());

        var booked = await (await _client.PostJsonAsync("/api/appointments", new
        {
            doctorId = doctor, patientId = patient, startTime = "2026-06-15T09:00:00+05:30", endTime = "2026-06-15T09:20:00+05:30",
            appointmentType = "telemedicine",
        })).JsonAsync();

        Assert.Equal(Nine, booked.GetProperty("startTime").GetDateTime().ToUniversalTime());
    }

    [Fact]
    public async Task ADoctorsAppointmentsAreListedInAPeriodAndAListWithoutDoctorOrPatientIs400()
    {
        var (doctor, patient) = (await api.Seed.DoctorAsync(), await api.Seed.PatientAsync());
        var inside = await api.Seed.AppointmentAsync(doctor, patient, Nine);
        await api.Seed.AppointmentAsync(doctor, patient, Nine.AddDays(3));

        var list = await (await _client.GetAsync($"/api/appointments?doctorId={doctor}&from=2026-06-15T00:00:00Z&to=2026-06-16T00:00:00Z")).JsonAsync();
        var unbounded = await _client.GetAsync("/api/appointments");

        Assert.Equal([inside], list.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetGuid()));
        Assert.Contains("doctorId", await unbounded.InvalidFieldsAsync());
    }

    private async Task<JsonElement> StepAsync(Guid id, string step)
    {
        var response = await _client.PostAsync($"/api/appointments/{id}/{step}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    private static object Booking(Guid doctor, Guid patient, DateTime start, int minutes = 20, string? reason = null) => new
    {
        doctorId = doctor, patientId = patient, startTime = start, endTime = start.AddMinutes(minutes), appointmentType = "in_person", reason,
    };
}
