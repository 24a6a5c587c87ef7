using DrAssistant.Api.Users;
using DrAssistant.Seeder.Clinic;
using DrAssistant.Seeder.Storage;
using Npgsql;

namespace DrAssistant.Seeder.Demo;

/// <summary>
/// Writes the demo clinic. PostgreSQL first, in one transaction under an advisory lock, so the demo is either all there
/// or not at all, and two seeders started together do not both write it. Then the notes, when MongoDB is configured.
/// Running it again changes nothing: when every demo login of this seed is already there, the PostgreSQL part is done;
/// otherwise every row is inserted with ON CONFLICT (id) DO NOTHING, and ids come from the seed.
/// </summary>
internal sealed class DemoSeeder(
    SeederConnections connections,
    ClinicCalendar calendar,
    TimeProvider time,
    DemoNotes notes,
    ILogger<DemoSeeder> logger)
{
    /// <summary>Any fixed number: the key of the advisory lock held while the demo is written.</summary>
    private const long LockKey = 0x44_65_6D_6F_53_65_65_64; // "DemoSeed"

    public async Task<int> RunAsync(int seed, SeedReport report, CancellationToken cancellationToken)
    {
        report.Seed = seed;
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
            if (present.Refusal is { } refusal)
            {
                report.Status = "refused";
                report.Error = refusal;
                logger.LogError("{Refusal}", refusal);
                return Cli.ExitCodes.Failure;
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
