using DrAssistant.Api.Notes;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;

namespace DrAssistant.Api.Tests.Notes;

/// <summary>
/// What the notes API sends MongoDB, rendered without a server: the field paths and stored words the validators and
/// indexes expect, optional fields removed rather than nulled, and every write's bookkeeping.
/// </summary>
public sealed class NoteWritesTests
{
    private static readonly DateTime Now = new(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);
    private static readonly Guid Editor = Guid.NewGuid();

    [Fact]
    public void AnEditSetsWhatIsSentAndRemovesWhatIsAbsentNeverWritingNull()
    {
        var content = new NoteContent { Subjective = new Subjective { ChiefComplaint = "Cough for two weeks" } };

        var update = Render(NotesQueries.EditChanges(new UpdateNoteRequest("progress", content, Tags: ["asthma"], Changes: "History"), Editor, Now));

        Assert.Equal("progress", update["$set"]["noteType"].AsString);
        Assert.Equal("Cough for two weeks", update["$set"]["content"]["subjective"]["chiefComplaint"].AsString);
        Assert.Equal(new BsonArray { "asthma" }, update["$set"]["tags"]);
        Assert.Equal(4, update["$set"]["metadata.wordCount"].AsInt32);
        Assert.Equal(
            ["aiConfidenceScore", "aiSummary", "metadata.aiAssisted", "metadata.completionTime", "metadata.templateUsed", "rawTranscription"],
            update["$unset"].AsBsonDocument.Names.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(update["$set"].AsBsonDocument.Values, v => v.IsBsonNull);
        Assert.Equal(1, update["$inc"]["metadata.editCount"].AsInt32);
        Assert.Equal("update", update["$push"]["metadata.editHistory"]["action"].AsString);
        Assert.Equal("History", update["$push"]["metadata.editHistory"]["changes"].AsString);
    }

    [Fact]
    public void SigningRecordsTheSignerAndTheTimeAsTheSchemaTypesThem()
    {
        var update = Render(NotesQueries.SignChanges(Editor, Now));

        Assert.Equal("signed", update["$set"]["status"].AsString);
        Assert.Equal(Editor.ToString(), update["$set"]["signedBy"].AsString);
        Assert.Equal(BsonType.DateTime, update["$set"]["signedAt"].BsonType);
        Assert.Equal(Now, update["$set"]["updatedAt"].ToUniversalTime());
        Assert.Equal("sign", update["$push"]["metadata.editHistory"]["action"].AsString);
    }

    [Fact]
    public void AnAmendmentKeepsTheContentItReplacesWithTheReason()
    {
        var signed = new ClinicalNote { Content = new NoteContent { Subjective = new Subjective { ChiefComplaint = "As signed" } }, RawTranscription = "one two" };
        var amendment = new AmendNoteRequest(new NoteContent { Subjective = new Subjective { ChiefComplaint = "As amended now" } }, "Corrected");

        var update = Render(NotesQueries.AmendChanges(signed, amendment, Editor, Now));

        Assert.Equal("amended", update["$set"]["status"].AsString);
        Assert.Equal("As amended now", update["$set"]["content"]["subjective"]["chiefComplaint"].AsString);
        Assert.Equal(3 + 2, update["$set"]["metadata.wordCount"].AsInt32);
        var edit = update["$push"]["metadata.editHistory"];
        Assert.Equal(("amend", "Corrected"), (edit["action"].AsString, edit["changes"].AsString));
        Assert.Equal("As signed", edit["previousContent"]["subjective"]["chiefComplaint"].AsString);
    }

    [Fact]
    public void SearchIsTextWithinThePatientOrTheDoctorByTheirStoredIds()
    {
        var patient = Guid.NewGuid();
        var doctor = Guid.NewGuid();

        var byPatient = Render(NotesQueries.SearchFilter("chest pain", patient, null));
        var byBoth = Render(NotesQueries.SearchFilter("chest pain", patient, doctor));

        Assert.Equal("chest pain", byPatient["$text"]["$search"].AsString);
        Assert.Equal(patient.ToString(), byPatient["patientId"].AsString);
        Assert.False(byPatient.Contains("doctorId"));
        Assert.Equal(doctor.ToString(), byBoth["doctorId"].AsString);
    }

    [Fact]
    public void AListReadsOnlyTheFieldsOfASummaryAndSearchAddsTheScore()
    {
        var projection = NotesQueries.SummaryFields.MetaTextScore("score")
            .Render(new RenderArgs<ClinicalNote>(BsonSerializer.LookupSerializer<ClinicalNote>(), BsonSerializer.SerializerRegistry));

        Assert.DoesNotContain("content", projection.Names);
        Assert.Contains("content.subjective.chiefComplaint", projection.Names);
        Assert.Contains("metadata.editCount", projection.Names);
        Assert.Equal("textScore", projection["score"]["$meta"].AsString);
    }

    private static BsonDocument Render(UpdateDefinition<ClinicalNote> update) =>
        update.Render(new RenderArgs<ClinicalNote>(BsonSerializer.LookupSerializer<ClinicalNote>(), BsonSerializer.SerializerRegistry)).AsBsonDocument;

    private static BsonDocument Render(FilterDefinition<ClinicalNote> filter) =>
        filter.Render(new RenderArgs<ClinicalNote>(BsonSerializer.LookupSerializer<ClinicalNote>(), BsonSerializer.SerializerRegistry));
}
