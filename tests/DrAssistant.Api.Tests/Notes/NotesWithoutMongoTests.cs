using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using DrAssistant.Testing;

namespace DrAssistant.Api.Tests.Notes;

/// <summary>
/// The API as it runs without MongoDB (no ConnectionStrings:mongodb): requests are still checked (session, permission,
/// validation, preconditions, media type, size), then every notes and recordings endpoint answers 503, while the
/// timeline and the encounter answer without notes.
/// </summary>
public sealed class NotesWithoutMongoTests(ApiFactory api) : IClassFixture<ApiFactory>, IAsyncLifetime
{
    private static readonly string NoteId = MongoDB.Bson.ObjectId.GenerateNewId().ToString();

    private Guid _doctor;
    private HttpClient _client = null!;

    public async Task InitializeAsync() => (_doctor, _client) = await api.NewClientAsync("doctor");

    public Task DisposeAsync() => Task.CompletedTask;

    public static TheoryData<string, string> WellFormedRequests => new()
    {
        { "GET", "/api/notes?patientId={guid}" },
        { "GET", "/api/notes/search?q=chest%20pain&doctorId={guid}" },
        { "GET", $"/api/notes/{NoteId}" },
        { "POST", "/api/notes" },
        { "PUT", $"/api/notes/{NoteId}" },
        { "POST", $"/api/notes/{NoteId}/sign" },
        { "POST", $"/api/notes/{NoteId}/amend" },
        { "GET", "/api/encounters/{guid}/note" },
        { "POST", "/api/encounters/{guid}/recordings?duration=12.5" },
        { "GET", "/api/encounters/{guid}/recordings" },
        { "GET", $"/api/recordings/{NoteId}" },
        { "GET", $"/api/recordings/{NoteId}/audio" },
        { "PUT", $"/api/recordings/{NoteId}/status" },
        { "DELETE", $"/api/recordings/{NoteId}" },
    };

    [Theory]
    [MemberData(nameof(WellFormedRequests))]
    public async Task AWellFormedNotesRequestIs503WhenMongoDbIsNotConfigured(string method, string url)
    {
        using var request = WellFormed(method, url.Replace("{guid}", Guid.NewGuid().ToString(), StringComparison.Ordinal));

        var response = await _client.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{method} {url}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("clinical notes store is not configured", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheTimelineAndTheEncounterAnswerWithoutNotesWhenMongoDbIsNotConfigured()
    {
        var patient = await api.Seed.PatientAsync();
        var encounter = await api.Seed.EncounterAsync(_doctor, patient, DateTime.UtcNow.AddHours(-1));

        var timeline = await (await _client.GetAsync($"/api/patients/{patient}/timeline")).ReadAsync<System.Text.Json.JsonElement>();
        var details = await (await _client.GetAsync($"/api/encounters/{encounter}")).ReadAsync<System.Text.Json.JsonElement>();

        Assert.Equal([encounter], timeline.GetProperty("encounters").GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetGuid()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, timeline.GetProperty("notes").ValueKind);
        Assert.False(timeline.GetProperty("notesAvailable").GetBoolean());
        Assert.Equal(encounter, details.GetProperty("encounter").GetProperty("id").GetGuid());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, details.GetProperty("currentNote").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, details.GetProperty("recordings").ValueKind);
        Assert.False(details.GetProperty("notesAvailable").GetBoolean());
    }

    [Fact]
    public async Task ANoteRequestNamesEveryBadFieldBeforeTheStoreIsNeeded()
    {
        var create = await _client.PostJsonAsync("/api/notes", new
        {
            noteType = "poem",
            aiConfidenceScore = 3,
            content = new { objective = new { vitalSigns = new { temperature = 98.6 } }, assessment = new { diagnoses = new[] { new { description = "" } } } },
        });
        var search = await _client.GetAsync("/api/notes/search?pageSize=500");
        var list = await _client.GetAsync("/api/notes");

        Assert.Equal(
            ["aiConfidenceScore", "content.assessment.diagnoses[0].description", "content.objective.vitalSigns.temperature", "encounterId", "noteType"],
            (await create.InvalidFieldsAsync()).Order(StringComparer.Ordinal));
        Assert.Equal(["pageSize", "patientId", "q"], (await search.InvalidFieldsAsync()).Order(StringComparer.Ordinal));
        Assert.Equal(["patientId"], await list.InvalidFieldsAsync());
    }

    [Fact]
    public async Task AMissingRequiredMemberOfTheContentNamesItsPath()
    {
        var response = await _client.PostJsonAsync("/api/notes", new
        {
            encounterId = Guid.NewGuid(),
            content = new { plan = new { medications = new[] { new { dosage = "75 mg" } } } },
        });

        Assert.Contains("content.plan.medications[0]", (await response.InvalidFieldsAsync())[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AChangeWithoutIfMatchIs428AndAMalformedOneIs400()
    {
        var missing = await _client.PutJsonAsync($"/api/notes/{NoteId}", new { noteType = "soap" });
        using var malformed = new HttpRequestMessage(HttpMethod.Post, $"/api/notes/{NoteId}/sign");
        malformed.Headers.TryAddWithoutValidation("If-Match", "W/\"3\"");

        Assert.Equal((HttpStatusCode)428, missing.StatusCode);
        Assert.Contains("If-Match", (await missing.JsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(["If-Match"], await (await _client.SendAsync(malformed)).InvalidFieldsAsync());
    }

    [Fact]
    public async Task AnUploadNamesItsDurationAndRefusesAnAudioTypeNotConfigured()
    {
        var encounter = Guid.NewGuid();

        var noDuration = await _client.PostAsync($"/api/encounters/{encounter}/recordings", Audio("audio/webm", 10));
        var badDuration = await _client.PostAsync($"/api/encounters/{encounter}/recordings?duration=0", Audio("audio/webm", 10));
        var wrongType = await _client.PostAsync($"/api/encounters/{encounter}/recordings?duration=5", Audio("text/plain", 10));
        var noType = await _client.PostAsync($"/api/encounters/{encounter}/recordings?duration=5", Audio(null, 10));

        Assert.Equal(["duration"], await noDuration.InvalidFieldsAsync());
        Assert.Equal(["duration"], await badDuration.InvalidFieldsAsync());
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
        Assert.Contains("audio/webm", (await wrongType.JsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, noType.StatusCode);
    }

    [Fact]
    public async Task ARecordingStatusNamesItsFields()
    {
        var unknown = await _client.PutJsonAsync($"/api/recordings/{NoteId}/status", new { status = "done" });
        var noNote = await _client.PutJsonAsync($"/api/recordings/{NoteId}/status", new { status = "transcribed" });
        var errorWithNote = await _client.PutJsonAsync($"/api/recordings/{NoteId}/status", new { status = "error", transcriptionId = NoteId });

        Assert.Equal(["status"], await unknown.InvalidFieldsAsync());
        Assert.Equal(["transcriptionId"], await noNote.InvalidFieldsAsync());
        Assert.Equal(["transcriptionId"], await errorWithNote.InvalidFieldsAsync());
    }

    [Fact]
    public async Task AnIdThatIsNotAnObjectIdFindsNothing()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/notes/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/recordings/not-an-id/audio")).StatusCode);
    }

    [Fact]
    public async Task AReceptionistReadsAndWritesNoNotesAndANurseSignsNone()
    {
        var (_, receptionist) = await api.NewClientAsync("receptionist");
        var (_, nurse) = await api.NewClientAsync("nurse");

        Assert.Equal(HttpStatusCode.Forbidden, (await receptionist.GetAsync($"/api/notes?patientId={Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await receptionist.GetAsync($"/api/notes/{NoteId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await receptionist.GetAsync($"/api/recordings/{NoteId}/audio")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await receptionist.PostJsonAsync("/api/notes", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await receptionist.PostAsync($"/api/encounters/{Guid.NewGuid()}/recordings?duration=1", Audio("audio/webm", 1))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await nurse.PostAsync($"/api/notes/{NoteId}/sign", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await nurse.PostJsonAsync($"/api/notes/{NoteId}/amend", new { })).StatusCode);
        Assert.Contains("sign:notes", (await (await nurse.PostAsync($"/api/notes/{NoteId}/sign", null)).JsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutASessionNotesAndAudioAre401()
    {
        var anonymous = api.CreateClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/notes/{NoteId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/recordings/{NoteId}/audio")).StatusCode);
    }

    private static HttpRequestMessage WellFormed(string method, string url)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), url);
        request.Headers.TryAddWithoutValidation("If-Match", "\"0\"");
        request.Content = (method, url) switch
        {
            ("POST", "/api/notes") => JsonContent.Create(new { encounterId = Guid.NewGuid() }),
            ("PUT", _) when url.EndsWith("/status", StringComparison.Ordinal) => JsonContent.Create(new { status = "error" }),
            ("PUT", _) => JsonContent.Create(new { noteType = "soap" }),
            ("POST", _) when url.EndsWith("/amend", StringComparison.Ordinal) => JsonContent.Create(new { content = new { }, reason = "Typo" }),
            ("POST", _) when url.Contains("/recordings", StringComparison.Ordinal) => Audio("audio/webm", 100),
            _ => null,
        };
        return request;
    }

    internal static ByteArrayContent Audio(string? mediaType, int length)
    {
        var content = new ByteArrayContent(new byte[length]);
        if (mediaType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(mediaType);
        }

        return content;
    }
}

/// <summary>A small upload limit, to see an announced oversize refused before anything is stored (no server needed).</summary>
public sealed class SmallUploadLimitTests(SmallUploadLimitTests.SmallUploads api) : IClassFixture<SmallUploadLimitTests.SmallUploads>
{
    [Fact]
    public async Task AnUploadAnnouncedLargerThanTheLimitIs413()
    {
        var (_, client) = await api.NewClientAsync("doctor");

        var response = await client.PostAsync($"/api/encounters/{Guid.NewGuid()}/recordings?duration=5", NotesWithoutMongoTests.Audio("audio/webm", 2_000));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("Recordings:MaxBytes", (await response.JsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    public sealed class SmallUploads : ApiFactory
    {
        protected override Dictionary<string, string?> Settings => new() { ["Recordings:MaxBytes"] = "1000" };
    }
}

/// <summary>
/// MongoDB configured but unreachable (a closed port): notes endpoints answer 503 after the short server selection
/// timeout, and the timeline and the encounter still answer, without notes.
/// </summary>
public sealed class NotesWithUnreachableMongoTests(NotesWithUnreachableMongoTests.UnreachableMongo api)
    : IClassFixture<NotesWithUnreachableMongoTests.UnreachableMongo>
{
    [Fact]
    public async Task NotesEndpointsAre503WithRetryAfterWhenMongoDbIsUnreachable()
    {
        var (doctor, client) = await api.NewClientAsync("doctor");
        var encounter = await api.Seed.EncounterAsync(doctor, await api.Seed.PatientAsync(), DateTime.UtcNow.AddHours(-1));

        var list = await client.GetAsync($"/api/notes?patientId={Guid.NewGuid()}");
        var create = await client.PostJsonAsync("/api/notes", new { encounterId = encounter });

        foreach (var response in new[] { list, create })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("The clinical notes store is unavailable.", (await response.JsonAsync()).GetProperty("detail").GetString());
            Assert.True(response.Headers.RetryAfter is not null);
        }
    }

    [Fact]
    public async Task TheTimelineAndTheEncounterStillAnswerWithoutNotesWhenMongoDbIsUnreachable()
    {
        var (doctor, client) = await api.NewClientAsync("doctor");
        var patient = await api.Seed.PatientAsync();
        var encounter = await api.Seed.EncounterAsync(doctor, patient, DateTime.UtcNow.AddHours(-1));

        var timeline = await (await client.GetAsync($"/api/patients/{patient}/timeline")).ReadAsync<System.Text.Json.JsonElement>();
        var details = await (await client.GetAsync($"/api/encounters/{encounter}")).ReadAsync<System.Text.Json.JsonElement>();

        Assert.False(timeline.GetProperty("notesAvailable").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, timeline.GetProperty("notes").ValueKind);
        Assert.Equal([encounter], timeline.GetProperty("encounters").GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetGuid()));
        Assert.False(details.GetProperty("notesAvailable").GetBoolean());
        Assert.Equal(encounter, details.GetProperty("encounter").GetProperty("id").GetGuid());
    }

    public sealed class UnreachableMongo : ApiFactory
    {
        private static readonly int ClosedPort = Tools.FreePort();

        protected override Dictionary<string, string?> Settings => new()
        {
            ["ConnectionStrings:mongodb"] = $"mongodb://127.0.0.1:{ClosedPort}/dr_assistant?connectTimeoutMS=500",
            ["Mongo:ServerSelectionTimeoutSeconds"] = "1",
        };
    }
}
