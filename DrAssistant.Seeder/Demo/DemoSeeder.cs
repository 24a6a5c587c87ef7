using DrAssistant.Shared.Accounts;
using DrAssistant.Seeder.Clinic;
using DrAssistant.Seeder.Storage;
using Npgsql;

namespace DrAssistant.Seeder.Demo;

/// <summary>
/// Writes the demo clinic. PostgreSQL first, in one transaction under an advisory lock, so the demo is either all there
/// or not at all, and two seeders started together do not both write it. Then the notes, when MongoDB is configured.
/// Running it again changes nothing: when every demo login of this seed is already there, the PostgreSQL part is done;
/// otherwise every row is inserted with ON CONFLICT (id) DO NOTHING, and ids come from the seed.
/// <para>
/// It never touches a real clinic: it refuses (exit 1, nothing written) any environment but Development unless told
/// otherwise, and any database holding a user or patient it did not create, whatever the environment.
/// </para>
/// </summary>
internal sealed class DemoSeeder(
    SeederConnections connections,
    ClinicCalendar calendar,
    TimeProvider time,
    DemoNotes notes,
    IHostEnvironment environment,
    ILogger<DemoSeeder> logger)
{
    /// <summary>Any fixed number: the key of the advisory lock held while the demo is written.</summary>
    private const long LockKey = 0x44_65_6D_6F_53_65_65_64; // "DemoSeed"

    public async Task<int> RunAsync(int seed, bool allowOutsideDevelopment, SeedReport report, CancellationToken cancellationToken)
    {
        report.Seed = seed;
        if (!environment.IsDevelopment() && !allowOutsideDevelopment)
        {
            return Refuse(report,
                $"demo writes logins whose password is published, so it runs only in Development, and this is '{environment.EnvironmentName}'. " +
                "Set DOTNET_ENVIRONMENT=Development for a development database, or pass --allow-outside-development for a throwaway one. " +
                "Nothing was written.");
        }

        var database = connections.RequirePostgres();
        var today = calendar.Today(time.GetUtcNow());

        await using (var connection = await database.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
            {
                command.Parameters.AddWithValue("key", LockKey);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            var present = await DemoLoginsAsync(connection, transaction, seed, cancellationToken);
            if ((present.Refusal ?? await ForeignRowsAsync(connection, transaction, seed, cancellationToken)) is { } refusal)
            {
                return Refuse(report, refusal);
            }

            if (present.All)
            {
                report.Status = "already-seeded";
                report.Inserted = ClinicTables.Names.ToDictionary(name => name, _ => 0L);
                logger.LogInformation("The demo clinic of seed {Seed} is already in PostgreSQL; nothing to write.", seed);
            }
            else
            {
                var rows = DemoClinic.Build(seed, today, calendar, Passwords.Hash);
                report.Inserted = await InsertAsync(connection, transaction, rows, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                report.Status = "seeded";
                logger.LogInformation(
                    "Demo clinic of seed {Seed} written for the week around {Today}: {Rows}. Log in as dr.rao (or any demo user) with the demo password.",
                    seed, today.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), string.Join(", ", report.Inserted.Select(pair => $"{pair.Value} {pair.Key}")));
            }
        }

        report.Notes = await notes.WriteAsync(seed, today, cancellationToken);
        return Cli.ExitCodes.Success;
    }

    private static async Task<Dictionary<string, long>> InsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, ClinicRows rows, CancellationToken cancellationToken)
    {
        return new Dictionary<string, long>
        {
            [ClinicTables.Users.Name] = await ClinicTables.Users.InsertMissingAsync(connection, transaction, rows.Users, cancellationToken),
            [ClinicTables.Patients.Name] = await ClinicTables.Patients.InsertMissingAsync(connection, transaction, rows.Patients, cancellationToken),
            [ClinicTables.Appointments.Name] = await ClinicTables.Appointments.InsertMissingAsync(connection, transaction, rows.Appointments, cancellationToken),
            [ClinicTables.Encounters.Name] = await ClinicTables.Encounters.InsertMissingAsync(connection, transaction, rows.Encounters, cancellationToken),
            [ClinicTables.Prescriptions.Name] = await ClinicTables.Prescriptions.InsertMissingAsync(connection, transaction, rows.Prescriptions, cancellationToken),
            [ClinicTables.PrescriptionItems.Name] = await ClinicTables.PrescriptionItems.InsertMissingAsync(connection, transaction, rows.PrescriptionItems, cancellationToken),
            [ClinicTables.Orders.Name] = await ClinicTables.Orders.InsertMissingAsync(connection, transaction, rows.Orders, cancellationToken),
            [ClinicTables.OrderItems.Name] = await ClinicTables.OrderItems.InsertMissingAsync(connection, transaction, rows.OrderItems, cancellationToken),
            [ClinicTables.Tasks.Name] = await ClinicTables.Tasks.InsertMissingAsync(connection, transaction, rows.Tasks, cancellationToken),
            [ClinicTables.Alerts.Name] = await ClinicTables.Alerts.InsertMissingAsync(connection, transaction, rows.Alerts, cancellationToken),
        };
    }

    private int Refuse(SeedReport report, string refusal)
    {
        report.Status = "refused";
        report.Error = refusal;
        logger.LogError("{Refusal}", refusal);
        return Cli.ExitCodes.Failure;
    }

    /// <summary>
    /// Why this database is not the demo's to write, or null: any user or patient this seed did not create means
    /// someone else's data (a real clinic's, or a developer's own), into which demo logins must never go.
    /// </summary>
    private static async Task<string?> ForeignRowsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int seed, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT 'user' AS kind, username AS name FROM (SELECT username FROM users WHERE id <> ALL(@users) ORDER BY username LIMIT 3) u
            UNION ALL SELECT 'users', (SELECT count(*) FROM users WHERE id <> ALL(@users))::text
            UNION ALL SELECT 'patients', (SELECT count(*) FROM patients WHERE id <> ALL(@patients))::text
            """, connection, transaction);
        command.Parameters.AddWithValue("users", DemoStaff.Usernames.Select(name => DemoClinic.UserId(seed, name)).ToArray());
        command.Parameters.AddWithValue("patients", Enumerable.Range(0, DemoClinic.PatientCount).Select(i => DemoClinic.PatientId(seed, i)).ToArray());
        var examples = new List<string>();
        long users = 0, patients = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                switch (reader.GetString(0))
                {
                    case "user": examples.Add(reader.GetString(1)); break;
                    case "users": users = long.Parse(reader.GetString(1), System.Globalization.CultureInfo.InvariantCulture); break;
                    default: patients = long.Parse(reader.GetString(1), System.Globalization.CultureInfo.InvariantCulture); break;
                }
            }
        }

        if (users == 0 && patients == 0)
        {
            return null;
        }

        var what = string.Join(" and ", new[]
        {
            users > 0 ? $"{users} user(s) the demo did not create (e.g. {string.Join(", ", examples.Select(e => $"'{e}'"))})" : null,
            patients > 0 ? $"{patients} patient(s) the demo did not create" : null,
        }.OfType<string>());
        return $"This database holds {what}: demo writes logins with a published password and fake patients, so it only writes " +
            "into a database of its own (empty, or holding this seed's demo). Nothing was written. Use a fresh database for the demo.";
    }

    private sealed record Presence(bool All, string? Refusal);

    /// <summary>
    /// Whether this seed's demo logins are there. A demo login with another id means another seed's demo (or a user
    /// made by hand with that name): writing this seed too would mix two clinics, so the run is refused.
    /// </summary>
    private static async Task<Presence> DemoLoginsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int seed, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT username, id FROM users WHERE username = ANY(@usernames)
            """, connection, transaction);
        command.Parameters.AddWithValue("usernames", DemoStaff.Usernames.ToArray());
        var found = new Dictionary<string, Guid>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                found[reader.GetString(0)] = reader.GetGuid(1);
            }
        }

        var foreign = found.Where(pair => pair.Value != DemoClinic.UserId(seed, pair.Key)).Select(pair => pair.Key).Order(StringComparer.Ordinal).ToList();
        if (foreign.Count > 0)
        {
            return new Presence(false,
                $"The demo login(s) {string.Join(", ", foreign)} already exist, but not from seed {seed}: this database holds another " +
                "seed's demo (or users made by hand with those names). Seed it with the same --seed, or use a fresh database.");
        }

        return new Presence(found.Count == DemoStaff.Members.Length, null);
    }
}
