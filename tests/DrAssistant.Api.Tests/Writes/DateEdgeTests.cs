using System.Net;

namespace DrAssistant.Api.Tests.Writes;

/// <summary>
/// Dates at the edges: a dashboard day the clock cannot compute, years no clinic schedules, and instants without an
/// offset (which would be read as UTC and land hours away from the clinic's meaning) are 400s naming the field.
/// </summary>
public sealed class DateEdgeTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Theory]
    [InlineData("9999-12-31")]
    [InlineData("0001-01-01")]
    [InlineData("1899-12-31")]
    [InlineData("2201-01-01")]
    public async Task ADashboardDateOutsideTheYears1900To2200IsA400NamingDate(string date)
    {
        var (doctor, client) = await api.NewClientAsync("doctor");

        var response = await client.GetAsync($"/api/doctors/{doctor}/dashboard?date={date}");

        Assert.Contains("date", await response.InvalidFieldsAsync());
    }

    [Theory]
    [InlineData("1900-01-01")]
    [InlineData("2200-12-31")]
    public async Task TheFirstAndLastDashboardDaysAnswerWithTheirLocalMidnight(string date)
    {
        var (doctor, client) = await api.NewClientAsync("doctor");

        var dashboard = await (await client.GetAsync($"/api/doctors/{doctor}/dashboard?date={date}")).JsonAsync();

        Assert.Equal(date, dashboard.GetProperty("date").GetString());
        var dayStart = dashboard.GetProperty("dayStart").GetDateTime().ToUniversalTime();
        var localStart = TimeZoneInfo.ConvertTimeFromUtc(dayStart, TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata"));
        Assert.Equal(DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture), DateOnly.FromDateTime(localStart));
        Assert.Equal(TimeOnly.MinValue, TimeOnly.FromDateTime(localStart));
    }

    [Theory]
    [InlineData("startTime", "0001-01-01T09:00:00Z", "0001-01-01T09:20:00Z")]
    [InlineData("startTime", "9999-12-31T09:00:00Z", "9999-12-31T09:20:00Z")]
    [InlineData("startTime", "1899-12-31T09:00:00Z", "1899-12-31T09:20:00Z")]
    [InlineData("endTime", "2200-12-31T23:50:00Z", "2201-01-01T00:10:00Z")]
    [InlineData("startTime", "2026-05-05T09:00:00", "2026-05-05T09:20:00+05:30")]
    [InlineData("endTime", "2026-05-05T09:00:00+05:30", "2026-05-05T09:20:00")]
    public async Task ABookingOutsideTheYears1900To2200OrWithoutAnOffsetIsA400NamingTheField(string field, string start, string end)
    {
        var (_, client) = await api.NewClientAsync("receptionist");
        var (doctor, patient) = (await api.Seed.DoctorAsync(), await api.Seed.PatientAsync());

        var response = await client.PostJsonAsync("/api/appointments", new
        {
            doctorId = doctor, patientId = patient, startTime = start, endTime = end, appointmentType = "routine",
        });

        Assert.Contains(field, await response.InvalidFieldsAsync());
    }

    [Fact]
    public async Task AnInstantWithAnOffsetOrZIsAccepted()
    {
        var (_, client) = await api.NewClientAsync("receptionist");
        var (doctor, patient) = (await api.Seed.DoctorAsync(), await api.Seed.PatientAsync());

        var withOffset = await client.PostJsonAsync("/api/appointments", new
        {
            doctorId = doctor, patientId = patient, startTime = "2026-05-05T09:00:00+05:30", endTime = "2026-05-05T03:50:00Z", appointmentType = "routine",
        });

        Assert.Equal(HttpStatusCode.Created, withOffset.StatusCode);
        Assert.Equal(new DateTime(2026, 5, 5, 3, 30, 0, DateTimeKind.Utc), (await withOffset.JsonAsync()).GetProperty("startTime").GetDateTime().ToUniversalTime());
    }

    [Theory]
    [InlineData("startTime", "0001-01-01T09:00:00Z")]
    [InlineData("startTime", "2201-01-01T09:00:00Z")]
    [InlineData("startTime", "2026-05-05T09:00:00")]
    public async Task AnEncounterOutsideTheYears1900To2200OrWithoutAnOffsetIsA400NamingTheField(string field, string start)
    {
        var (doctor, client) = await api.NewClientAsync("doctor");
        var patient = await api.Seed.PatientAsync();

        var opened = await client.PostJsonAsync("/api/encounters", new { doctorId = doctor, patientId = patient, encounterType = "office_visit", startTime = start });
        var existing = await api.Seed.EncounterAsync(doctor, patient, DateTime.UtcNow.AddHours(-1));
        var updated = await client.PutJsonAsync($"/api/encounters/{existing}", new { encounterType = "office_visit", startTime = start });
        var completed = await client.PostJsonAsync($"/api/encounters/{existing}/complete", new { endTime = start.Replace("T09", "T10", StringComparison.Ordinal) });

        Assert.Contains(field, await opened.InvalidFieldsAsync());
        Assert.Contains(field, await updated.InvalidFieldsAsync());
        Assert.Contains("endTime", await completed.InvalidFieldsAsync());
    }
}
