using System.Data;
using Npgsql;

namespace DrAssistant.MigrationService.Postgres;

/// <summary>A version FluentMigrator has recorded as applied, with our history row when there is one.</summary>
public sealed record AppliedVersion(long Version, string? Description, DateTime? AppliedOn, HistoryEntry? History);

/// <summary>Our record of an applied version: the checksum of the SQL it ran, who applied it, how long it took.</summary>
public sealed record HistoryEntry(
    long Version, string Description, string Checksum, string AppliedBy, DateTimeOffset AppliedAt, long DurationMs, string ToolVersion);

/// <summary>
/// Reads what the database says is applied (FluentMigrator's <c>schema_version</c> and our <c>schema_history</c>)
/// without creating anything, and writes history rows inside the transaction that applies a version. The tables
/// themselves are put in place by <see cref="Bookkeeping"/>.
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

    /// <summary>Records an applied version, on the connection and transaction that applied it.</summary>
    public static void Insert(IDbConnection connection, IDbTransaction? transaction, string schema, HistoryEntry entry)
    {
        using var command = (NpgsqlCommand)connection.CreateCommand();
        command.Transaction = (NpgsqlTransaction?)transaction;
        command.CommandText = $"""
            INSERT INTO "{schema}"."{TableName}" (version, description, checksum, applied_by, applied_at, duration_ms, tool_version)
            VALUES (@version, @description, @checksum, @applied_by, now(), @duration_ms, @tool_version)
            ON CONFLICT (version) DO UPDATE SET
                description = EXCLUDED.description, checksum = EXCLUDED.checksum, applied_by = EXCLUDED.applied_by,
                applied_at = EXCLUDED.applied_at, duration_ms = EXCLUDED.duration_ms, tool_version = EXCLUDED.tool_version
            """;
        command.Parameters.AddWithValue("version", entry.Version);
        command.Parameters.AddWithValue("description", entry.Description);
        command.Parameters.AddWithValue("checksum", entry.Checksum);
        command.Parameters.AddWithValue("applied_by", entry.AppliedBy);
        command.Parameters.AddWithValue("duration_ms", entry.DurationMs);
        command.Parameters.AddWithValue("tool_version", entry.ToolVersion);
        command.ExecuteNonQuery();
    }

    public static void Delete(IDbConnection connection, IDbTransaction? transaction, string schema, long version)
    {
        using var command = (NpgsqlCommand)connection.CreateCommand();
        command.Transaction = (NpgsqlTransaction?)transaction;
        command.CommandText = $"""DELETE FROM "{schema}"."{TableName}" WHERE version = @version""";
        command.Parameters.AddWithValue("version", version);
        command.ExecuteNonQuery();
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
