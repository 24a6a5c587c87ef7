using Dapper;
using DrAssistant.Seeder.Generate;

namespace DrAssistant.Seeder.Tests;

/// <summary><c>generate</c>: a large clinic by binary COPY. Each test generates into a database of its own.</summary>
public class GenerateTests
{
    private static readonly TimeZoneInfo Kolkata = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");

    [Fact]
    public async Task GenerateWritesProportionalCountsAndReportsRowsPerSecondForEveryTable()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();

        var run = await Seeder.RunAsync(database, "generate", "--patients", "2000", "--json");

        Assert.Equal(0, run.ExitCode);
        var counts = await Seeder.CountsAsync(database);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Kolkata).DateTime);
        var plan = GeneratePlan.For(2000, 5, null, today);
        await using var connection = Seeder.Connect(database);
        var doctors = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM users WHERE role = 'doctor'");
        var visits = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM appointments WHERE status IN ('completed', 'in_progress')");

        Assert.Equal(2000, counts["patients"]);
        Assert.Equal(10_000, counts["appointments"]);
        Assert.Equal(plan.Doctors, doctors);
        Assert.Equal(plan.Staff, counts["users"]);
        Assert.Equal(visits, counts["encounters"]);
        Assert.InRange(counts["prescriptions"], counts["encounters"] / 4, counts["encounters"]);
        Assert.True(counts["prescription_items"] >= counts["prescriptions"]);
        Assert.InRange(counts["orders"], counts["encounters"] / 10, counts["encounters"] * 2);
        Assert.True(counts["order_items"] >= counts["orders"]);
        Assert.InRange(counts["tasks"], counts["encounters"] / 10, counts["encounters"] / 3);
        Assert.InRange(counts["alerts"], counts["encounters"] / 10, counts["encounters"] / 2);

        var report = run.Report;
        Assert.Equal("generated", report.GetProperty("status").GetString());
        var tables = report.GetProperty("tables").EnumerateArray().ToDictionary(t => t.GetProperty("table").GetString()!);
        foreach (var (table, rows) in counts)
        {
            Assert.Equal(rows, tables[table].GetProperty("rows").GetInt64());
            Assert.True(tables[table].GetProperty("rowsPerSecond").GetDouble() > 0, $"{table} has no rows/s");
        }

        Assert.Equal(counts.Values.Sum(), report.GetProperty("totalRows").GetInt64());
        Assert.True(report.GetProperty("rowsPerSecond").GetDouble() > 0);
    }

    [Fact]
    public async Task GeneratePrintsATableOfRowsPerSecond()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();

        var run = await Seeder.RunAsync(database, "generate", "--patients", "200");

        Assert.Equal(0, run.ExitCode);
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains(lines, l => l.StartsWith("table", StringComparison.Ordinal) && l.EndsWith("rows/s", StringComparison.Ordinal));
        foreach (var table in Seeder.Tables.Append("total"))
        {
            Assert.Contains(lines, l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0] == table);
        }
    }

    [Fact]
    public async Task GeneratedAppointmentsSpanAboutTwoYearsInClinicHoursAndNeverDoubleBookADoctor()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();

        var run = await Seeder.RunAsync(database, "generate", "--patients", "2000", "--doctors", "3", "--batch", "3000");

        Assert.Equal(0, run.ExitCode);
        await using var connection = Seeder.Connect(database);
        var overlaps = await connection.ExecuteScalarAsync<long>("""
            SELECT count(*) FROM appointments a JOIN appointments b
              ON a.doctor_id = b.doctor_id AND a.id < b.id AND a.start_time < b.end_time AND b.start_time < a.end_time
            """);
        var (first, last) = await connection.QuerySingleAsync<(DateTime, DateTime)>("SELECT min(start_time), max(start_time) FROM appointments");
        var (perDay, busiest) = await connection.QuerySingleAsync<(decimal, long)>("""
            SELECT avg(n), max(n) FROM (
                SELECT count(*) AS n FROM appointments
                GROUP BY doctor_id, (start_time AT TIME ZONE 'Asia/Kolkata')::date) AS days
            """);
        var outsideHours = await connection.ExecuteScalarAsync<long>("""
            SELECT count(*) FROM appointments
            WHERE extract(isodow FROM start_time AT TIME ZONE 'Asia/Kolkata') = 7
               OR NOT ((start_time AT TIME ZONE 'Asia/Kolkata')::time >= '09:00' AND (end_time AT TIME ZONE 'Asia/Kolkata')::time <= '13:00'
                    OR (start_time AT TIME ZONE 'Asia/Kolkata')::time >= '14:00' AND (end_time AT TIME ZONE 'Asia/Kolkata')::time <= '17:00')
            """);
        var timeTravel = await connection.ExecuteScalarAsync<long>("""
            SELECT count(*) FROM appointments
            WHERE (end_time < now() AND status IN ('scheduled', 'confirmed')) OR (start_time > now() AND status IN ('completed', 'no_show'))
            """);

        Assert.Equal(0, overlaps);
        Assert.InRange((last - first).TotalDays, 600, 740);
        Assert.True(first < DateTime.UtcNow && last > DateTime.UtcNow, "appointments are both past and future");
        Assert.InRange(perDay, 3m, 12m); // 10,000 appointments for 3 doctors over ~620 clinic days
        Assert.InRange(busiest, 1, 28);
        Assert.Equal(0, outsideHours);
        Assert.Equal(0, timeTravel);
    }

    [Fact]
    public async Task GeneratedChildRowsBelongToTheirParentsVisit()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();
        await Seeder.RunAsync(database, "generate", "--patients", "1000");

        await using var connection = Seeder.Connect(database);
        var strays = await connection.QuerySingleAsync<(long Encounters, long Prescriptions, long Orders, long EmptyPrescriptions, long EmptyOrders)>("""
            SELECT
              (SELECT count(*) FROM encounters e JOIN appointments a ON a.id = e.appointment_id
                WHERE e.doctor_id <> a.doctor_id OR e.patient_id <> a.patient_id OR e.start_time < a.start_time),
              (SELECT count(*) FROM prescriptions p JOIN encounters e ON e.id = p.encounter_id
                WHERE p.doctor_id <> e.doctor_id OR p.patient_id <> e.patient_id),
              (SELECT count(*) FROM orders o JOIN encounters e ON e.id = o.encounter_id
                WHERE o.doctor_id <> e.doctor_id OR o.patient_id <> e.patient_id),
              (SELECT count(*) FROM prescriptions p WHERE NOT EXISTS (SELECT 1 FROM prescription_items i WHERE i.prescription_id = p.id)),
              (SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id))
            """);

        Assert.Equal((0L, 0L, 0L, 0L, 0L), strays);
    }

    [Fact]
    public async Task GenerateRefusesADatabaseWithDemoDataUnlessForced()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();
        await Seeder.RunAsync(database, "demo");
        var before = await Seeder.CountsAsync(database);

        var refused = await Seeder.RunAsync(database, "generate", "--patients", "100", "--json");
        var afterRefusal = await Seeder.CountsAsync(database);
        var forced = await Seeder.RunAsync(database, "generate", "--patients", "100", "--force");

        Assert.Equal(1, refused.ExitCode);
        Assert.Equal("refused", refused.Report.GetProperty("status").GetString());
        Assert.Contains("--force", refused.Report.GetProperty("error").GetString());
        Assert.Equal(before, afterRefusal);
        Assert.Equal(0, forced.ExitCode);
        Assert.Equal(before["patients"] + 100, (await Seeder.CountsAsync(database))["patients"]);
    }

    [Fact]
    public async Task GenerateRefusesADatabaseItAlreadyFilledAndAForcedSecondRunDoesNotCollide()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();
        await Seeder.RunAsync(database, "generate", "--patients", "100");

        var refused = await Seeder.RunAsync(database, "generate", "--patients", "100");
        var forced = await Seeder.RunAsync(database, "generate", "--patients", "100", "--force");

        Assert.Equal(1, refused.ExitCode);
        Assert.Equal(0, forced.ExitCode);
        Assert.Equal(200, (await Seeder.CountsAsync(database))["patients"]);
    }

    [Fact]
    public async Task TooFewDoctorsForTheAppointmentsIsABadArgument()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();

        var run = await Seeder.RunAsync(database, "generate", "--patients", "10000", "--appointments-per-patient", "10", "--doctors", "1", "--json");

        Assert.Equal(64, run.ExitCode);
        Assert.Contains("too few", run.Report.GetProperty("error").GetString());
        Assert.Equal(0, (await Seeder.CountsAsync(database))["patients"]);
    }
}
