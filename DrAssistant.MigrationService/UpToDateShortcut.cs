using System.Diagnostics;
using DrAssistant.MigrationService.Cli;
using DrAssistant.MigrationService.Mongo;
using DrAssistant.MigrationService.Postgres;
using DrAssistant.MigrationService.Reporting;
using Npgsql;

namespace DrAssistant.MigrationService;

/// <summary>
/// What the shortcut hands to the full run when it cannot finish: its span, its logging, the time it took and, when it
/// got that far, its connection with the lock held and what of the migrator's own tables it found missing (the full run
/// carries on from there instead of connecting and waiting again). The full run owns them from then on.
/// </summary>
/// <param name="WorkAhead">It saw work to do (so the full run starts generating the SQL at once).</param>
/// <param name="LockBusySince">When it found the lock held by another migrator (a <see cref="Stopwatch"/> timestamp), so
/// the full run reports the whole wait.</param>
public sealed record RunHandover(
    Activity? Activity, ILoggerFactory Loggers, double ElapsedMs, IReadOnlyDictionary<string, double> PhasesMs, bool WorkAhead,
    NpgsqlConnection? Connection = null, AdvisoryLock? Lock = null, List<BookkeepingObject>? MissingBookkeeping = null,
    long? LockBusySince = null);

/// <summary>
/// A <c>migrate</c> that has nothing to do, done before anything else is built: no host, no dependency injection, no
/// FluentMigrator, no telemetry pipeline; one connection, three round trips. It is tried only where the full run would
/// do nothing more either: PostgreSQL alone (no MongoDB to reconcile), no telemetry exporter to feed, no
/// <c>--accept-changes</c>, and <c>Migrator:Shortcut</c> not false.
/// <para>
/// It takes the lock once, without waiting, and in the same round trip checks that the migrator's own tables are all
/// there; then reads the history with the checksums recorded for this build (<see cref="BuildChecksums"/>). When they
/// show every version up to the target applied with an unchanged checksum and nothing applied that the build lacks, it
/// logs and reports "nothing to do" exactly as the full run would. Otherwise it hands over to the full run: with its
/// connection and the lock when it holds them (an own table or this build's checksums missing, a version pending, edited
/// or missing from the build), without them when the lock is busy or anything failed (the full run connects, waits for
/// the lock, and applies, repairs or explains).
/// </para>
/// </summary>
internal static class UpToDateShortcut
{
    private const string LockBusy = "another migrator holds the lock";

    /// <summary>The exit code when the run is complete, otherwise null and what the full run takes over.</summary>
    /// <param name="catalog">Asked to generate the SQL as soon as there is work to do, so it is ready when needed.</param>
    public static async Task<(int? ExitCode, RunHandover? Handover)> RunAsync(
        MigratorCommand command, IConfiguration configuration, MigrationCatalog catalog, TextWriter output, CancellationToken cancellationToken)
    {
        var schema = MigratorConfiguration.SchemaOf(configuration);
        var postgres = configuration.GetConnectionString(ResourceNames.PostgresDatabase);
        if (command.Verb != MigratorVerb.Migrate || command.AcceptChanges
            || (bool.TryParse(configuration[$"{MigratorOptions.SectionName}:{nameof(MigratorOptions.Shortcut)}"], out var enabled) && !enabled)
            || string.IsNullOrWhiteSpace(postgres) || !MigratorOptions.IsValidSchema(schema)
            || !string.IsNullOrWhiteSpace(configuration.GetConnectionString(ResourceNames.MongoDatabase))
            || MigratorConfiguration.ExportsTelemetry(configuration)
            // A deployment's migrator stays up after its work: the host it idles in is built anyway.
            || (bool.TryParse(configuration[Deployment.IdleAfterSuccess.SettingKey], out var idle) && idle))
        {
            return (null, null);
        }

        var clock = Stopwatch.StartNew();
        var activity = Telemetry.Source.StartActivity(command.Verb.ToString().ToLowerInvariant());
        var report = new RunReport { Tool = $"DrAssistant.MigrationService {MigrationRunContext.CurrentToolVersion}", Command = "migrate" };
        report.Postgres.Schema = schema;
        // Logging and this build's identity are made on another core while the main flow connects (all cold code).
        var prepared = Task.Run(() => (
            LoggerFactory.Create(logging => logging.AddMigratorLogging(configuration, command)),
            BuildIdentity.Of(typeof(Postgres.Migrations.DrMigration).Assembly, schema)));
        var attempt = await TryAsync(command, Extensions.ConnectionStringFor(postgres, schema)!, schema, prepared, catalog, report, cancellationToken);
        var loggers = (await prepared).Item1;
        var logger = loggers.CreateLogger<MigratorRunner>();
        if (attempt.Done)
        {
            using var _ = loggers;
            RunLog.UpToDate(logger, report.Postgres.CurrentVersion);
            RunLog.MongoNotConfigured(loggers.CreateLogger<MongoStage>(), ResourceNames.MongoDatabase);
            report.Mongo = MongoReport.NotConfigured();
            report.Status = RunStatus.NothingToDo;
            report.ExitCode = ExitCodes.Success;
            report.DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1);
            if (command.Json)
            {
                await output.WriteLineAsync(report.ToJson());
            }

            activity?.SetTag("exit_code", report.ExitCode);
            activity?.Dispose();
            return (report.ExitCode, null);
        }

        logger.LogDebug("Not up to date at a glance ({Reason}); doing the full run.", attempt.Reason);
        var elapsed = Math.Round(clock.Elapsed.TotalMilliseconds, 1);
        return (null, new RunHandover(activity, loggers, elapsed, new Dictionary<string, double> { ["shortcut"] = elapsed },
            WorkAhead: attempt.Reason != LockBusy, attempt.Connection, attempt.Lock, attempt.Missing, attempt.LockBusySince));
    }

    private sealed record Attempt(
        bool Done, string Reason, NpgsqlConnection? Connection = null, AdvisoryLock? Lock = null, List<BookkeepingObject>? Missing = null,
        long? LockBusySince = null);

    private static async Task<Attempt> TryAsync(
        MigratorCommand command, string connectionString, string schema, Task<(ILoggerFactory, string Build)> prepared,
        MigrationCatalog catalog, RunReport report, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        report.Database = $"{builder.Host}:{builder.Port}/{builder.Database}";
        Activity.Current?.SetTag("db.namespace", builder.Database);
        NpgsqlConnection? connection = null;
        AdvisoryLock? held = null;
        try
        {
            connection = new NpgsqlConnection(connectionString);
            using (report.Phase("connect"))
            {
                await connection.OpenAsync(cancellationToken);
            }

            var bookkeeping = new Bookkeeping(schema);
            List<BookkeepingObject> missing;
            using (report.Phase("lock"))
            {
                // The lock, tried once, and then (so under it) whether the migrator's own tables are all in place.
                await using var batch = new NpgsqlBatch(connection)
                {
                    BatchCommands =
                    {
                        new NpgsqlBatchCommand(AdvisoryLock.TryOnceSql) { Parameters = { new("key", AdvisoryLock.Key) } },
                        bookkeeping.InspectCommand(),
                    },
                };
                await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                if (!reader.GetBoolean(0))
                {
                    await connection.DisposeAsync();
                    return new Attempt(false, LockBusy, LockBusySince: Stopwatch.GetTimestamp());
                }

                held = AdvisoryLock.Taken(connection, reader.GetInt32(1), TimeSpan.Zero);
                await reader.NextResultAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                missing = bookkeeping.MissingFrom(reader);
            }

            if (missing.Count > 0)
            {
                _ = catalog.LoadAsync();
                return new Attempt(false, $"the migrator's own {missing[0].Name} is missing", connection, held, missing);
            }

            SortedDictionary<long, AppliedVersion> applied;
            List<CodeVersion> recorded;
            using (report.Phase("history"))
            {
                (applied, recorded) = await new MigrationHistory(schema).ReadWithChecksumsAsync(
                    connection, new BuildChecksums(schema), (await prepared).Build, cancellationToken);
            }

            var versions = VersionComparison.Compare(recorded, applied);
            if (recorded.Count == 0 || !VersionComparison.NothingToDo(versions, command.To))
            {
                _ = catalog.LoadAsync();
                return new Attempt(false, recorded.Count == 0 ? "this build's checksums are not recorded" : "something is pending, edited or missing",
                    connection, held, missing);
            }

            report.LockWaitMs = 0;
            report.Postgres.CurrentVersion = applied.Count == 0 ? 0 : applied.Keys.Max();
            report.Postgres.LatestVersion = recorded[^1].Version;
            report.Postgres.Checksums = ChecksumSource.Recorded;
            report.Postgres.Versions.AddRange(versions);
            // Closing the session releases the lock (the connection is not pooled): no round trip to unlock first.
            await connection.DisposeAsync();
            return new Attempt(true, "");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Whatever went wrong, the full run meets it again on its own connection and explains it properly.
            if (held is not null)
            {
                await held.DisposeAsync();
            }

            if (connection is not null)
            {
                await connection.DisposeAsync();
            }

            return new Attempt(false, ex.Message);
        }
    }
}
