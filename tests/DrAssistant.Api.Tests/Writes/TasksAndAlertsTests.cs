using System.Net;
using System.Text.Json;

namespace DrAssistant.Api.Tests.Writes;

public sealed class TasksAndAlertsTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = api.CreateClient();

    [Fact]
    public async Task ATaskIsCreatedStartedCompletedAndThenClosedToEdits()
    {
        var (doctor, nurse) = (await api.Seed.DoctorAsync(), await api.Seed.UserAsync("nurse"));

        var created = await (await _client.PostJsonAsync("/api/tasks", new
        {
            title = "Review lipid panel", taskType = "review", createdBy = doctor, assignedTo = nurse, priority = "high",
            dueDate = DateTime.UtcNow.AddDays(1),
        })).JsonAsync();
        var id = created.GetProperty("id").GetGuid();
        var started = await (await _client.PostAsync($"/api/tasks/{id}/start", null)).JsonAsync();
        var completed = await (await _client.PostAsync($"/api/tasks/{id}/complete", null)).JsonAsync();
        var edit = await _client.PutJsonAsync($"/api/tasks/{id}", new { title = "Changed", taskType = "review", createdBy = doctor });

        Assert.Equal("pending", created.GetProperty("status").GetString());
        Assert.Equal("in_progress", started.GetProperty("status").GetString());
        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, completed.GetProperty("completedAt").ValueKind);
        Assert.Equal(HttpStatusCode.Conflict, edit.StatusCode);
    }

    [Fact]
    public async Task ATaskDefaultsToMediumAndAUsersTasksAreListedMostUrgentFirst()
    {
        var nurse = await api.Seed.UserAsync("nurse");
        var medium = (await (await _client.PostJsonAsync("/api/tasks", new { title = "A", taskType = "other", createdBy = nurse, assignedTo = nurse })).JsonAsync());
        var urgent = await api.Seed.TaskAsync(nurse, "urgent");
        var low = await api.Seed.TaskAsync(nurse, "low");

        var list = await (await _client.GetAsync($"/api/tasks?assignedTo={nurse}")).JsonAsync();

        Assert.Equal("medium", medium.GetProperty("priority").GetString());
        Assert.Equal([urgent, medium.GetProperty("id").GetGuid(), low], list.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetGuid()));
    }

    [Theory]
    [InlineData("title", "")]
    [InlineData("priority", "asap")]
    [InlineData("taskType", "chores")]
    public async Task AnInvalidTaskIsA400NamingTheField(string field, string value)
    {
        var user = await api.Seed.UserAsync("nurse");
        var body = new Dictionary<string, object?> { ["title"] = "T", ["taskType"] = "review", ["createdBy"] = user, [field] = value };

        Assert.Contains(field, await (await _client.PostJsonAsync("/api/tasks", body)).InvalidFieldsAsync());
    }

    [Fact]
    public async Task ATaskForAnUnknownPatientOrAssigneeIsA400NamingTheField()
    {
        var user = await api.Seed.UserAsync("nurse");

        var unknownPatient = await _client.PostJsonAsync("/api/tasks", new { title = "T", taskType = "review", createdBy = user, patientId = Guid.NewGuid() });
        var unknownAssignee = await _client.PostJsonAsync("/api/tasks", new { title = "T", taskType = "review", createdBy = user, assignedTo = Guid.NewGuid() });

        Assert.Contains("patientId", await unknownPatient.InvalidFieldsAsync());
        Assert.Contains("assignedTo", await unknownAssignee.InvalidFieldsAsync());
    }

    [Fact]
    public async Task AnAlertIsRaisedListedMostSevereFirstAndMarkedReadOnce()
    {
        var (doctor, patient) = (await api.Seed.DoctorAsync(), await api.Seed.PatientAsync("Kiran", "Bose"));
        var low = await api.Seed.AlertAsync(doctor, "low", DateTime.UtcNow);

        var raised = await (await _client.PostJsonAsync("/api/alerts", new
        {
            userId = doctor, patientId = patient, alertType = "lab_result", severity = "critical", title = "Potassium 6.8", message = "Call the patient.",
            source = "lab", actionUrl = "/patients/labs",
        })).JsonAsync();
        var id = raised.GetProperty("id").GetGuid();
        var list = await (await _client.GetAsync($"/api/alerts?userId={doctor}")).JsonAsync();
        var read = await (await _client.PostAsync($"/api/alerts/{id}/read", null)).JsonAsync();
        var readAgain = await (await _client.PostAsync($"/api/alerts/{id}/read", null)).JsonAsync();
        var unread = await (await _client.GetAsync($"/api/alerts?userId={doctor}&unreadOnly=true")).JsonAsync();

        Assert.Equal("Kiran Bose", raised.GetProperty("patientName").GetString());
        Assert.Equal([id, low], list.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetGuid()));
        Assert.True(read.GetProperty("isRead").GetBoolean());
        Assert.Equal(read.GetProperty("readAt").GetDateTime(), readAgain.GetProperty("readAt").GetDateTime());
        Assert.Equal([low], unread.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetGuid()));
    }

    [Theory]
    [InlineData("severity", "catastrophic")]
    [InlineData("alertType", "gossip")]
    [InlineData("title", "")]
    [InlineData("message", "")]
    public async Task AnInvalidAlertIsA400NamingTheField(string field, string value)
    {
        var user = await api.Seed.UserAsync("nurse");
        var body = new Dictionary<string, object?>
        {
            ["userId"] = user, ["alertType"] = "system", ["severity"] = "low", ["title"] = "T", ["message"] = "M", [field] = value,
        };

        Assert.Contains(field, await (await _client.PostJsonAsync("/api/alerts", body)).InvalidFieldsAsync());
    }

    [Fact]
    public async Task AnAlertForAnUnknownUserIsA400AndAnUnknownAlertIs404()
    {
        var unknownUser = await _client.PostJsonAsync("/api/alerts", new { userId = Guid.NewGuid(), alertType = "system", severity = "low", title = "T", message = "M" });

        Assert.Contains("userId", await unknownUser.InvalidFieldsAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.PostAsync($"/api/alerts/{Guid.NewGuid()}/read", null)).StatusCode);
    }
}
