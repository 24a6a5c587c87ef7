using System.Diagnostics;
using DrAssistant.MigrationService.Cli;
using DrAssistant.MigrationService.Mongo;
using DrAssistant.MigrationService.Postgres;
using DrAssistant.MigrationService.Reporting;
using Npgsql;

namespace DrAssistant.MigrationService;

/// <summary>What the shortcut hands to the full run when it found it could not finish: its span and the time it took.</summary>
/// <param name="WorkAhead">It saw work to do (so the full run starts generating the SQL at once).</param>
public sealed record RunHandover(Activity? Activity, double ElapsedMs, IReadOnlyDictionary<string, double> PhasesMs, bool WorkAhead);

/// <summary>
/// A <c>migrate</c> that has nothing to do, done before anything else is built: no host, no dependency injection, no
/// FluentMigrator, no telemetry pipeline; one connection, three round trips. It is tried only where the full run would
/// do nothing more either: PostgreSQL alone (no MongoDB to reconcile), no telemetry exporter to feed, no
/// <c>--accept-changes</c>.
/// <para>
/// It takes the lock once, without waiting, and in the same round trip checks that the migrator's own tables are all
/// there; then reads the history with the checksums recorded for this build (<see cref="BuildChecksums"/>). When they
/// show every version up to the target applied with an unchanged checksum and nothing applied that the build lacks, it
/// logs and reports "nothing to do" exactly as the full run would. Anything else (the lock busy, an own table or this
/// build's checksums missing, a version pending, edited or missing from the build, any error) lets go of the lock,
/// closes the connection and hands over to the full run, which starts again with its own connection, waits for the lock,
/// and applies, repairs or explains.
/// </para>
/// </summary>
internal static class UpToDateShortcut
{
    /// <summary>The exit code when the run is complete, otherwise null and what the full run takes over.</summary>
    public static async Task<(int? ExitCode, RunHandover? Handover)> RunAsync(
        MigratorCommand command, IConfiguration configuration, TextWriter output, CancellationToken cancellationToken)
    {
        var schema = configuration[$"{MigratorOptions.SectionName}:{nameof(MigratorOptions.Schema)}"] ?? "public";
        var postgres = configuration.GetConnectionString(ResourceNames.PostgresDatabase);
        if (command.Verb != MigratorVerb.Migrate || command.AcceptChanges
            || (bool.TryParse(configuration[$"{MigratorOptions.SectionName}:{nameof(MigratorOptions.Shortcut)}"], out var enabled) && !enabled)
            || string.IsNullOrWhiteSpace(postgres) || !MigratorOptions.IsValidSchema(schema)
            || !string.IsNullOrWhiteSpace(configuration.GetConnectionString(ResourceNames.MongoDatabase))
            || MigratorConfiguration.ExportsTelemetry(configuration))
        {
            return (null, null);
        }

        var clock = Stopwatch.StartNew();
        var activity = Telemetry.Source.StartActivity(command.Verb.ToString().ToLowerInvariant());
        var report = new RunReport { Tool = $"DrAssistant.MigrationService {MigrationRunContext.CurrentToolVersion}", Command = "migrate" };
        report.Postgres.Schema = schema;
        using var loggers = LoggerFactory.Create(logging => logging.AddMigratorLogging(configuration, command));
        var logger = loggers.CreateLogger<MigratorRunner>();
        string reason;
        try
        {
            (var done, reason) = await TryAsync(command, Extensions.ConnectionStringFor(postgres, schema)!, schema, report, logger, cancellationToken);
            if (done)
            {
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
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Whatever went wrong, the full run meets it again and explains it properly.
            reason = ex.Message;
        }

        logger.LogDebug("Not up to date at a glance ({Reason}); doing the full run.", reason);
        return (null, new RunHandover(activity, clock.Elapsed.TotalMilliseconds,
            new Dictionary<string, double> { ["shortcut"] = Math.Round(clock.Elapsed.TotalMilliseconds, 1) },
            WorkAhead: reason != LockBusy));
    }

    private const string LockBusy = "another migrator holds the lock";

    /// <summary>True when nothing is to be done (the report filled in); otherwise false and why.</summary>
    private static async Task<(bool Done, string Reason)> TryAsync(
        MigratorCommand command, string connectionString, string schema, RunReport report, ILogger logger, CancellationToken cancellationToken)
    {
        var build = BuildIdentity.Of(typeof(Postgres.Migrations.DrMigration).Assembly, schema);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        report.Database = $"{builder.Host}:{builder.Port}/{builder.Database}";
        Activity.Current?.SetTag("db.namespace", builder.Database);

        await using var connection = new NpgsqlConnection(connectionString);
        using (report.Phase("connect"))
        {
            await connection.OpenAsync(cancellationToken);
        }

        var bookkeeping = new Bookkeeping(schema);
        AdvisoryLock held;
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
                return (false, LockBusy);
            }

            held = AdvisoryLock.Taken(connection, reader.GetInt32(1), TimeSpan.Zero);
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            if (bookkeeping.MissingFrom(reader) is { Count: > 0 } missing)
            {
                await reader.DisposeAsync();
                await held.DisposeAsync();
                return (false, $"the migrator's own {missing[0].Name} is missing");
            }
        }

        await using (held)
        {
            report.LockWaitMs = 0;
            SortedDictionary<long, AppliedVersion> applied;
            List<CodeVersion> recorded;
            using (report.Phase("history"))
            {
                (applied, recorded) = await new MigrationHistory(schema).ReadWithChecksumsAsync(
                    connection, new BuildChecksums(schema), build, cancellationToken);
            }

            if (recorded.Count == 0)
            {
                return (false, "this build's checksums are not recorded");
            }

            var versions = VersionComparison.Compare(recorded, applied);
            if (!VersionComparison.NothingToDo(versions, command.To))
            {
                return (false, "something is pending, edited or missing");
            }

            report.Postgres.CurrentVersion = applied.Count == 0 ? 0 : applied.Keys.Max();
            report.Postgres.LatestVersion = recorded[^1].Version;
            report.Postgres.Checksums = ChecksumSource.Recorded;
            report.Postgres.Versions.AddRange(versions);
            RunLog.UpToDate(logger, report.Postgres.CurrentVersion);
        }

        return (true, "");
    }
}
