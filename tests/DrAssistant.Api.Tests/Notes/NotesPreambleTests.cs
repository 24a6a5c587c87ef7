using System.Net;
using DrAssistant.Api.Notes;
using DrAssistant.Api.Recordings;
using Microsoft.AspNetCore.Http;
using MongoDB.Bson;

namespace DrAssistant.Api.Tests.Notes;

/// <summary>
/// What the notes and recordings route groups do before a handler runs (<see cref="NotesEndpoints"/>): ids and
/// If-Match bind whatever they are, and the group answers for them in the order a client can rely on, with or without
/// MongoDB. The API here has no MongoDB, so every request that passes the preamble ends in the 503.
/// </summary>
public sealed class NotesPreambleTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static readonly string NoteId = ObjectId.GenerateNewId().ToString();

    [Theory]
    [InlineData("not-an-id")]
    [InlineData("")]
    [InlineData("0123456789abcdef0123456")]
    public void AnIdThatIsNotAnObjectIdStillBindsAndIsMarkedInvalid(string text)
    {
        Assert.True(DocumentId.TryParse(text, out var id));
        Assert.False(id.IsValid);
    }

    [Fact]
    public void AnObjectIdBindsAsItself()
    {
        Assert.True(DocumentId.TryParse(NoteId, out var id));
        Assert.True(id.IsValid);
        Assert.Equal(NoteId, id.ToString());
    }

    [Theory]
    [InlineData(null, Precondition.Missing, 0)]
    [InlineData("\"7\"", Precondition.Valid, 7)]
    [InlineData("W/\"7\"", Precondition.Invalid, 0)]
    [InlineData("*", Precondition.Invalid, 0)]
    public async Task IfMatchBindsFromItsHeaderWhateverItSays(string? header, Precondition precondition, int version)
    {
        var context = new DefaultHttpContext();
        if (header is not null)
        {
            context.Request.Headers.IfMatch = header;
        }

        Assert.Equal(new IfMatch(precondition, version), await IfMatch.BindAsync(context));
    }

    [Fact]
    public async Task AMalformedIfMatchIsNamedTogetherWithTheBodysMistakesInOne422()
    {
        var (_, client) = await api.NewClientAsync("doctor");
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/notes/{NoteId}") { Content = System.Net.Http.Json.JsonContent.Create(new { noteType = "poem" }) };
        request.Headers.TryAddWithoutValidation("If-Match", "W/\"3\"");

        var response = await client.SendAsync(request);

        Assert.Equal(["If-Match", "noteType"], (await response.InvalidFieldsAsync()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ABadBodyWithoutIfMatchIsA422BeforeThe428()
    {
        var (_, client) = await api.NewClientAsync("doctor");

        var badBody = await client.PutJsonAsync($"/api/notes/{NoteId}", new { noteType = "poem" });
        var goodBody = await client.PutJsonAsync($"/api/notes/{NoteId}", new { noteType = "soap" });

        Assert.Equal(["noteType"], await badBody.InvalidFieldsAsync());
        Assert.Equal((HttpStatusCode)428, goodBody.StatusCode);
    }

    [Fact]
    public async Task AMalformedIdIs404OnlyAfterTheSessionAndThePermissionAreChecked()
    {
        var anonymous = api.CreateClient();
        var (_, receptionist) = await api.NewClientAsync("receptionist");
        var (_, doctor) = await api.NewClientAsync("doctor");

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/recordings/not-an-id")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await receptionist.GetAsync("/api/notes/not-an-id")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await doctor.DeleteAsync("/api/recordings/not-an-id")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await doctor.PutJsonAsync("/api/notes/not-an-id", new { noteType = "soap" })).StatusCode);
    }

    [Fact]
    public async Task ARecordingStatusCheckedByItsBodyThenMeetsTheMissingStore()
    {
        var (_, client) = await api.NewClientAsync("doctor");

        var invalid = await client.PutJsonAsync($"/api/recordings/{NoteId}/status", new { status = "error", processingStats = new { confidence = 2 } });
        var valid = await client.PutJsonAsync($"/api/recordings/{NoteId}/status", new { status = "transcribed", transcriptionId = NoteId });

        Assert.Equal(["processingStats.confidence"], await invalid.InvalidFieldsAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, valid.StatusCode);
    }
}

/// <summary>The lifecycles as tables: one row a step, nothing else allowed.</summary>
public sealed class LifecycleTableTests
{
    [Fact]
    public void ADraftIsEditedAndSignedAndOnlyASignedOrAmendedNoteIsAmended()
    {
        Assert.Equal([NoteStatus.Draft], NotesRules.Steps[NoteStep.Edit].From);
        Assert.Equal([NoteStatus.Draft], NotesRules.Steps[NoteStep.Sign].From);
        Assert.Equal([NoteStatus.Signed, NoteStatus.Amended], NotesRules.Steps[NoteStep.Amend].From);
        Assert.Equal(NoteStatus.Signed, NotesRules.Steps[NoteStep.Sign].To);
        Assert.Equal(NoteStatus.Amended, NotesRules.Steps[NoteStep.Amend].To);
    }

    [Fact]
    public void ANoteIsAmendedOnlyOnceSignedAtTheVersionSentAndNotMoreOftenThanAllowed()
    {
        var encounter = new EncounterParties(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), "completed");
        var note = NotesRules.NewNote(new CreateNoteRequest(encounter.Id), encounter, DateTime.UtcNow);
        Assert.Equal(AmendRefusal.Draft, NotesRules.WhyNotAmendable(note, 0));

        note.Status = NoteStatus.Signed;
        note.Metadata!.EditCount = 1;
        Assert.Null(NotesRules.WhyNotAmendable(note, 1));
        Assert.Equal(AmendRefusal.Stale, NotesRules.WhyNotAmendable(note, 0));

        note.Status = NoteStatus.Amended;
        note.Metadata.EditHistory = [.. Enumerable.Range(0, NotesRules.MaxAmendments).Select(_ => new NoteEdit { Action = NotesRules.AmendAction })];
        Assert.Equal(AmendRefusal.Exhausted, NotesRules.WhyNotAmendable(note, 1));
    }

    [Fact]
    public void ATranscribedRecordingIsDoneAndAFailedOneMayBeRetried()
    {
        Assert.DoesNotContain(RecordingStatus.Transcribed, RecordingsRules.Steps[RecordingStatus.Transcribed]);
        Assert.DoesNotContain(RecordingStatus.Transcribed, RecordingsRules.Steps[RecordingStatus.Error]);
        Assert.Contains(RecordingStatus.Error, RecordingsRules.Steps[RecordingStatus.Transcribed]);
        Assert.Equal(["transcribed", "error"], RecordingsRules.StatusWords);
    }

    [Fact]
    public void AStatusRequestIsReadAsTheStatusAndTheNoteItNames()
    {
        var note = ObjectId.GenerateNewId();

        Assert.Equal((RecordingStatus.Transcribed, note), RecordingsRules.ParseStatus(new UpdateRecordingStatusRequest("transcribed", note.ToString())));
        Assert.Equal((null, null), RecordingsRules.ParseStatus(new UpdateRecordingStatusRequest("Transcribed", "nope")));
    }
}
