using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using DrAssistant.MigrationService.Mongo;
using DrAssistant.MigrationService.Reporting;
using MongoDB.Bson;

namespace DrAssistant.MigrationService.Tests;

/// <summary>The report is written by hand (cheap in a cold process), but reads exactly as the serializer would write it.</summary>
public sealed class ReportJsonTests
{
    // The options the report was documented with when System.Text.Json wrote it.
    private static readonly JsonSerializerOptions Serializer = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    [Fact]
    public void AReportWithEveryFieldSetIsWrittenAsTheSerializerWouldWriteIt()
    {
        var at = new DateTimeOffset(2025, 11, 26, 9, 30, 15, 123, TimeSpan.Zero).AddTicks(4567);
        var report = new RunReport
        {
            Tool = "DrAssistant.MigrationService 1.0.0+abc",
            Command = "migrate",
            Database = "db:5432/dr_assistant",
            LockWaitMs = 12.5,
            DurationMs = 345.6,
            Mongo = MongoReport.ForMigrate("dr_assistant"),
            Status = RunStatus.ValidationFailed,
            ExitCode = 4,
            Error = "Applied migrations do not match \"this\" build <+>.",
        };
        report.PhasesMs["connect"] = 1.5;
        report.PhasesMs["history"] = 2;
        report.Problems.Add("Version 1 (x) was edited after it was applied.");
        report.Postgres.Schema = "clinic";
        report.Postgres.CurrentVersion = 3;
        report.Postgres.LatestVersion = 4;
        report.Postgres.Checksums = ChecksumSource.Generated;
        report.Postgres.Bookkeeping.Add(new BookkeepingReport("comment on table schema_version", BookkeepingState.Repaired));
        report.Postgres.Versions.Add(new VersionReport
        {
            Version = 1, Description = "initial schema: users, patients", State = VersionState.AppliedNow, Checksum = ChecksumStatus.Changed,
            CodeChecksum = "aa", RecordedChecksum = "bb", AppliedAt = at, AppliedBy = "ops@host", DurationMs = 66,
        });
        report.Postgres.Versions.Add(new VersionReport { Version = 99, Description = "gone", State = VersionState.MissingFromCode, Checksum = ChecksumStatus.None });
        var mongo = report.Mongo;
        mongo.Status = MongoStatus.Drift;
        mongo.LeaseWaitMs = 0.5;
        mongo.LeaseHolder = "pid 1 on host";
        mongo.Error = "none really";
        mongo.Steps!.Add(new MongoStepReport
        {
            Step = 1, Description = "collections", State = VersionState.Applied, Checksum = ChecksumStatus.Ok, CodeChecksum = "cc",
            RecordedChecksum = "cc", AppliedAt = at, AppliedBy = "ops@host", ToolVersion = "1.0.0", DurationMs = 7,
        });
        mongo.Steps.Add(new MongoStepReport { Step = 2, Description = "indexes", State = VersionState.Pending });
        mongo.Actions!.Add(new MongoAction(MongoActionKind.CreateIndex, "clinicalNotes", "patientId_1", "create index patientId_1", new BsonDocument("x", 1)));
        mongo.Actions.Add(new MongoAction(MongoActionKind.SetValidator, "clinicalNotes", null, "set the validator", new BsonDocument()));
        mongo.Drift!.Add(new MongoDrift(MongoDriftKind.IndexOptionsDiffer, "voiceRecordings", "retentionPolicy.expiresAt_1", "TTL differs"));
        mongo.ExtraIndexes!.Add("fs.files.filename_1_uploadDate_1");
        mongo.RetiredIndexes!.Add("old_1");
        mongo.Problems!.Add("a problem");

        Assert.Equal(JsonSerializer.Serialize(report, Serializer), ReportJson.Write(report));
    }

    [Fact]
    public void AReportWithOnlyItsRequiredFieldsIsWrittenAsTheSerializerWouldWriteIt()
    {
        var info = new RunReport { Tool = "t", Command = "info", Mongo = MongoReport.ForInfo("dr_assistant") };
        info.Mongo.PendingActions!.Add(new MongoAction(MongoActionKind.CreateCollection, "clinicalNotes", null, "create", new BsonDocument()));
        var bare = new RunReport { Tool = "t", Command = "script" };
        var unconfigured = new RunReport { Tool = "t", Command = "migrate", Mongo = MongoReport.NotConfigured(), Status = RunStatus.NothingToDo };

        Assert.Equal(JsonSerializer.Serialize(info, Serializer), ReportJson.Write(info));
        Assert.Equal(JsonSerializer.Serialize(bare, Serializer), ReportJson.Write(bare));
        Assert.Equal(JsonSerializer.Serialize(unconfigured, Serializer), ReportJson.Write(unconfigured));
    }
}
