using MongoDB.Bson;

namespace DrAssistant.MigrationService.Mongo;

/// <summary>An index as declared: its name, its key pattern (as given to <c>createIndexes</c>) and its options.</summary>
public sealed record IndexSpec(string Name, BsonDocument Keys, BsonDocument Options)
{
    /// <summary>One field, ascending, named as MongoDB would name it (<c>encounterId_1</c>).</summary>
    public static IndexSpec Ascending(string field) => Compound((field, 1));

    /// <summary>Several fields in order, named as MongoDB would (<c>encounterId_1_createdAt_-1</c>).</summary>
    public static IndexSpec Compound(params (string Field, int Direction)[] keys) => new(
        string.Join('_', keys.Select(k => $"{k.Field}_{k.Direction}")),
        new BsonDocument(keys.Select(k => new BsonElement(k.Field, k.Direction))),
        []);

    /// <summary>
    /// A text index. Its weights and languages are written out (they are the server's defaults) so that the declared
    /// options are exactly what <c>listIndexes</c> answers, and comparing them needs no knowledge of defaults.
    /// </summary>
    public static IndexSpec Text(string name, params string[] fields) => new(
        name,
        new BsonDocument(fields.Select(f => new BsonElement(f, "text"))),
        new BsonDocument
        {
            { "weights", new BsonDocument(fields.Select(f => new BsonElement(f, 1))) },
            { "default_language", "english" },
            { "language_override", "language" },
        });

    /// <summary>A TTL index: the server deletes a document once <paramref name="field"/> is this many seconds past.</summary>
    public static IndexSpec TimeToLive(string field, int expireAfterSeconds) => Ascending(field) with
    {
        Options = new BsonDocument("expireAfterSeconds", expireAfterSeconds),
    };

    public IndexSpec Unique() => this with { Options = new BsonDocument(Options) { ["unique"] = true } };

    /// <summary>The entry of a <c>createIndexes</c> command's <c>indexes</c> array.</summary>
    public BsonDocument ToCreateDocument() => new BsonDocument { { "key", Keys }, { "name", Name } }.AddRange(Options);

    public bool IsText => Keys.Values.Any(v => v == "text");
}

/// <summary>A collection as declared: its validator (if any) and its indexes.</summary>
public sealed record CollectionSpec(string Name, BsonDocument? Validator, IReadOnlyList<IndexSpec> Indexes)
{
    /// <summary>Every write is checked, and a document that fails is refused (not merely logged).</summary>
    public const string ValidationLevel = "strict";

    public const string ValidationAction = "error";

    /// <summary>The validator settings as <c>create</c> and <c>collMod</c> take them; empty when there is no validator.</summary>
    public BsonDocument ValidatorOptions() => Validator is null
        ? []
        : new BsonDocument
        {
            { "validator", Validator },
            { "validationLevel", ValidationLevel },
            { "validationAction", ValidationAction },
        };
}

/// <summary>
/// The MongoDB side of the data platform as mongodb-schema.md describes it: the collections, their
/// <c>$jsonSchema</c> validators (required fields, BSON types, enumerations; other fields are allowed) and their indexes.
/// </summary>
public static class MongoSchema
{
    public const string ClinicalNotes = "clinicalNotes";
    public const string VoiceRecordings = "voiceRecordings";
    public const string GridFsFiles = "fs.files";
    public const string GridFsChunks = "fs.chunks";

    /// <summary>Documents refer to PostgreSQL rows by UUID, written in lower case so any reader can match them.</summary>
    public const string UuidPattern = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

    public static readonly IReadOnlyList<string> NoteStatuses = ["draft", "signed", "amended"];
    public static readonly IReadOnlyList<string> NoteTypes = ["soap", "progress", "procedure", "discharge", "referral", "consultation"];
    public static readonly IReadOnlyList<string> RecordingStatuses = ["processing", "transcribed", "error"];

    /// <summary>The fields of a note searched by full text.</summary>
    public static readonly IReadOnlyList<string> NoteTextFields =
    [
        "content.subjective.chiefComplaint",
        "content.subjective.historyOfPresentIllness",
        "content.assessment.clinicalImpression",
        "content.plan.followUp",
        "rawTranscription",
    ];

    public static CollectionSpec ClinicalNotesCollection { get; } = new(ClinicalNotes, ClinicalNoteValidator(),
    [
        IndexSpec.Ascending("encounterId"),
        IndexSpec.Ascending("patientId"),
        IndexSpec.Ascending("doctorId"),
        IndexSpec.Ascending("status"),
        IndexSpec.Ascending("noteType"),
        IndexSpec.Ascending("createdAt"),
        IndexSpec.Ascending("updatedAt"),
        IndexSpec.Text("note_text", [.. NoteTextFields]),
    ]);

    public static CollectionSpec VoiceRecordingsCollection { get; } = new(VoiceRecordings, VoiceRecordingValidator(),
    [
        IndexSpec.Ascending("encounterId"),
        IndexSpec.Ascending("patientId"),
        IndexSpec.Ascending("doctorId"),
        IndexSpec.Ascending("status"),
        IndexSpec.Ascending("createdAt"),
        IndexSpec.Ascending("transcriptionId"),
        IndexSpec.Compound(("encounterId", 1), ("createdAt", -1)),
        IndexSpec.Compound(("patientId", 1), ("createdAt", -1)),
        IndexSpec.Compound(("doctorId", 1), ("createdAt", -1)),
        // The server removes the metadata once the retention date passes; the GridFS audio must be removed with it.
        IndexSpec.TimeToLive("retentionPolicy.expiresAt", expireAfterSeconds: 0),
    ]);

    /// <summary>
    /// GridFS bucket <c>fs</c>. No validators: the driver writes these documents. The chunk index is named as the
    /// drivers name it, so a driver that checks for it before its first upload finds it already there.
    /// </summary>
    public static CollectionSpec GridFsFilesCollection { get; } = new(GridFsFiles, null,
    [
        IndexSpec.Ascending("filename"),
        IndexSpec.Ascending("uploadDate"),
    ]);

    public static CollectionSpec GridFsChunksCollection { get; } = new(GridFsChunks, null,
    [
        IndexSpec.Compound(("files_id", 1), ("n", 1)).Unique(),
    ]);

    private static BsonDocument ClinicalNoteValidator() => JsonSchema(
        required: ["_id", "encounterId", "patientId", "doctorId", "status", "noteType", "createdAt", "updatedAt"],
        ("_id", Type("objectId")),
        ("encounterId", Uuid()),
        ("patientId", Uuid()),
        ("doctorId", Uuid()),
        ("status", Words(NoteStatuses)),
        ("noteType", Words(NoteTypes)),
        ("content", Object(
            ("subjective", Object(
                ("chiefComplaint", Type("string")),
                ("historyOfPresentIllness", Type("string")),
                ("pastMedicalHistory", Type("string")),
                ("medications", Type("string")),
                ("allergies", Type("string")),
                ("familyHistory", Type("string")),
                ("socialHistory", Type("string")),
                ("reviewOfSystems", Strings(
                    "constitutional", "cardiovascular", "respiratory", "gastrointestinal", "musculoskeletal",
                    "neurological", "psychiatric", "endocrine", "hematologic", "allergic", "skin")))),
            ("objective", Object(
                ("vitalSigns", Object(
                    ("temperature", Type("number")),
                    ("heartRate", Type("number")),
                    ("respiratoryRate", Type("number")),
                    ("bloodPressure", Object(
                        ("systolic", Type("number")),
                        ("diastolic", Type("number")))),
                    ("oxygenSaturation", Type("number")),
                    ("weight", Type("number")),
                    ("height", Type("number")),
                    ("bmi", Type("number")))),
                ("physicalExam", Strings(
                    "general", "heent", "cardiovascular", "respiratory", "gastrointestinal", "musculoskeletal",
                    "neurological", "skin")),
                ("labResults", Type("array")),
                ("imagingResults", Type("array")))),
            ("assessment", Object(
                ("diagnoses", ArrayOf(Object(
                    ("code", Type("string")),
                    ("description", Type("string"))))),
                ("differentialDiagnoses", ArrayOf(Type("string"))),
                ("clinicalImpression", Type("string")))),
            ("plan", Object(
                ("diagnostics", ArrayOf(Type("string"))),
                ("treatments", ArrayOf(Type("string"))),
                ("patientEducation", ArrayOf(Type("string"))),
                ("referrals", ArrayOf(Type("string"))),
                ("medications", ArrayOf(Type("object"))),
                ("followUp", Type("string")))))),
        ("rawTranscription", Type("string")),
        ("aiSummary", Type("string")),
        ("aiConfidenceScore", new BsonDocument { { "bsonType", "double" }, { "minimum", 0 }, { "maximum", 1 } }),
        ("signedBy", Uuid()),
        ("signedAt", Type("date")),
        ("metadata", Object(
            ("templateUsed", Type("string")),
            ("completionTime", Type("number")),
            ("aiAssisted", Type("bool")),
            ("wordCount", Type("int")),
            ("editCount", Type("int")),
            ("editHistory", ArrayOf(Type("object"))))),
        ("tags", ArrayOf(Type("string"))),
        ("attachments", ArrayOf(Type("objectId"))),
        ("createdAt", Type("date")),
        ("updatedAt", Type("date")));

    private static BsonDocument VoiceRecordingValidator() => JsonSchema(
        required: ["_id", "encounterId", "patientId", "doctorId", "duration", "fileSize", "mimeType", "status", "fileId", "createdAt", "updatedAt"],
        ("_id", Type("objectId")),
        ("encounterId", Uuid()),
        ("patientId", Uuid()),
        ("doctorId", Uuid()),
        ("duration", Positive("double")),
        ("fileSize", Positive("long")),
        ("mimeType", Type("string")),
        ("status", Words(RecordingStatuses)),
        ("transcriptionId", Type("objectId")),
        ("metadata", Object(
            ("deviceInfo", Type("string")),
            ("quality", Type("string")),
            ("processingStats", Object(
                ("transcriptionTime", Type("number")),
                ("wordCount", Type("int")),
                ("confidence", Type("number")))))),
        ("retentionPolicy", Object(
            ("expiresAt", Type("date")),
            ("retentionReason", Type("string")))),
        ("fileId", Type("objectId")),
        ("createdAt", Type("date")),
        ("updatedAt", Type("date")));

    private static BsonDocument JsonSchema(string[] required, params (string Name, BsonDocument Schema)[] properties) =>
        new("$jsonSchema", new BsonDocument
        {
            { "bsonType", "object" },
            { "required", new BsonArray(required) },
            { "properties", Properties(properties) },
        });

    private static BsonDocument Type(string bsonType) => new("bsonType", bsonType);

    private static BsonDocument Uuid() => new() { { "bsonType", "string" }, { "pattern", UuidPattern } };

    private static BsonDocument Words(IEnumerable<string> words) => new() { { "bsonType", "string" }, { "enum", new BsonArray(words) } };

    /// <summary>More than zero (JSON Schema draft 4, as MongoDB implements it: <c>exclusiveMinimum</c> is a flag).</summary>
    private static BsonDocument Positive(string bsonType) =>
        new() { { "bsonType", bsonType }, { "minimum", 0 }, { "exclusiveMinimum", true } };

    private static BsonDocument ArrayOf(BsonDocument items) => new() { { "bsonType", "array" }, { "items", items } };

    private static BsonDocument Object(params (string Name, BsonDocument Schema)[] properties) =>
        new() { { "bsonType", "object" }, { "properties", Properties(properties) } };

    private static BsonDocument Strings(params string[] names) => Object([.. names.Select(n => (n, Type("string")))]);

    private static BsonDocument Properties((string Name, BsonDocument Schema)[] properties) =>
        new(properties.Select(p => new BsonElement(p.Name, p.Schema)));
}
