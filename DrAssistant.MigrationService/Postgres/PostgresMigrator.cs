using System.Diagnostics;
using System.Globalization;
using System.Text;
using DrAssistant.MigrationService.Reporting;
using FluentMigrator;
using Npgsql;

namespace DrAssistant.MigrationService.Postgres;

/// <summary>
/// Applies and reverts versions on the connection that holds the migration lock. A version's statements are exactly
/// the SQL the catalog generated with FluentMigrator (the SQL <c>script</c> prints and the checksum covers); they go to
/// the server as one command, followed by the version's row in <c>schema_version</c> and its history row, all in one
/// transaction: one round trip and the commit per version however many statements it has (FluentMigrator's runner
/// made one per statement, plus its version-table write). A version that opts out of transactions (for
/// <c>CREATE INDEX CONCURRENTLY</c>) runs statement by statement, then gets its rows, right after it succeeds.
/// </summary>
public sealed class PostgresMigrator(MigrationRunContext context, ILogger<PostgresMigrator> logger)
{
    private string VersionTableName => $"\"{context.Schema}\".\"{VersionTable.Name}\"";

    private string HistoryTableName => $"\"{context.Schema}\".\"{MigrationHistory.TableName}\"";

    public async Task ApplyAsync(NpgsqlConnection connection, CodeMigration migration, VersionReport report, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.Source.StartActivity($"migrate {migration.Version}");
        activity?.SetTag("db.migration.version", migration.Version);
        activity?.SetTag("db.migration.description", migration.Description);
        logger.LogInformation("Applying version {Version}: {Description}", migration.Version, migration.Description);

        // The server's clock from the transaction's start (the version's first statement) to its history row.
        string Rows(string durationMs) => $"""
            INSERT INTO {VersionTableName} (version, applied_on, description)
            VALUES (@dr_version, now() AT TIME ZONE 'UTC', @dr_version_description);
            INSERT INTO {HistoryTableName} (version, description, checksum, applied_by, applied_at, duration_ms, tool_version)
            VALUES (@dr_version, @dr_description, @dr_checksum, @dr_applied_by, now(), {durationMs}, @dr_tool_version)
            ON CONFLICT (version) DO UPDATE SET
                description = EXCLUDED.description, checksum = EXCLUDED.checksum, applied_by = EXCLUDED.applied_by,
                applied_at = EXCLUDED.applied_at, duration_ms = EXCLUDED.duration_ms, tool_version = EXCLUDED.tool_version
            RETURNING duration_ms
            """;
        NpgsqlParameter[] parameters =
        [
            new("dr_version", migration.Version),
            // FluentMigrator's runner writes the attribute's description, NULL when there is none.
            new("dr_version_description", (object?)migration.Info.Description ?? DBNull.Value),
            new("dr_description", migration.Description),
            new("dr_checksum", migration.Checksum),
            new("dr_applied_by", context.AppliedBy),
            new("dr_tool_version", context.ToolVersion),
        ];

        long durationMs;
        try
        {
            durationMs = await RunAsync(connection, migration, migration.UpSql, Rows, parameters, cancellationToken);
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw ex is OperationCanceledException ? ex : new MigrationFailedException(migration.Version, migration.Description, "up", ex);
        }

        report.State = VersionState.AppliedNow;
        report.Checksum = ChecksumStatus.Ok;
        report.RecordedChecksum = migration.Checksum;
        report.DurationMs = durationMs;
        report.AppliedBy = context.AppliedBy;
        report.AppliedAt = DateTimeOffset.UtcNow;
        activity?.SetTag("db.migration.duration_ms", durationMs);
        logger.LogInformation("Applied version {Version} in {Duration} ms", migration.Version, durationMs);
    }

    public async Task RevertAsync(NpgsqlConnection connection, CodeMigration migration, VersionReport report, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.Source.StartActivity($"rollback {migration.Version}");
        activity?.SetTag("db.migration.version", migration.Version);
        logger.LogInformation("Reverting version {Version}: {Description}", migration.Version, migration.Description);

        string Rows(string durationMs) => $"""
            DELETE FROM {VersionTableName} WHERE version = @dr_version;
            DELETE FROM {HistoryTableName} WHERE version = @dr_version;
            SELECT {durationMs}
            """;
        long durationMs;
        try
        {
            durationMs = await RunAsync(connection, migration, migration.DownSql, Rows, [new("dr_version", migration.Version)], cancellationToken);
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw ex is OperationCanceledException ? ex : new MigrationFailedException(migration.Version, migration.Description, "down", ex);
        }

        report.State = VersionState.RolledBack;
        report.DurationMs = durationMs;
        logger.LogInformation("Reverted version {Version} in {Duration} ms", migration.Version, durationMs);
    }

    /// <summary>
    /// Runs <paramref name="statements"/> and then the version's <paramref name="rows"/> (given the SQL of the duration in
    /// ms), in one transaction unless the migration opts out; returns the duration the rows recorded.
    /// </summary>
    private async Task<long> RunAsync(
        NpgsqlConnection connection, CodeMigration migration, IReadOnlyList<string> statements, Func<string, string> rows,
        NpgsqlParameter[] parameters, CancellationToken cancellationToken)
    {
        foreach (var statement in statements)
        {
            logger.LogDebug("Version {Version}: {Statement}", migration.Version, statement);
        }

        if (migration.Info.TransactionBehavior == TransactionBehavior.None)
        {
            // Each statement on its own, as FluentMigrator would run it: CREATE INDEX CONCURRENTLY refuses any transaction.
            var clock = Stopwatch.StartNew();
            foreach (var statement in statements)
            {
                await using var command = new NpgsqlCommand(statement, connection) { CommandTimeout = 0 };
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            return await ExecuteAsync(connection, null, rows(clock.ElapsedMilliseconds.ToString(CultureInfo.InvariantCulture)), parameters, cancellationToken);
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The server's clock from the transaction's start (the version's first statement) to its rows.
        var durationMs = await ExecuteAsync(connection, transaction,
            Script(statements) + rows("(extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint"), parameters, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return durationMs;
    }

    /// <summary>
    /// Executes a command of several statements; returns the value of the last row of the last statement (the rows'
    /// duration). A migration's own statement that returns rows (a <c>SELECT setval(…)</c>) is read past.
    /// </summary>
    private static async Task<long> ExecuteAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, NpgsqlParameter[] parameters, CancellationToken cancellationToken)
    {
        // No client-side timeout: a version takes what it takes on a large table (bound it with statement_timeout or
        // lock_timeout in the connection string's Options if wanted).
        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        command.Parameters.AddRange(parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        object? last = null;
        do
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                last = reader.FieldCount > 0 ? reader.GetValue(0) : null;
            }
        }
        while (await reader.NextResultAsync(cancellationToken));

        return Convert.ToInt64(last, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The statements as one command text, which Npgsql splits again at the same top-level semicolons it would find in
    /// each (it parses quotes, dollar quotes and comments). Each ends on a line of its own, so that a trailing
    /// <c>--</c> comment cannot swallow the separator.
    /// </summary>
    private static string Script(IReadOnlyList<string> statements)
    {
        var text = new StringBuilder();
        foreach (var statement in statements)
        {
            text.Append(statement).Append("\n;\n");
        }

        return text.ToString();
    }
}

/// <summary>A version's Up or Down failed; nothing of it was kept (its transaction rolled back).</summary>
public sealed class MigrationFailedException(long version, string description, string direction, Exception inner)
    : Exception($"Version {version} ({description}) failed {direction}: {Describe(inner)}", inner)
{
    public long Version { get; } = version;

    /// <summary>The server's own words (which name the object it refused; <c>script</c> shows the statements).</summary>
    private static string Describe(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException postgres)
            {
                return $"{postgres.SqlState}: {postgres.MessageText}";
            }
        }

        return exception.Message;
    }
}
