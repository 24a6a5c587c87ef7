using System.Net;

namespace DrAssistant.Api.Tests.Writes;

/// <summary>Where an alert may send its reader, and who reads it.</summary>
public sealed class AlertRulesTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Theory]
    [InlineData("javascript:alert(document.cookie)")]
    [InlineData("JavaScript:alert(1)")]
    [InlineData("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==")]
    [InlineData("vbscript:msgbox(1)")]
    [InlineData("ftp://files.example/result.pdf")]
    [InlineData("//evil.example/login")]
    [InlineData("/\\evil.example/login")]
    [InlineData(" javascript:alert(1)")]
    [InlineData("java\tscript:alert(1)")]
    [InlineData("https://user:pass@evil.example/")]
    [InlineData("https:evil.example")]
    public async Task AnActionUrlThatIsNotAPathHereOrAnHttpUrlIsA400(string actionUrl)
    {
        var (user, client) = await api.NewClientAsync("nurse");

        var response = await client.PostJsonAsync("/api/alerts", new
        {
            userId = user, alertType = "system", severity = "low", title = "T", message = "M", actionUrl,
        });

        Assert.Equal(["actionUrl"], await response.InvalidFieldsAsync());
    }

    [Theory]
    [InlineData("/patients/labs")]
    [InlineData("patients/labs?tab=potassium")]
    [InlineData("/")]
    [InlineData("/encounters/1?tab=orders#latest")]
    [InlineData("https://lab.example/results/42")]
    [InlineData("http://intranet.clinic.example/rota")]
    public async Task APathHereOrAnHttpUrlIsStoredAsGiven(string actionUrl)
    {
        var (user, client) = await api.NewClientAsync("nurse");

        var response = await client.PostJsonAsync("/api/alerts", new
        {
            userId = user, alertType = "system", severity = "low", title = "T", message = "M", actionUrl,
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(actionUrl, (await response.JsonAsync()).GetProperty("actionUrl").GetString());
    }

    [Fact]
    public async Task AdministratorsReadTheirOwnAlertsButNotOthers()
    {
        // Alerts carry patient names and results; administrators manage accounts, not clinical content.
        var (doctor, _) = await api.NewClientAsync("doctor");
        var (admin, adminClient) = await api.NewClientAsync("admin");
        var doctorsAlert = await api.Seed.AlertAsync(doctor, "critical", DateTime.UtcNow, patient: await api.Seed.PatientAsync("Kiran", "Bose"));
        var adminsAlert = await api.Seed.AlertAsync(admin, "low", DateTime.UtcNow);

        Assert.Equal(HttpStatusCode.Forbidden, (await adminClient.GetAsync($"/api/alerts?userId={doctor}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await adminClient.GetAsync($"/api/alerts/{doctorsAlert}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await adminClient.PostAsync($"/api/alerts/{doctorsAlert}/read", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await adminClient.GetAsync($"/api/alerts/{adminsAlert}")).StatusCode);
        var own = await (await adminClient.GetAsync("/api/alerts")).JsonAsync();
        Assert.Equal([adminsAlert], own.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetGuid()));
    }
}
