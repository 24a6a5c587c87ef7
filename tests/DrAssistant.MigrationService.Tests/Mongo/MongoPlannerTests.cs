using DrAssistant.MigrationService.Mongo;
using MongoDB.Bson;

namespace DrAssistant.MigrationService.Tests.Mongo;

/// <summary>
/// Reconciliation decisions, against databases described the way the server describes them (<c>listCollections</c>
/// and <c>listIndexes</c> answers). The same plan is what <c>info</c> shows and <c>migrate</c> executes.
/// </summary>
public class MongoPlannerTests
{
    private static readonly CollectionSpec Notes = MongoSchema.ClinicalNotesCollection;
    private static readonly CollectionSpec Recordings = MongoSchema.VoiceRecordingsCollection;
    private static readonly CollectionSpec Chunks = MongoSchema.GridFsChunksCollection;

    [Fact]
    public void AnEmptyDatabaseGetsEveryCollectionThenItsIndexes()
    {
        var plan = MongoPlanner.Plan(MongoSteps.Declared, State());

        Assert.Empty(plan.Drift);
        Assert.Equal(
            MongoSteps.Declared.SelectMany(c => c.Indexes.Select(i => $"create index {i.Name}").Prepend($"create collection {c.Name}")),
            plan.Actions.Select(a => a.Kind == MongoActionKind.CreateCollection ? $"create collection {a.Collection}" : $"create index {a.Index}"));
        Assert.Equal(MongoSteps.Declared[0].ValidatorOptions()["validator"], plan.Actions[0].Command["validator"]);
    }

    [Fact]
    public void TheDeclaredStateAsTheServerListsItNeedsNothing()
    {
        var plan = MongoPlanner.Plan(MongoSteps.Declared, State([.. MongoSteps.Declared.Select(AsServerListsIt)]));

        Assert.Empty(plan.Actions);
        Assert.Empty(plan.Drift);
        Assert.Empty(plan.ExtraIndexes);
        Assert.Empty(plan.RetiredIndexes);
    }

    [Fact]
    public void ACollectionWithoutItsValidatorGetsItByCollMod()
    {
        var bare = AsServerListsIt(Notes) with { Info = new BsonDocument { { "name", Notes.Name }, { "type", "collection" }, { "options", new BsonDocument() } } };

        var action = Assert.Single(MongoPlanner.Plan([Notes], State(bare)).Actions);

        Assert.Equal(MongoActionKind.SetValidator, action.Kind);
        Assert.Equal("set the validator of clinicalNotes (it has none)", action.Description);
        Assert.Equal(new BsonDocument("collMod", "clinicalNotes").AddRange(Notes.ValidatorOptions()), action.Command);
    }

    [Fact]
    public void AValidatorThatDiffersGetsCollModButTheSameOneInAnotherFieldOrderDoesNot()
    {
        var schema = Notes.Validator!["$jsonSchema"].AsBsonDocument;
        var reordered = new BsonDocument("$jsonSchema", new BsonDocument(schema.Reverse()));
        var older = new BsonDocument("$jsonSchema", new BsonDocument(schema) { ["required"] = new BsonArray { "_id", "encounterId" } });

        Assert.Empty(MongoPlanner.Plan([Notes], State(WithValidator(Notes, reordered))).Actions);
        Assert.Equal(
            "set the validator of clinicalNotes (it differs from the declared one)",
            Assert.Single(MongoPlanner.Plan([Notes], State(WithValidator(Notes, older))).Actions).Description);
    }

    [Fact]
    public void AValidatorThatOnlyWarnsIsMadeToRefuse()
    {
        var warning = AsServerListsIt(Notes);
        warning.Info["options"]["validationAction"] = "warn";

        var action = Assert.Single(MongoPlanner.Plan([Notes], State(warning)).Actions);

        Assert.Equal("set the validator of clinicalNotes (its validationAction is 'warn')", action.Description);
    }

    [Fact]
    public void OnlyTheMissingIndexIsCreated()
    {
        var current = AsServerListsIt(Recordings);
        current = current with { Indexes = [.. current.Indexes.Where(i => i["name"] != "patientId_1_createdAt_-1")] };

        var action = Assert.Single(MongoPlanner.Plan([Recordings], State(current)).Actions);

        Assert.Equal(MongoActionKind.CreateIndex, action.Kind);
        Assert.Equal("patientId_1_createdAt_-1", action.Index);
        Assert.Equal(
            BsonDocument.Parse("{ createIndexes: 'voiceRecordings', indexes: [{ key: { patientId: 1, createdAt: -1 }, name: 'patientId_1_createdAt_-1' }] }"),
            action.Command);
    }

    [Fact]
    public void AnIndexWithTheDeclaredKeysButOtherOptionsIsDriftNotACreate()
    {
        var current = AsServerListsIt(Recordings);
        current.Indexes.Single(i => i["name"] == "retentionPolicy.expiresAt_1")["expireAfterSeconds"] = 3600;

        var plan = MongoPlanner.Plan([Recordings], State(current));

        Assert.Empty(plan.Actions);
        var drift = Assert.Single(plan.Drift);
        Assert.Equal(MongoDriftKind.IndexOptionsDiffer, drift.Kind);
        Assert.Equal("retentionPolicy.expiresAt_1", drift.Index);
        Assert.Contains("3600", drift.Message, StringComparison.Ordinal);
        Assert.Contains("left alone", drift.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AChunkIndexThatIsNotUniqueIsDrift()
    {
        var current = AsServerListsIt(Chunks);
        current.Indexes.Single(i => i["name"] == "files_id_1_n_1").Remove("unique");

        var drift = Assert.Single(MongoPlanner.Plan([Chunks], State(current)).Drift);

        Assert.Equal(MongoDriftKind.IndexOptionsDiffer, drift.Kind);
    }

    [Fact]
    public void TheDeclaredNameOnOtherKeysIsDrift()
    {
        var current = AsServerListsIt(Notes);
        current.Indexes.Single(i => i["name"] == "status_1")["key"] = new BsonDocument { { "status", 1 }, { "createdAt", -1 } };

        var plan = MongoPlanner.Plan([Notes], State(current));

        Assert.Empty(plan.Actions);
        Assert.Equal(MongoDriftKind.IndexNameTaken, Assert.Single(plan.Drift).Kind);
    }

    [Fact]
    public void TheDeclaredIndexUnderAnotherNameIsReportedNotDuplicated()
    {
        var current = AsServerListsIt(Notes);
        current.Indexes.Single(i => i["name"] == "note_text")["name"] = "content.subjective.chiefComplaint_text_rawTranscription_text";

        var plan = MongoPlanner.Plan([Notes], State(current));

        Assert.Empty(plan.Actions);
        var drift = Assert.Single(plan.Drift);
        Assert.Equal(MongoDriftKind.IndexNamedDifferently, drift.Kind);
        Assert.Empty(plan.ExtraIndexes);
    }

    [Fact]
    public void ATextIndexOverOtherFieldsIsDriftBecauseACollectionHasOnlyOne()
    {
        var current = AsServerListsIt(Notes);
        current.Indexes.Single(i => i["name"] == "note_text")["weights"] = new BsonDocument("aiSummary", 1);

        var drift = Assert.Single(MongoPlanner.Plan([Notes], State(current)).Drift);

        Assert.Equal(MongoDriftKind.IndexOptionsDiffer, drift.Kind);
        Assert.Equal("note_text", drift.Index);
    }

    [Fact]
    public void IndexesNobodyDeclaredAreListedAndLeftAlone()
    {
        var files = Declared("fs.files");
        var handMade = BsonDocument.Parse("{ v: 2, key: { 'metadata.encounterId': 1 }, name: 'metadata.encounterId_1' }");
        var current = AsServerListsIt(files) with { Indexes = [.. AsServerListsIt(files).Indexes, handMade] };

        var plan = MongoPlanner.Plan([files], State(current));

        Assert.Empty(plan.Actions);
        Assert.Empty(plan.Drift);
        Assert.Equal(["fs.files.metadata.encounterId_1"], plan.ExtraIndexes);
    }

    [Fact]
    public void AStepOneDatabaseBecomesStepTwoWithExactlyTheseCommands()
    {
        var stepOne = State([.. MongoSteps.All[0].Collections.Select(AsServerListsIt)]);
        var anyNumber = new BsonArray { "double", "int", "long", "decimal" };

        var step = MongoPlanner.Plan(MongoSteps.WithoutRetired(MongoSteps.All[1].Collections, MongoSteps.Declared), stepOne);
        var whole = MongoPlanner.Plan(MongoSteps.Declared, stepOne);

        Assert.Equal(
            [
                BsonDocument.Parse("{ collMod: 'clinicalNotes' }").AddRange(Declared("clinicalNotes").ValidatorOptions()),
                BsonDocument.Parse("{ createIndexes: 'clinicalNotes', indexes: [{ key: { attachments: 1 }, name: 'attachments_1' }] }"),
                BsonDocument.Parse("{ collMod: 'voiceRecordings' }").AddRange(Declared("voiceRecordings").ValidatorOptions()),
                BsonDocument.Parse("{ createIndexes: 'voiceRecordings', indexes: [{ key: { fileId: 1 }, name: 'fileId_1' }] }"),
                BsonDocument.Parse("{ createIndexes: 'fs.files', indexes: [{ key: { filename: 1, uploadDate: 1 }, name: 'filename_1_uploadDate_1' }] }"),
            ],
            step.Actions.Select(a => a.Command));
        Assert.Equal(step.Actions.Select(a => a.Command), whole.Actions.Select(a => a.Command));
        Assert.Equal(
            ["set the validator of clinicalNotes (it differs from the declared one)", "set the validator of voiceRecordings (it differs from the declared one)"],
            step.Actions.Where(a => a.Kind == MongoActionKind.SetValidator).Select(a => a.Description));
        Assert.Equal(anyNumber, step.Actions[2].Command["validator"]["$jsonSchema"]["properties"]["duration"]["bsonType"]);
        Assert.Empty(whole.Drift);
        Assert.Empty(whole.ExtraIndexes);
        // Step 1's {filename: 1} is not dropped: reported as retired, with the command for whoever wants it gone.
        var retired = Assert.Single(whole.RetiredIndexes);
        Assert.StartsWith("fs.files.filename_1 {", retired, StringComparison.Ordinal);
        Assert.Contains("db.getCollection(\"fs.files\").dropIndex(\"filename_1\")", retired, StringComparison.Ordinal);
    }

    [Fact]
    public void AfterTheDriversFirstUploadTheFilesIndexIsAlreadyThere()
    {
        // What a step-1 database looks like once audio was uploaded: the driver added its own index.
        var files = AsServerListsIt(MongoSchema.GridFsFilesCollection);
        files = files with { Indexes = [.. files.Indexes, BsonDocument.Parse("{ v: 2, key: { filename: 1, uploadDate: 1 }, name: 'filename_1_uploadDate_1' }")] };

        var plan = MongoPlanner.Plan([Declared("fs.files")], State(files));

        Assert.Empty(plan.Actions);
        Assert.Empty(plan.Drift);
        Assert.Empty(plan.ExtraIndexes);
        Assert.Single(plan.RetiredIndexes);
    }

    [Fact]
    public void AnIndexNamedLikeARetiredOneButOnOtherKeysIsNotRetiredButUndeclared()
    {
        var files = AsServerListsIt(Declared("fs.files"));
        files = files with { Indexes = [.. files.Indexes, BsonDocument.Parse("{ v: 2, key: { filename: -1 }, name: 'filename_1' }")] };

        var plan = MongoPlanner.Plan([Declared("fs.files")], State(files));

        Assert.Empty(plan.RetiredIndexes);
        Assert.Equal(["fs.files.filename_1"], plan.ExtraIndexes);
    }

    [Fact]
    public void AViewWithTheCollectionsNameIsDrift()
    {
        var view = new ExistingCollection(Notes.Name, BsonDocument.Parse("{ name: 'clinicalNotes', type: 'view', options: { viewOn: 'x', pipeline: [] } }"), []);

        var plan = MongoPlanner.Plan([Notes], State(view));

        Assert.Empty(plan.Actions);
        Assert.Equal(MongoDriftKind.NotACollection, Assert.Single(plan.Drift).Kind);
    }

    [Fact]
    public void NumbersAreComparedByValueAndKeysByOrder()
    {
        Assert.True(BsonEquivalence.Equivalent(new BsonDocument("expireAfterSeconds", 0L), new BsonDocument("expireAfterSeconds", 0.0)));
        Assert.False(BsonEquivalence.Equivalent(new BsonInt64(long.MaxValue), new BsonInt64(long.MaxValue - 1)));
        Assert.True(BsonEquivalence.SameKeys(BsonDocument.Parse("{ a: 1, b: -1 }"), BsonDocument.Parse("{ a: 1.0, b: NumberLong(-1) }")));
        Assert.False(BsonEquivalence.SameKeys(BsonDocument.Parse("{ a: 1, b: -1 }"), BsonDocument.Parse("{ b: -1, a: 1 }")));
        Assert.False(BsonEquivalence.Equivalent(BsonDocument.Parse("{ r: ['a', 'b'] }"), BsonDocument.Parse("{ r: ['b', 'a'] }")));
    }

    /// <summary>
    /// A collection as the server lists it after our own create/createIndexes: the options as given, an <c>_id_</c>
    /// index, <c>v: 2</c>, text indexes in the server's form (<c>_fts</c>/<c>_ftsx</c> keys, weights sorted by field).
    /// </summary>
    private static ExistingCollection AsServerListsIt(CollectionSpec spec)
    {
        var info = new BsonDocument
        {
            { "name", spec.Name },
            { "type", "collection" },
            { "options", spec.ValidatorOptions().DeepClone() },
            { "info", new BsonDocument("readOnly", false) },
        };
        var indexes = new List<BsonDocument> { BsonDocument.Parse("{ v: 2, key: { _id: 1 }, name: '_id_' }") };
        foreach (var index in spec.Indexes)
        {
            var listed = new BsonDocument { { "v", 2 }, { "key", MongoPlanner.ServerKeys(index).DeepClone() }, { "name", index.Name } };
            foreach (var option in index.Options)
            {
                listed[option.Name] = option.Name == "weights"
                    ? new BsonDocument(option.Value.AsBsonDocument.OrderBy(e => e.Name, StringComparer.Ordinal))
                    : option.Value.DeepClone();
            }

            if (index.IsText)
            {
                listed["textIndexVersion"] = 3;
            }

            indexes.Add(listed);
        }

        return new ExistingCollection(spec.Name, info, indexes);
    }

    private static CollectionSpec Declared(string name) => MongoSteps.Declared.Single(c => c.Name == name);

    private static ExistingCollection WithValidator(CollectionSpec spec, BsonDocument validator)
    {
        var current = AsServerListsIt(spec);
        current.Info["options"]["validator"] = validator;
        return current;
    }

    private static Dictionary<string, ExistingCollection> State(params ExistingCollection[] collections) =>
        collections.ToDictionary(c => c.Name);
}
