using System.Net;
using System.Text.Json;

namespace DrAssistant.Api.Tests.Writes;

public sealed class TasksAndAlertsTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task ATaskIsCreatedStartedCompletedAndThenClosedToEdits()
    {
        var (doctor, doctorClient) = await api.NewClientAsync("doctor");
        var (nurse, nurseClient) = await api.NewClientAsync("nurse");

        var created = await (await doctorClient.PostJsonAsync("/api/tasks", new
        {
            title = "Review lipid panel", taskType = "review", assignedTo = nurse, priority = "high", dueDate = DateTime.UtcNow.AddDays(1),
        })).JsonAsync();
        var id = created.GetProperty("id").GetGuid();
        var started = await (await nurseClient.PostAsync($"/api/tasks/{id}/start", null)).JsonAsync();
        var completed = await (await nurseClient.PostAsync($"/api/tasks/{id}/complete", null)).JsonAsync();
        var edit = await doctorClient.PutJsonAsync($"/api/tasks/{id}", new { title = "Changed", taskType = "review" });

        Assert.Equal("pending", created.GetProperty("status").GetString());
        Assert.Equal(doctor, created.GetProperty("createdBy").GetGuid());
        Assert.Equal("in_progress", started.GetProperty("status").GetString());
        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, completed.GetProperty("completedAt").ValueKind);
        Assert.Equal(HttpStatusCode.Conflict, edit.StatusCode);
    }

    [Fact]
    public async Task ATaskDefaultsToMediumAndYourTasksAreListedMostUrgentFirst()
    {
        var (nurse, client) = await api.NewClientAsync("nurse");
        var medium = await (await client.PostJsonAsync("/api/tasks", new { title = "A", taskType = "other", assignedTo = nurse })).JsonAsync();
        var urgent = await api.Seed.TaskAsync(nurse, "urgent");
        var low = await api.Seed.TaskAsync(nurse, "low");

        var list = await (await client.GetAsync("/api/tasks")).JsonAsync();

        Assert.Equal("medium", medium.GetProperty("priority").GetString());
        Assert.Equal([urgent, medium.GetProperty("id").GetGuid(), low], list.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task SomeoneElsesTasksAreNotYoursToReadOrChange()
    {
        var (nurse, _) = await api.NewClientAsync("nurse");
        var (_, receptionist) = await api.NewClientAsync("receptionist");
        var task = await api.Seed.TaskAsync(nurse, "high");

        Assert.Equal(HttpStatusCode.Forbidden, (await receptionist.GetAsync($"/api/tasks?assignedTo={nurse}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await receptionist.GetAsync($"/api/tasks/{task}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await receptionist.PostAsync($"/api/tasks/{task}/complete", null)).StatusCode);
    }

    [Theory]
    [InlineData("title", "")]
    [InlineData("priority", "asap")]
    [InlineData("taskType", "chores")]
    public async Task AnInvalidTaskIsA400NamingTheField(string field, string value)
    {
        var (_, client) = await api.NewClientAsync("nurse");
        var body = new Dictionary<string, object?> { ["title"] = "T", ["taskType"] = "review", [field] = value };

        Assert.Contains(field, await (await client.PostJsonAsync("/api/tasks", body)).InvalidFieldsAsync());
    }

    [Fact]
    public async Task ATaskForAnUnknownPatientOrAssigneeIsA400NamingTheField()
    {
        var (_, client) = await api.NewClientAsync("nurse");

        var unknownPatient = await client.PostJsonAsync("/api/tasks", new { title = "T", taskType = "review", patientId = Guid.NewGuid() });
        var unknownAssignee = await client.PostJsonAsync("/api/tasks", new { title = "T", taskType = "review", assignedTo = Guid.NewGuid() });

        Assert.Contains("patientId", await unknownPatient.InvalidFieldsAsync());
        Assert.Contains("assignedTo", await unknownAssignee.InvalidFieldsAsync());
    }

    [Fact]
    public async Task AnAlertIsRaisedListedMostSevereFirstAndMarkedReadOnceByItsRecipient()
    {
        var (doctor, client) = await api.NewClientAsync("doctor");
        var patient = await api.Seed.PatientAsync("Kiran", "Bose");
        var low = await api.Seed.AlertAsync(doctor, "low", DateTime.UtcNow);

        var raised = await (await client.PostJsonAsync("/api/alerts", new
        {
            userId = doctor, patientId = patient, alertType = "lab_result", severity = "critical", title = "Potassium 6.8", message = "Call the patient.",
            source = "lab", actionUrl = "/patients/labs",
        })).JsonAsync();
        var id = raised.GetProperty("id").GetGuid();
        var list = await (await client.GetAsync("/api/alerts")).JsonAsync();
        var read = await (await client.PostAsync($"/api/alerts/{id}/read", null)).JsonAsync();
        var readAgain = await (await client.PostAsync($"/api/alerts/{id}/read", null)).JsonAsync();
        var unread = await (await client.GetAsync("/api/alerts?unreadOnly=true")).JsonAsync();

        Assert.Equal("Kiran Bose", raised.GetProperty("patientName").GetString());
        Assert.Equal([id, low], list.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetGuid()));
        Assert.True(read.GetProperty("isRead").GetBoolean());
        Assert.Equal(read.GetProperty("readAt").GetDateTime(), readAgain.GetProperty("readAt").GetDateTime());
        Assert.Equal([low], unread.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task YouReadOnlyYourOwnAlerts()
    {
        var (doctor, _) = await api.NewClientAsync("doctor");
        var (_, nurse) = await api.NewClientAsync("nurse");
        var alert = await api.Seed.AlertAsync(doctor, "high", DateTime.UtcNow);

        Assert.Equal(HttpStatusCode.Forbidden, (await nurse.GetAsync($"/api/alerts?userId={doctor}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await nurse.GetAsync($"/api/alerts/{alert}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await nurse.PostAsync($"/api/alerts/{alert}/read", null)).StatusCode);
    }

    [Theory]
    [InlineData("severity", "catastrophic")]
    [InlineData("alertType", "gossip")]
    [InlineData("title", "")]
    [InlineData("message", "")]
    public async Task AnInvalidAlertIsA400NamingTheField(string field, string value)
    {
        var (user, client) = await api.NewClientAsync("nurse");
        var body = new Dictionary<string, object?>
        {
            ["userId"] = user, ["alertType"] = "system", ["severity"] = "low", ["title"] = "T", ["message"] = "M", [field] = value,
        };

        Assert.Contains(field, await (await client.PostJsonAsync("/api/alerts", body)).InvalidFieldsAsync());
    }

    [Fact]
    public async Task AnAlertForAnUnknownUserIsA400AndAnUnknownAlertIs404()
    {
        var (_, client) = await api.NewClientAsync("nurse");
        var unknownUser = await client.PostJsonAsync("/api/alerts", new { userId = Guid.NewGuid(), alertType = "system", severity = "low", title = "T", message = "M" });

        Assert.Contains("userId", await unknownUser.InvalidFieldsAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/api/alerts/{Guid.NewGuid()}/read", null)).StatusCode);
    }
}
