using Dapper;
using DrAssistant.Testing;
using Npgsql;

namespace DrAssistant.MigrationService.Tests.Postgres;

/// <summary>
/// Schema version 4 on databases that already hold data: rows that break a new rule stop it, named, with nothing
/// changed; a refused extension says what to do; Down takes back everything but the extension.
/// </summary>
public sealed class Version4Tests
{
    [Fact]
    public async Task RowsThatBreakTheNewRulesStopVersion4WhichNamesThemAndChangesNothing()
    {
        await using var database = await MigratedToThreeAsync();
        await using var db = new NpgsqlConnection(database.ConnectionString);
        var (doctor, patient) = (await UserAsync(db, "dr.mehta"), await PatientAsync(db));
        var kept = await AppointmentAsync(db, doctor, patient, "09:00", "09:30");
        var overlapping = await AppointmentAsync(db, doctor, patient, "09:15", "09:45");
        await AppointmentAsync(db, doctor, patient, "09:45", "10:00"); // back to back: fine
        await AppointmentAsync(db, doctor, patient, "09:00", "10:00", status: "cancelled"); // released: fine
        var (rao, raoAgain) = (await UserAsync(db, "Dr.Rao"), await UserAsync(db, "dr.rao"));
        var before = await db.ExecuteScalarAsync<long>("SELECT (SELECT count(*) FROM appointments) * 1000 + (SELECT count(*) FROM users)");

        var result = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");
        var error = result.Json.GetProperty("error").GetString()!;

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no_overlapping_appointments", error, StringComparison.Ordinal);
        Assert.Contains($"{overlapping} overlaps {kept}", error, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", error, StringComparison.Ordinal);
        Assert.Equal([1L, 2L, 3L], await AppliedVersionsAsync(db));
        Assert.Equal(before, await db.ExecuteScalarAsync<long>("SELECT (SELECT count(*) FROM appointments) * 1000 + (SELECT count(*) FROM users)"));
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM pg_constraint WHERE contype = 'x'"));
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM pg_extension WHERE extname = 'btree_gist'"));

        // The operator moves the overlapping appointment; the logins come next.
        await db.ExecuteAsync("UPDATE appointments SET status = 'cancelled' WHERE id = @overlapping", new { overlapping });
        var second = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");
        var secondError = second.Json.GetProperty("error").GetString()!;

        Assert.Equal(1, second.ExitCode);
        Assert.Contains("idx_users_username_ci", secondError, StringComparison.Ordinal);
        Assert.Contains($"{rao} and {raoAgain}", secondError, StringComparison.Ordinal);
        Assert.DoesNotContain("Dr.Rao", secondError, StringComparison.Ordinal);

        await db.ExecuteAsync("UPDATE users SET username = 'dr.rao2', email = 'dr.rao2@clinic.example' WHERE id = @raoAgain", new { raoAgain });
        Assert.Equal(0, (await Migrator.RunAsync(database.ConnectionString, "migrate")).ExitCode);
        Assert.Equal(Db.AllVersions, await AppliedVersionsAsync(db));
    }

    [Fact]
    public async Task MoreThanTwentyOffendersAreCountedAndTheFirstTwentyNamed()
    {
        await using var database = await MigratedToThreeAsync();
        await using var db = new NpgsqlConnection(database.ConnectionString);
        var patient = await PatientAsync(db);
        for (var i = 0; i < 25; i++)
        {
            var doctor = await UserAsync(db, $"dr.{i}");
            await AppointmentAsync(db, doctor, patient, "09:00", "09:30");
            await AppointmentAsync(db, doctor, patient, "09:10", "09:20");
        }

        var result = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");
        var error = result.Json.GetProperty("error").GetString()!;

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("25 live appointment(s) overlap", error, StringComparison.Ordinal);
        Assert.Equal(20, error.Split(" overlaps ").Length - 1);
    }

    [Fact]
    public async Task WhenCreatingBtreeGistIsRefusedTheMigratorSaysWhatToDo()
    {
        await using var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        var role = $"clerk_{Guid.NewGuid():N}"[..20];
        await using (var admin = new NpgsqlConnection(database.Server.AdminConnectionString))
        {
            await admin.ExecuteAsync($"CREATE ROLE {role} LOGIN");
        }

        // May create tables in public, but not extensions: that needs CREATE on the database (or its ownership).
        await using (var owner = new NpgsqlConnection(database.ConnectionString))
        {
            await owner.ExecuteAsync($"GRANT CONNECT ON DATABASE {database.Name} TO {role}; GRANT USAGE, CREATE ON SCHEMA public TO {role}");
        }

        var result = await Migrator.RunProcessAsync(database.Server.ConnectionStringFor(database.Name, role, password: null), ["migrate"]);
        var said = result.Output + result.Errors;

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("btree_gist", said, StringComparison.Ordinal);
        Assert.Contains("CREATE EXTENSION btree_gist", said, StringComparison.Ordinal);
        Assert.Contains("allow-list", said, StringComparison.Ordinal);
        Assert.Contains("permission denied", said, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", said, StringComparison.Ordinal);
        await using var db = new NpgsqlConnection(database.ConnectionString);
        Assert.Equal([1L, 2L, 3L], await AppliedVersionsAsync(db));

        // Once an administrator has created it, the same role completes the migration.
        await db.ExecuteAsync("CREATE EXTENSION btree_gist");
        var retried = await Migrator.RunProcessAsync(database.Server.ConnectionStringFor(database.Name, role, password: null), ["migrate"]);
        Assert.Equal(0, retried.ExitCode);
        Assert.Equal(Db.AllVersions, await AppliedVersionsAsync(db));
    }

    [Fact]
    public async Task DownDropsTheConstraintTheIndexesAndTheColumnButKeepsTheExtension()
    {
        await using var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        Assert.Equal(0, (await Migrator.RunAsync(database.ConnectionString, "migrate")).ExitCode);
        await using var db = new NpgsqlConnection(database.ConnectionString);

        var down = await Migrator.RunAsync(database.ConnectionString, "rollback", "--to", "3");

        Assert.Equal(0, down.ExitCode);
        Assert.Equal([1L, 2L, 3L], await AppliedVersionsAsync(db));
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM pg_constraint WHERE conname = 'no_overlapping_appointments'"));
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'idx_users_%_ci'"));
        Assert.Equal(0, await db.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'alerts' AND column_name = 'created_by'"));
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM pg_extension WHERE extname = 'btree_gist'"));
        Assert.Equal(0, (await Migrator.RunAsync(database.ConnectionString, "migrate")).ExitCode);
    }

    private static async Task<TestDatabase> MigratedToThreeAsync()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        Assert.Equal(0, (await Migrator.RunAsync(database.ConnectionString, "migrate", "--to", "3")).ExitCode);
        return database;
    }

    private static Task<Guid> UserAsync(NpgsqlConnection db, string username) =>
        db.ExecuteScalarAsync<Guid>("""
            INSERT INTO users (username, email, full_name, role, password_hash)
            VALUES (@username, @username || '@clinic.example', 'Dr. Test', 'doctor', 'x') RETURNING id
            """, new { username });

    private static Task<Guid> PatientAsync(NpgsqlConnection db) =>
        db.ExecuteScalarAsync<Guid>(
            "INSERT INTO patients (first_name, last_name, date_of_birth, gender) VALUES ('Asha', 'Rao', '1980-04-02', 'female') RETURNING id");

    private static Task<Guid> AppointmentAsync(NpgsqlConnection db, Guid doctor, Guid patient, string from, string to, string status = "scheduled") =>
        db.ExecuteScalarAsync<Guid>("""
            INSERT INTO appointments (doctor_id, patient_id, start_time, end_time, status, appointment_type)
            VALUES (@doctor, @patient, ('2026-11-25 ' || @from || 'Z')::timestamptz, ('2026-11-25 ' || @to || 'Z')::timestamptz, @status, 'routine')
            RETURNING id
            """, new { doctor, patient, from, to, status });

    private static async Task<List<long>> AppliedVersionsAsync(NpgsqlConnection db) =>
        (await db.QueryAsync<long>("SELECT version FROM schema_version ORDER BY version")).ToList();
}
