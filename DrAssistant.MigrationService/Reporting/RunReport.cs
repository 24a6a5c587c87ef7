using DrAssistant.MigrationService.Mongo;

namespace DrAssistant.MigrationService.Reporting;

/// <summary>What one run did, printed as one JSON document with <c>--json</c>.</summary>
public sealed class RunReport
{
    public required string Tool { get; init; }

    public required string Command { get; init; }

    public string? Database { get; set; }

    public double? LockWaitMs { get; set; }

    /// <summary>The whole command, from connecting to the report (process start-up excluded).</summary>
    public double DurationMs { get; set; }

    /// <summary>Where the time went: catalog, connect, lock, bookkeeping, history, apply, mongo.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, double> PhasesMs { get; } = new();

    /// <summary>Times what runs until the returned scope is disposed, under <paramref name="phase"/>.</summary>
    public IDisposable Phase(string phase) => new PhaseTimer(this, phase);

    private sealed class PhaseTimer(RunReport report, string phase) : IDisposable
    {
        private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();

        public void Dispose() => report.PhasesMs.AddOrUpdate(phase, Elapsed(), (_, before) => before + Elapsed());

        private double Elapsed() => Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(_started).TotalMilliseconds, 1);
    }

    public PostgresReport Postgres { get; } = new();

    /// <summary>The MongoDB side (absent for <c>rollback</c> and <c>script</c>, which do not look at MongoDB).</summary>
    public MongoReport? Mongo { get; set; }

    public RunStatus Status { get; set; } = RunStatus.Success;

    public int ExitCode { get; set; }

    public string? Error { get; set; }

    public List<string> Problems { get; } = [];

    /// <summary>The report as indented JSON (see <see cref="ReportJson"/>).</summary>
    public string ToJson() => ReportJson.Write(this);
}

public sealed class PostgresReport
{
    public string Schema { get; set; } = "public";

    public long CurrentVersion { get; set; }

    public long LatestVersion { get; set; }

    /// <summary>
    /// Where this run took the build's checksums from: <c>recorded</c> (this build's checksums were in
    /// <c>schema_checksums</c> and confirmed there was nothing to do) or <c>generated</c> (from the migrations' SQL,
    /// generated in this run). Absent when the run did not get that far.
    /// </summary>
    public ChecksumSource? Checksums { get; set; }

    /// <summary>
    /// The migrator's own catalog objects (version and history tables, their columns, index, key and comments) that
    /// were not in place: for <c>info</c> and <c>check</c>, missing now; for <c>migrate</c> and <c>rollback</c>, put
    /// in place by this run. Empty when everything was there.
    /// </summary>
    public List<BookkeepingReport> Bookkeeping { get; } = [];

    public List<VersionReport> Versions { get; } = [];
}

/// <summary>One of the migrator's own objects, named as in <c>"comment on table schema_version"</c>.</summary>
public sealed record BookkeepingReport(string Object, BookkeepingState State);

public enum BookkeepingState
{
    /// <summary>Not there (<c>info</c>, <c>check</c>): the next <c>migrate</c> puts it in place.</summary>
    Missing,

    /// <summary>Created by this run on a database the migrator had not set up before.</summary>
    Created,

    /// <summary>Put back by this run: an interrupted older run left it missing, or someone removed it.</summary>
    Repaired,
}

public sealed class VersionReport
{
    public required long Version { get; init; }

    public required string Description { get; init; }

    public VersionState State { get; set; }

    public ChecksumStatus Checksum { get; set; }

    public string? CodeChecksum { get; set; }

    public string? RecordedChecksum { get; set; }

    public DateTimeOffset? AppliedAt { get; set; }

    public string? AppliedBy { get; set; }

    public long? DurationMs { get; set; }
}

public enum ChecksumSource
{
    Recorded,
    Generated,
}

public enum VersionState
{
    /// <summary>Applied before this run.</summary>
    Applied,

    /// <summary>Applied by this run.</summary>
    AppliedNow,

    /// <summary>In the code, not applied.</summary>
    Pending,

    /// <summary>In the code, not applied, and beyond this run's --to.</summary>
    Skipped,

    /// <summary>Reverted by this run.</summary>
    RolledBack,

    /// <summary>Applied to the database but absent from this build.</summary>
    MissingFromCode,
}

public enum ChecksumStatus
{
    /// <summary>Not applied, so nothing to compare.</summary>
    None,

    /// <summary>The applied SQL is what this build would run.</summary>
    Ok,

    /// <summary>The migration's code now yields different SQL than was applied.</summary>
    Changed,

    /// <summary>Applied without a checksum (before the history existed); recorded as a baseline on the next migrate.</summary>
    Unrecorded,

    /// <summary>A change that was explicitly accepted in this run.</summary>
    Accepted,
}

public enum RunStatus
{
    Success,
    NothingToDo,
    PendingOrDrift,
    Failed,
    LockTimeout,
    ValidationFailed,

    /// <summary>The migrator lost its lock during the run and stopped (exit code 1).</summary>
    LockLost,
}
