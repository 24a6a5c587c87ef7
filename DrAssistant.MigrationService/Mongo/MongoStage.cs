using DrAssistant.MigrationService.Cli;
using DrAssistant.MigrationService.Reporting;

namespace DrAssistant.MigrationService.Mongo;

/// <summary>
/// The MongoDB part of a migrator command, kept out of <see cref="MigratorRunner"/>: runs the <see cref="MongoMigrator"/>
/// when MongoDB is configured, says so in the log and the report when it is not, and turns the outcome into the run's
/// status and exit code.
/// </summary>
public sealed class MongoStage(
    MigrationRunContext context,
    ILogger<MongoStage> logger,
    MongoConfigurationError? configurationError = null,
    MongoMigrator? migrator = null)
{
    /// <summary>Runs after PostgreSQL, still under its advisory lock, and under the MongoDB lease.</summary>
    public async Task<int> MigrateAsync(MigratorCommand command, RunReport report, CancellationToken cancellationToken)
    {
        if (Unavailable(report) is { } exitCode)
        {
            return exitCode;
        }

        var mongo = await migrator!.MigrateAsync(command.AcceptChanges, cancellationToken);
        report.Mongo = mongo;
        report.Problems.AddRange(mongo.Problems ?? []);
        switch (mongo.Status)
        {
            case MongoStatus.LockTimeout:
                return Fail(report, RunStatus.LockTimeout, mongo.Error, ExitCodes.LockTimeout);
            case MongoStatus.ValidationFailed:
                return Fail(report, RunStatus.ValidationFailed, mongo.Error, ExitCodes.ValidationFailed);
            case MongoStatus.Failed:
                return Fail(report, RunStatus.Failed, mongo.Error, ExitCodes.Failure);
        }

        if (report.Status == RunStatus.NothingToDo && (mongo.Actions is { Count: > 0 } || mongo.Steps!.Any(s => s.State == VersionState.AppliedNow)))
        {
            report.Status = RunStatus.Success;
        }

        // Drift is reported, not fatal: the AppHost must still start the API on a schema that works.
        return ExitCodes.Success;
    }

    /// <summary>Adds MongoDB's applied and pending steps and drift to an <c>info</c>/<c>check</c> report.</summary>
    public async Task<int> InfoAsync(RunReport report, CancellationToken cancellationToken)
    {
        if (Unavailable(report) is { } exitCode)
        {
            return exitCode;
        }

        var mongo = await migrator!.InfoAsync(cancellationToken);
        report.Mongo = mongo;
        report.Problems.AddRange(mongo.Problems ?? []);
        if (mongo.Status == MongoStatus.Failed)
        {
            return Fail(report, RunStatus.Failed, mongo.Error, ExitCodes.Failure);
        }

        if (mongo.IsPendingOrDrifted)
        {
            report.Status = RunStatus.PendingOrDrift;
        }

        return ExitCodes.Success;
    }

    /// <summary>The MongoDB commands, appended to <c>script</c>'s SQL; needs no server.</summary>
    public string Script() =>
        MongoScript.Render(migrator?.DatabaseName ?? ResourceNames.DatabaseName, MongoSteps.All, context.AppliedBy);

    /// <summary>Null when the migrator can run; otherwise the command's exit code, with the report saying why.</summary>
    private int? Unavailable(RunReport report)
    {
        if (configurationError is not null)
        {
            report.Mongo = new MongoReport { Status = MongoStatus.Failed, Error = configurationError.Message };
            logger.LogError("MongoDB: {Error}", configurationError.Message);
            return Fail(report, RunStatus.Failed, configurationError.Message, ExitCodes.Failure);
        }

        if (migrator is null)
        {
            RunLog.MongoNotConfigured(logger, ResourceNames.MongoDatabase);
            report.Mongo = MongoReport.NotConfigured();
            return ExitCodes.Success;
        }

        return null;
    }

    private static int Fail(RunReport report, RunStatus status, string? error, int exitCode)
    {
        report.Status = status;
        report.Error = error;
        return exitCode;
    }
}

/// <summary>A MongoDB connection string that is set but unusable; reported by the run instead of crashing the host build.</summary>
public sealed record MongoConfigurationError(string Message);
