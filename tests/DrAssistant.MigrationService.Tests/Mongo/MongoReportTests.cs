using DrAssistant.MigrationService.Mongo;
using DrAssistant.MigrationService.Reporting;
using MongoDB.Bson;

namespace DrAssistant.MigrationService.Tests.Mongo;

/// <summary>How the MongoDB part of a run reads, in JSON and as text.</summary>
public class MongoReportTests
{
    [Fact]
    public void AnUnconfiguredMongoIsOnlyAStatusInTheJson()
    {
        var report = new RunReport { Tool = "t", Command = "migrate", Mongo = MongoReport.NotConfigured() };

        Assert.Contains("\"mongo\": {\n    \"status\": \"not-configured\"\n  }", report.ToJson().ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void InfoTextNamesEveryStepPendingActionAndDrift()
    {
        var report = MongoReport.ForInfo("dr_assistant");
        report.Status = MongoStatus.Drift;
        report.Steps!.Add(new MongoStepReport { Step = 1, Description = "first", State = VersionState.Applied, Checksum = ChecksumStatus.Ok, AppliedBy = "ops@host" });
        report.Steps.Add(new MongoStepReport { Step = 2, Description = "second", State = VersionState.Pending });
        report.PendingActions!.Add(MongoPlanner.CreateIndex(MongoSchema.ClinicalNotesCollection, MongoSchema.ClinicalNotesCollection.Indexes[1]));
        report.Drift!.Add(new MongoDrift(MongoDriftKind.IndexOptionsDiffer, "voiceRecordings", "retentionPolicy.expiresAt_1", "voiceRecordings: TTL differs"));
        report.ExtraIndexes!.Add("fs.files.filename_1_uploadDate_1");

        var text = report.ToString();

        Assert.StartsWith("MongoDB dr_assistant: drift, 1 of 2 step(s) applied", text, StringComparison.Ordinal);
        Assert.Contains("applied            ok          -                     ops@host   first", text, StringComparison.Ordinal);
        Assert.Contains("pending:\n    - create index patientId_1 {", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("drift (not repaired):\n    - voiceRecordings: TTL differs", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("fs.files.filename_1_uploadDate_1", text, StringComparison.Ordinal);
        Assert.True(report.IsPendingOrDrifted);
    }

    [Fact]
    public void ActionsAreReportedWithoutTheirCommandDocuments()
    {
        var report = new RunReport { Tool = "t", Command = "migrate", Mongo = MongoReport.ForMigrate("dr_assistant") };
        report.Mongo.Actions!.Add(MongoPlanner.CreateCollection(MongoSchema.ClinicalNotesCollection));

        var json = report.ToJson();

        Assert.Contains("\"kind\": \"create-collection\"", json, StringComparison.Ordinal);
        Assert.Contains("\"description\": \"create collection clinicalNotes with its validator\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("$jsonSchema", json, StringComparison.Ordinal);
        Assert.Equal(BsonType.Document, report.Mongo.Actions[0].Command["validator"].BsonType);
    }
}
