using System.Globalization;
using System.Text;
using System.Text.Json;
using DrAssistant.MigrationService.Reporting;

namespace DrAssistant.MigrationService.Mongo;

public enum MongoStatus
{
    /// <summary>No <c>ConnectionStrings:mongodb</c>: the MongoDB side was not looked at.</summary>
    NotConfigured,

    /// <summary>Every step applied and the database is in the declared state.</summary>
    UpToDate,

    /// <summary>This run applied steps or repaired the state.</summary>
    Applied,

    /// <summary>Steps or actions are pending (<c>info</c>, <c>check</c>).</summary>
    Pending,

    /// <summary>Something differs from the declared state that the migrator does not repair (see <see cref="MongoReport.Drift"/>).</summary>
    Drift,

    /// <summary>An applied step was edited, or is missing from this build.</summary>
    ValidationFailed,

    /// <summary>Another migrator held the lease for longer than the configured wait.</summary>
    LockTimeout,

    Failed,
}

/// <summary>An applied or pending step, as <c>info</c> and <c>migrate</c> report it.</summary>
public sealed class MongoStepReport
{
    public required int Step { get; init; }

    public required string Description { get; init; }

    public VersionState State { get; set; }

    public ChecksumStatus Checksum { get; set; }

    public string? CodeChecksum { get; init; }

    public string? RecordedChecksum { get; set; }

    public DateTimeOffset? AppliedAt { get; set; }

    public string? AppliedBy { get; set; }

    public string? ToolVersion { get; set; }

    public long? DurationMs { get; set; }
}

/// <summary>The MongoDB part of a run's report (<c>"mongo"</c> in the JSON). Lists that do not apply are left out.</summary>
public sealed class MongoReport
{
    public MongoStatus Status { get; set; }

    public string? Database { get; init; }

    public double? LeaseWaitMs { get; set; }

    /// <summary>Who holds the lease right now (<c>info</c> only), when someone does.</summary>
    public string? LeaseHolder { get; set; }

    public List<MongoStepReport>? Steps { get; init; }

    /// <summary>What this run did (<c>migrate</c>).</summary>
    public List<MongoAction>? Actions { get; init; }

    /// <summary>What <c>migrate</c> would do now (<c>info</c>, <c>check</c>).</summary>
    public List<MongoAction>? PendingActions { get; init; }

    public List<MongoDrift>? Drift { get; init; }

    /// <summary>Indexes that are not declared (a driver's own GridFS index, one made by hand); reported, left alone.</summary>
    public List<string>? ExtraIndexes { get; init; }

    /// <summary>Indexes an earlier step declared and a later one retired (e.g. made redundant); never dropped by the migrator.</summary>
    public List<string>? RetiredIndexes { get; init; }

    public List<string>? Problems { get; init; }

    public string? Error { get; set; }

    /// <summary>Whether <c>check</c> must fail: something to apply, something drifted, or an applied step changed.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsPendingOrDrifted => Status is MongoStatus.Pending or MongoStatus.Drift or MongoStatus.ValidationFailed;

    public static MongoReport NotConfigured() => new() { Status = MongoStatus.NotConfigured };

    public static MongoReport ForMigrate(string database) =>
        new() { Database = database, Steps = [], Actions = [], Drift = [], ExtraIndexes = [], RetiredIndexes = [], Problems = [] };

    public static MongoReport ForInfo(string database) =>
        new() { Database = database, Steps = [], PendingActions = [], Drift = [], ExtraIndexes = [], RetiredIndexes = [], Problems = [] };

    /// <summary>The human-readable form, as <c>info</c> prints it.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        if (Status == MongoStatus.NotConfigured)
        {
            return $"MongoDB: not configured (set ConnectionStrings:{ResourceNames.MongoDatabase} or MONGODB_URI); not looked at.";
        }

        var applied = Steps?.Count(s => s.State is VersionState.Applied or VersionState.AppliedNow) ?? 0;
        var known = Steps?.Count(s => s.State != VersionState.MissingFromCode) ?? 0;
        var progress = Steps is { Count: > 0 } ? $", {applied} of {known} step(s) applied" : string.Empty;
        text.AppendLine(CultureInfo.InvariantCulture,
            $"MongoDB {Database}: {Kebab(Status)}{progress}{(LeaseHolder is null ? "" : $"; lease {LeaseHolder}")}");
        if (Error is not null)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  error: {Error}");
        }

        if (Steps is { Count: > 0 })
        {
            text.AppendLine("     step  state              checksum    applied at (UTC)      by");
            foreach (var step in Steps)
            {
                var when = step.AppliedAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-";
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"  {step.Step,7}  {Kebab(step.State),-17}  {Kebab(step.Checksum),-10}  {when,-20}  {step.AppliedBy}   {step.Description}");
            }
        }

        Section(text, "done", Actions?.Select(a => a.Description));
        Section(text, "pending", PendingActions?.Select(a => a.Description));
        Section(text, "drift (not repaired)", Drift?.Select(d => d.Message));
        Section(text, "problems", Problems);
        Section(text, "indexes not declared (left alone)", ExtraIndexes);
        Section(text, "indexes retired by a later step (left alone)", RetiredIndexes);
        return text.ToString().TrimEnd();
    }

    private static void Section(StringBuilder text, string title, IEnumerable<string>? lines)
    {
        var list = lines?.ToList();
        if (list is not { Count: > 0 })
        {
            return;
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"  {title}:");
        foreach (var line in list)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"    - {line}");
        }
    }

    private static string Kebab<T>(T value) where T : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());
}
