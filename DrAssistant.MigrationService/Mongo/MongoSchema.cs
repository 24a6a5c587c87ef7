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

/// <summary>
/// An index an earlier step declared that a later step no longer declares (e.g. made redundant by a compound index).
/// The migrator never drops it: a fresh database does not get it, and where it exists <c>info</c> lists it as retired
/// (with the command to drop it by hand) rather than as an index nobody declared.
/// </summary>
public sealed record RetiredIndex(IndexSpec Index, string Reason);

/// <summary>
/// A collection as declared: its validator (if any), its indexes, and the indexes of earlier steps it retires.
/// </summary>
public sealed record CollectionSpec(string Name, BsonDocument? Validator, IReadOnlyList<IndexSpec> Indexes)
{
    /// <summary>Indexes of earlier steps this declaration no longer declares (see <see cref="RetiredIndex"/>).</summary>
    public IReadOnlyList<RetiredIndex> Retired { get; init; } = [];

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

    /// <summary>The bsonType of every numeric field from step 2 on: whatever numeric type a writer uses (a Node service writes whole numbers as int).</summary>
    public static readonly IReadOnlyList<string> AnyNumber = ["double", "int", "long", "decimal"];

    // Step 1: what the first version declared. Never edited (its checksum is recorded in databases); see MongoSteps.

    public static CollectionSpec ClinicalNotesCollection { get; } = new(ClinicalNotes, ClinicalNoteValidator(AsStepOne),
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

    public static CollectionSpec VoiceRecordingsCollection { get; } = new(VoiceRecordings, VoiceRecordingValidator(AsStepOne),
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

    // Step 2 (mongodb-schema.md, "changes after review"): declared again, the validator replaces step 1's and the
    // indexes are added to step 1's.

    /// <summary>
    /// Numbers of any numeric type; <c>attachments</c> indexed so the orphan sweep asks "does a note attach this file?"
    /// through an index (a multikey index: one entry per attached file).
    /// </summary>
    public static CollectionSpec ClinicalNotesStep2 { get; } = new(ClinicalNotes, ClinicalNoteValidator(AsAnyNumber),
    [
        IndexSpec.Ascending("attachments"),
    ]);

    /// <summary>Numbers of any numeric type; <c>fileId</c> indexed so the orphan sweep asks "does a recording use this file?" through an index.</summary>
    public static CollectionSpec VoiceRecordingsStep2 { get; } = new(VoiceRecordings, VoiceRecordingValidator(AsAnyNumber),
    [
        IndexSpec.Ascending("fileId"),
    ]);

    /// <summary>
    /// The index the official drivers create on a first upload, named as they name it, so <c>info</c> lists no index
    /// nobody declared once audio has been uploaded. It makes step 1's <c>{filename: 1}</c> redundant (a query on
    /// filename uses the compound's prefix): that one is retired, never dropped by the migrator.
    /// </summary>
    public static CollectionSpec GridFsFilesStep2 { get; } = new(GridFsFiles, null,
    [
        IndexSpec.Compound(("filename", 1), ("uploadDate", 1)),
    ])
    {
        Retired = [new RetiredIndex(IndexSpec.Ascending("filename"), "redundant since step 2 with filename_1_uploadDate_1, whose prefix serves the same queries")],
    };

    /// <summary>
    /// How a step writes the BSON type of a numeric field, given the type step 1 gave it: step 1 as it is (each field
    /// its own type), step 2 as any numeric type. One definition of the fields serves both, so step 2 changes nothing
    /// else, and step 1's output (and checksum) stays byte for byte what it was.
    /// </summary>
    private delegate BsonValue NumberType(string stepOneType);

    private static BsonValue AsStepOne(string stepOneType) => stepOneType;

    private static BsonValue AsAnyNumber(string stepOneType) => new BsonArray(AnyNumber);

    private static BsonDocument ClinicalNoteValidator(NumberType number) => JsonSchema(
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
                    ("temperature", Type(number("number"))),
                    ("heartRate", Type(number("number"))),
                    ("respiratoryRate", Type(number("number"))),
                    ("bloodPressure", Object(
                        ("systolic", Type(number("number"))),
                        ("diastolic", Type(number("number"))))),
                    ("oxygenSaturation", Type(number("number"))),
                    ("weight", Type(number("number"))),
                    ("height", Type(number("number"))),
                    ("bmi", Type(number("number"))))),
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
        ("aiConfidenceScore", new BsonDocument { { "bsonType", number("double") }, { "minimum", 0 }, { "maximum", 1 } }),
        ("signedBy", Uuid()),
        ("signedAt", Type("date")),
        ("metadata", Object(
            ("templateUsed", Type("string")),
            ("completionTime", Type(number("number"))),
            ("aiAssisted", Type("bool")),
            ("wordCount", Type(number("int"))),
            ("editCount", Type(number("int"))),
            ("editHistory", ArrayOf(Type("object"))))),
        ("tags", ArrayOf(Type("string"))),
        ("attachments", ArrayOf(Type("objectId"))),
        ("createdAt", Type("date")),
        ("updatedAt", Type("date")));

    private static BsonDocument VoiceRecordingValidator(NumberType number) => JsonSchema(
        required: ["_id", "encounterId", "patientId", "doctorId", "duration", "fileSize", "mimeType", "status", "fileId", "createdAt", "updatedAt"],
        ("_id", Type("objectId")),
        ("encounterId", Uuid()),
        ("patientId", Uuid()),
        ("doctorId", Uuid()),
        ("duration", Positive(number("double"))),
        ("fileSize", Positive(number("long"))),
        ("mimeType", Type("string")),
        ("status", Words(RecordingStatuses)),
        ("transcriptionId", Type("objectId")),
        ("metadata", Object(
            ("deviceInfo", Type("string")),
            ("quality", Type("string")),
            ("processingStats", Object(
                ("transcriptionTime", Type(number("number"))),
                ("wordCount", Type(number("int"))),
                ("confidence", Type(number("number"))))))),
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

    private static BsonDocument Type(BsonValue bsonType) => new("bsonType", bsonType);

    private static BsonDocument Uuid() => new() { { "bsonType", "string" }, { "pattern", UuidPattern } };

    private static BsonDocument Words(IEnumerable<string> words) => new() { { "bsonType", "string" }, { "enum", new BsonArray(words) } };

    /// <summary>More than zero (JSON Schema draft 4, as MongoDB implements it: <c>exclusiveMinimum</c> is a flag).</summary>
    private static BsonDocument Positive(BsonValue bsonType) =>
        new() { { "bsonType", bsonType }, { "minimum", 0 }, { "exclusiveMinimum", true } };

    private static BsonDocument ArrayOf(BsonDocument items) => new() { { "bsonType", "array" }, { "items", items } };

    private static BsonDocument Object(params (string Name, BsonDocument Schema)[] properties) =>
        new() { { "bsonType", "object" }, { "properties", Properties(properties) } };

    private static BsonDocument Strings(params string[] names) => Object([.. names.Select(n => (n, Type("string")))]);

    private static BsonDocument Properties((string Name, BsonDocument Schema)[] properties) =>
        new(properties.Select(p => new BsonElement(p.Name, p.Schema)));
}
