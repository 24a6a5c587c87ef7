using System.Globalization;
using System.Text;

namespace DrAssistant.MigrationService.Reporting;

/// <summary>The human-readable form of <c>info</c> and <c>check</c>.</summary>
public static class InfoText
{
    public static string Format(RunReport report)
    {
        var text = new StringBuilder();
        var postgres = report.Postgres;
        text.AppendLine(CultureInfo.InvariantCulture,
            $"PostgreSQL {report.Database} schema '{postgres.Schema}': version {postgres.CurrentVersion} of {postgres.LatestVersion}");
        text.AppendLine("  version  state              checksum    applied at (UTC)      by / duration");
        foreach (var v in postgres.Versions)
        {
            var when = v.AppliedAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-";
            var by = v.AppliedBy is null ? "" : $"{v.AppliedBy}, {v.DurationMs} ms";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  {v.Version,7}  {Kebab(v.State),-17}  {Kebab(v.Checksum),-10}  {when,-20}  {by}   {v.Description}");
        }

        var missing = postgres.Bookkeeping.Where(b => b.State == BookkeepingState.Missing).Select(b => b.Object).ToList();
        if (missing.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  missing, of the migrator's own objects (the next 'migrate' puts them in place): {string.Join(", ", missing)}");
        }

        if (report.Mongo is not null)
        {
            text.AppendLine(report.Mongo.ToString());
        }

        text.Append(report.Status switch
        {
            RunStatus.PendingOrDrift => "Something is pending, drifted or missing: run 'migrate' (or fix the edited migrations).",
            RunStatus.Failed => $"Failed: {report.Error}",
            _ => "Up to date.",
        });
        return text.ToString();
    }

    private static string Kebab<T>(T value) where T : struct, Enum =>
        System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());
}
