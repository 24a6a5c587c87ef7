using System.Globalization;
using System.Text;

namespace DrAssistant.MigrationService.Postgres;

/// <summary>
/// The SQL a DBA reviews: for each version between two points, its statements in one transaction, as
/// FluentMigrator would run them. Going down prints the Down of each version, newest first.
/// </summary>
public static class SqlScript
{
    public static string Render(MigrationCatalog catalog, long from, long to, string toolVersion)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"-- DrAssistant.MigrationService {toolVersion}: PostgreSQL from version {from} to {to}");
        text.AppendLine("-- Generated for review; nothing was executed. Each version runs in its own transaction.");

        var up = to >= from;
        var versions = catalog.Migrations.Values
            .Where(m => up ? m.Version > from && m.Version <= to : m.Version <= from && m.Version > to)
            .OrderBy(m => up ? m.Version : -m.Version);
        foreach (var migration in versions)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"-- Version {migration.Version} {(up ? "up" : "down")}: {migration.Description}{(up ? $" (checksum {migration.Checksum})" : "")}");
            text.AppendLine("BEGIN;");
            foreach (var statement in up ? migration.UpSql : migration.DownSql)
            {
                text.Append(statement.TrimEnd().TrimEnd(';')).AppendLine(";");
            }

            text.AppendLine("COMMIT;");
        }

        return text.ToString();
    }
}
