using Npgsql;

namespace DrAssistant.MigrationService.Postgres;

/// <summary>A version FluentMigrator has recorded as applied, with our history row when there is one.</summary>
public sealed record AppliedVersion(long Version, string? Description, DateTime? AppliedOn, HistoryEntry? History);

/// <summary>Our record of an applied version: the checksum of the SQL it ran, who applied it, how long it took.</summary>
public sealed record HistoryEntry(
    long Version, string Description, string Checksum, string AppliedBy, DateTimeOffset AppliedAt, long DurationMs, string ToolVersion);

/// <summary>
/// Reads what the database says is applied (FluentMigrator's <c>schema_version</c> and our <c>schema_history</c>)
/// without creating anything. History rows are written by <see cref="PostgresMigrator"/>, in the transaction that
/// applies a version; the tables themselves are put in place by <see cref="Bookkeeping"/>.
/// </summary>
public sealed class MigrationHistory(string schema)
{
    public const string TableName = Shared.SchemaVersions.PostgresHistoryTable;

    private string Qualified(string table) => $"\"{schema}\".\"{table}\"";

    /// <summary>Applied versions by number; empty on a database the migrator has never touched. Writes nothing.</summary>
    public async Task<SortedDictionary<long, AppliedVersion>> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var result = new SortedDictionary<long, AppliedVersion>();
        if (!await ExistsAsync(connection, VersionTable.Name, cancellationToken))
        {
            return result;
        }

        var history = new Dictionary<long, HistoryEntry>();
        if (await ExistsAsync(connection, TableName, cancellationToken))
        {
            await using var command = new NpgsqlCommand(
                $"SELECT version, description, checksum, applied_by, applied_at, duration_ms, tool_version FROM {Qualified(TableName)}", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var entry = new HistoryEntry(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.GetFieldValue<DateTimeOffset>(4), reader.GetInt64(5), reader.GetString(6));
                history[entry.Version] = entry;
            }
        }

        // Through to_jsonb, so that a version table missing a column (an interrupted first run of an older build) can
        // still be read and reported by info and check.
        await using (var command = new NpgsqlCommand($"""
            SELECT version, to_jsonb(v) ->> 'description', (to_jsonb(v) ->> 'applied_on')::timestamp
            FROM {Qualified(VersionTable.Name)} v
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var version = reader.GetInt64(0);
                result[version] = new AppliedVersion(
                    version,
                    reader.IsDBNull(1) ? null : reader.GetString(1),
                    reader.IsDBNull(2) ? null : DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc),
                    history.GetValueOrDefault(version));
            }
        }

        return result;
    }

    /// <summary>
    /// The applied versions with their history rows, read in one round trip together with the checksums recorded for
    /// <paramref name="build"/> (empty when it has none). Only once the migrator's own tables are known to be in place.
    /// </summary>
    public async Task<(SortedDictionary<long, AppliedVersion> Applied, List<CodeVersion> Recorded)> ReadWithChecksumsAsync(
        NpgsqlConnection connection, BuildChecksums checksums, string build, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { AppliedCommand(), new NpgsqlBatchCommand(checksums.ReadSql) { Parameters = { new("build", build) } } },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var applied = await ReadAppliedAsync(reader, cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        return (applied, await BuildChecksums.ReadAsync(reader, cancellationToken));
    }

    /// <summary>Every row of the version table with its history row, if any (the tables must exist, complete).</summary>
    public NpgsqlBatchCommand AppliedCommand() => new($"""
        SELECT v.version, v.description, v.applied_on, h.version IS NOT NULL,
               h.description, h.checksum, h.applied_by, h.applied_at, h.duration_ms, h.tool_version
        FROM {Qualified(VersionTable.Name)} v LEFT JOIN {Qualified(TableName)} h ON h.version = v.version
        """);

    public static async Task<SortedDictionary<long, AppliedVersion>> ReadAppliedAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var result = new SortedDictionary<long, AppliedVersion>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var version = reader.GetInt64(0);
            var history = reader.GetBoolean(3)
                ? new HistoryEntry(version, reader.GetString(4), reader.GetString(5), reader.GetString(6),
                    reader.GetFieldValue<DateTimeOffset>(7), reader.GetInt64(8), reader.GetString(9))
                : null;
            result[version] = new AppliedVersion(
                version,
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc),
                history);
        }

        return result;
    }

    /// <summary>Stores a new checksum for a version whose code changed, when the change was explicitly accepted.</summary>
    public async Task AcceptChecksumAsync(NpgsqlConnection connection, HistoryEntry entry, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            INSERT INTO {Qualified(TableName)} (version, description, checksum, applied_by, applied_at, duration_ms, tool_version)
            VALUES (@version, @description, @checksum, @applied_by, @applied_at, @duration_ms, @tool_version)
            ON CONFLICT (version) DO UPDATE SET checksum = EXCLUDED.checksum, description = EXCLUDED.description
            """, connection);
        command.Parameters.AddWithValue("version", entry.Version);
        command.Parameters.AddWithValue("description", entry.Description);
        command.Parameters.AddWithValue("checksum", entry.Checksum);
        command.Parameters.AddWithValue("applied_by", entry.AppliedBy);
        command.Parameters.AddWithValue("applied_at", entry.AppliedAt);
        command.Parameters.AddWithValue("duration_ms", entry.DurationMs);
        command.Parameters.AddWithValue("tool_version", entry.ToolVersion);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<bool> ExistsAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT to_regclass(@name) IS NOT NULL", connection);
        command.Parameters.AddWithValue("name", Qualified(table));
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }
}
