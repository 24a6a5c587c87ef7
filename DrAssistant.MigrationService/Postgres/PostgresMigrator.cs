using System.Diagnostics;
using DrAssistant.MigrationService.Reporting;
using FluentMigrator;
using FluentMigrator.Runner;
using FluentMigrator.Runner.Processors;

namespace DrAssistant.MigrationService.Postgres;

/// <summary>
/// Applies and reverts versions with FluentMigrator's runner, one transaction per version with its history row in the
/// same transaction. Resolved only once the lock is held (on the runner's own connection), so the runner reads the
/// version table as the lock holder. Before a version's history row is written (or removed), the caller's lock check
/// must pass, or the version's transaction is rolled back.
/// </summary>
public sealed class PostgresMigrator(
    IMigrationRunner runner,
    MigrationRunContext context,
    ILogger<PostgresMigrator> logger)
{
    public void Apply(CodeMigration migration, VersionReport report, Action<string> ensureLockHeld)
    {
        using var activity = Telemetry.Source.StartActivity($"migrate {migration.Version}");
        activity?.SetTag("db.migration.version", migration.Version);
        activity?.SetTag("db.migration.description", migration.Description);
        logger.LogInformation("Applying version {Version}: {Description}", migration.Version, migration.Description);

        var clock = Stopwatch.StartNew();
        try
        {
            InTransaction(migration.Info, processor =>
            {
                ((MigrationRunner)runner).ApplyMigrationUp(migration.Info, useTransaction: true);
                clock.Stop();
                ensureLockHeld($"writing the history row of version {migration.Version}");
                MigrationHistory.Insert(processor.Connection, processor.Transaction, context.Schema, new HistoryEntry(
                    migration.Version, migration.Description, migration.Checksum, context.AppliedBy, DateTimeOffset.UtcNow,
                    clock.ElapsedMilliseconds, context.ToolVersion));
            });
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            if (ex is LockLostException)
            {
                throw;
            }

            throw new MigrationFailedException(migration.Version, migration.Description, "up", ex);
        }

        report.State = VersionState.AppliedNow;
        report.Checksum = ChecksumStatus.Ok;
        report.RecordedChecksum = migration.Checksum;
        report.DurationMs = clock.ElapsedMilliseconds;
        report.AppliedBy = context.AppliedBy;
        report.AppliedAt = DateTimeOffset.UtcNow;
        activity?.SetTag("db.migration.duration_ms", clock.ElapsedMilliseconds);
        logger.LogInformation("Applied version {Version} in {Duration} ms", migration.Version, clock.ElapsedMilliseconds);
    }

    public void Revert(CodeMigration migration, VersionReport report, Action<string> ensureLockHeld)
    {
        using var activity = Telemetry.Source.StartActivity($"rollback {migration.Version}");
        activity?.SetTag("db.migration.version", migration.Version);
        logger.LogInformation("Reverting version {Version}: {Description}", migration.Version, migration.Description);

        var clock = Stopwatch.StartNew();
        try
        {
            InTransaction(migration.Info, processor =>
            {
                ((MigrationRunner)runner).ApplyMigrationDown(migration.Info, useTransaction: true);
                ensureLockHeld($"removing the history row of version {migration.Version}");
                MigrationHistory.Delete(processor.Connection, processor.Transaction, context.Schema, migration.Version);
            });
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            if (ex is LockLostException)
            {
                throw;
            }

            throw new MigrationFailedException(migration.Version, migration.Description, "down", ex);
        }

        report.State = VersionState.RolledBack;
        report.DurationMs = clock.ElapsedMilliseconds;
        logger.LogInformation("Reverted version {Version} in {Duration} ms", migration.Version, clock.ElapsedMilliseconds);
    }

    /// <summary>
    /// One transaction around the version and its history row. A version that opts out of transactions
    /// (e.g. for CREATE INDEX CONCURRENTLY) still gets its history row, right after it succeeds.
    /// </summary>
    private void InTransaction(FluentMigrator.Infrastructure.IMigrationInfo info, Action<GenericProcessorBase> work)
    {
        var processor = (GenericProcessorBase)runner.Processor;
        if (info.TransactionBehavior == TransactionBehavior.None)
        {
            work(processor);
            return;
        }

        using var scope = ((MigrationRunner)runner).BeginScope();
        work(processor);
        scope.Complete();
    }
}

/// <summary>A version's Up or Down failed; nothing of it was kept (its transaction rolled back).</summary>
public sealed class MigrationFailedException(long version, string description, string direction, Exception inner)
    : Exception($"Version {version} ({description}) failed {direction}: {Describe(inner)}", inner)
{
    public long Version { get; } = version;

    /// <summary>The server's own words and the statement it refused, without FluentMigrator's wrapping.</summary>
    private static string Describe(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is Npgsql.PostgresException postgres)
            {
                var statement = postgres.BatchCommand?.CommandText is { Length: > 0 } sql ? $" in: {sql.Trim()}" : string.Empty;
                return $"{postgres.SqlState}: {postgres.MessageText}{statement}";
            }
        }

        return exception.Message;
    }
}
