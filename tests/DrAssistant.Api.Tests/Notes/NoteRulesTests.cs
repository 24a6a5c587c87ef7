using DrAssistant.Api.Notes;
using DrAssistant.MigrationService.Mongo;
using DrAssistant.MigrationService.Tests.Mongo;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;

namespace DrAssistant.Api.Tests.Notes;

/// <summary>The rules of notes that need no server: validation, the request → document mapping, versions and ETags.</summary>
public sealed class NoteRulesTests
{
    private static readonly DateTime Now = new(2026, 3, 4, 5, 6, 7, 890, DateTimeKind.Utc);
    private static readonly EncounterParties Encounter = new(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), "in_progress");

    [Fact]
    public void ANewNoteTakesItsPatientAndDoctorFromTheEncounterAndStartsAsADraftAtVersionZero()
    {
        var note = NotesRules.NewNote(new CreateNoteRequest(Encounter.Id, Content: Content("Cough"), Tags: [" asthma ", "asthma", " ", "follow-up"]), Encounter, Now);

        Assert.Equal((Encounter.Id, Encounter.PatientId, Encounter.DoctorId), (note.EncounterId, note.PatientId, note.DoctorId));
        Assert.Equal((NoteStatus.Draft, NoteType.Soap), (note.Status, note.NoteType));
        Assert.Equal(0, note.Metadata!.EditCount);
        Assert.Equal(0, NotesRules.Version(note));
        Assert.Empty(note.Metadata.EditHistory);
        Assert.Equal((Now, Now), (note.CreatedAt, note.UpdatedAt));
        Assert.Equal(["asthma", "follow-up"], note.Tags);
        Assert.Null(note.SignedBy);
    }

    [Fact]
    public void ANewNoteIsADocumentTheClinicalNotesValidatorAccepts()
    {
        var note = NotesRules.NewNote(new CreateNoteRequest(
            Encounter.Id, "progress", FullContent(), "Patient reports chest pain.", "Likely stable angina.", 0.82, "cardiology-soap", 312.5, true, ["cardiology"]),
            Encounter, Now);

        var errors = JsonSchemaChecker.Check(note.ToBsonDocument(), MongoSchema.ClinicalNotesCollection.Validator!);

        Assert.Empty(errors);
        Assert.Equal("progress", note.ToBsonDocument()["noteType"].AsString);
    }

    [Fact]
    public void ASignedAndAmendedNoteWithItsHistoryIsStillADocumentTheValidatorAccepts()
    {
        var note = NotesRules.NewNote(new CreateNoteRequest(Encounter.Id, Content: Content("Cough")), Encounter, Now);
        note.Status = NoteStatus.Amended;
        note.SignedBy = Encounter.DoctorId;
        note.SignedAt = Now;
        note.Metadata!.EditCount = 2;
        note.Metadata.EditHistory =
        [
            new NoteEdit { EditedAt = Now, EditedBy = Encounter.DoctorId, Action = NotesRules.SignAction, Changes = "Signed" },
            new NoteEdit { EditedAt = Now, EditedBy = Encounter.DoctorId, Action = NotesRules.AmendAction, Changes = "Wrong side", PreviousContent = FullContent() },
        ];

        var document = note.ToBsonDocument();

        Assert.Empty(JsonSchemaChecker.Check(document, MongoSchema.ClinicalNotesCollection.Validator!));
        Assert.Equal("amend", document["metadata"]["editHistory"][1]["action"].AsString);
        Assert.Equal("Chest pain", document["metadata"]["editHistory"][1]["previousContent"]["subjective"]["chiefComplaint"].AsString);
    }

    [Fact]
    public void TheWordCountCoversTheContentTextsAndListsAndTheTranscription()
    {
        var content = new NoteContent
        {
            Subjective = new Subjective { ChiefComplaint = "Chest pain on exertion" },
            Plan = new Plan { Treatments = ["Rest", "Aspirin daily"], Medications = [new PlannedMedication { Name = "Aspirin", Dosage = "75 mg" }] },
        };

        Assert.Equal(4 + 3 + 3 + 4, NotesRules.WordCount(content, "  the patient   says so "));
        Assert.Equal(0, NotesRules.WordCount(null, null));
    }

    [Theory]
    [InlineData("\"0\"", Precondition.Valid, 0)]
    [InlineData(" \"17\" ", Precondition.Valid, 17)]
    [InlineData(null, Precondition.Missing, 0)]
    [InlineData("", Precondition.Missing, 0)]
    [InlineData("17", Precondition.Invalid, 0)]
    [InlineData("W/\"17\"", Precondition.Invalid, 0)]
    [InlineData("*", Precondition.Invalid, 0)]
    [InlineData("\"1\", \"2\"", Precondition.Invalid, 0)]
    [InlineData("\"-1\"", Precondition.Invalid, 0)]
    [InlineData("\"99999999999\"", Precondition.Invalid, 0)]
    [InlineData("\"\"", Precondition.Invalid, 0)]
    public void IfMatchMustBeOneStrongETagAsTheApiIssuesThem(string? header, Precondition expected, int version)
    {
        var outcome = NotesRules.ParseIfMatch(header, out var parsed);

        Assert.Equal(expected, outcome);
        Assert.Equal(version, parsed);
    }

    [Fact]
    public void TheETagOfAVersionIsWhatIfMatchReadsBack()
    {
        Assert.Equal(Precondition.Valid, NotesRules.ParseIfMatch(NotesRules.ETag(42), out var version));
        Assert.Equal(42, version);
    }

    [Fact]
    public void AFullSoapNoteIsValid()
    {
        var validation = NotesRules.ValidateCreate(new CreateNoteRequest(Guid.NewGuid(), "soap", FullContent(), "Transcript", AiConfidenceScore: 1, Tags: ["a"]));

        Assert.True(validation.IsValid, string.Join("; ", validation.Errors.Keys));
    }

    [Fact]
    public void ValidationNamesEveryBadFieldOfANoteAsTheClientWroteIt()
    {
        var content = FullContent();
        content.Subjective!.ChiefComplaint = new string('x', NotesRules.MaxText + 1);
        content.Objective!.VitalSigns!.Temperature = 98.6;
        content.Objective.VitalSigns.BloodPressure!.Systolic = -5;
        content.Assessment!.Diagnoses = [new Diagnosis { Code = "I20.9", Description = " " }];
        content.Plan!.Treatments = [.. Enumerable.Repeat("Rest", NotesRules.MaxListItems + 1)];
        content.Plan.Referrals = [""];

        var validation = NotesRules.ValidateCreate(new CreateNoteRequest(
            null, "poem", content, AiConfidenceScore: 1.5, CompletionTime: -1, Tags: [.. Enumerable.Repeat("t", NotesRules.MaxTags + 1)]));

        Assert.Equal(
            ["aiConfidenceScore", "completionTime", "content.assessment.diagnoses[0].description", "content.objective.vitalSigns.bloodPressure.systolic",
             "content.objective.vitalSigns.temperature", "content.plan.referrals[0]", "content.plan.treatments", "content.subjective.chiefComplaint",
             "encounterId", "noteType", "tags"],
            validation.Errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AnUpdateNamesItsNoteTypeAndAnAmendmentItsContentAndReason()
    {
        Assert.Equal(["noteType"], NotesRules.ValidateUpdate(new UpdateNoteRequest(null)).Errors.Keys);
        Assert.True(NotesRules.ValidateUpdate(new UpdateNoteRequest("soap")).IsValid);
        Assert.Equal(["content", "reason"], NotesRules.ValidateAmend(new AmendNoteRequest(null, " ")).Errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void NoteTypesAreTheSchemasWordsOnly()
    {
        Assert.Equal(MongoSchema.NoteTypes, NotesRules.NoteTypes);
        Assert.Equal(NoteType.Discharge, NotesRules.ParseNoteType("discharge"));
        Assert.Null(NotesRules.ParseNoteType("Discharge"));
        Assert.Null(NotesRules.ParseNoteType("poem"));
    }

    [Fact]
    public void NowIsKeptToTheMillisecondAsMongoDbKeepsIt()
    {
        var time = new FixedTime(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1_234_567));

        var now = NotesRules.Now(time);

        Assert.Equal(DateTimeKind.Utc, now.Kind);
        Assert.Equal(0, now.Ticks % TimeSpan.TicksPerMillisecond);
        Assert.Equal(123, now.Millisecond);
    }

    [Fact]
    public void AConditionalWriteMatchesTheNoteOnlyAtItsVersionAndInTheStatusesAllowedAsStoredWords()
    {
        var id = ObjectId.GenerateNewId();

        var filter = Render(NotesQueries.WriteFilter(id, 3, [NoteStatus.Signed, NoteStatus.Amended]));
        var atZero = Render(NotesQueries.WriteFilter(id, 0, [NoteStatus.Draft])).ToJson();

        Assert.Equal(id, filter["_id"].AsObjectId);
        Assert.Equal(new BsonArray { "signed", "amended" }, filter["status"]["$in"]);
        Assert.Equal(3, filter["metadata.editCount"].AsInt32);
        // Version 0 is also a note that has no edit count yet (written by another service).
        Assert.Contains("{ \"metadata.editCount\" : null }", atZero, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryWriteSetsUpdatedAtAddsOneToTheEditCountAndAppendsToTheHistory()
    {
        var editor = Guid.NewGuid();

        var update = NotesQueries.Written(Now, new NoteEdit { EditedAt = Now, EditedBy = editor, Action = "update" })
            .Render(new RenderArgs<ClinicalNote>(BsonSerializer.LookupSerializer<ClinicalNote>(), BsonSerializer.SerializerRegistry)).AsBsonDocument;

        Assert.Equal(Now, update["$set"]["updatedAt"].ToUniversalTime());
        Assert.Equal(1, update["$inc"]["metadata.editCount"].AsInt32);
        Assert.Equal(editor.ToString(), update["$push"]["metadata.editHistory"]["editedBy"].AsString);
    }

    private static BsonDocument Render(FilterDefinition<ClinicalNote> filter) =>
        filter.Render(new RenderArgs<ClinicalNote>(BsonSerializer.LookupSerializer<ClinicalNote>(), BsonSerializer.SerializerRegistry));

    private static NoteContent Content(string complaint) => new() { Subjective = new Subjective { ChiefComplaint = complaint } };

    internal static NoteContent FullContent() => new()
    {
        Subjective = new Subjective
        {
            ChiefComplaint = "Chest pain",
            HistoryOfPresentIllness = "Two weeks of pain on exertion, relieved by rest.",
            Medications = "None",
            Allergies = "Penicillin",
            ReviewOfSystems = new ReviewOfSystems { Cardiovascular = "Chest pain on exertion", Respiratory = "No cough" },
        },
        Objective = new Objective
        {
            VitalSigns = new VitalSigns
            {
                Temperature = 36.8, HeartRate = 88, RespiratoryRate = 16, OxygenSaturation = 98, Weight = 82, Height = 176, Bmi = 26.5,
                BloodPressure = new BloodPressure { Systolic = 142, Diastolic = 90 },
            },
            PhysicalExam = new PhysicalExam { General = "Comfortable", Cardiovascular = "S1 S2 normal" },
            LabResults = [new LabResult { Test = "Troponin I", Value = "0.01", Unit = "ng/mL", Flag = "normal" }],
            ImagingResults = [new ImagingResult { Study = "Chest X-ray", Impression = "Normal" }],
        },
        Assessment = new Assessment
        {
            Diagnoses = [new Diagnosis { Code = "I20.9", Description = "Angina pectoris, unspecified" }],
            DifferentialDiagnoses = ["GERD"],
            ClinicalImpression = "Probable stable angina",
        },
        Plan = new Plan
        {
            Diagnostics = ["Treadmill test"],
            Treatments = ["Lifestyle advice"],
            Medications = [new PlannedMedication { Name = "Aspirin", Dosage = "75 mg", Frequency = "once a day" }],
            FollowUp = "Review in two weeks",
        },
    };

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
