using DrAssistant.MigrationService.Mongo;
using DrAssistant.MigrationService.Reporting;
using DrAssistant.Shared.Documents;
using Microsoft.Extensions.Logging.Abstractions;
using MongoDB.Bson;
using MongoDB.Driver;

namespace DrAssistant.MigrationService.Tests.Mongo;

/// <summary>
/// The MongoDB initialisation against a real server: what it creates, that it is idempotent, that it reconciles an
/// existing database, and that its lease lets one migrator at a time work. Skipped, with the reason, without a server.
/// </summary>
public class MongoMigratorTests
{
    [SkippableFact]
    public async Task AFreshDatabaseGetsEveryCollectionValidatorAndIndex()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();

        var report = await mongo.Migrator().MigrateAsync();

        Assert.Equal(MongoStatus.Applied, report.Status);
        Assert.Equal(MongoSteps.All.Select(s => s.Number), report.Steps!.Select(s => s.Step));
        Assert.All(report.Steps!, s => Assert.Equal(VersionState.AppliedNow, s.State));
        Assert.Empty(report.Drift!);
        Assert.Empty(report.ExtraIndexes!);
        // Step 1's {filename: 1} is retired by step 2: a fresh database never gets it.
        Assert.Empty(report.RetiredIndexes!);
        Assert.Equal(["clinicalNotes", "fs.chunks", "fs.files", "voiceRecordings"], (await mongo.CollectionNamesAsync()).Where(n => !n.StartsWith('_')));
        foreach (var collection in MongoSteps.Declared)
        {
            var options = await mongo.OptionsAsync(collection.Name);
            if (collection.Validator is not null)
            {
                Assert.True(BsonEquivalence.Equivalent(collection.Validator, options["validator"]), $"{collection.Name} validator");
                Assert.Equal("error", options["validationAction"].AsString);
                Assert.Equal("strict", options["validationLevel"].AsString);
            }

            var indexes = await mongo.IndexesAsync(collection.Name);
            Assert.Equal(collection.Indexes.Select(i => i.Name).Append("_id_").Order(), indexes.Keys.Order());
        }

        var recordings = await mongo.IndexesAsync("voiceRecordings");
        Assert.Equal(0, recordings["retentionPolicy.expiresAt_1"]["expireAfterSeconds"].ToInt32());
        Assert.True((await mongo.IndexesAsync("fs.chunks"))["files_id_1_n_1"]["unique"].AsBoolean);
        Assert.Equal(MongoSchema.NoteTextFields.Order(), (await mongo.IndexesAsync("clinicalNotes"))["note_text"]["weights"].AsBsonDocument.Names.Order());
    }

    [SkippableFact]
    public async Task TheAppliedStepIsRecordedWithWhenByWhomAndItsChecksum()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();

        var report = await mongo.Migrator().MigrateAsync();

        var history = await mongo.HistoryAsync();
        Assert.Equal([1, 2], history.Select(h => h["_id"].AsInt32));
        foreach (var (entry, step) in history.Zip(MongoSteps.All))
        {
            Assert.Equal(step.Number, entry["step"].AsInt32);
            Assert.Equal(step.Checksum, entry["checksum"].AsString);
            Assert.Equal(step.Description, entry["description"].AsString);
            Assert.Equal("tester@tests", entry["appliedBy"].AsString);
            Assert.Equal(MigrationRunContext.CurrentToolVersion, entry["toolVersion"].AsString);
            Assert.InRange(entry["appliedAt"].ToUniversalTime(), DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(5));
        }

        Assert.Equal(report.Actions!.Count, history.Sum(h => h["actions"].AsBsonArray.Count));
        Assert.Equal(0, await mongo.Collection(MongoLease.CollectionName).CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [SkippableFact]
    public async Task ASecondRunChangesNothing()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();
        await mongo.Migrator().MigrateAsync();
        var history = await mongo.HistoryAsync();
        var state = await mongo.DescribeAsync();

        var report = await mongo.Migrator().MigrateAsync();

        Assert.Equal(MongoStatus.UpToDate, report.Status);
        Assert.Empty(report.Actions!);
        Assert.Empty(report.Drift!);
        Assert.All(report.Steps!, s => Assert.Equal((VersionState.Applied, ChecksumStatus.Ok), (s.State, s.Checksum)));
        Assert.Equal(history, await mongo.HistoryAsync());
        Assert.Equal(state, await mongo.DescribeAsync());
    }

    [SkippableFact]
    public async Task TheServerAcceptsTheModelsDocumentsAndRefusesAnInvalidNote()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();
        await mongo.Migrator().MigrateAsync();

        await mongo.Database.GetCollection<ClinicalNote>(ClinicalNote.CollectionName).InsertManyAsync([Samples.FullNote(), Samples.MinimalNote()]);
        await mongo.Database.GetCollection<VoiceRecording>(VoiceRecording.CollectionName).InsertManyAsync([Samples.FullRecording(), Samples.MinimalRecording()]);
        var withoutPatient = Samples.MinimalNote().ToBsonDocument();
        withoutPatient.Remove("patientId");
        var badStatus = Samples.MinimalNote().ToBsonDocument();
        badStatus["status"] = "final";

        foreach (var invalid in new[] { withoutPatient, badStatus })
        {
            var error = await Assert.ThrowsAsync<MongoWriteException>(() => mongo.Collection("clinicalNotes").InsertOneAsync(invalid));
            Assert.Equal(121, error.WriteError.Code);
        }

        Assert.Equal(2, await mongo.Collection("clinicalNotes").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [SkippableFact]
    public async Task TheServerAcceptsWholeNumbersAsAnotherServiceWritesThemAndStillRefusesText()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();
        await mongo.Migrator().MigrateAsync();
        // As a Node service writes a recording: small whole numbers are 32-bit integers.
        var fromNode = Samples.MinimalRecording().ToBsonDocument();
        fromNode["duration"] = 312;
        fromNode["fileSize"] = 48_000;
        var asDecimal = Samples.MinimalRecording().ToBsonDocument();
        asDecimal["duration"] = new BsonDecimal128(12.5m);
        var asText = Samples.MinimalRecording().ToBsonDocument();
        asText["duration"] = "312";
        var zero = Samples.MinimalRecording().ToBsonDocument();
        zero["fileSize"] = 0;

        await mongo.Collection("voiceRecordings").InsertManyAsync([fromNode, asDecimal]);
        foreach (var invalid in new[] { asText, zero })
        {
            var error = await Assert.ThrowsAsync<MongoWriteException>(() => mongo.Collection("voiceRecordings").InsertOneAsync(invalid));
            Assert.Equal(121, error.WriteError.Code);
        }

        // And the model reads them back.
        var id = fromNode["_id"].AsObjectId;
        var read = await mongo.Database.GetCollection<VoiceRecording>(VoiceRecording.CollectionName).Find(r => r.Id == id).SingleAsync();
        Assert.Equal((312.0, 48_000L), (read.Duration, read.FileSize));
    }

    [SkippableFact]
    public async Task ADatabaseAtStepOneConvergesToStepTwoAndKeepsTheRetiredIndex()
    {
        await using var fresh = await MongoTestDatabase.CreateAsync();
        await using var old = await MongoTestDatabase.CreateAsync();
        // The previous build: step 1 only, then a first upload (the driver adds its own fs.files index).
        await old.Migrator(steps: [MongoSteps.All[0]]).MigrateAsync();
        await new MongoDB.Driver.GridFS.GridFSBucket(old.Database).UploadFromBytesAsync("visit.webm", [1, 2, 3]);
        Assert.True((await old.IndexesAsync("fs.files")).ContainsKey("filename_1"));

        await fresh.Migrator().MigrateAsync();
        var report = await old.Migrator().MigrateAsync();

        Assert.Equal(MongoStatus.Applied, report.Status);
        Assert.Equal([VersionState.Applied, VersionState.AppliedNow], report.Steps!.Select(s => s.State));
        Assert.Equal(
            ["set the validator of clinicalNotes (it differs from the declared one)", "create index attachments_1 { \"attachments\" : 1 } on clinicalNotes",
             "set the validator of voiceRecordings (it differs from the declared one)", "create index fileId_1 { \"fileId\" : 1 } on voiceRecordings"],
            report.Actions!.Select(a => a.Description));
        Assert.Empty(report.Drift!);
        Assert.Empty(report.ExtraIndexes!);
        Assert.StartsWith("fs.files.filename_1 ", Assert.Single(report.RetiredIndexes!), StringComparison.Ordinal);
        // The same state as a fresh database, but for the retired index, which is never dropped.
        Assert.True((await old.IndexesAsync("fs.files")).ContainsKey("filename_1"));
        var withoutRetired = string.Join('\n', (await old.DescribeAsync()).Split('\n').Where(l => !l.StartsWith("  filename_1 ", StringComparison.Ordinal)));
        Assert.Equal(await fresh.DescribeAsync(), withoutRetired);

        var again = await old.Migrator().MigrateAsync();
        var info = await old.Migrator().InfoAsync();

        Assert.Equal(MongoStatus.UpToDate, again.Status);
        Assert.Equal(MongoStatus.UpToDate, info.Status);
        Assert.Empty(info.ExtraIndexes!);
        Assert.Single(info.RetiredIndexes!);
    }

    [SkippableFact]
    public async Task AnExistingCollectionWithoutValidatorGetsItByCollModAndKeepsItsDocuments()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();
        await mongo.Database.CreateCollectionAsync("clinicalNotes");
        await mongo.Collection("clinicalNotes").InsertOneAsync(new BsonDocument("legacy", true));

        var report = await mongo.Migrator().MigrateAsync();

        Assert.Contains(report.Actions!, a => a is { Kind: MongoActionKind.SetValidator, Collection: "clinicalNotes" });
        Assert.DoesNotContain(report.Actions!, a => a is { Kind: MongoActionKind.CreateCollection, Collection: "clinicalNotes" });
        Assert.True(BsonEquivalence.Equivalent(MongoSchema.ClinicalNotesCollection.Validator!, (await mongo.OptionsAsync("clinicalNotes"))["validator"]));
        Assert.Equal(1, await mongo.Collection("clinicalNotes").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [SkippableFact]
    public async Task AnIndexWithTheSameKeysButOtherOptionsIsReportedAsDriftAndLeftAlone()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();
        await mongo.Collection("voiceRecordings").Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(
            "{ 'retentionPolicy.expiresAt': 1 }", new CreateIndexOptions { Name = "retention_ttl", ExpireAfter = TimeSpan.FromHours(1) }));

        var report = await mongo.Migrator().MigrateAsync();

        Assert.Equal(MongoStatus.Drift, report.Status);
        var drift = Assert.Single(report.Drift!);
        Assert.Equal(MongoDriftKind.IndexOptionsDiffer, drift.Kind);
        Assert.Equal("retentionPolicy.expiresAt_1", drift.Index);
        var indexes = await mongo.IndexesAsync("voiceRecordings");
        Assert.Equal(3600, indexes["retention_ttl"]["expireAfterSeconds"].ToInt32());
        Assert.False(indexes.ContainsKey("retentionPolicy.expiresAt_1"));
        Assert.True(indexes.ContainsKey("encounterId_1_createdAt_-1"));
        Assert.Equal(VersionState.AppliedNow, report.Steps![0].State);
    }

    [SkippableFact]
    public async Task ADeclaredIndexNameUsedForOtherKeysIsReportedAsDrift()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();
        await mongo.Collection("clinicalNotes").Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(
            "{ status: 1, createdAt: -1 }", new CreateIndexOptions { Name = "status_1" }));

        var report = await mongo.Migrator().MigrateAsync();

        Assert.Equal(MongoDriftKind.IndexNameTaken, Assert.Single(report.Drift!).Kind);
        Assert.Equal(MongoStatus.Drift, (await mongo.Migrator().InfoAsync()).Status);
    }

    [SkippableFact]
    public async Task AnOldDatabaseConvergesToTheSameStateAsAFreshOne()
    {
        await using var fresh = await MongoTestDatabase.CreateAsync();
        await using var old = await MongoTestDatabase.CreateAsync();
        // As the original init script left it: no validator on notes, a few indexes, a lax validator on recordings.
        await old.Database.CreateCollectionAsync("clinicalNotes");
        await old.Collection("clinicalNotes").Indexes.CreateManyAsync(
            [new CreateIndexModel<BsonDocument>("{ encounterId: 1 }"), new CreateIndexModel<BsonDocument>("{ patientId: 1 }")]);
        await old.Database.RunCommandAsync<BsonDocument>(BsonDocument.Parse(
            "{ create: 'voiceRecordings', validator: { $jsonSchema: { bsonType: 'object', required: ['encounterId'] } }, validationAction: 'warn' }"));
        await old.Collection("fs.chunks").Indexes.CreateOneAsync(
            new CreateIndexModel<BsonDocument>("{ files_id: 1, n: 1 }", new CreateIndexOptions { Unique = true }));

        await fresh.Migrator().MigrateAsync();
        var report = await old.Migrator().MigrateAsync();

        Assert.Equal(MongoStatus.Applied, report.Status);
        Assert.Equal(await fresh.DescribeAsync(), await old.DescribeAsync());
    }

    [SkippableFact]
    public async Task AnIndexDroppedAfterTheStepWasAppliedIsPutBackWithoutReapplyingTheStep()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();
        await mongo.Migrator().MigrateAsync();
        var history = await mongo.HistoryAsync();
        await mongo.Collection("clinicalNotes").Indexes.DropOneAsync("patientId_1");

        var report = await mongo.Migrator().MigrateAsync();

        var action = Assert.Single(report.Actions!);
        Assert.Equal(("clinicalNotes", "patientId_1"), (action.Collection, action.Index));
        Assert.Equal(VersionState.Applied, report.Steps![0].State);
        Assert.Equal(history, await mongo.HistoryAsync());
    }

    [SkippableFact]
    public async Task InfoReportsPendingWorkAndWritesNothing()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();

        var before = await mongo.Migrator().InfoAsync();

        Assert.Equal(MongoStatus.Pending, before.Status);
        Assert.Equal(VersionState.Pending, before.Steps![0].State);
        Assert.Equal(MongoSteps.Declared.Sum(c => c.Indexes.Count + 1), before.PendingActions!.Count);
        Assert.Empty(await mongo.CollectionNamesAsync());

        await mongo.Migrator().MigrateAsync();
        var after = await mongo.Migrator().InfoAsync();

        Assert.Equal(MongoStatus.UpToDate, after.Status);
        Assert.Empty(after.PendingActions!);
        Assert.False(after.IsPendingOrDrifted);
    }

    [SkippableFact]
    public async Task TwoConcurrentMigratorsApplyEachStepOnce()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();

        var reports = await Task.WhenAll(mongo.Migrator().MigrateAsync(), mongo.Migrator().MigrateAsync());

        Assert.All(reports, r => Assert.Contains(r.Status, new[] { MongoStatus.Applied, MongoStatus.UpToDate }));
        Assert.Single(reports, r => r.Steps![0].State == VersionState.AppliedNow);
        Assert.Single(reports, r => r.Steps![0].State == VersionState.Applied && r.Actions!.Count == 0);
        Assert.Equal([1, 2], (await mongo.HistoryAsync()).Select(h => h["_id"].AsInt32));
    }

    [SkippableFact]
    public async Task TheLeaseOfAKilledMigratorIsTakenOverOnceExpired()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();
        await mongo.Collection(MongoLease.CollectionName).InsertOneAsync(new BsonDocument
        {
            { "_id", MongoLease.LockId },
            { "owner", "a migrator that was killed" },
            { "expiresAt", DateTime.UtcNow.AddMinutes(-1) },
        });

        var report = await mongo.Migrator().MigrateAsync();

        Assert.Equal(MongoStatus.Applied, report.Status);
        Assert.InRange(report.LeaseWaitMs!.Value, 0, 5_000);
        Assert.Equal(0, await mongo.Collection(MongoLease.CollectionName).CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [SkippableFact]
    public async Task ALiveLeaseMakesASecondMigratorWaitAndTimeOutWithoutChangingAnything()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();
        var options = new MongoMigratorOptions { LockTimeout = TimeSpan.FromSeconds(1), LockPollInterval = TimeSpan.FromMilliseconds(100) };
        var holder = await MongoLease.AcquireAsync(mongo.Database, "another migrator", new MongoMigratorOptions(), NullLogger.Instance, CancellationToken.None);
        Assert.NotNull(holder);

        var started = DateTime.UtcNow;
        var report = await mongo.Migrator(options).MigrateAsync();

        Assert.Equal(MongoStatus.LockTimeout, report.Status);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(1));
        Assert.DoesNotContain("clinicalNotes", await mongo.CollectionNamesAsync());
        Assert.Contains("held by another migrator", (await mongo.Migrator().InfoAsync()).LeaseHolder, StringComparison.Ordinal);

        await holder.DisposeAsync();
        Assert.Equal(MongoStatus.Applied, (await mongo.Migrator(options).MigrateAsync()).Status);
    }

    [SkippableFact]
    public async Task AHeldLeaseIsRenewedPastItsDuration()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();
        var shortLease = new MongoMigratorOptions { LeaseDuration = TimeSpan.FromSeconds(1.5), LockTimeout = TimeSpan.FromSeconds(0.5), LockPollInterval = TimeSpan.FromMilliseconds(100) };
        await using var held = await MongoLease.AcquireAsync(mongo.Database, "first", shortLease, NullLogger.Instance, CancellationToken.None);

        await Task.Delay(TimeSpan.FromSeconds(3.5));
        var second = await MongoLease.AcquireAsync(mongo.Database, "second", shortLease, NullLogger.Instance, CancellationToken.None);

        Assert.Null(second);
        Assert.False(held!.IsLost);
    }

    [SkippableFact]
    public async Task AnEditedStepStopsTheRunUntilTheChangeIsAccepted()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();
        await mongo.Migrator().MigrateAsync();
        var appliedAt = (await mongo.HistoryAsync())[0]["appliedAt"];
        var notes = MongoSchema.ClinicalNotesCollection;
        MongoStep[] edited = [MongoSteps.All[0] with { Collections = [notes with { Indexes = [.. notes.Indexes, IndexSpec.Ascending("signedAt")] }] }, MongoSteps.All[1]];

        var refused = await mongo.Migrator(steps: edited).MigrateAsync();
        var accepted = await mongo.Migrator(steps: edited).MigrateAsync(acceptChanges: true);

        Assert.Equal(MongoStatus.ValidationFailed, refused.Status);
        Assert.Contains("was edited after it was applied", Assert.Single(refused.Problems!), StringComparison.Ordinal);
        Assert.Equal(MongoStatus.Applied, accepted.Status);
        Assert.Equal(ChecksumStatus.Accepted, accepted.Steps![0].Checksum);
        Assert.True((await mongo.IndexesAsync("clinicalNotes")).ContainsKey("signedAt_1"));
        var entry = (await mongo.HistoryAsync()).Single(h => h["_id"] == 1);
        Assert.Equal(edited[0].Checksum, entry["checksum"].AsString);
        Assert.Equal(appliedAt, entry["appliedAt"]);
    }

    [SkippableFact]
    public async Task AStepAppliedByANewerBuildStopsAnOlderOne()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();
        await mongo.Migrator().MigrateAsync();
        await mongo.Collection(MongoMigrator.HistoryCollectionName).InsertOneAsync(
            new BsonDocument { { "_id", 3 }, { "step", 3 }, { "description", "from the future" }, { "checksum", "abc" } });

        var report = await mongo.Migrator().MigrateAsync();

        Assert.Equal(MongoStatus.ValidationFailed, report.Status);
        Assert.Equal(VersionState.MissingFromCode, report.Steps!.Single(s => s.Step == 3).State);
    }
}
