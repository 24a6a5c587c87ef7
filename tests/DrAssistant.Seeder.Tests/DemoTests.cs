using System.Text.RegularExpressions;
using Dapper;
using DrAssistant.Shared.Accounts;
using DrAssistant.Seeder.Clinic;

namespace DrAssistant.Seeder.Tests;

/// <summary><c>demo</c>: the small clinic behind F5. Each test seeds a database of its own.</summary>
public partial class DemoTests
{
    /// <summary>The logins and password the README documents.</summary>
    private static readonly string[] DocumentedLogins =
    [
        "dr.rao", "dr.mehta", "dr.iyer", "dr.khan", "dr.fernandes", "dr.banerjee",
        "nurse.meena", "nurse.joseph", "reception.ali", "reception.priya", "admin",
    ];

    private const string DocumentedPassword = "DemoClinic#2025";

    private static readonly TimeZoneInfo Kolkata = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");

    [Fact]
    public async Task DemoCreatesTheDocumentedLoginsWhosePasswordTheApiAccepts()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();

        Assert.Equal(0, (await Seeder.RunAsync(database, "demo")).ExitCode);

        await using var connection = Seeder.Connect(database);
        var users = (await connection.QueryAsync<(string Username, string Hash, string Status)>(
            "SELECT username, password_hash, status FROM users")).ToList();
        Assert.Equal(DocumentedLogins.Order(), users.Select(u => u.Username).Order());
        Assert.All(users, u =>
        {
            Assert.True(Passwords.Verify(u.Hash, DocumentedPassword), $"{u.Username}'s password does not verify");
            Assert.False(Passwords.Verify(u.Hash, "wrong-password"));
            Assert.Equal("active", u.Status);
        });
    }

    [Fact]
    public async Task DemoStaffAreDoctorsOfSeveralSpecialtiesNursesReceptionistsAndAnAdmin()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();
        await Seeder.RunAsync(database, "demo");

        await using var connection = Seeder.Connect(database);
        var roles = (await connection.QueryAsync<(string Role, string? Specialty)>("SELECT role, specialty FROM users")).ToList();

        Assert.True(roles.Where(r => r.Role == "doctor").Select(r => r.Specialty).Distinct().Count() >= 5);
        Assert.All(roles.Where(r => r.Role == "doctor"), r => Assert.False(string.IsNullOrEmpty(r.Specialty)));
        Assert.Contains(roles, r => r.Role == "nurse");
        Assert.Contains(roles, r => r.Role == "receptionist");
        Assert.Single(roles, r => r.Role == "admin");
    }

    [Fact]
    public async Task DemoPatientsHaveAbhaIdsMrnsAndIndianAndInternationalNames()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();
        await Seeder.RunAsync(database, "demo");

        await using var connection = Seeder.Connect(database);
        var patients = (await connection.QueryAsync<(string Mrn, string Abha, string First, string Last)>(
            "SELECT mrn, abha_id, first_name, last_name FROM patients")).ToList();

        Assert.InRange(patients.Count, 140, 160);
        Assert.All(patients, p => Assert.Matches(AbhaFormat(), p.Abha));
        Assert.Equal(patients.Count, patients.Select(p => p.Abha).Distinct().Count());
        Assert.All(patients, p => Assert.False(string.IsNullOrWhiteSpace(p.Mrn)));
        Assert.Equal(patients.Count, patients.Select(p => p.Mrn).Distinct().Count());

        var indianFirstNames = Catalogue.IndianFemaleNames.Concat(Catalogue.IndianMaleNames).ToHashSet();
        var indian = patients.Count(p => indianFirstNames.Contains(p.First));
        Assert.InRange(indian, patients.Count / 2, patients.Count - 10);
    }

    [Fact]
    public async Task DemoBooksAWeekAroundTodayInClinicHoursWithoutDoubleBookingADoctor()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();
        await Seeder.RunAsync(database, "demo");

        await using var connection = Seeder.Connect(database);
        var appointments = (await connection.QueryAsync<(Guid Doctor, DateTime Start, DateTime End, string Status)>(
            "SELECT doctor_id, start_time, end_time, status FROM appointments")).ToList();
        var overlaps = await connection.ExecuteScalarAsync<long>("""
            SELECT count(*) FROM appointments a JOIN appointments b
              ON a.doctor_id = b.doctor_id AND a.id < b.id AND a.start_time < b.end_time AND b.start_time < a.end_time
            """);
        var doctors = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM users WHERE role = 'doctor'");

        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Kolkata).DateTime);
        Assert.Equal(0, overlaps);
        Assert.True(appointments.Count >= 100, $"only {appointments.Count} appointments");
        Assert.Equal(doctors, appointments.Select(a => a.Doctor).Distinct().Count());
        foreach (var (_, start, end, status) in appointments)
        {
            var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(start, DateTimeKind.Utc), Kolkata);
            var localEnd = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(end, DateTimeKind.Utc), Kolkata);
            var day = DateOnly.FromDateTime(local);
            Assert.InRange(day, today.AddDays(-3), today.AddDays(3));
            Assert.NotEqual(DayOfWeek.Sunday, day.DayOfWeek);
            var inMorning = local.TimeOfDay >= TimeSpan.FromHours(9) && localEnd.TimeOfDay <= TimeSpan.FromHours(13);
            var inAfternoon = local.TimeOfDay >= TimeSpan.FromHours(14) && localEnd.TimeOfDay <= TimeSpan.FromHours(17);
            Assert.True(inMorning || inAfternoon, $"{local:yyyy-MM-dd HH:mm}–{localEnd:HH:mm} is outside clinic hours");
            if (day < today)
            {
                Assert.Contains(status, new[] { "completed", "no_show", "cancelled" });
            }
            else if (day > today)
            {
                Assert.Contains(status, new[] { "scheduled", "confirmed", "cancelled" });
            }
        }
    }

    [Fact]
    public async Task PastVisitsHaveEncountersWithPrescriptionsAndOrdersThatHaveItems()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();
        await Seeder.RunAsync(database, "demo");

        await using var connection = Seeder.Connect(database);
        var completedWithoutEncounter = await connection.ExecuteScalarAsync<long>("""
            SELECT count(*) FROM appointments a
            WHERE a.status = 'completed' AND NOT EXISTS (SELECT 1 FROM encounters e WHERE e.appointment_id = a.id)
            """);
        var mismatched = await connection.ExecuteScalarAsync<long>("""
            SELECT count(*) FROM encounters e JOIN appointments a ON a.id = e.appointment_id
            WHERE e.doctor_id <> a.doctor_id OR e.patient_id <> a.patient_id
            """);
        var prescriptions = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM prescriptions");
        var emptyPrescriptions = await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM prescriptions p WHERE NOT EXISTS (SELECT 1 FROM prescription_items i WHERE i.prescription_id = p.id)");
        var orderTypes = (await connection.QueryAsync<string>("SELECT DISTINCT order_type FROM orders")).ToList();
        var emptyOrders = await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)");

        Assert.Equal(0, completedWithoutEncounter);
        Assert.Equal(0, mismatched);
        Assert.True(prescriptions >= 20, $"only {prescriptions} prescriptions");
        Assert.Equal(0, emptyPrescriptions);
        Assert.True(orderTypes.Count >= 3, $"order types: {string.Join(", ", orderTypes)}");
        Assert.Equal(0, emptyOrders);
    }

    [Fact]
    public async Task DemoTasksAndAlertsVaryInPriorityStatusAndSeverity()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();
        await Seeder.RunAsync(database, "demo");

        await using var connection = Seeder.Connect(database);
        var priorities = (await connection.QueryAsync<string>("SELECT DISTINCT priority FROM tasks")).ToHashSet();
        var taskStatuses = (await connection.QueryAsync<string>("SELECT DISTINCT status FROM tasks")).ToHashSet();
        var severities = (await connection.QueryAsync<string>("SELECT DISTINCT severity FROM alerts")).ToHashSet();
        var alertTypes = (await connection.QueryAsync<string>("SELECT DISTINCT alert_type FROM alerts")).ToHashSet();
        var readStates = (await connection.QueryAsync<bool>("SELECT DISTINCT is_read FROM alerts")).ToHashSet();
        var tasksAboutPatients = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM tasks WHERE patient_id IS NOT NULL");

        Assert.Equal(["high", "low", "medium", "urgent"], priorities.Order());
        Assert.True(taskStatuses.Count >= 3, string.Join(", ", taskStatuses));
        Assert.Equal(["critical", "high", "low", "medium"], severities.Order());
        Assert.True(alertTypes.Count >= 4, string.Join(", ", alertTypes));
        Assert.Equal(2, readStates.Count);
        Assert.True(tasksAboutPatients > 0);
    }

    [Fact]
    public async Task SeedingTwiceChangesNothing()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();
        var first = await Seeder.RunAsync(database, "demo", "--json");
        var before = await Seeder.FullDigestAsync(database);
        var countsBefore = await Seeder.CountsAsync(database);

        var second = await Seeder.RunAsync(database, "demo", "--json");

        Assert.Equal(0, second.ExitCode);
        Assert.Equal("seeded", first.Report.GetProperty("status").GetString());
        Assert.Equal("already-seeded", second.Report.GetProperty("status").GetString());
        Assert.All(second.Report.GetProperty("inserted").EnumerateObject(), table => Assert.Equal(0, table.Value.GetInt64()));
        Assert.Equal(countsBefore, await Seeder.CountsAsync(database));
        Assert.Equal(before, await Seeder.FullDigestAsync(database));
    }

    [Fact]
    public async Task TheSameSeedGivesTheSameClinicInTwoDatabasesAndAnotherSeedAnotherClinic()
    {
        await using var one = await MigratedTemplate.NewDatabaseAsync();
        await using var two = await MigratedTemplate.NewDatabaseAsync();
        await using var other = await MigratedTemplate.NewDatabaseAsync();

        await Seeder.RunAsync(one, "demo", "--seed", "7");
        await Seeder.RunAsync(two, "demo", "--seed", "7");
        await Seeder.RunAsync(other, "demo", "--seed", "8");

        Assert.Equal(await IdentityDigestAsync(one), await IdentityDigestAsync(two));
        Assert.NotEqual(await IdentityDigestAsync(one), await IdentityDigestAsync(other));
    }

    [Fact]
    public async Task DemoOfAnotherSeedIsRefusedRatherThanMixedIn()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();
        await Seeder.RunAsync(database, "demo");
        var before = await Seeder.CountsAsync(database);

        var run = await Seeder.RunAsync(database, "demo", "--seed", "43", "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("refused", run.Report.GetProperty("status").GetString());
        Assert.Contains("another seed", run.Report.GetProperty("error").GetString());
        Assert.Equal(before, await Seeder.CountsAsync(database));
    }

    [Fact]
    public async Task WithoutMongoTheNotesAreSkippedAndTheReportSaysSo()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();

        var run = await Seeder.RunAsync(database, "demo", "--json");

        Assert.Equal(0, run.ExitCode);
        var notes = run.Report.GetProperty("notes");
        Assert.Equal("skipped", notes.GetProperty("status").GetString());
        Assert.Contains("ConnectionStrings:mongodb", notes.GetProperty("reason").GetString());
    }

    /// <summary>Names and ids only (instants follow the day of seeding), over every table.</summary>
    private static async Task<string> IdentityDigestAsync(DrAssistant.Testing.TestDatabase database)
    {
        await using var connection = Seeder.Connect(database);
        return await connection.ExecuteScalarAsync<string>("""
            SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
                SELECT 'u' || id || username || full_name || coalesce(specialty, '') FROM users
                UNION ALL SELECT 'p' || id || mrn || abha_id || first_name || last_name || date_of_birth FROM patients
                UNION ALL SELECT 'a' || id || doctor_id || patient_id || coalesce(reason, '') FROM appointments
                UNION ALL SELECT 'e' || id || coalesce(chief_complaint, '') FROM encounters
                UNION ALL SELECT 'rx' || id || encounter_id FROM prescriptions
                UNION ALL SELECT 'ri' || id || medication_name FROM prescription_items
                UNION ALL SELECT 'o' || id || order_type FROM orders
                UNION ALL SELECT 'oi' || id || item_code FROM order_items
                UNION ALL SELECT 't' || id || title FROM tasks
                UNION ALL SELECT 'al' || id || title FROM alerts
            ) AS d(x)
            """) ?? "";
    }

    [GeneratedRegex(@"^\d{2}-\d{4}-\d{4}-\d{4}$")]
    private static partial Regex AbhaFormat();
}
