using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DrAssistant.Testing;

namespace DrAssistant.Api.Tests.Notes;

/// <summary>Clinical notes against a real MongoDB (skipped, with the reason, where there is none).</summary>
public sealed class NotesFlowTests(MongoApiFactory api) : IClassFixture<MongoApiFactory>
{
    [SkippableFact]
    public async Task ADraftIsEditedSignedAndAmendedWithItsVersionTimesAndHistoryKept()
    {
        await MongoServer.RequireAsync();
        var (doctor, client, patient, encounter) = await EncounterAsync();

        var created = await client.PostJsonAsync("/api/notes", new { encounterId = encounter, noteType = "soap", content = Complaint("Cough") });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var draft = await created.JsonAsync();
        var id = draft.GetProperty("id").GetString();
        Assert.Equal($"/api/notes/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal("\"0\"", created.Headers.ETag?.Tag);
        Assert.Equal(("draft", 0, 0), (Status(draft), draft.GetProperty("version").GetInt32(), EditCount(draft)));
        Assert.Equal((patient, doctor), (draft.GetProperty("patientId").GetGuid(), draft.GetProperty("doctorId").GetGuid()));

        api.Clock.Advance(TimeSpan.FromSeconds(1));
        var updated = await SendAsync(client, HttpMethod.Put, $"/api/notes/{id}", 0,
            new { noteType = "soap", content = Complaint("Cough for two weeks"), changes = "History added" });
        var edited = await updated.ReadAsync<JsonElement>();
        Assert.Equal("\"1\"", updated.Headers.ETag?.Tag);
        Assert.Equal((1, 1), (edited.GetProperty("version").GetInt32(), EditCount(edited)));
        Assert.Equal(draft.GetProperty("createdAt").GetDateTime(), edited.GetProperty("createdAt").GetDateTime());
        Assert.True(edited.GetProperty("updatedAt").GetDateTime() > draft.GetProperty("updatedAt").GetDateTime());
        var update = Assert.Single(History(edited));
        Assert.Equal(("update", "History added", doctor), (update.GetProperty("action").GetString(), update.GetProperty("changes").GetString(), update.GetProperty("editedBy").GetGuid()));

        var signing = await SendAsync(client, HttpMethod.Post, $"/api/notes/{id}/sign", 1);
        var signed = await signing.ReadAsync<JsonElement>();
        Assert.Equal(("signed", 2, doctor), (Status(signed), signed.GetProperty("version").GetInt32(), signed.GetProperty("signedBy").GetGuid()));
        Assert.True(signed.GetProperty("signedAt").GetDateTime() >= edited.GetProperty("updatedAt").GetDateTime());

        var editSigned = await SendAsync(client, HttpMethod.Put, $"/api/notes/{id}", 2, new { noteType = "soap", content = Complaint("Changed quietly") });
        Assert.Equal(HttpStatusCode.Conflict, editSigned.StatusCode);

        var amending = await SendAsync(client, HttpMethod.Post, $"/api/notes/{id}/amend", 2,
            new { content = Complaint("Cough for three weeks"), reason = "Duration corrected" });
        var amended = await amending.ReadAsync<JsonElement>();
        Assert.Equal(("amended", 3, 3), (Status(amended), amended.GetProperty("version").GetInt32(), EditCount(amended)));
        Assert.Equal("Cough for three weeks", ChiefComplaint(amended.GetProperty("content")));
        Assert.Equal(doctor, amended.GetProperty("signedBy").GetGuid());
        var amendment = History(amended)[^1];
        Assert.Equal(("amend", "Duration corrected"), (amendment.GetProperty("action").GetString(), amendment.GetProperty("changes").GetString()));
        Assert.Equal("Cough for two weeks", ChiefComplaint(amendment.GetProperty("previousContent")));
        Assert.Equal(["update", "sign", "amend"], History(amended).Select(e => e.GetProperty("action").GetString()));

        var read = await client.GetAsync($"/api/notes/{id}");
        Assert.Equal("\"3\"", read.Headers.ETag?.Tag);
        Assert.Equal("Cough for three weeks", ChiefComplaint((await read.ReadAsync<JsonElement>()).GetProperty("content")));
    }

    [SkippableFact]
    public async Task ASignedNoteIsNotEditableAndADraftIsNotAmended()
    {
        await MongoServer.RequireAsync();
        var (_, client, _, encounter) = await EncounterAsync();
        var id = await CreateAsync(client, encounter, "Fever");

        var amendDraft = await SendAsync(client, HttpMethod.Post, $"/api/notes/{id}/amend", 0, new { content = Complaint("x"), reason = "y" });
        await (await SendAsync(client, HttpMethod.Post, $"/api/notes/{id}/sign", 0)).ReadAsync<JsonElement>();
        var edit = await SendAsync(client, HttpMethod.Put, $"/api/notes/{id}", 1, new { noteType = "soap", content = Complaint("Changed") });
        var signAgain = await SendAsync(client, HttpMethod.Post, $"/api/notes/{id}/sign", 1);

        Assert.Equal(HttpStatusCode.Conflict, amendDraft.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, edit.StatusCode);
        Assert.Contains("signed cannot be edited", (await edit.JsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, signAgain.StatusCode);
        Assert.Equal("Fever", ChiefComplaint((await (await client.GetAsync($"/api/notes/{id}")).ReadAsync<JsonElement>()).GetProperty("content")));
    }

    [SkippableFact]
    public async Task OnlyTheNotesOwnDoctorSignsOrAmendsIt()
    {
        await MongoServer.RequireAsync();
        var (_, client, _, encounter) = await EncounterAsync();
        var id = await CreateAsync(client, encounter, "Headache");
        var (_, otherDoctor) = await api.NewClientAsync("doctor");
        var (_, nurse) = await api.NewClientAsync("nurse");

        var byOtherDoctor = await SendAsync(otherDoctor, HttpMethod.Post, $"/api/notes/{id}/sign", 0);
        var byNurse = await SendAsync(nurse, HttpMethod.Post, $"/api/notes/{id}/sign", 0);
        await (await SendAsync(client, HttpMethod.Post, $"/api/notes/{id}/sign", 0)).ReadAsync<JsonElement>();
        var amendByOther = await SendAsync(otherDoctor, HttpMethod.Post, $"/api/notes/{id}/amend", 1, new { content = Complaint("x"), reason = "y" });

        Assert.Equal(HttpStatusCode.Forbidden, byOtherDoctor.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byNurse.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, amendByOther.StatusCode);
        Assert.Equal("signed", Status(await (await client.GetAsync($"/api/notes/{id}")).ReadAsync<JsonElement>()));
    }

    [SkippableFact]
    public async Task AReceptionistCannotReadNotesButANurseReadsAndDraftsThem()
    {
        await MongoServer.RequireAsync();
        var (_, client, patient, encounter) = await EncounterAsync();
        var id = await CreateAsync(client, encounter, "Rash");
        var (_, receptionist) = await api.NewClientAsync("receptionist");
        var (_, nurse) = await api.NewClientAsync("nurse");

        Assert.Equal(HttpStatusCode.Forbidden, (await receptionist.GetAsync($"/api/notes/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await receptionist.GetAsync($"/api/notes?patientId={patient}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await nurse.GetAsync($"/api/notes/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(nurse, HttpMethod.Put, $"/api/notes/{id}", 0, new { noteType = "progress" })).StatusCode);
    }

    [SkippableFact]
    public async Task AStaleWriteIs409AndLeavesTheNewerVersionAsItWas()
    {
        await MongoServer.RequireAsync();
        var (_, client, _, encounter) = await EncounterAsync();
        var id = await CreateAsync(client, encounter, "Back pain");
        var (_, nurse) = await api.NewClientAsync("nurse");

        var first = await SendAsync(client, HttpMethod.Put, $"/api/notes/{id}", 0, new { noteType = "soap", content = Complaint("Doctor's version") });
        var second = await SendAsync(nurse, HttpMethod.Put, $"/api/notes/{id}", 0, new { noteType = "soap", content = Complaint("Nurse's version") });
        var staleSign = await SendAsync(client, HttpMethod.Post, $"/api/notes/{id}/sign", 0);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var problem = await second.JsonAsync();
        Assert.Equal(1, problem.GetProperty("currentVersion").GetInt32());
        Assert.True(problem.GetProperty("errors").TryGetProperty("If-Match", out _));
        Assert.Equal(HttpStatusCode.Conflict, staleSign.StatusCode);
        var note = await (await client.GetAsync($"/api/notes/{id}")).ReadAsync<JsonElement>();
        Assert.Equal(("Doctor's version", "draft", 1), (ChiefComplaint(note.GetProperty("content")), Status(note), note.GetProperty("version").GetInt32()));
    }

    [SkippableFact]
    public async Task OfConcurrentWritesOfTheSameVersionExactlyOneSucceeds()
    {
        await MongoServer.RequireAsync();
        var (_, client, _, encounter) = await EncounterAsync();
        var id = await CreateAsync(client, encounter, "Dizziness");

        var responses = await Task.WhenAll(Enumerable.Range(1, 6).Select(i =>
            SendAsync(client, HttpMethod.Put, $"/api/notes/{id}", 0, new { noteType = "soap", content = Complaint($"Writer {i}") })));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        var note = await (await client.GetAsync($"/api/notes/{id}")).ReadAsync<JsonElement>();
        Assert.Equal((1, 1), (note.GetProperty("version").GetInt32(), History(note).Length));
    }

    [SkippableFact]
    public async Task APatientsNotesAreListedNewestFirstInPages()
    {
        await MongoServer.RequireAsync();
        var (doctor, client, patient, _) = await EncounterAsync();
        var notes = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var encounter = await api.Seed.EncounterAsync(doctor, patient, DateTime.UtcNow.AddDays(-i));
            notes.Add(await CreateAsync(client, encounter, $"Visit {i}"));
            api.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        var otherPatient = await api.Seed.PatientAsync();
        await CreateAsync(client, await api.Seed.EncounterAsync(doctor, otherPatient, DateTime.UtcNow), "Someone else");

        var first = await (await client.GetAsync($"/api/notes?patientId={patient}&pageSize=2")).ReadAsync<JsonElement>();
        var second = await (await client.GetAsync($"/api/notes?patientId={patient}&pageSize=2&page=2")).ReadAsync<JsonElement>();

        Assert.Equal([notes[2], notes[1]], Ids(first));
        Assert.True(first.GetProperty("hasMore").GetBoolean());
        Assert.Equal([notes[0]], Ids(second));
        Assert.False(second.GetProperty("hasMore").GetBoolean());
        Assert.Equal("Visit 2", first.GetProperty("items")[0].GetProperty("chiefComplaint").GetString());
    }

    [SkippableFact]
    public async Task AnEncountersCurrentNoteIsTheOneUpdatedLast()
    {
        await MongoServer.RequireAsync();
        var (_, client, _, encounter) = await EncounterAsync();
        var (_, _, _, withoutNotes) = await EncounterAsync();
        var older = await CreateAsync(client, encounter, "Older");
        api.Clock.Advance(TimeSpan.FromSeconds(1));
        var newer = await CreateAsync(client, encounter, "Newer");

        var before = await (await client.GetAsync($"/api/encounters/{encounter}/note")).ReadAsync<JsonElement>();
        api.Clock.Advance(TimeSpan.FromSeconds(1));
        await (await SendAsync(client, HttpMethod.Put, $"/api/notes/{older}", 0, new { noteType = "soap", content = Complaint("Older, edited") })).ReadAsync<JsonElement>();
        var after = await client.GetAsync($"/api/encounters/{encounter}/note");

        Assert.Equal(newer, before.GetProperty("id").GetString());
        Assert.Equal(older, (await after.ReadAsync<JsonElement>()).GetProperty("id").GetString());
        Assert.Equal("\"1\"", after.Headers.ETag?.Tag);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/encounters/{withoutNotes}/note")).StatusCode);
    }

    [SkippableFact]
    public async Task SearchRanksTheNoteMatchingMoreTermsFirstAndStaysInItsScope()
    {
        await MongoServer.RequireAsync();
        var (doctor, client, patient, _) = await EncounterAsync();
        async Task<string> NoteAsync(Guid forPatient, string complaint, HttpClient? by = null, Guid? byDoctor = null) =>
            await CreateAsync(by ?? client, await api.Seed.EncounterAsync(byDoctor ?? doctor, forPatient, DateTime.UtcNow), complaint);

        var two = await NoteAsync(patient, "Chest pain on exertion");
        var three = await NoteAsync(patient, "Chest pain with sweating");
        await NoteAsync(patient, "Ankle sprain after a fall");
        var otherPatient = await api.Seed.PatientAsync();
        var otherPatientsNote = await NoteAsync(otherPatient, "Chest pain with sweating and nausea");
        var (otherDoctor, otherClient) = await api.NewClientAsync("doctor");
        var otherDoctorsNote = await NoteAsync(await api.Seed.PatientAsync(), "Chest pain and sweating", otherClient, otherDoctor);

        var byPatient = await (await client.GetAsync($"/api/notes/search?q=chest%20pain%20sweating&patientId={patient}")).ReadAsync<JsonElement>();
        var byDoctor = await (await client.GetAsync($"/api/notes/search?q=chest%20pain%20sweating&doctorId={doctor}")).ReadAsync<JsonElement>();
        var paged = await (await client.GetAsync($"/api/notes/search?q=chest&patientId={patient}&pageSize=1")).ReadAsync<JsonElement>();

        Assert.Equal([three, two], Hits(byPatient));
        var scores = byPatient.GetProperty("items").EnumerateArray().Select(h => h.GetProperty("score").GetDouble()).ToList();
        Assert.True(scores[0] > scores[1], $"scores {string.Join(", ", scores)}");
        Assert.Equal(new[] { two, three, otherPatientsNote }.Order(), Hits(byDoctor).Order());
        Assert.DoesNotContain(otherDoctorsNote, Hits(byDoctor));
        Assert.Single(Hits(paged));
        Assert.True(paged.GetProperty("hasMore").GetBoolean());
    }

    [SkippableFact]
    public async Task TheTimelineAndTheEncounterIncludeTheNotesAndTheRecordings()
    {
        await MongoServer.RequireAsync();
        var (doctor, client, patient, first) = await EncounterAsync();
        var second = await api.Seed.EncounterAsync(doctor, patient, DateTime.UtcNow);
        var older = await CreateAsync(client, first, "First visit");
        api.Clock.Advance(TimeSpan.FromSeconds(1));
        var newer = await CreateAsync(client, second, "Second visit");
        var firstRecording = await RecordingsFlowTests.UploadAsync(client, second, RecordingsFlowTests.Pattern(1000));
        api.Clock.Advance(TimeSpan.FromSeconds(1));
        var secondRecording = await RecordingsFlowTests.UploadAsync(client, second, RecordingsFlowTests.Pattern(2000));

        var timeline = await (await client.GetAsync($"/api/patients/{patient}/timeline")).ReadAsync<JsonElement>();
        var details = await (await client.GetAsync($"/api/encounters/{second}")).ReadAsync<JsonElement>();

        Assert.True(timeline.GetProperty("notesAvailable").GetBoolean());
        Assert.Equal([newer, older], Ids(timeline.GetProperty("notes")));
        Assert.True(details.GetProperty("notesAvailable").GetBoolean());
        Assert.Equal(newer, details.GetProperty("currentNote").GetProperty("id").GetString());
        Assert.Equal("Second visit", ChiefComplaint(details.GetProperty("currentNote").GetProperty("content")));
        Assert.Equal(
            [secondRecording.GetProperty("id").GetString(), firstRecording.GetProperty("id").GetString()],
            details.GetProperty("recordings").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
    }

    [SkippableFact]
    public async Task ANoteStoredAgainstARuleCannotBeEditedAndTheAnswerIs422NamingTheField()
    {
        await MongoServer.RequireAsync();
        var (doctor, client, patient, encounter) = await EncounterAsync();
        // Written by another service before the rule that UUIDs are lower case existed (the validator is bypassed as
        // it was not there then); the API reads it (a GUID parses in either case) but the server refuses to keep it.
        var now = DateTime.UtcNow;
        var legacy = new MongoDB.Bson.BsonDocument
        {
            { "_id", MongoDB.Bson.ObjectId.GenerateNewId() },
            { "encounterId", encounter.ToString() },
            { "patientId", patient.ToString().ToUpperInvariant() },
            { "doctorId", doctor.ToString() },
            { "status", "draft" },
            { "noteType", "soap" },
            { "createdAt", now },
            { "updatedAt", now },
        };
        await api.Mongo.GetCollection<MongoDB.Bson.BsonDocument>("clinicalNotes")
            .InsertOneAsync(legacy, new MongoDB.Driver.InsertOneOptions { BypassDocumentValidation = true });

        var edit = await SendAsync(client, HttpMethod.Put, $"/api/notes/{legacy["_id"]}", 0, new { noteType = "soap", content = Complaint("Cough") });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, edit.StatusCode);
        var problem = await edit.JsonAsync();
        Assert.Equal(["patientId"], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.StartsWith("does not have the expected form", problem.GetProperty("errors").GetProperty("patientId")[0].GetString(), StringComparison.Ordinal);
    }

    private async Task<(Guid Doctor, HttpClient Client, Guid Patient, Guid Encounter)> EncounterAsync()
    {
        var (doctor, client) = await api.NewClientAsync("doctor");
        var patient = await api.Seed.PatientAsync();
        var encounter = await api.Seed.EncounterAsync(doctor, patient, DateTime.UtcNow.AddHours(-1));
        return (doctor, client, patient, encounter);
    }

    private static async Task<string> CreateAsync(HttpClient client, Guid encounter, string complaint)
    {
        var response = await client.PostJsonAsync("/api/notes", new { encounterId = encounter, content = Complaint(complaint) });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync()).GetProperty("id").GetString()!;
    }

    internal static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string url, int version, object? body = null)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{version}\""));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: ApiFactory.Json);
        }

        return client.SendAsync(request);
    }

    private static object Complaint(string text) => new { subjective = new { chiefComplaint = text } };

    private static string Status(JsonElement note) => note.GetProperty("status").GetString()!;

    private static int EditCount(JsonElement note) => note.GetProperty("metadata").GetProperty("editCount").GetInt32();

    private static JsonElement[] History(JsonElement note) => [.. note.GetProperty("metadata").GetProperty("editHistory").EnumerateArray()];

    private static string? ChiefComplaint(JsonElement content) => content.GetProperty("subjective").GetProperty("chiefComplaint").GetString();

    private static List<string> Ids(JsonElement page) => [.. page.GetProperty("items").EnumerateArray().Select(n => n.GetProperty("id").GetString()!)];

    private static List<string> Hits(JsonElement page) =>
        [.. page.GetProperty("items").EnumerateArray().Select(h => h.GetProperty("note").GetProperty("id").GetString()!)];
}
