using System.Globalization;
using DrAssistant.MigrationService.Mongo;
using MongoDB.Bson;

namespace DrAssistant.MigrationService.Tests.Mongo;

/// <summary>
/// The collection validators in force (all steps applied) accept what the C# model writes and refuse what the schema
/// forbids, checked without a server by <see cref="JsonSchemaChecker"/> (the server-side refusal is in
/// <see cref="MongoMigratorTests"/>).
/// </summary>
public class ValidatorTests
{
    private static readonly BsonDocument NoteValidator = MongoSteps.Declared.Single(c => c.Name == "clinicalNotes").Validator!;
    private static readonly BsonDocument RecordingValidator = MongoSteps.Declared.Single(c => c.Name == "voiceRecordings").Validator!;

    /// <summary>Every numeric field of the notes' validator, as a path, with a value inside its bounds.</summary>
    public static TheoryData<string, double> NoteNumbers => new()
    {
        { "content.objective.vitalSigns.temperature", 37 },
        { "content.objective.vitalSigns.heartRate", 72 },
        { "content.objective.vitalSigns.respiratoryRate", 16 },
        { "content.objective.vitalSigns.bloodPressure.systolic", 120 },
        { "content.objective.vitalSigns.bloodPressure.diastolic", 80 },
        { "content.objective.vitalSigns.oxygenSaturation", 98 },
        { "content.objective.vitalSigns.weight", 70 },
        { "content.objective.vitalSigns.height", 170 },
        { "content.objective.vitalSigns.bmi", 24 },
        { "aiConfidenceScore", 1 },
        { "metadata.completionTime", 300 },
        { "metadata.wordCount", 412 },
        { "metadata.editCount", 3 },
    };

    /// <summary>Every numeric field of the recordings' validator, with a value inside its bounds.</summary>
    public static TheoryData<string, double> RecordingNumbers => new()
    {
        { "duration", 312 },
        { "fileSize", 1234 },
        { "metadata.processingStats.transcriptionTime", 12 },
        { "metadata.processingStats.wordCount", 240 },
        { "metadata.processingStats.confidence", 1 },
    };

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
        document["metadata"]["wordCount"] = true;
        document["tags"].AsBsonArray.Add(7);
        document["attachments"].AsBsonArray.Add("not-an-object-id");
        document["content"]["subjective"]["reviewOfSystems"]["skin"] = new BsonArray();

        var errors = JsonSchemaChecker.Check(document, NoteValidator);

        Assert.Equal(
            [
                "$.content.subjective.reviewOfSystems.skin: Array is not string",
                "$.content.objective.vitalSigns.bloodPressure.systolic: String is not double or int or long or decimal",
                "$.metadata.wordCount: Boolean is not double or int or long or decimal",
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
    public void StepOneRefusedAFileSizeWrittenAsAnInt32OrADurationAsAnInteger()
    {
        // Why step 2 exists: a Node service writes small whole numbers as 32-bit integers.
        var document = Samples.FullRecording().ToBsonDocument();
        document["fileSize"] = 1234;
        document["duration"] = 30;

        Assert.Equal(["$.duration: Int32 is not double", "$.fileSize: Int32 is not long"], JsonSchemaChecker.Check(document, MongoSchema.VoiceRecordingsCollection.Validator!));
        Assert.Empty(JsonSchemaChecker.Check(document, RecordingValidator));
    }

    [Theory]
    [MemberData(nameof(NoteNumbers))]
    public void ANoteNumberIsAcceptedAsAnIntALongADoubleOrADecimalButNotAsAString(string path, double value)
    {
        foreach (var number in AsEveryNumericType(value))
        {
            Assert.Empty(JsonSchemaChecker.Check(With(Samples.FullNote().ToBsonDocument(), path, number), NoteValidator));
        }

        var asText = JsonSchemaChecker.Check(With(Samples.FullNote().ToBsonDocument(), path, value.ToString(CultureInfo.InvariantCulture)), NoteValidator);
        Assert.Equal([$"$.{path}: String is not double or int or long or decimal"], asText);
    }

    [Theory]
    [MemberData(nameof(RecordingNumbers))]
    public void ARecordingNumberIsAcceptedAsAnIntALongADoubleOrADecimalButNotAsAString(string path, double value)
    {
        foreach (var number in AsEveryNumericType(value))
        {
            Assert.Empty(JsonSchemaChecker.Check(With(Samples.FullRecording().ToBsonDocument(), path, number), RecordingValidator));
        }

        var asText = JsonSchemaChecker.Check(With(Samples.FullRecording().ToBsonDocument(), path, value.ToString(CultureInfo.InvariantCulture)), RecordingValidator);
        Assert.Equal([$"$.{path}: String is not double or int or long or decimal"], asText);
    }

    [Theory]
    [InlineData("duration", 0)]
    [InlineData("duration", -3)]
    [InlineData("fileSize", 0)]
    [InlineData("fileSize", -1)]
    public void AnySizeOrDurationThatIsNotPositiveIsRefusedWhateverItsNumericType(string field, int value)
    {
        foreach (var number in AsEveryNumericType(value))
        {
            var document = Samples.FullRecording().ToBsonDocument();
            document[field] = number;

            Assert.Single(JsonSchemaChecker.Check(document, RecordingValidator), e => e.Contains("below the minimum", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void AConfidenceAboveOneIsRefusedWhateverItsNumericType()
    {
        foreach (var number in AsEveryNumericType(2))
        {
            var document = Samples.FullNote().ToBsonDocument();
            document["aiConfidenceScore"] = number;

            Assert.Single(JsonSchemaChecker.Check(document, NoteValidator), e => e.Contains("above the maximum", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void StepTwoChangesOnlyTheNumericTypes()
    {
        // Every bsonType of step 1 that is not numeric is still there, and every numeric one became the four types.
        var numeric = new HashSet<string> { "double", "int", "long", "decimal", "number" };
        foreach (var (before, after) in new[]
        {
            (MongoSchema.ClinicalNotesCollection.Validator!, NoteValidator),
            (MongoSchema.VoiceRecordingsCollection.Validator!, RecordingValidator),
        })
        {
            var expected = before.DeepClone().AsBsonDocument;
            ReplaceNumericTypes(expected, numeric);

            Assert.Equal(expected, after);
        }
    }

    private static IEnumerable<BsonValue> AsEveryNumericType(double value) =>
        [new BsonInt32((int)value), new BsonInt64((long)value), new BsonDouble(value), new BsonDecimal128((decimal)value)];

    /// <summary>The document with the value at a dotted path, the objects on the way created when missing.</summary>
    private static BsonDocument With(BsonDocument document, string path, BsonValue value)
    {
        var names = path.Split('.');
        var current = document;
        foreach (var name in names[..^1])
        {
            if (!current.TryGetValue(name, out var next) || next is not BsonDocument child)
            {
                current[name] = child = [];
            }

            current = child;
        }

        current[names[^1]] = value;
        return document;
    }

    private static void ReplaceNumericTypes(BsonDocument schema, HashSet<string> numeric)
    {
        if (schema.TryGetValue("bsonType", out var type) && type is BsonString name && numeric.Contains(name.Value))
        {
            schema["bsonType"] = new BsonArray(MongoSchema.AnyNumber);
        }

        foreach (var element in schema.Elements.ToList())
        {
            if (element.Value is BsonDocument child)
            {
                ReplaceNumericTypes(child, numeric);
            }
        }
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
