using DrAssistant.MigrationService.Mongo;
using DrAssistant.Shared.Documents;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;

namespace DrAssistant.MigrationService.Tests.Mongo;

/// <summary>The C# document model writes exactly the field names and BSON types of the MongoDB schema.</summary>
public class NoteBsonMappingTests
{
    [Fact]
    public void ANoteIsWrittenWithTheSchemasTopLevelFieldNames()
    {
        var document = Samples.FullNote().ToBsonDocument();

        Assert.Equal(
            ["_id", "encounterId", "patientId", "doctorId", "status", "noteType", "content", "rawTranscription", "aiSummary",
             "aiConfidenceScore", "signedBy", "signedAt", "metadata", "tags", "attachments", "createdAt", "updatedAt"],
            document.Names);
    }

    [Fact]
    public void NumbersAnotherServiceWroteAsIntLongOrDecimalAreReadByTheModel()
    {
        // What step 2's validators let in: a Node service writes whole numbers as int, others may write long or decimal.
        var note = Samples.FullNote().ToBsonDocument();
        note["content"]["objective"]["vitalSigns"]["heartRate"] = 88;
        note["content"]["objective"]["vitalSigns"]["weight"] = new BsonDecimal128(84.5m);
        note["aiConfidenceScore"] = new BsonDecimal128(0.75m);
        note["metadata"]["completionTime"] = 300L;
        note["metadata"]["wordCount"] = 412L;
        note["metadata"]["editCount"] = 3.0;
        var recording = Samples.FullRecording().ToBsonDocument();
        recording["duration"] = 312;
        recording["fileSize"] = 48_000;

        var readNote = BsonSerializer.Deserialize<ClinicalNote>(note);
        var readRecording = BsonSerializer.Deserialize<VoiceRecording>(recording);

        Assert.Equal((88.0, 84.5), (readNote.Content!.Objective!.VitalSigns!.HeartRate, readNote.Content.Objective.VitalSigns.Weight));
        Assert.Equal((0.75, 300.0, 412, 3), (readNote.AiConfidenceScore, readNote.Metadata!.CompletionTime, readNote.Metadata.WordCount, readNote.Metadata.EditCount));
        Assert.Equal((312.0, 48_000L), (readRecording.Duration, readRecording.FileSize));
    }

    [Fact]
    public void TheSoapContentIsWrittenWithTheSchemasNestedFieldNames()
    {
        var content = Samples.FullNote().ToBsonDocument()["content"].AsBsonDocument;

        Assert.Equal(["subjective", "objective", "assessment", "plan"], content.Names);
        Assert.Equal(
            ["chiefComplaint", "historyOfPresentIllness", "pastMedicalHistory", "medications", "allergies", "familyHistory", "socialHistory", "reviewOfSystems"],
            content["subjective"].AsBsonDocument.Names);
        Assert.Equal(
            ["constitutional", "cardiovascular", "respiratory", "gastrointestinal", "musculoskeletal", "neurological", "psychiatric",
             "endocrine", "hematologic", "allergic", "skin"],
            content["subjective"]["reviewOfSystems"].AsBsonDocument.Names);
        Assert.Equal(["vitalSigns", "physicalExam", "labResults", "imagingResults"], content["objective"].AsBsonDocument.Names);
        Assert.Equal(
            ["temperature", "heartRate", "respiratoryRate", "bloodPressure", "oxygenSaturation", "weight", "height", "bmi"],
            content["objective"]["vitalSigns"].AsBsonDocument.Names);
        Assert.Equal(["systolic", "diastolic"], content["objective"]["vitalSigns"]["bloodPressure"].AsBsonDocument.Names);
        Assert.Equal(
            ["general", "heent", "cardiovascular", "respiratory", "gastrointestinal", "musculoskeletal", "neurological", "skin"],
            content["objective"]["physicalExam"].AsBsonDocument.Names);
        Assert.Equal(["diagnoses", "differentialDiagnoses", "clinicalImpression"], content["assessment"].AsBsonDocument.Names);
        Assert.Equal(["code", "description"], content["assessment"]["diagnoses"][0].AsBsonDocument.Names);
        Assert.Equal(
            ["diagnostics", "treatments", "patientEducation", "referrals", "medications", "followUp"],
            content["plan"].AsBsonDocument.Names);
    }

    [Fact]
    public void NoteMetadataHasTheSchemasNamesAndNumberTypes()
    {
        var metadata = Samples.FullNote().ToBsonDocument()["metadata"].AsBsonDocument;

        Assert.Equal(["templateUsed", "completionTime", "aiAssisted", "wordCount", "editCount", "editHistory"], metadata.Names);
        Assert.Equal(BsonType.String, metadata["templateUsed"].BsonType);
        Assert.Equal(BsonType.Double, metadata["completionTime"].BsonType);
        Assert.Equal(BsonType.Boolean, metadata["aiAssisted"].BsonType);
        Assert.Equal(BsonType.Int32, metadata["wordCount"].BsonType);
        Assert.Equal(BsonType.Int32, metadata["editCount"].BsonType);
        var edit = metadata["editHistory"][0].AsBsonDocument;
        Assert.Equal(["editedAt", "editedBy", "changes"], edit.Names);
        Assert.Equal(BsonType.DateTime, edit["editedAt"].BsonType);
        Assert.Equal(BsonType.String, edit["editedBy"].BsonType);
    }

    [Fact]
    public void UuidsAreWrittenAsLowercaseStrings()
    {
        var note = Samples.FullNote();
        var document = note.ToBsonDocument();

        Assert.Equal(new BsonString("3f2c9a1e-7b4d-4e8f-a1b2-c3d4e5f6a7b8"), document["encounterId"]);
        foreach (var (field, value) in new[] { ("patientId", note.PatientId), ("doctorId", note.DoctorId), ("signedBy", note.SignedBy!.Value) })
        {
            Assert.Equal(BsonType.String, document[field].BsonType);
            Assert.Equal(value.ToString("D").ToLowerInvariant(), document[field].AsString);
        }
    }

    [Fact]
    public void IdsAreObjectIdsAndDatesAreBsonDates()
    {
        var document = Samples.FullNote().ToBsonDocument();

        Assert.Equal(BsonType.ObjectId, document["_id"].BsonType);
        Assert.All(document["attachments"].AsBsonArray, a => Assert.Equal(BsonType.ObjectId, a.BsonType));
        Assert.Equal(BsonType.DateTime, document["createdAt"].BsonType);
        Assert.Equal(BsonType.DateTime, document["updatedAt"].BsonType);
        Assert.Equal(BsonType.DateTime, document["signedAt"].BsonType);
        Assert.Equal(Samples.CreatedAt, document["createdAt"].ToUniversalTime());
        Assert.Equal(BsonType.Double, document["aiConfidenceScore"].BsonType);
    }

    [Fact]
    public void StatusAndNoteTypeAreWrittenAsTheSchemasLowercaseWords()
    {
        var words = Enum.GetValues<NoteStatus>().Select(status =>
        {
            var note = Samples.MinimalNote();
            note.Status = status;
            return note.ToBsonDocument()["status"].AsString;
        });
        var types = Enum.GetValues<NoteType>().Select(type =>
        {
            var note = Samples.MinimalNote();
            note.NoteType = type;
            return note.ToBsonDocument()["noteType"].AsString;
        });

        Assert.Equal(["draft", "signed", "amended"], words);
        Assert.Equal(["soap", "progress", "procedure", "discharge", "referral", "consultation"], types);
    }

    [Fact]
    public void ANewNoteIsADraftSoapNote()
    {
        var document = new ClinicalNote().ToBsonDocument();

        Assert.Equal("draft", document["status"].AsString);
        Assert.Equal("soap", document["noteType"].AsString);
    }

    [Fact]
    public void TheValidatorsWordsAreTheModelsWords()
    {
        Assert.Equal(MongoSchema.NoteStatuses, LowercaseEnumSerializer<NoteStatus>.StoredWords);
        Assert.Equal(MongoSchema.NoteTypes, LowercaseEnumSerializer<NoteType>.StoredWords);
        Assert.Equal(MongoSchema.RecordingStatuses, LowercaseEnumSerializer<RecordingStatus>.StoredWords);
        Assert.Equal(MongoSchema.ClinicalNotes, ClinicalNote.CollectionName);
        Assert.Equal(MongoSchema.VoiceRecordings, VoiceRecording.CollectionName);
    }

    [Fact]
    public void AnUnknownStatusWordIsRefusedOnRead()
    {
        var document = Samples.MinimalNote().ToBsonDocument();
        document["status"] = "final";

        var error = Assert.Throws<FormatException>(() => BsonSerializer.Deserialize<ClinicalNote>(document));

        Assert.Contains("'final' is not a NoteStatus", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionalFieldsAreOmittedNotWrittenAsNull()
    {
        var document = Samples.MinimalNote().ToBsonDocument();

        Assert.Equal(["_id", "encounterId", "patientId", "doctorId", "status", "noteType", "createdAt", "updatedAt"], document.Names);
    }

    [Fact]
    public void EmptyListsAndEmptySectionsLeaveNoNullsBehind()
    {
        var note = Samples.MinimalNote();
        note.Content = new NoteContent { Objective = new Objective(), Plan = new Plan { FollowUp = "PRN" } };
        note.Metadata = new NoteMetadata { WordCount = 0 };

        var document = note.ToBsonDocument();

        Assert.Equal(new BsonDocument { { "objective", new BsonDocument() }, { "plan", new BsonDocument("followUp", "PRN") } }, document["content"]);
        Assert.Equal(new BsonDocument("wordCount", 0), document["metadata"]);
        Assert.Empty(Nulls(Samples.FullNote().ToBsonDocument()));
        Assert.Empty(Nulls(Samples.FullRecording().ToBsonDocument()));
    }

    [Fact]
    public void ANoteRoundTripsThroughBson()
    {
        var original = Samples.FullNote();
        var written = original.ToBsonDocument();

        var read = BsonSerializer.Deserialize<ClinicalNote>(written);

        Assert.Equal(written, read.ToBsonDocument());
        Assert.Equal(original.EncounterId, read.EncounterId);
        Assert.Equal(original.SignedBy, read.SignedBy);
        Assert.Equal(NoteStatus.Signed, read.Status);
        Assert.Equal(148, read.Content!.Objective!.VitalSigns!.BloodPressure!.Systolic);
        Assert.Equal(DateTimeKind.Utc, read.CreatedAt.Kind);
        Assert.Equal(original.CreatedAt, read.CreatedAt);
    }

    [Fact]
    public void AMinimalNoteReadsBackWithEmptyListsRatherThanNulls()
    {
        var read = BsonSerializer.Deserialize<ClinicalNote>(Samples.MinimalNote().ToBsonDocument());

        Assert.Empty(read.Tags);
        Assert.Empty(read.Attachments);
        Assert.Null(read.Content);
        Assert.Null(read.SignedBy);
    }

    [Fact]
    public void FieldsWrittenByANewerVersionAreIgnoredOnRead()
    {
        var document = Samples.FullNote().ToBsonDocument();
        document["reviewedByPeer"] = true;
        document["content"]["plan"]["nextVisit"] = "2026-04-01";

        var read = BsonSerializer.Deserialize<ClinicalNote>(document);

        Assert.Equal(Samples.EncounterId, read.EncounterId);
    }

    [Fact]
    public void ARecordingIsWrittenWithTheSchemasFieldNamesAndTypes()
    {
        var document = Samples.FullRecording().ToBsonDocument();

        Assert.Equal(
            ["_id", "encounterId", "patientId", "doctorId", "duration", "fileSize", "mimeType", "status", "transcriptionId",
             "metadata", "retentionPolicy", "fileId", "createdAt", "updatedAt"],
            document.Names);
        Assert.Equal(BsonType.ObjectId, document["_id"].BsonType);
        Assert.Equal("3f2c9a1e-7b4d-4e8f-a1b2-c3d4e5f6a7b8", document["encounterId"].AsString);
        Assert.Equal(BsonType.Double, document["duration"].BsonType);
        Assert.Equal(BsonType.Int64, document["fileSize"].BsonType);
        Assert.Equal("transcribed", document["status"].AsString);
        Assert.Equal(BsonType.ObjectId, document["transcriptionId"].BsonType);
        Assert.Equal(BsonType.ObjectId, document["fileId"].BsonType);
        Assert.Equal(["deviceInfo", "quality", "processingStats"], document["metadata"].AsBsonDocument.Names);
        Assert.Equal(["transcriptionTime", "wordCount", "confidence"], document["metadata"]["processingStats"].AsBsonDocument.Names);
        Assert.Equal(BsonType.Int32, document["metadata"]["processingStats"]["wordCount"].BsonType);
        Assert.Equal(["expiresAt", "retentionReason"], document["retentionPolicy"].AsBsonDocument.Names);
        Assert.Equal(BsonType.DateTime, document["retentionPolicy"]["expiresAt"].BsonType);
    }

    [Fact]
    public void ASmallFileSizeIsStillALongAndAWholeDurationStillADouble()
    {
        var document = Samples.MinimalRecording().ToBsonDocument();

        Assert.Equal(new BsonInt64(1234), document["fileSize"]);
        Assert.Equal(new BsonDouble(30), document["duration"]);
        Assert.Equal("processing", document["status"].AsString);
        Assert.Equal(
            ["_id", "encounterId", "patientId", "doctorId", "duration", "fileSize", "mimeType", "status", "fileId", "createdAt", "updatedAt"],
            document.Names);
    }

    [Fact]
    public void ARecordingRoundTripsThroughBson()
    {
        var original = Samples.FullRecording();
        var written = original.ToBsonDocument();

        var read = BsonSerializer.Deserialize<VoiceRecording>(written);

        Assert.Equal(written, read.ToBsonDocument());
        Assert.Equal(5_368_709_120, read.FileSize);
        Assert.Equal(RecordingStatus.Transcribed, read.Status);
        Assert.Equal(original.RetentionPolicy!.ExpiresAt, read.RetentionPolicy!.ExpiresAt);
    }

    private static IEnumerable<string> Nulls(BsonValue value, string path = "$") => value switch
    {
        BsonNull => [path],
        BsonDocument d => d.SelectMany(e => Nulls(e.Value, $"{path}.{e.Name}")),
        BsonArray a => a.SelectMany((v, i) => Nulls(v, $"{path}[{i}]")),
        _ => [],
    };
}
