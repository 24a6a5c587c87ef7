using System.Text.RegularExpressions;
using DrAssistant.Api.Dashboard;
using DrAssistant.Api.Patients;

namespace DrAssistant.Bench;

/// <summary>
/// The dashboard's and the timeline's SQL, taken from the API itself, as pgbench scripts: the floor runs exactly the
/// statements the API sends, with prepared statements, for a random doctor and day, or a random patient.
/// </summary>
public static partial class PgbenchScripts
{
    public static int Write(string directory)
    {
        Directory.CreateDirectory(directory);
        // A random doctor from the prepared list on a random day of the generated period, as the cold dashboard load does.
        File.WriteAllText(Path.Combine(directory, "dashboard.sql"), $"""
            \set n random(1, :doctors)
            \set day random(0, :days - 1)
            SELECT id AS doctor_id, (:first_day::timestamptz + :day::int * interval '1 day') AS day_start, (:first_day::timestamptz + (:day::int + 1) * interval '1 day') AS day_end FROM bench_doctors WHERE n = :n \gset
            {Pg(DashboardQueries.CountsSql)};
            {Pg(DashboardQueries.AppointmentsSql)};
            {Pg(DashboardQueries.PendingTasksSql, ("taskLimit", "20"))};
            {Pg(DashboardQueries.UnreadAlertsSql, ("alertLimit", "20"))};

            """);
        File.WriteAllText(Path.Combine(directory, "timeline.sql"), $"""
            \set n random(1, :patients)
            SELECT id AS patient_id FROM bench_patients WHERE n = :n \gset
            {Pg(TimelineQueries.PatientSql.Replace("@id", ":patient_id", StringComparison.Ordinal))};
            {Pg(Page(TimelineQueries.EncountersSql))};
            {Pg(Page(TimelineQueries.PrescriptionsSql))};
            {Pg(Page(TimelineQueries.OrdersSql))};

            """);
        // A patient with a long history, a random page of it: the same statements as the timeline above, at an offset.
        var timeline = File.ReadAllText(Path.Combine(directory, "timeline.sql"));
        File.WriteAllText(Path.Combine(directory, "timeline-long.sql"), $"""
            \set n random(1, :long_patients)
            \set offset (random(1, {Workload.LongPages}) - 1) * {Workload.LongPageSize}
            SELECT id AS patient_id FROM bench_long_patients WHERE n = :n \gset

            """ + string.Join('\n', timeline.Split('\n')[2..])
                .Replace("LIMIT 21 OFFSET 0", $"LIMIT {Workload.LongPageSize + 1} OFFSET :offset", StringComparison.Ordinal));
        return 0;
    }

    private static string Page(string sql) => sql
        .Replace("@id", ":patient_id", StringComparison.Ordinal)
        .Replace("@Limit", "21", StringComparison.Ordinal)
        .Replace("@Offset", "0", StringComparison.Ordinal);

    /// <summary>Dapper's @name parameters as pgbench variables, on one line each (pgbench reads a statement per line).</summary>
    private static string Pg(string sql, params (string Name, string Value)[] constants)
    {
        foreach (var (name, value) in constants)
        {
            sql = sql.Replace($"@{name}", value, StringComparison.Ordinal);
        }

        sql = Parameter().Replace(sql, m => m.Groups[1].Value switch
        {
            "doctorId" => ":doctor_id",
            "dayStart" => ":day_start",
            "dayEnd" => ":day_end",
            var other => ":" + other,
        });
        return Whitespace().Replace(sql, " ").Trim().TrimEnd(';');
    }

    [GeneratedRegex(@"@([A-Za-z]+)")]
    private static partial Regex Parameter();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
