using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using DrAssistant.Shared.Accounts;
using DrAssistant.Seeder.Cli;
using DrAssistant.Seeder.Clinic;
using DrAssistant.Seeder.Demo;
using DrAssistant.Seeder.Storage;
using Npgsql;

namespace DrAssistant.Seeder.Generate;

/// <summary>
/// Fills PostgreSQL with a large clinic by binary COPY: staff, then patients in batches, then doctor by doctor their
/// appointments with the encounters, prescriptions, orders, tasks and alerts that follow, about <c>--batch</c>
/// appointments per transaction. The next chunk is generated on another thread while the current one is copied.
/// Every row must pass the schema's constraints and foreign keys (they stay on); nothing is disabled to go faster.
/// </summary>
internal sealed class Generator(SeederConnections connections, ClinicCalendar calendar, TimeProvider time, ILogger<Generator> logger)
{
    public async Task<int> RunAsync(SeederCommand command, SeedReport report, TextWriter output, CancellationToken cancellationToken)
    {
        report.Seed = command.Seed;
        var database = connections.RequirePostgres();
        var now = time.GetUtcNow();
        var plan = GeneratePlan.For(command.Patients, command.AppointmentsPerPatient, command.Doctors, calendar.Today(now));
        if (plan.Infeasibility() is { } infeasible)
        {
            report.Status = "refused";
            report.Error = infeasible;
            logger.LogError("{Error}", infeasible);
            return ExitCodes.BadArguments;
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        if (!command.Force && await ExistingDataAsync(connection, cancellationToken) is { } existing)
        {
            report.Status = "refused";
            report.Error = $"The database already has {existing} (demo or generated data). generate writes only into a database " +
                           "without users or patients; pass --force to add to this one.";
            logger.LogError("{Error}", report.Error);
            return ExitCodes.Failure;
        }

        logger.LogInformation(
            "Generating {Patients:N0} patients, {Appointments:N0} appointments over {Days} clinic days ({First:yyyy-MM-dd} to {Last:yyyy-MM-dd}), {Doctors} doctors, {Staff} staff in all.",
            plan.Patients, plan.Appointments, plan.ClinicDays.Length, plan.ClinicDays.FirstOrDefault(), plan.ClinicDays.LastOrDefault(),
            plan.Doctors, plan.Staff);

        // The run number goes into unique columns, so a --force run never collides with an earlier one.
        var factory = new RowFactory(plan, calendar, now.UtcDateTime, command.Seed, Random.Shared.Next(100_000, 1_000_000));
        var timings = ClinicTables.Names.ToDictionary(name => name, name => new TableTiming { Table = name }, StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();

        // Every generated login shares one hash of the demo password: PBKDF2 per user would cost more than the COPY.
        Copy(connection, ClinicTables.Users, factory.Staff(Passwords.Hash(DemoStaff.Password)), timings, cancellationToken);

        var patientIds = new Guid[plan.Patients];
        for (var from = 0; from < plan.Patients; from += command.Batch)
        {
            var batch = factory.Patients(from, Math.Min(command.Batch, plan.Patients - from), patientIds);
            Copy(connection, ClinicTables.Patients, batch, timings, cancellationToken);
        }

        await CopyChunksAsync(database, factory, plan, patientIds, command.Batch, command.Parallel, timings, cancellationToken);
        clock.Stop();

        var analyze = Stopwatch.StartNew();
        await using (var statistics = new NpgsqlCommand($"ANALYZE {string.Join(", ", ClinicTables.Names)}", connection))
        {
            statistics.CommandTimeout = 0;
            await statistics.ExecuteNonQueryAsync(cancellationToken);
        }

        report.Status = "generated";
        report.Tables = [.. ClinicTables.Names.Select(name => timings[name])];
        report.TotalRows = report.Tables.Sum(t => t.Rows);
        report.Seconds = Math.Round(clock.Elapsed.TotalSeconds, 2);
        report.RowsPerSecond = Math.Round(report.TotalRows.Value / clock.Elapsed.TotalSeconds);
        report.AnalyzeSeconds = Math.Round(analyze.Elapsed.TotalSeconds, 2);
        foreach (var table in report.Tables)
        {
            table.Seconds = Math.Round(table.Seconds, 3);
        }

        logger.LogInformation("Generated {Rows:N0} rows in {Seconds:N1} s: {RowsPerSecond:N0} rows/s.", report.TotalRows, report.Seconds, report.RowsPerSecond);
        await PrintAsync(output, report);
        return ExitCodes.Success;
    }

    /// <summary>
    /// Appointments and what follows them, in chunks: one thread generates (doctor by doctor, so a doctor's day is
    /// planned as a whole and never double-booked) while <paramref name="writers"/> connections copy the chunks, each
    /// chunk in its own transaction. The server's work (foreign-key checks, index updates) is most of the cost, and
    /// one connection is one server process, so a second writer uses a second core.
    /// </summary>
    private async Task CopyChunksAsync(
        NpgsqlDataSource database, RowFactory factory, GeneratePlan plan, Guid[] patientIds, int batch, int writers,
        Dictionary<string, TableTiming> timings, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var chunks = Channel.CreateBounded<ClinicRows>(new BoundedChannelOptions(writers) { SingleWriter = true });
        long written = 0;

        var producer = Task.Run(async () =>
        {
            try
            {
                var order = factory.AppointmentPatients();
                var rows = new ClinicRows();
                long offset = 0;
                for (var doctor = 0; doctor < plan.Doctors; doctor++)
                {
                    var count = (int)((plan.Appointments / plan.Doctors) + (doctor < plan.Appointments % plan.Doctors ? 1 : 0));
                    factory.Doctor(doctor, count, order.AsSpan((int)offset, count), patientIds, rows);
                    offset += count;
                    if (rows.Appointments.Count >= batch || doctor == plan.Doctors - 1)
                    {
                        await chunks.Writer.WriteAsync(rows, stop.Token);
                        rows = new ClinicRows();
                    }
                }
            }
            finally
            {
                chunks.Writer.Complete();
            }
        }, stop.Token);

        async Task WriteAsync()
        {
            try
            {
                await using var connection = await database.OpenConnectionAsync(stop.Token);
                await foreach (var rows in chunks.Reader.ReadAllAsync(stop.Token))
                {
                    await using (var transaction = await connection.BeginTransactionAsync(stop.Token))
                    {
                        Copy(connection, ClinicTables.Appointments, rows.Appointments, timings, stop.Token);
                        Copy(connection, ClinicTables.Encounters, rows.Encounters, timings, stop.Token);
                        Copy(connection, ClinicTables.Prescriptions, rows.Prescriptions, timings, stop.Token);
                        Copy(connection, ClinicTables.PrescriptionItems, rows.PrescriptionItems, timings, stop.Token);
                        Copy(connection, ClinicTables.Orders, rows.Orders, timings, stop.Token);
                        Copy(connection, ClinicTables.OrderItems, rows.OrderItems, timings, stop.Token);
                        Copy(connection, ClinicTables.Tasks, rows.Tasks, timings, stop.Token);
                        Copy(connection, ClinicTables.Alerts, rows.Alerts, timings, stop.Token);
                        await transaction.CommitAsync(stop.Token);
                    }

                    var total = Interlocked.Add(ref written, rows.Appointments.Count);
                    logger.LogInformation("{Written:N0} of {Total:N0} appointments written, with their encounters and the rest.", total, plan.Appointments);
                }
            }
            catch
            {
                // One writer failing stops the others and the producer; its exception is the one reported.
                await stop.CancelAsync();
                throw;
            }
        }

        await Task.WhenAll([producer, .. Enumerable.Range(0, writers).Select(_ => Task.Run(WriteAsync, stop.Token))]);
    }

    private static void Copy<TRow>(
        NpgsqlConnection connection, Table<TRow> table, List<TRow> rows, Dictionary<string, TableTiming> timings, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var copied = table.Copy(connection, rows, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var timing = timings[table.Name];
        lock (timing)
        {
            timing.Rows += copied;
            timing.Seconds += elapsed;
        }
    }

    /// <summary>What is already there, in words, or null for a database without users and patients.</summary>
    private static async Task<string?> ExistingDataAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM (SELECT 1 FROM users LIMIT 1000) AS u),
                   (SELECT count(*) FROM (SELECT 1 FROM patients LIMIT 1000) AS p)
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (users, patients) = (reader.GetInt64(0), reader.GetInt64(1));
        return users + patients == 0
            ? null
            : $"{(users >= 1000 ? "1000 or more" : users.ToString(CultureInfo.InvariantCulture))} users and " +
              $"{(patients >= 1000 ? "1000 or more" : patients.ToString(CultureInfo.InvariantCulture))} patients";
    }

    private static async Task PrintAsync(TextWriter output, SeedReport report)
    {
        var culture = CultureInfo.InvariantCulture;
        await output.WriteLineAsync(string.Create(culture, $"{"table",-20} {"rows",12} {"seconds",9} {"rows/s",10}"));
        foreach (var table in report.Tables!)
        {
            await output.WriteLineAsync(string.Create(culture, $"{table.Table,-20} {table.Rows,12:N0} {table.Seconds,9:N2} {table.RowsPerSecond,10:N0}"));
        }

        await output.WriteLineAsync(string.Create(culture, $"{"total",-20} {report.TotalRows,12:N0} {report.Seconds,9:N2} {report.RowsPerSecond,10:N0}"));
        await output.WriteLineAsync(string.Create(culture, $"(wall clock from the first row to the last commit; ANALYZE afterwards took {report.AnalyzeSeconds:N2} s)"));
    }
}
