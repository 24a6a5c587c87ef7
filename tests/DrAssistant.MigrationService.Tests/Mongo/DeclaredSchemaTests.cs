using DrAssistant.MigrationService.Mongo;
using Microsoft.Extensions.Logging.Abstractions;
using MongoDB.Bson;
using MongoDB.Driver;

namespace DrAssistant.MigrationService.Tests.Mongo;

/// <summary>The declared MongoDB state is the one mongodb-schema.md describes, and its versioning is stable.</summary>
public class DeclaredSchemaTests
{
    /// <summary>
    /// Every index of the spec (step 1, then step 2: fs.files {filename: 1} gives way to the drivers' {filename: 1,
    /// uploadDate: 1}; voiceRecordings {fileId: 1}; and clinicalNotes {attachments: 1}, which the orphan sweep needs to ask
    /// "does a note attach this file?" through an index): collection, name, key pattern, options.
    /// </summary>
    public static TheoryData<string, string, string, string> SpecIndexes => new()
    {
        { "clinicalNotes", "encounterId_1", "{ 'encounterId' : 1 }", "{ }" },
        { "clinicalNotes", "patientId_1", "{ 'patientId' : 1 }", "{ }" },
        { "clinicalNotes", "doctorId_1", "{ 'doctorId' : 1 }", "{ }" },
        { "clinicalNotes", "status_1", "{ 'status' : 1 }", "{ }" },
        { "clinicalNotes", "noteType_1", "{ 'noteType' : 1 }", "{ }" },
        { "clinicalNotes", "createdAt_1", "{ 'createdAt' : 1 }", "{ }" },
        { "clinicalNotes", "updatedAt_1", "{ 'updatedAt' : 1 }", "{ }" },
        { "clinicalNotes", "attachments_1", "{ 'attachments' : 1 }", "{ }" },
        {
            "clinicalNotes", "note_text",
            "{ 'content.subjective.chiefComplaint' : 'text', 'content.subjective.historyOfPresentIllness' : 'text', " +
            "'content.assessment.clinicalImpression' : 'text', 'content.plan.followUp' : 'text', 'rawTranscription' : 'text' }",
            "{ 'weights' : { 'content.subjective.chiefComplaint' : 1, 'content.subjective.historyOfPresentIllness' : 1, " +
            "'content.assessment.clinicalImpression' : 1, 'content.plan.followUp' : 1, 'rawTranscription' : 1 }, " +
            "'default_language' : 'english', 'language_override' : 'language' }"
        },
        { "voiceRecordings", "encounterId_1", "{ 'encounterId' : 1 }", "{ }" },
        { "voiceRecordings", "patientId_1", "{ 'patientId' : 1 }", "{ }" },
        { "voiceRecordings", "doctorId_1", "{ 'doctorId' : 1 }", "{ }" },
        { "voiceRecordings", "status_1", "{ 'status' : 1 }", "{ }" },
        { "voiceRecordings", "createdAt_1", "{ 'createdAt' : 1 }", "{ }" },
        { "voiceRecordings", "transcriptionId_1", "{ 'transcriptionId' : 1 }", "{ }" },
        { "voiceRecordings", "encounterId_1_createdAt_-1", "{ 'encounterId' : 1, 'createdAt' : -1 }", "{ }" },
        { "voiceRecordings", "patientId_1_createdAt_-1", "{ 'patientId' : 1, 'createdAt' : -1 }", "{ }" },
        { "voiceRecordings", "doctorId_1_createdAt_-1", "{ 'doctorId' : 1, 'createdAt' : -1 }", "{ }" },
        { "voiceRecordings", "retentionPolicy.expiresAt_1", "{ 'retentionPolicy.expiresAt' : 1 }", "{ 'expireAfterSeconds' : 0 }" },
        { "voiceRecordings", "fileId_1", "{ 'fileId' : 1 }", "{ }" },
        { "fs.files", "filename_1_uploadDate_1", "{ 'filename' : 1, 'uploadDate' : 1 }", "{ }" },
        { "fs.files", "uploadDate_1", "{ 'uploadDate' : 1 }", "{ }" },
        { "fs.chunks", "files_id_1_n_1", "{ 'files_id' : 1, 'n' : 1 }", "{ 'unique' : true }" },
    };

    [Theory]
    [MemberData(nameof(SpecIndexes))]
    public void EveryIndexOfTheSpecIsDeclaredWithItsKeysAndOptions(string collection, string name, string keys, string options)
    {
        var index = Assert.Single(Collection(collection).Indexes, i => i.Name == name);

        Assert.True(BsonEquivalence.SameKeys(BsonDocument.Parse(keys), index.Keys), $"keys {index.Keys}");
        Assert.True(BsonEquivalence.Equivalent(BsonDocument.Parse(options), index.Options), $"options {index.Options}");
    }

    [Fact]
    public void NoIndexIsDeclaredThatTheSpecDoesNotList()
    {
        var specified = SpecIndexes.Select(row => $"{row[0]}.{row[1]}").Order();
        var declared = MongoSteps.Declared.SelectMany(c => c.Indexes.Select(i => $"{c.Name}.{i.Name}")).Order();

        Assert.Equal(specified, declared);
    }

    [Fact]
    public void TheDeclaredCollectionsAreTheNotesTheRecordingsAndTheGridFsBucket()
    {
        Assert.Equal(["clinicalNotes", "voiceRecordings", "fs.files", "fs.chunks"], MongoSteps.Declared.Select(c => c.Name));
    }

    [Theory]
    [InlineData("clinicalNotes")]
    [InlineData("voiceRecordings")]
    public void ValidatedCollectionsRefuseAnInvalidWriteRatherThanLogIt(string collection)
    {
        var options = Collection(collection).ValidatorOptions();

        Assert.Equal("error", options["validationAction"].AsString);
        Assert.Equal("strict", options["validationLevel"].AsString);
        Assert.Equal("object", options["validator"]["$jsonSchema"]["bsonType"].AsString);
        Assert.False(options["validator"]["$jsonSchema"].AsBsonDocument.Contains("additionalProperties"));
    }

    [Fact]
    public void GridFsCollectionsHaveNoValidatorBecauseTheDriverWritesThem()
    {
        Assert.Null(Collection("fs.files").Validator);
        Assert.Null(Collection("fs.chunks").Validator);
    }

    [Fact]
    public void TheStepsAreNumberedFromOneAndTheFirstDeclaresEveryCollection()
    {
        Assert.Equal([1, 2], MongoSteps.All.Select(s => s.Number));
        Assert.Equal(MongoSteps.Declared.Select(c => c.Name), MongoSteps.All[0].Collections.Select(c => c.Name));
    }

    [Fact]
    public void StepTwoDeclaresTheNotesTheRecordingsAndTheFilesAgainAndRetiresStepOnesFilenameIndex()
    {
        var step = MongoSteps.All[1];

        Assert.Equal(["clinicalNotes", "voiceRecordings", "fs.files"], step.Collections.Select(c => c.Name));
        var files = MongoSteps.Declared.Single(c => c.Name == "fs.files");
        Assert.Equal(["filename_1"], files.Retired.Select(r => r.Index.Name));
        Assert.DoesNotContain(files.Indexes, i => i.Name == "filename_1");
        // The drivers name it so; the same name is what keeps info from listing it as undeclared after a first upload.
        Assert.Contains(files.Indexes, i => i.Name == "filename_1_uploadDate_1");
    }

    [Fact]
    public void AFreshDatabaseNeverGetsAnIndexALaterStepRetires()
    {
        var stepOneFiles = MongoSteps.All[0].Collections.Single(c => c.Name == "fs.files");

        var applied = Assert.Single(MongoSteps.WithoutRetired([stepOneFiles], MongoSteps.Declared));

        Assert.Equal(["uploadDate_1"], applied.Indexes.Select(i => i.Name));
        // Within the step itself (as recorded and checksummed) nothing changed.
        Assert.Equal(["filename_1", "uploadDate_1"], stepOneFiles.Indexes.Select(i => i.Name));
    }

    [Fact]
    public void StepTwosChecksumIsPinnedToo()
    {
        // Recorded by every database step 2 is applied to: a change is step 3, never an edit of step 2.
        Assert.Equal(StepTwoChecksum, MongoSteps.All[1].Checksum);
    }

    [Fact]
    public void RetiringAnIndexChangesTheChecksumButRetiringNothingDoesNot()
    {
        var files = MongoSchema.GridFsFilesStep2;

        Assert.NotEqual(MongoSteps.Checksum([files]), MongoSteps.Checksum([files with { Retired = [] }]));
        Assert.Equal(MongoSteps.Checksum([MongoSchema.GridFsFilesCollection]), MongoSteps.Checksum([MongoSchema.GridFsFilesCollection with { Retired = [] }]));
    }

    [Fact]
    public void StepOnesChecksumIsPinnedBecauseAppliedStepsMustNotChange()
    {
        // Databases record this checksum when step 1 is applied. If this fails, step 1 was edited: revert the edit
        // and declare the change as step 2 instead (a later step may declare a collection again).
        Assert.Equal("6045aa2dc795b086dfe495f993e1eabda7d058ab455df743f672dad523db2302", MongoSteps.All[0].Checksum);
    }

    [Fact]
    public void TheChecksumCoversKeysAndOptionsButNotDescriptions()
    {
        var notes = MongoSchema.ClinicalNotesCollection;
        var withTtl = notes with { Indexes = [.. notes.Indexes.Take(6), IndexSpec.TimeToLive("updatedAt", 60)] };
        var renamed = notes with { Indexes = [.. notes.Indexes.Take(6), notes.Indexes[6] with { Name = "updated" }] };

        Assert.Equal(MongoSteps.Checksum([notes]), MongoSteps.Checksum([notes with { }]));
        Assert.Equal(new MongoStep(1, "a", [notes]).Checksum, new MongoStep(1, "b", [notes]).Checksum);
        Assert.NotEqual(MongoSteps.Checksum([notes]), MongoSteps.Checksum([withTtl]));
        Assert.NotEqual(MongoSteps.Checksum([notes]), MongoSteps.Checksum([renamed]));
    }

    [Fact]
    public void ALaterStepAddsIndexesAndReplacesTheValidatorOfACollectionItDeclaresAgain()
    {
        var notes = MongoSchema.ClinicalNotesCollection;
        var validator = new BsonDocument("$jsonSchema", new BsonDocument("bsonType", "object"));
        var second = new CollectionSpec(notes.Name, validator, [IndexSpec.Ascending("signedAt"), IndexSpec.Ascending("status").Unique()]);

        var declared = Assert.Single(MongoSteps.Cumulative([new MongoStep(1, "a", [notes]), new MongoStep(2, "b", [second])]));

        Assert.Same(validator, declared.Validator);
        Assert.Equal(notes.Indexes.Count + 1, declared.Indexes.Count);
        Assert.True(declared.Indexes.Single(i => i.Name == "status_1").Options["unique"].AsBoolean);
        Assert.Contains(declared.Indexes, i => i.Name == "signedAt_1");
    }

    [Fact]
    public void TheScriptHasCreateCollModAndCreateIndexesForEachValidatedCollection()
    {
        var lines = Commands(MongoScript.Render("dr_assistant", MongoSteps.All, "tester"));

        foreach (var collection in new[] { "clinicalNotes", "voiceRecordings" })
        {
            var create = Assert.Single(lines, l => l.GetValue("create", "") == collection);
            Assert.Equal("error", create["validationAction"].AsString);
            Assert.True(BsonEquivalence.Equivalent(MongoSteps.All[0].Collections.Single(c => c.Name == collection).Validator!, create["validator"]));
            // Step 1's alternative to create on an existing collection, then step 2's replacement, the validator in force.
            var collMods = lines.Where(l => l.GetValue("collMod", "") == collection).ToList();
            Assert.Equal(2, collMods.Count);
            Assert.True(BsonEquivalence.Equivalent(Collection(collection).Validator!, collMods[^1]["validator"]));
            Assert.Equal(
                Collection(collection).Indexes.Select(i => i.Name),
                lines.Where(l => l.GetValue("createIndexes", "") == collection).Select(l => l["indexes"][0]["name"].AsString));
        }

        foreach (var collection in new[] { "fs.files", "fs.chunks" })
        {
            Assert.Equal(new BsonDocument("create", collection), Assert.Single(lines, l => l.GetValue("create", "") == collection));
            Assert.Equal(Collection(collection).Indexes.Count, lines.Count(l => l.GetValue("createIndexes", "") == collection));
        }

        var records = lines.Where(l => l.Contains("update")).ToList();
        Assert.Equal(["_migrations", "_migrations"], records.Select(r => r["update"].AsString));
        Assert.Equal([1, 2], records.Select(r => r["updates"][0]["q"]["_id"].AsInt32));
    }

    [Fact]
    public void TheScriptIsCommentsAndOneJsonCommandALine()
    {
        var script = MongoScript.Render("dr_assistant", MongoSteps.All, "tester");

        Assert.All(
            script.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            line => Assert.True(line.StartsWith("--", StringComparison.Ordinal) || BsonDocument.TryParse(line, out _), line));
        Assert.Contains("MongoDB database 'dr_assistant'", script, StringComparison.Ordinal);
        Assert.Contains($"(checksum {MongoSteps.All[0].Checksum})", script, StringComparison.Ordinal);
        Assert.Contains("-- (index filename_1 on fs.files: retired by a later step", script, StringComparison.Ordinal);
    }

    [Fact]
    public void TheMigratorsScriptNamesItsDatabaseAndNeedsNoServer()
    {
        // Nothing listens on port 1: any attempt to talk to a server would fail the test.
        using var client = new MongoClient("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=100");
        var migrator = new MongoMigrator(client.GetDatabase("clinic_a"), new MongoMigratorOptions(), "tester", NullLogger<MongoMigrator>.Instance);

        var script = migrator.Script();

        Assert.Contains("MongoDB database 'clinic_a'", script, StringComparison.Ordinal);
        Assert.Contains("\"appliedBy\" : { \"$literal\" : \"tester\" }", script, StringComparison.Ordinal);
    }

    private const string StepTwoChecksum = "99cc122cb5bac7616330bb32eaf4b13cad393278b52c39237d4080b6dfd50c58";

    private static CollectionSpec Collection(string name) => MongoSteps.Declared.Single(c => c.Name == name);

    /// <summary>The commands of the script: its "-- db.runCommand({...})" lines (SQL comments, so psql can run the whole script).</summary>
    private static List<BsonDocument> Commands(string script) =>
    [
        .. script.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith("-- db.runCommand(", StringComparison.Ordinal))
            .Select(l => BsonDocument.Parse(l["-- db.runCommand(".Length..^1])),
    ];
}
