using System.Net;
using Dapper;
using System.Text.Json;
using StackExchange.Redis;

namespace DrAssistant.Api.Tests.Patterns;

public sealed class DashboardTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static readonly TimeZoneInfo Kolkata = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");
    [Fact]
    public async Task TheDaysAppointmentsComeInStartOrderWithThePatientsNameAndBirthDate()
    {
        var doctor = await api.Seed.DoctorAsync();
        var (asha, vikram) = (await api.Seed.PatientAsync("Asha", "Rao", "1980-04-02"), await api.Seed.PatientAsync("Vikram", "Iyer", "1975-09-30"));
        var late = await api.Seed.AppointmentAsync(doctor, asha, Local(2026, 3, 10, 15, 0));
        var early = await api.Seed.AppointmentAsync(doctor, vikram, Local(2026, 3, 10, 9, 30));
        await api.Seed.AppointmentAsync(doctor, asha, Local(2026, 3, 11, 9, 0));

        var dashboard = await GetAsync(doctor, "date=2026-03-10");

        var appointments = dashboard.GetProperty("appointments").EnumerateArray().ToList();
        Assert.Equal([early, late], appointments.Select(a => a.GetProperty("id").GetGuid()));
        Assert.Equal("Vikram Iyer", appointments[0].GetProperty("patientName").GetString());
        Assert.Equal("Iyer", appointments[0].GetProperty("patientLastName").GetString());
        Assert.Equal("1975-09-30", appointments[0].GetProperty("patientDateOfBirth").GetString());
        Assert.Equal("2026-03-10", dashboard.GetProperty("date").GetString());
        Assert.Equal("Asia/Kolkata", dashboard.GetProperty("timeZone").GetString());
    }

    [Fact]
    public async Task ADayIsTheClinicsLocalDayNotTheUtcDay()
    {
        var doctor = await api.Seed.DoctorAsync();
        var patient = await api.Seed.PatientAsync();
        // 23:30 on the 10th in India is 18:00 UTC on the 10th; 00:30 on the 11th in India is still the 10th in UTC.
        var lastOfTheTenth = await api.Seed.AppointmentAsync(doctor, patient, Local(2026, 3, 10, 23, 30), minutes: 15);
        var firstOfTheEleventh = await api.Seed.AppointmentAsync(doctor, patient, Local(2026, 3, 11, 0, 30), minutes: 15);
        var midnight = await api.Seed.AppointmentAsync(doctor, patient, Local(2026, 3, 11, 0, 0), minutes: 15);

        var tenth = await GetAsync(doctor, "date=2026-03-10");
        var eleventh = await GetAsync(doctor, "date=2026-03-11");

        Assert.Equal([lastOfTheTenth], Ids(tenth, "appointments"));
        Assert.Equal([midnight, firstOfTheEleventh], Ids(eleventh, "appointments"));
        Assert.Equal(Local(2026, 3, 10, 0, 0), tenth.GetProperty("dayStart").GetDateTime().ToUniversalTime());
    }

    [Fact]
    public async Task AnotherTimeZoneMovesTheDayAndADstChangeMakesIt23HoursLong()
    {
        var doctor = await api.Seed.DoctorAsync();
        var patient = await api.Seed.PatientAsync();
        // New York springs forward on 2026-03-08: that local day runs from 05:00Z to 04:00Z the next day.
        var inside = await api.Seed.AppointmentAsync(doctor, patient, new DateTime(2026, 3, 9, 3, 30, 0, DateTimeKind.Utc), minutes: 15);
        var after = await api.Seed.AppointmentAsync(doctor, patient, new DateTime(2026, 3, 9, 4, 15, 0, DateTimeKind.Utc), minutes: 15);

        var day = await GetAsync(doctor, "date=2026-03-08&timeZone=America/New_York");

        Assert.Equal([inside], Ids(day, "appointments"));
        Assert.Equal(TimeSpan.FromHours(23), day.GetProperty("dayEnd").GetDateTime() - day.GetProperty("dayStart").GetDateTime());
        Assert.DoesNotContain(after, Ids(day, "appointments"));
    }

    [Fact]
    public async Task WithoutADateTheDayIsTodayInTheClinicsTimeZone()
    {
        var doctor = await api.Seed.DoctorAsync();
        var patient = await api.Seed.PatientAsync();
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, Kolkata));
        var noon = await api.Seed.AppointmentAsync(doctor, patient, Local(today.Year, today.Month, today.Day, 12, 0));

        var dashboard = await GetAsync(doctor, "");

        Assert.Equal(today.ToString("yyyy-MM-dd"), dashboard.GetProperty("date").GetString());
        Assert.Equal([noon], Ids(dashboard, "appointments"));
    }

    [Fact]
    public async Task PendingTasksComeUrgentThenHighThenMediumThenLowThenByDueDateWithNoDueDateLast()
    {
        var doctor = await api.Seed.DoctorAsync();
        var soon = DateTime.UtcNow.AddDays(1);
        var low = await api.Seed.TaskAsync(doctor, "low", soon);
        var mediumLater = await api.Seed.TaskAsync(doctor, "medium", soon.AddDays(3));
        var urgent = await api.Seed.TaskAsync(doctor, "urgent", soon.AddDays(5));
        var mediumUndated = await api.Seed.TaskAsync(doctor, "medium");
        var high = await api.Seed.TaskAsync(doctor, "high", soon);
        var mediumSooner = await api.Seed.TaskAsync(doctor, "medium", soon);
        await api.Seed.TaskAsync(doctor, "urgent", status: "completed");
        await api.Seed.TaskAsync(await api.Seed.DoctorAsync(), "urgent");

        var dashboard = await GetAsync(doctor, "");

        Assert.Equal([urgent, high, mediumSooner, mediumLater, mediumUndated, low], Ids(dashboard.GetProperty("pendingTasks"), "items"));
        Assert.Equal(6, dashboard.GetProperty("pendingTasks").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task UnreadAlertsComeCriticalThenHighThenMediumThenLowThenNewestWithThePatientsName()
    {
        var doctor = await api.Seed.DoctorAsync();
        var patient = await api.Seed.PatientAsync("Meera", "Nair");
        var now = DateTime.UtcNow;
        var low = await api.Seed.AlertAsync(doctor, "low", now);
        var highOld = await api.Seed.AlertAsync(doctor, "high", now.AddHours(-2));
        var critical = await api.Seed.AlertAsync(doctor, "critical", now.AddHours(-5), patient: patient);
        var medium = await api.Seed.AlertAsync(doctor, "medium", now);
        var highNew = await api.Seed.AlertAsync(doctor, "high", now.AddMinutes(-1));
        await api.Seed.AlertAsync(doctor, "critical", now, isRead: true);

        var dashboard = await GetAsync(doctor, "");

        var alerts = dashboard.GetProperty("unreadAlerts");
        Assert.Equal([critical, highNew, highOld, medium, low], Ids(alerts, "items"));
        Assert.Equal("Meera Nair", alerts.GetProperty("items")[0].GetProperty("patientName").GetString());
        Assert.Equal(JsonValueKind.Null, alerts.GetProperty("items")[1].GetProperty("patientName").ValueKind);
        Assert.Equal(5, alerts.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task ListsAreCutAtTheirLimitButTheTotalsCountEverything()
    {
        var doctor = await api.Seed.DoctorAsync();
        for (var i = 0; i < 5; i++)
        {
            await api.Seed.TaskAsync(doctor, "high");
        }

        var dashboard = await GetAsync(doctor, "taskLimit=2");
        var tooMany = await (await api.ClientAsAsync(doctor)).GetAsync($"/api/doctors/{doctor}/dashboard?taskLimit=100000");

        Assert.Equal(2, dashboard.GetProperty("pendingTasks").GetProperty("items").GetArrayLength());
        Assert.Equal(5, dashboard.GetProperty("pendingTasks").GetProperty("total").GetInt32());
        Assert.Contains("taskLimit", await tooMany.InvalidFieldsAsync());
    }

    [Theory]
    [InlineData("date=2026-13-01", "date")]
    [InlineData("date=10/03/2026", "date")]
    [InlineData("timeZone=Mars/Olympus", "timeZone")]
    [InlineData("alertLimit=0", "alertLimit")]
    public async Task ABadDateOrTimeZoneIsA400NamingIt(string query, string field)
    {
        var doctor = await api.Seed.DoctorAsync();

        var response = await (await api.ClientAsAsync(doctor)).GetAsync($"/api/doctors/{doctor}/dashboard?{query}");

        Assert.Contains(field, await response.InvalidFieldsAsync());
    }

    [Fact]
    public async Task OnlyTheDoctorThemselvesReadsTheirDashboard()
    {
        var doctor = await api.Seed.DoctorAsync();
        var (_, colleague) = await api.NewClientAsync("doctor");
        var (nurse, nurseClient) = await api.NewClientAsync("nurse");

        Assert.Equal(HttpStatusCode.Forbidden, (await colleague.GetAsync($"/api/doctors/{doctor}/dashboard")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await nurseClient.GetAsync($"/api/doctors/{nurse}/dashboard")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.CreateClient().GetAsync($"/api/doctors/{doctor}/dashboard")).StatusCode);
    }

    [Fact]
    public async Task TheDaysScheduleIsCachedUnderTheDesignsKeyUntilAnAppointmentOfThatDayChanges()
    {
        var doctor = await api.Seed.DoctorAsync();
        var patient = await api.Seed.PatientAsync();
        var appointment = await api.Seed.AppointmentAsync(doctor, patient, Local(2026, 4, 2, 10, 0));
        await GetAsync(doctor, "date=2026-04-02");
        await using var redis = await ConnectionMultiplexer.ConnectAsync(api.RedisConnectionString);

        var key = $"doctor:{doctor}:schedule:2026-04-02";
        var cachedValue = JsonDocument.Parse((string)(await redis.GetDatabase().StringGetAsync(key))!).RootElement;
        var ttl = await redis.GetDatabase().KeyTimeToLiveAsync(key);
        // Behind the API's back the cached schedule is still served...
        await api.Seed.ExecuteAsync("UPDATE appointments SET status = 'confirmed' WHERE id = @appointment", new { appointment });
        var stale = await GetAsync(doctor, "date=2026-04-02");
        // ...until a write through the API drops the key.
        var checkIn = await (await api.ClientAsAsync(doctor)).PostAsync($"/api/appointments/{appointment}/check-in", null);
        var fresh = await GetAsync(doctor, "date=2026-04-02");

        Assert.Equal(appointment, cachedValue[0].GetProperty("id").GetGuid());
        Assert.Equal("Asha Rao", cachedValue[0].GetProperty("patientName").GetString());
        Assert.True(ttl > TimeSpan.Zero && ttl <= TimeSpan.FromMinutes(5), $"ttl {ttl}");
        Assert.Equal("scheduled", stale.GetProperty("appointments")[0].GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, checkIn.StatusCode);
        Assert.Equal("checked_in", fresh.GetProperty("appointments")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task BookingAndReschedulingDropBothDaysTheyTouch()
    {
        var doctor = await api.Seed.DoctorAsync();
        var patient = await api.Seed.PatientAsync();
        Assert.Empty(Ids(await GetAsync(doctor, "date=2026-05-01"), "appointments"));
        Assert.Empty(Ids(await GetAsync(doctor, "date=2026-05-02"), "appointments"));

        var client = await api.ClientAsAsync(doctor);
        var booked = await (await client.PostJsonAsync("/api/appointments", Booking(doctor, patient, Local(2026, 5, 1, 11, 0)))).JsonAsync();
        var id = booked.GetProperty("id").GetGuid();
        var onFirst = Ids(await GetAsync(doctor, "date=2026-05-01"), "appointments");
        await client.PutJsonAsync($"/api/appointments/{id}", Booking(doctor, patient, Local(2026, 5, 2, 11, 0)));

        Assert.Equal([id], onFirst);
        Assert.Empty(Ids(await GetAsync(doctor, "date=2026-05-01"), "appointments"));
        Assert.Equal([id], Ids(await GetAsync(doctor, "date=2026-05-02"), "appointments"));
    }

    [Fact]
    public async Task TheCachedDashboardFollowsTasksAndAlertsWrittenThroughTheApi()
    {
        var doctor = await api.Seed.DoctorAsync();
        var client = await api.ClientAsAsync(doctor);
        Assert.Equal(0, (await GetAsync(doctor, "")).GetProperty("pendingTasks").GetProperty("total").GetInt32());

        var task = await (await client.PostJsonAsync("/api/tasks", new { title = "Sign discharge summary", taskType = "documentation", assignedTo = doctor })).JsonAsync();
        var withTask = await GetAsync(doctor, "");
        var alert = await (await client.PostJsonAsync("/api/alerts", new { userId = doctor, alertType = "system", severity = "high", title = "Backup", message = "Tonight." })).JsonAsync();
        var withAlert = await GetAsync(doctor, "");
        await client.PostAsync($"/api/tasks/{task.GetProperty("id").GetGuid()}/complete", null);
        await client.PostAsync($"/api/alerts/{alert.GetProperty("id").GetGuid()}/read", null);
        var cleared = await GetAsync(doctor, "");

        Assert.Equal([task.GetProperty("id").GetGuid()], Ids(withTask.GetProperty("pendingTasks"), "items"));
        Assert.Equal([alert.GetProperty("id").GetGuid()], Ids(withAlert.GetProperty("unreadAlerts"), "items"));
        Assert.Equal(0, cleared.GetProperty("pendingTasks").GetProperty("total").GetInt32());
        Assert.Equal(0, cleared.GetProperty("unreadAlerts").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task TheWholeAnswerIsServedFromTheCacheWhileNothingChangesThroughTheApi()
    {
        var doctor = await api.Seed.DoctorAsync();
        await GetAsync(doctor, "");

        // Written behind the API's back: the cached answer (short-lived) does not see it yet.
        await api.Seed.TaskAsync(doctor, "urgent");
        var cached = await GetAsync(doctor, "");

        Assert.Equal(0, cached.GetProperty("pendingTasks").GetProperty("total").GetInt32());
    }

    /// <summary>
    /// A schedule lists patient names, so a patient's change drops it (and the dashboards) on every doctor-day where the
    /// patient has an appointment, and the dashboards whose unread alerts name the patient. Before the cache policy, only
    /// the demographics key was dropped: both doctors kept reading "Asha Rao" for the schedule's and dashboard's lifetime.
    /// </summary>
    [Fact]
    public async Task ARenamedPatientShowsUnderTheNewNameAtOnceOnEveryCachedScheduleAndDashboardThatNamesThem()
    {
        var (first, second, watcher) = (await api.Seed.DoctorAsync(), await api.Seed.DoctorAsync(), await api.Seed.DoctorAsync());
        var patient = await api.Seed.PatientAsync("Asha", "Rao");
        await api.Seed.AppointmentAsync(first, patient, Local(2026, 6, 10, 9, 0));
        await api.Seed.AppointmentAsync(second, patient, Local(2026, 6, 12, 17, 0));
        await api.Seed.AlertAsync(watcher, "high", DateTime.UtcNow, patient: patient);
        var before = new[]
        {
            await GetAsync(first, "date=2026-06-10"), await GetAsync(second, "date=2026-06-12"), await GetAsync(watcher, ""),
        };
        await using var redis = await ConnectionMultiplexer.ConnectAsync(api.RedisConnectionString);
        var cachedBefore = await redis.GetDatabase().KeyExistsAsync($"doctor:{first}:schedule:2026-06-10");

        var renamed = await (await api.ClientAsAsync(first)).PutJsonAsync($"/api/patients/{patient}", new
        {
            firstName = "Asha", lastName = "Menon", dateOfBirth = "1980-04-02", gender = "female", status = "active",
        });
        var firstDay = await GetAsync(first, "date=2026-06-10");
        var secondDay = await GetAsync(second, "date=2026-06-12");
        var watcherDay = await GetAsync(watcher, "");

        Assert.True(cachedBefore);
        Assert.All([before[0].GetProperty("appointments")[0], before[1].GetProperty("appointments")[0], before[2].GetProperty("unreadAlerts").GetProperty("items")[0]],
            shown => Assert.Equal("Asha Rao", shown.GetProperty("patientName").GetString()));
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal("Asha Menon", firstDay.GetProperty("appointments")[0].GetProperty("patientName").GetString());
        Assert.Equal("Menon", firstDay.GetProperty("appointments")[0].GetProperty("patientLastName").GetString());
        Assert.Equal("Asha Menon", secondDay.GetProperty("appointments")[0].GetProperty("patientName").GetString());
        Assert.Equal("Asha Menon", watcherDay.GetProperty("unreadAlerts").GetProperty("items")[0].GetProperty("patientName").GetString());
    }

    [Fact]
    public async Task ARenamedDoctorShowsUnderTheNewNameOnTheirCachedDashboardAtOnce()
    {
        var doctor = await api.Seed.DoctorAsync("Dr. Old Name");
        var before = await GetAsync(doctor, "");
        var (_, admin) = await api.NewClientAsync("admin");
        string username;
        await using (var connection = await api.Db.OpenConnectionAsync())
        {
            username = (await connection.ExecuteScalarAsync<string>("SELECT username FROM users WHERE id = @doctor", new { doctor }))!;
        }

        var renamed = await admin.PutJsonAsync($"/api/users/{doctor}", new
        {
            username, email = $"{username}@clinic.example", fullName = "Dr. New Name", role = "doctor", status = "active",
        });
        var after = await GetAsync(doctor, "");

        Assert.Equal("Dr. Old Name", before.GetProperty("doctorName").GetString());
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal("Dr. New Name", after.GetProperty("doctorName").GetString());
    }

    private static object Booking(Guid doctor, Guid patient, DateTime startUtc) => new
    {
        doctorId = doctor, patientId = patient, startTime = startUtc, endTime = startUtc.AddMinutes(20), appointmentType = "in_person",
    };

    private async Task<JsonElement> GetAsync(Guid doctor, string query)
    {
        var response = await (await api.ClientAsAsync(doctor)).GetAsync($"/api/doctors/{doctor}/dashboard?{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    private static List<Guid> Ids(JsonElement parent, string property) =>
        parent.GetProperty(property).EnumerateArray().Select(e => e.GetProperty("id").GetGuid()).ToList();

    /// <summary>A wall-clock time in India as a UTC instant.</summary>
    private static DateTime Local(int year, int month, int day, int hour, int minute) =>
        TimeZoneInfo.ConvertTimeToUtc(new DateTime(year, month, day, hour, minute, 0, DateTimeKind.Unspecified), Kolkata);
}
