using DrAssistant.MigrationService.Mongo;
using MongoDB.Bson;

namespace DrAssistant.MigrationService.Tests.Mongo;

/// <summary>
/// The collection validators accept what the C# model writes and refuse what the schema forbids, checked without a
/// server by <see cref="JsonSchemaChecker"/> (the server-side refusal is in <see cref="MongoMigratorTests"/>).
/// </summary>
public class ValidatorTests
{
    private static readonly BsonDocument NoteValidator = MongoSchema.ClinicalNotesCollection.Validator!;
    private static readonly BsonDocument RecordingValidator = MongoSchema.VoiceRecordingsCollection.Validator!;

    /// <summary>As mongodb-schema.md lists them.</summary>
    private static readonly string[] NoteRequired = ["_id", "encounterId", "patientId", "doctorId", "status", "noteType", "createdAt", "updatedAt"];

    private static readonly string[] RecordingRequired =
        ["_id", "encounterId", "patientId", "doctorId", "duration", "fileSize", "mimeType", "status", "fileId", "createdAt", "updatedAt"];

    public static TheoryData<string> NoteRequiredFields => new(NoteRequired);

    public static TheoryData<string> RecordingRequiredFields => new(RecordingRequired);

    [Fact]
    public void EveryNoteTheModelWritesIsAccepted()
    {
        Assert.Empty(JsonSchemaChecker.Check(Samples.FullNote().ToBsonDocument(), NoteValidator));
        Assert.Empty(JsonSchemaChecker.Check(Samples.MinimalNote().ToBsonDocument(), NoteValidator));
    }

    [Fact]
    public void EveryRecordingTheModelWritesIsAccepted()
    {
        Assert.Empty(JsonSchemaChecker.Check(Samples.FullRecording().ToBsonDocument(), RecordingValidator));
        Assert.Empty(JsonSchemaChecker.Check(Samples.MinimalRecording().ToBsonDocument(), RecordingValidator));
    }

    [Fact]
    public void TheRequiredFieldsAreTheSpecsRequiredFields()
    {
        Assert.Equal(NoteRequired.Order(), Required(NoteValidator).Order());
        Assert.Equal(RecordingRequired.Order(), Required(RecordingValidator).Order());
    }

    [Theory]
    [MemberData(nameof(NoteRequiredFields))]
    public void ANoteWithoutARequiredFieldIsRefused(string field)
    {
        var document = Samples.FullNote().ToBsonDocument();
        document.Remove(field);

        Assert.Contains($"$: '{field}' is required", JsonSchemaChecker.Check(document, NoteValidator));
    }

    [Theory]
    [MemberData(nameof(RecordingRequiredFields))]
    public void ARecordingWithoutARequiredFieldIsRefused(string field)
    {
        var document = Samples.FullRecording().ToBsonDocument();
        document.Remove(field);

        Assert.Contains($"$: '{field}' is required", JsonSchemaChecker.Check(document, RecordingValidator));
    }

    [Theory]
    [InlineData("status", "final")]
    [InlineData("status", "Draft")]
    [InlineData("noteType", "SOAP")]
    [InlineData("noteType", "letter")]
    public void ANoteWithAWordOutsideTheEnumerationIsRefused(string field, string word)
    {
        var document = Samples.FullNote().ToBsonDocument();
        document[field] = word;

        Assert.Single(JsonSchemaChecker.Check(document, NoteValidator), e => e.StartsWith($"$.{field}: \"{word}\" is not one of", StringComparison.Ordinal));
    }

    [Fact]
    public void ARecordingWithAnUnknownStatusIsRefused()
    {
        var document = Samples.FullRecording().ToBsonDocument();
        document["status"] = "done";

        Assert.NotEmpty(JsonSchemaChecker.Check(document, RecordingValidator));
    }

    [Fact]
    public void AUuidWrittenInUpperCaseOrAsBinaryIsRefused()
    {
        var upper = Samples.FullNote().ToBsonDocument();
        upper["encounterId"] = Samples.EncounterId.ToString().ToUpperInvariant();
        var binary = Samples.FullNote().ToBsonDocument();
        binary["patientId"] = new BsonBinaryData(Guid.NewGuid(), GuidRepresentation.Standard);

        Assert.Single(JsonSchemaChecker.Check(upper, NoteValidator), e => e.StartsWith("$.encounterId: '3F2C", StringComparison.Ordinal));
        Assert.Single(JsonSchemaChecker.Check(binary, NoteValidator), e => e.StartsWith("$.patientId: Binary is not string", StringComparison.Ordinal));
    }

    [Fact]
    public void AnOptionalFieldWrittenAsNullIsRefused()
    {
        // Why the model omits optional fields instead of writing null.
        var document = Samples.MinimalNote().ToBsonDocument();
        document["signedAt"] = BsonNull.Value;

        Assert.Single(JsonSchemaChecker.Check(document, NoteValidator));
    }

    [Theory]
    [InlineData("aiConfidenceScore", 1.5)]
    [InlineData("aiConfidenceScore", -0.1)]
    public void AConfidenceOutsideZeroToOneIsRefused(string field, double value)
    {
        var document = Samples.FullNote().ToBsonDocument();
        document[field] = value;

        Assert.Single(JsonSchemaChecker.Check(document, NoteValidator));
    }

    [Fact]
    public void NestedFieldsOfTheWrongTypeAreRefused()
    {
        var document = Samples.FullNote().ToBsonDocument();
        document["content"]["objective"]["vitalSigns"]["bloodPressure"]["systolic"] = "148";
        document["metadata"]["wordCount"] = 412.0;
        document["tags"].AsBsonArray.Add(7);
        document["attachments"].AsBsonArray.Add("not-an-object-id");
        document["content"]["subjective"]["reviewOfSystems"]["skin"] = new BsonArray();

        var errors = JsonSchemaChecker.Check(document, NoteValidator);

        Assert.Equal(
            [
                "$.content.subjective.reviewOfSystems.skin: Array is not string",
                "$.content.objective.vitalSigns.bloodPressure.systolic: String is not number",
                "$.metadata.wordCount: Double is not int",
                "$.tags[2]: Int32 is not string",
                "$.attachments[1]: String is not objectId",
            ],
            errors);
    }

    [Theory]
    [InlineData("fileSize", 0L)]
    [InlineData("duration", 0.0)]
    [InlineData("duration", -3.0)]
    public void ARecordingWithoutPositiveSizeAndDurationIsRefused(string field, object value)
    {
        var document = Samples.FullRecording().ToBsonDocument();
        document[field] = BsonValue.Create(value);

        Assert.Single(JsonSchemaChecker.Check(document, RecordingValidator), e => e.Contains("below the minimum", StringComparison.Ordinal));
    }

    [Fact]
    public void AFileSizeWrittenAsAnInt32OrADurationAsAnIntegerIsRefused()
    {
        var document = Samples.FullRecording().ToBsonDocument();
        document["fileSize"] = 1234;
        document["duration"] = 30;

        Assert.Equal(["$.duration: Int32 is not double", "$.fileSize: Int32 is not long"], JsonSchemaChecker.Check(document, RecordingValidator));
    }

    [Fact]
    public void FieldsTheSchemaDoesNotNameAreAllowed()
    {
        var document = Samples.FullNote().ToBsonDocument();
        document["reviewedByPeer"] = true;
        document["content"]["plan"]["nextVisit"] = "2026-04-01";

        Assert.Empty(JsonSchemaChecker.Check(document, NoteValidator));
    }

    private static IEnumerable<string> Required(BsonDocument validator) =>
        validator["$jsonSchema"]["required"].AsBsonArray.Select(r => r.AsString);
}
