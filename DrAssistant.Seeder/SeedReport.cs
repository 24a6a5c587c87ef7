using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrAssistant.Seeder;

/// <summary>What one run did, printed as JSON with <c>--json</c> (one document on standard output).</summary>
public sealed class SeedReport
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    public string Tool { get; set; } = "";

    public string Command { get; set; } = "";

    public int? Seed { get; set; }

    /// <summary><c>seeded</c>, <c>already-seeded</c>, <c>generated</c>, <c>refused</c> or <c>failed</c>.</summary>
    public string Status { get; set; } = "failed";

    /// <summary>demo: rows inserted per table (zero everywhere on a second run).</summary>
    public Dictionary<string, long>? Inserted { get; set; }

    /// <summary>demo: what happened to the clinical notes in MongoDB.</summary>
    public NotesReport? Notes { get; set; }

    /// <summary>generate: rows and speed per table, in the order written.</summary>
    public List<TableTiming>? Tables { get; set; }

    public long? TotalRows { get; set; }

    /// <summary>generate: wall-clock seconds from the first row to the last commit (ANALYZE excluded).</summary>
    public double? Seconds { get; set; }

    public double? RowsPerSecond { get; set; }

    /// <summary>generate: seconds spent by the final ANALYZE, which gives the planner statistics of the new rows.</summary>
    public double? AnalyzeSeconds { get; set; }

    public string? Error { get; set; }

    public int ExitCode { get; set; }

    public double DurationMs { get; set; }

    public string ToJson() => JsonSerializer.Serialize(this, Options);
}

public sealed class NotesReport
{
    /// <summary><c>written</c>, <c>already-there</c> or <c>skipped</c>.</summary>
    public string Status { get; set; } = "skipped";

    public string? Reason { get; set; }

    public int Inserted { get; set; }

    public int AlreadyThere { get; set; }
}

public sealed class TableTiming
{
    public string Table { get; set; } = "";

    public long Rows { get; set; }

    /// <summary>Seconds inside this table's COPY commands (sending the rows and the server's checks and indexes).</summary>
    public double Seconds { get; set; }

    public double RowsPerSecond => Seconds > 0 ? Math.Round(Rows / Seconds) : 0;
}
