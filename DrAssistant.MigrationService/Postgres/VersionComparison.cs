using DrAssistant.MigrationService.Reporting;

namespace DrAssistant.MigrationService.Postgres;

/// <summary>What the build has against what the database has applied: one <see cref="VersionReport"/> per version.</summary>
public static class VersionComparison
{
    /// <summary>Every version of the build and every applied one, in order, each with its state and checksum status.</summary>
    public static List<VersionReport> Compare(IEnumerable<CodeVersion> code, SortedDictionary<long, AppliedVersion> applied)
    {
        var versions = new SortedDictionary<long, VersionReport>();
        foreach (var migration in code)
        {
            var row = applied.GetValueOrDefault(migration.Version);
            versions[migration.Version] = new VersionReport
            {
                Version = migration.Version,
                Description = migration.Description,
                CodeChecksum = migration.Checksum,
                State = row is null ? VersionState.Pending : VersionState.Applied,
                RecordedChecksum = row?.History?.Checksum,
                Checksum = row is null ? ChecksumStatus.None
                    : row.History is null ? ChecksumStatus.Unrecorded
                    : row.History.Checksum == migration.Checksum ? ChecksumStatus.Ok
                    : ChecksumStatus.Changed,
                AppliedAt = row?.History?.AppliedAt ?? (row?.AppliedOn is { } on ? new DateTimeOffset(on) : null),
                AppliedBy = row?.History?.AppliedBy,
                DurationMs = row?.History?.DurationMs,
            };
        }

        foreach (var row in applied.Values.Where(r => !versions.ContainsKey(r.Version)))
        {
            versions[row.Version] = new VersionReport
            {
                Version = row.Version,
                Description = row.History?.Description ?? row.Description ?? "(unknown)",
                State = VersionState.MissingFromCode,
                RecordedChecksum = row.History?.Checksum,
                Checksum = ChecksumStatus.None,
                AppliedAt = row.History?.AppliedAt,
                AppliedBy = row.History?.AppliedBy,
            };
        }

        return [.. versions.Values];
    }

    /// <summary>
    /// Whether a <c>migrate [--to N]</c> has nothing to do: every version up to the target applied with its recorded
    /// checksum matching, nothing applied that the build lacks, and the database not above the target. Versions beyond
    /// the target are marked skipped.
    /// </summary>
    public static bool NothingToDo(List<VersionReport> versions, long? to)
    {
        var current = versions.Where(v => v.State != VersionState.Pending).Select(v => v.Version).DefaultIfEmpty(0).Max();
        var latest = versions.Where(v => v.State != VersionState.MissingFromCode).Select(v => v.Version).DefaultIfEmpty(0).Max();
        var target = to ?? latest;
        if (target < current || versions.Any(v => v.State == VersionState.MissingFromCode
                || (v.State == VersionState.Applied && v.Checksum != ChecksumStatus.Ok)
                || (v.State == VersionState.Pending && v.Version <= target)))
        {
            return false;
        }

        foreach (var skipped in versions.Where(v => v.State == VersionState.Pending))
        {
            skipped.State = VersionState.Skipped;
        }

        return true;
    }
}
