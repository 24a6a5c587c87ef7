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
        Assert.Equal(Notes.ValidatorOptions()["validator"], plan.Actions[0].Command["validator"]);
    }

    [Fact]
    public void TheDeclaredStateAsTheServerListsItNeedsNothing()
    {
        var plan = MongoPlanner.Plan(MongoSteps.Declared, State([.. MongoSteps.Declared.Select(AsServerListsIt)]));

        Assert.Empty(plan.Actions);
        Assert.Empty(plan.Drift);
        Assert.Empty(plan.ExtraIndexes);
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
        var files = AsServerListsIt(MongoSchema.GridFsFilesCollection);
        // The drivers' GridFS code adds this one before a first upload.
        var driverIndex = BsonDocument.Parse("{ v: 2, key: { filename: 1, uploadDate: 1 }, name: 'filename_1_uploadDate_1' }");
        files = files with { Indexes = [.. files.Indexes, driverIndex] };

        var plan = MongoPlanner.Plan([MongoSchema.GridFsFilesCollection], State(files));

        Assert.Empty(plan.Actions);
        Assert.Empty(plan.Drift);
        Assert.Equal(["fs.files.filename_1_uploadDate_1"], plan.ExtraIndexes);
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

    private static ExistingCollection WithValidator(CollectionSpec spec, BsonDocument validator)
    {
        var current = AsServerListsIt(spec);
        current.Info["options"]["validator"] = validator;
        return current;
    }

    private static Dictionary<string, ExistingCollection> State(params ExistingCollection[] collections) =>
        collections.ToDictionary(c => c.Name);
}
