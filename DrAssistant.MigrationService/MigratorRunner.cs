using Microsoft.Extensions.Options;
using System.Diagnostics;
using DrAssistant.MigrationService.Cli;
using DrAssistant.MigrationService.Mongo;
using DrAssistant.MigrationService.Postgres;
using DrAssistant.MigrationService.Reporting;
using Npgsql;

namespace DrAssistant.MigrationService;

/// <summary>
/// Runs one command. Order of a <c>migrate</c>: open a connection (retrying transient failures), take the advisory lock
/// on it, put the migrator's own tables in place, read the history with the checksums recorded for this build, validate,
/// apply each pending version in its own transaction on that same connection (checking the lock before each), reconcile
/// MongoDB (still under the lock), then report. The migrations' SQL is generated with FluentMigrator only when needed:
/// a build whose checksums are recorded (<see cref="BuildChecksums"/>) and that finds nothing to do never generates it.
/// Expected failures become exit codes with a clear message, never a stack trace.
/// </summary>
public sealed class MigratorRunner(
    MigrationCatalog catalog,
    PostgresMigrator migrator,
    MigrationRunContext context,
    MongoStage mongo,
    IOptions<MigratorOptions> options,
    ILogger<MigratorRunner> logger)
{
    private readonly MigrationHistory _history = new(context.Schema);
    private readonly Bookkeeping _bookkeeping = new(context.Schema);
    private readonly BuildChecksums _checksums = new(context.Schema);
    private RunReport? _report;

    /// <param name="handover">What the up-to-date shortcut did before the host was built, when it found work to do.</param>
    public async Task<int> RunAsync(MigratorCommand command, TextWriter output, RunHandover? handover, CancellationToken cancellationToken)
    {
        var report = _report = new RunReport
        {
            Tool = $"DrAssistant.MigrationService {context.ToolVersion}",
            Command = command.Verb.ToString().ToLowerInvariant(),
        };
        report.Postgres.Schema = context.Schema;
        foreach (var (phase, ms) in handover?.PhasesMs ?? new Dictionary<string, double>())
        {
            report.PhasesMs[phase] = ms;
        }

        var clock = Stopwatch.StartNew();
        // The shortcut's span is the run's span, so the versions' spans hang under one root.
        using var own = handover?.Activity is null ? Telemetry.Source.StartActivity(report.Command) : null;
        var activity = handover?.Activity ?? own;

        // Generating the migrations' SQL needs no database: when it will be needed, it runs while we connect and wait
        // for the lock. A migrate that may well have nothing to do waits to see whether this build's checksums are recorded.
        if (command.Verb != MigratorVerb.Migrate || command.AcceptChanges || handover?.WorkAhead == true)
        {
            _ = LoadCatalog();
        }

        try
        {
            report.ExitCode = command.Verb switch
            {
                MigratorVerb.Script => await ScriptAsync(command, output, cancellationToken),
                MigratorVerb.Info or MigratorVerb.Check => await InfoAsync(command, report, output, cancellationToken),
                MigratorVerb.Migrate or MigratorVerb.Rollback => await UnderLockAsync(command, handover, report, cancellationToken),
                _ => ExitCodes.BadArguments,
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            report.Error = Explain(ex);
            report.Status = ex is LockLostException ? RunStatus.LockLost : RunStatus.Failed;
            report.ExitCode = ExitCodes.Failure;
            logger.LogError("{Command} failed: {Error}", report.Command, report.Error);
            logger.LogDebug(ex, "Failure details");
            activity?.SetStatus(ActivityStatusCode.Error, report.Error);
        }

        report.DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds + (handover?.ElapsedMs ?? 0), 1);
        if (command.Json && command.Verb != MigratorVerb.Script)
        {
            await output.WriteLineAsync(report.ToJson());
        }

        activity?.SetTag("exit_code", report.ExitCode);
        return report.ExitCode;
    }

    /// <summary>Generates the migrations' SQL in the background (once), and reports how long that took.</summary>
    private async Task LoadCatalog()
    {
        await catalog.LoadAsync();
        _report!.PhasesMs["catalog"] = catalog.GenerationMs ?? 0;
    }

    private async Task<int> UnderLockAsync(MigratorCommand command, RunHandover? handover, RunReport report, CancellationToken cancellationToken)
    {
        // One session for everything: the lock, the migrator's own tables, the history and the versions. If the session
        // is terminated or cut, the running version's transaction goes with the lock, so it cannot commit beside the
        // peer that takes the lock next. The connection is not pooled: closing it ends the session and the lock.
        // The shortcut may have got as far as holding the lock: then the run carries on with its connection.
        NpgsqlConnection connection;
        if (handover?.Connection is { } handed)
        {
            connection = handed;
        }
        else
        {
            using (report.Phase("connect"))
            {
                connection = await OpenAsync(report, cancellationToken);
            }
        }

        await using (connection)
        {
            AdvisoryLock? held = handover?.Lock;
            if (held is null)
            {
                using (report.Phase("lock"))
                using (Telemetry.Source.StartActivity("wait for migration lock"))
                {
                    held = await AdvisoryLock.AcquireAsync(
                        connection, options.Value.LockTimeout, options.Value.LockPollInterval, logger, cancellationToken);
                }

                if (held is null)
                {
                    report.Status = RunStatus.LockTimeout;
                    report.Error = $"Another migrator held the lock for longer than {options.Value.LockTimeout}.";
                    return ExitCodes.LockTimeout;
                }
            }

            await using (held)
            {
                // Waiting began when the shortcut found the lock busy, if it did.
                var waited = handover?.LockBusySince is { } since ? Stopwatch.GetElapsedTime(since) : held.Waited;
                report.LockWaitMs = Math.Round(waited.TotalMilliseconds, 1);
                var step = new RunStep();
                try
                {
                    return await LockedAsync(command, connection, held, handover?.MissingBookkeeping, step, report, cancellationToken);
                }
                catch (Exception ex) when (ex is not LockLostException and not OperationCanceledException)
                {
                    // A failure under the lock may be the lock's own loss (its session terminated): say so.
                    if (await held.ProblemAsync(CancellationToken.None) is { } problem)
                    {
                        throw new LockLostException(step.Moment, problem, ex);
                    }

                    throw;
                }
            }
        }
    }

    /// <summary>What a <c>migrate</c> or <c>rollback</c> does once the lock is held.</summary>
    /// <param name="missing">What of the migrator's own tables the shortcut found missing, under this same lock.</param>
    private async Task<int> LockedAsync(
        MigratorCommand command, NpgsqlConnection connection, AdvisoryLock held, List<BookkeepingObject>? missing, RunStep step,
        RunReport report, CancellationToken cancellationToken)
    {
        // The migrator's own tables, in place (or repaired) before anything reads or writes them, on every run.
        step.Moment = "while putting the migrator's own tables in place";
        IReadOnlyList<string> created;
        using (report.Phase("bookkeeping"))
        {
            created = await _bookkeeping.EnsureAsync(connection, missing, cancellationToken);
            RecordBookkeeping(created, report);
        }

        SortedDictionary<long, AppliedVersion> applied = [];
        List<CodeVersion> recorded = [];
        // A version table made just now (or its schema) lists nothing: a new database has nothing to read.
        if (!created.Contains($"table {VersionTable.Name}") && !created.Contains($"schema {context.Schema}"))
        {
            step.Moment = "while reading the history";
            using (report.Phase("history"))
            {
                (applied, recorded) = await _history.ReadWithChecksumsAsync(connection, _checksums, context.Build, cancellationToken);
            }
        }

        // This build's recorded checksums may confirm that there is nothing to do; anything else is decided on the SQL
        // generated now, so every pending, edited, missing or accepted version is judged on the SQL itself.
        Dictionary<long, VersionReport>? versions = null;
        if (command.Verb == MigratorVerb.Migrate && !command.AcceptChanges && recorded.Count > 0)
        {
            var candidate = VersionComparison.Compare(recorded, applied);
            if (VersionComparison.NothingToDo(candidate, command.To))
            {
                versions = Report(candidate, applied, report);
                report.Postgres.Checksums = ChecksumSource.Recorded;
            }
        }

        if (versions is null)
        {
            await LoadCatalog();
            versions = Report(VersionComparison.Compare(catalog.Versions, applied), applied, report);
            report.Postgres.Checksums = ChecksumSource.Generated;
        }

        int validation;
        step.Moment = "while validating the history";
        using (report.Phase("validate"))
        {
            validation = await ValidateAsync(command, connection, applied, versions, report, cancellationToken);
        }

        if (validation != ExitCodes.Success)
        {
            return validation;
        }

        if (report.Postgres.Checksums == ChecksumSource.Generated && !catalog.Versions.SequenceEqual(recorded))
        {
            // The build's checksums, for its next runs: only from SQL just generated, and only once it validated.
            step.Moment = "while recording this build's checksums";
            await _checksums.RecordAsync(connection, context.Build, catalog.Versions, context.ToolVersion, cancellationToken);
        }

        int exitCode;
        if (command.Verb == MigratorVerb.Rollback)
        {
            // MongoDB has no Down: its steps only ever add, so a rollback leaves it as it is.
            exitCode = await RollbackAsync(command.To!.Value, connection, held, step, applied, versions, report, cancellationToken);
            return Done(exitCode, report);
        }

        using (report.Phase("apply"))
        {
            exitCode = await MigrateAsync(command.To, connection, held, step, applied, versions, report, cancellationToken);
        }

        if (exitCode != ExitCodes.Success)
        {
            return exitCode;
        }

        // MongoDB last, under this same lock: the whole run is one critical section.
        step.Moment = "before MongoDB";
        await held.EnsureHeldAsync(step.Moment, cancellationToken);
        step.Moment = "while reconciling MongoDB";
        using (report.Phase("mongo"))
        {
            return Done(await mongo.MigrateAsync(command, report, cancellationToken), report);
        }
    }

    /// <summary>A run that only put the migrator's own objects back still did something.</summary>
    private static int Done(int exitCode, RunReport report)
    {
        if (exitCode == ExitCodes.Success && report.Status == RunStatus.NothingToDo && report.Postgres.Bookkeeping.Count > 0)
        {
            report.Status = RunStatus.Success;
        }

        return exitCode;
    }

    private void RecordBookkeeping(IReadOnlyList<string> created, RunReport report)
    {
        if (created.Count == 0)
        {
            return;
        }

        // A database the migrator never touched gets its tables; anything else missing was left by an interrupted
        // run of an older build, or removed by hand.
        var fresh = created.Contains($"table {VersionTable.Name}") || created.Contains($"schema {context.Schema}");
        var state = fresh ? BookkeepingState.Created : BookkeepingState.Repaired;
        report.Postgres.Bookkeeping.AddRange(created.Select(o => new BookkeepingReport(o, state)));
        if (fresh)
        {
            logger.LogInformation("Created the migrator's own objects: {Objects}.", string.Join(", ", created));
        }
        else
        {
            logger.LogWarning("Put back the migrator's own objects that were missing: {Objects}.", string.Join(", ", created));
        }
    }

    private async Task<int> MigrateAsync(
        long? to, NpgsqlConnection connection, AdvisoryLock held, RunStep step, SortedDictionary<long, AppliedVersion> applied,
        Dictionary<long, VersionReport> versions, RunReport report, CancellationToken cancellationToken)
    {
        var current = applied.Count == 0 ? 0 : applied.Keys.Max();
        var target = to ?? report.Postgres.LatestVersion;
        if (target < current)
        {
            report.Status = RunStatus.Failed;
            report.Error = $"The database is at version {current}, above --to {target}; use 'rollback --to {target}' to go down.";
            logger.LogError("{Error}", report.Error);
            return ExitCodes.Failure;
        }

        var pending = versions.Values.Where(v => v.State is VersionState.Pending or VersionState.Skipped).ToList();
        var toApply = pending.Where(v => v.Version <= target).ToList();
        foreach (var skipped in pending.Except(toApply))
        {
            skipped.State = VersionState.Skipped;
        }

        if (toApply.Count == 0)
        {
            RunLog.UpToDate(logger, current);
            report.Status = RunStatus.NothingToDo;
        }

        foreach (var version in toApply)
        {
            cancellationToken.ThrowIfCancellationRequested();
            step.Moment = $"before version {version.Version}";
            await held.EnsureHeldAsync(step.Moment, cancellationToken);
            step.Moment = $"while applying version {version.Version}";
            await migrator.ApplyAsync(connection, catalog.Migrations[version.Version], version, cancellationToken);
            report.Postgres.CurrentVersion = version.Version;
        }

        return ExitCodes.Success;
    }

    private async Task<int> RollbackAsync(
        long to, NpgsqlConnection connection, AdvisoryLock held, RunStep step, SortedDictionary<long, AppliedVersion> applied,
        Dictionary<long, VersionReport> versions, RunReport report, CancellationToken cancellationToken)
    {
        var toRevert = applied.Keys.Where(v => v > to).OrderDescending().ToList();
        var missing = toRevert.Where(v => !catalog.Migrations.ContainsKey(v)).ToList();
        if (missing.Count > 0)
        {
            report.Status = RunStatus.ValidationFailed;
            report.Error = $"Cannot roll back version(s) {string.Join(", ", missing)}: not in this build, so their Down is unknown.";
            logger.LogError("{Error}", report.Error);
            return ExitCodes.ValidationFailed;
        }

        if (toRevert.Count == 0)
        {
            logger.LogInformation("Nothing above version {Version} is applied; nothing to roll back.", to);
            report.Status = RunStatus.NothingToDo;
        }

        foreach (var version in toRevert)
        {
            cancellationToken.ThrowIfCancellationRequested();
            step.Moment = $"before reverting version {version}";
            await held.EnsureHeldAsync(step.Moment, cancellationToken);
            step.Moment = $"while reverting version {version}";
            await migrator.RevertAsync(connection, catalog.Migrations[version], versions[version], cancellationToken);
            report.Postgres.CurrentVersion = applied.Keys.Where(v => v < version).DefaultIfEmpty(0).Max();
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// Applied versions must still be what this build would run. An edited or vanished migration stops the run
    /// (exit 4) unless <c>--accept-changes</c>; versions applied before the history existed get a baseline checksum.
    /// </summary>
    private async Task<int> ValidateAsync(
        MigratorCommand command, NpgsqlConnection connection, SortedDictionary<long, AppliedVersion> applied,
        Dictionary<long, VersionReport> versions, RunReport report, CancellationToken cancellationToken)
    {
        var problems = versions.Values
            .Where(v => v.Checksum == ChecksumStatus.Changed || v.State == VersionState.MissingFromCode)
            .Select(v => v.State == VersionState.MissingFromCode
                ? $"Version {v.Version} ({v.Description}) is applied to the database but is not in this build."
                : $"Version {v.Version} ({v.Description}) was edited after it was applied: recorded checksum {v.RecordedChecksum}, this build yields {v.CodeChecksum}.")
            .ToList();

        if (problems.Count > 0 && !command.AcceptChanges)
        {
            report.Problems.AddRange(problems);
            report.Status = RunStatus.ValidationFailed;
            report.Error = "Applied migrations do not match this build. Restore them, or rerun with --accept-changes to record the change.";
            foreach (var problem in problems)
            {
                logger.LogError("{Problem}", problem);
            }

            logger.LogError("{Error}", report.Error);
            return ExitCodes.ValidationFailed;
        }

        foreach (var version in versions.Values)
        {
            var recordChecksum = version.Checksum == ChecksumStatus.Unrecorded
                || (version.Checksum == ChecksumStatus.Changed && command.AcceptChanges);
            if (!recordChecksum || command.Verb != MigratorVerb.Migrate)
            {
                continue;
            }

            var appliedVersion = applied[version.Version];
            var entry = appliedVersion.History is { } existing
                ? existing with { Checksum = version.CodeChecksum!, Description = version.Description }
                : new HistoryEntry(version.Version, version.Description, version.CodeChecksum!,
                    $"{context.AppliedBy} (baseline)", appliedVersion.AppliedOn is { } on ? new DateTimeOffset(on) : DateTimeOffset.UtcNow,
                    0, context.ToolVersion);
            await _history.AcceptChecksumAsync(connection, entry, cancellationToken);
            logger.LogWarning(version.Checksum == ChecksumStatus.Changed
                ? "Accepted the edited version {Version}: its checksum is now {Checksum}."
                : "Recorded baseline checksum {Checksum} for version {Version}, applied before checksums were kept.",
                version.Version, version.CodeChecksum);
            version.Checksum = ChecksumStatus.Accepted;
            version.RecordedChecksum = version.CodeChecksum;
        }

        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                logger.LogWarning("Accepted: {Problem}", problem);
            }
        }

        return ExitCodes.Success;
    }

    private async Task<int> InfoAsync(MigratorCommand command, RunReport report, TextWriter output, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(report, cancellationToken);
        var applied = await _history.ReadAsync(connection, cancellationToken);
        var missing = await _bookkeeping.InspectAsync(connection, cancellationToken);
        await LoadCatalog();
        var versions = Report(VersionComparison.Compare(catalog.Versions, applied), applied, report);
        report.Postgres.Checksums = ChecksumSource.Generated;

        // The migrator's own objects count like a pending version: an interrupted run must not look like a clean one.
        report.Postgres.Bookkeeping.AddRange(missing.Select(o => new BookkeepingReport(o, BookkeepingState.Missing)));
        report.Problems.AddRange(missing.Select(o => $"The migrator's own {o} is missing; the next 'migrate' puts it in place."));
        var pending = versions.Values.Count(v => v.State == VersionState.Pending);
        var drift = versions.Values.Count(v => v.Checksum == ChecksumStatus.Changed || v.State == VersionState.MissingFromCode);
        report.Status = pending + drift + missing.Count > 0 ? RunStatus.PendingOrDrift : RunStatus.Success;

        var mongoExitCode = await mongo.InfoAsync(report, cancellationToken);

        if (!command.Json)
        {
            await output.WriteLineAsync(InfoText.Format(report));
        }

        return mongoExitCode != ExitCodes.Success ? mongoExitCode
            : command.Verb == MigratorVerb.Check && report.Status == RunStatus.PendingOrDrift
            ? ExitCodes.PendingOrDrift
            : ExitCodes.Success;
    }

    /// <summary>
    /// Prints the SQL between two versions (Up when going up, Down when going down) and executes nothing. The start
    /// defaults to the database's current version when one is configured (read only), otherwise 0.
    /// </summary>
    private async Task<int> ScriptAsync(MigratorCommand command, TextWriter output, CancellationToken cancellationToken)
    {
        await LoadCatalog();
        var from = command.From;
        if (from is null && context.ConnectionString is not null)
        {
            await using var connection = new NpgsqlConnection(context.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            var applied = await _history.ReadAsync(connection, cancellationToken);
            from = applied.Count == 0 ? 0 : applied.Keys.Max();
        }

        var to = command.To ?? catalog.Latest;
        await output.WriteAsync(SqlScript.Render(catalog, from ?? 0, to, context.ToolVersion));
        if (to >= (from ?? 0))
        {
            // Going down has no MongoDB part (rollback leaves MongoDB alone).
            await output.WriteLineAsync();
            await output.WriteAsync(mongo.Script());
        }

        return ExitCodes.Success;
    }

    /// <summary>Puts the versions into the report; returns them by number.</summary>
    private static Dictionary<long, VersionReport> Report(List<VersionReport> versions, SortedDictionary<long, AppliedVersion> applied, RunReport report)
    {
        report.Postgres.CurrentVersion = applied.Count == 0 ? 0 : applied.Keys.Max();
        report.Postgres.LatestVersion = versions.Where(v => v.State != VersionState.MissingFromCode).Select(v => v.Version).DefaultIfEmpty(0).Max();
        report.Postgres.Versions.Clear();
        report.Postgres.Versions.AddRange(versions);
        return versions.ToDictionary(v => v.Version);
    }

    /// <summary>A connection of its own, opened with retries.</summary>
    private Task<NpgsqlConnection> OpenAsync(RunReport report, CancellationToken cancellationToken) =>
        ConnectAsync(report, async () =>
        {
            var connection = new NpgsqlConnection(context.ConnectionString);
            try
            {
                await connection.OpenAsync(cancellationToken);
                return connection;
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }, cancellationToken);

    /// <summary>Connects, retrying the failures that go away by themselves (a server still starting).</summary>
    private async Task<T> ConnectAsync<T>(RunReport report, Func<Task<T>> open, CancellationToken cancellationToken)
    {
        if (context.ConnectionString is null)
        {
            throw new InvalidOperationException(
                $"No PostgreSQL connection string: set ConnectionStrings:{ResourceNames.PostgresDatabase} (or DB_HOST and friends).");
        }

        var builder = new NpgsqlConnectionStringBuilder(context.ConnectionString);
        report.Database = $"{builder.Host}:{builder.Port}/{builder.Database}";
        Activity.Current?.SetTag("db.namespace", builder.Database);
        var delay = options.Value.ConnectRetryDelay;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await open();
            }
            catch (Exception ex) when (IsTransient(ex) && attempt < options.Value.ConnectRetries)
            {
                logger.LogWarning("PostgreSQL at {Database} is not reachable yet ({Reason}); retry {Attempt} of {Retries} in {Delay} ms.",
                    report.Database, ex.Message, attempt + 1, options.Value.ConnectRetries, delay.TotalMilliseconds);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    private static bool IsTransient(Exception exception) => exception switch
    {
        // The server is starting up, shutting down, or out of connection slots.
        PostgresException postgres => postgres.SqlState is "57P03" or "53300" or "57P01",
        NpgsqlException npgsql => npgsql.IsTransient,
        TimeoutException or System.Net.Sockets.SocketException => true,
        _ => false,
    };

    /// <summary>Where a locked run is, for the message when its lock turns out lost.</summary>
    private sealed class RunStep
    {
        public string Moment { get; set; } = "after taking it";
    }

    /// <summary>A sentence for a person, naming what to do where we can tell.</summary>
    private string Explain(Exception exception)
    {
        if (exception is LockLostException)
        {
            return exception.Message;
        }

        var postgres = exception as PostgresException ?? exception.InnerException as PostgresException
            ?? (exception.InnerException?.InnerException as PostgresException);
        var user = context.ConnectionString is null ? "?" : new NpgsqlConnectionStringBuilder(context.ConnectionString).Username;
        if (postgres?.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            var prefix = exception is MigrationFailedException failed ? $"Version {failed.Version} failed: " : string.Empty;
            return $"{prefix}the role '{user}' may not create objects in schema '{context.Schema}' ({postgres.MessageText}). " +
                   $"Since PostgreSQL 15 only the schema's owner may by default: run the migrator as the owner, or " +
                   $"GRANT CREATE ON SCHEMA {context.Schema} TO {user}.";
        }

        if (postgres?.SqlState == PostgresErrorCodes.InvalidPassword || postgres?.SqlState == PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            return $"PostgreSQL refused the login of '{user}': {postgres.MessageText}.";
        }

        if (postgres?.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            return $"The database does not exist: {postgres.MessageText}.";
        }

        return exception.Message;
    }
}
