using System.Buffers;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace DrAssistant.MigrationService.Postgres;

/// <summary>What a build says about one of its migrations, without the SQL: enough to validate and report.</summary>
public sealed record CodeVersion(long Version, string Description, string Checksum);

/// <summary>
/// The checksums a build's migrations yield, kept by build identity (<see cref="BuildIdentity"/>) in
/// <c>schema_checksums</c>: one row per build, all its versions at once (as JSON), so a row is either complete or absent. A run
/// of a build whose row is there takes its checksums from it instead of generating every migration's SQL again.
/// <para>
/// Only ever a shortcut to the same answer: a row is written only from SQL just generated, and only after validation
/// passed; a run trusts it only to confirm that nothing is to be done, and generates the SQL whenever anything is
/// pending, edited, missing or to be accepted, so every problem is reported from the SQL itself. Deleting rows is
/// harmless: the next run generates and records again. Only the latest build's row is kept.
/// </para>
/// </summary>
public sealed class BuildChecksums(string schema)
{
    public const string TableName = "schema_checksums";

    public string Qualified => $"\"{schema}\".\"{TableName}\"";

    /// <summary>The recorded versions of <c>@build</c>, in order; no rows when the build is not recorded.</summary>
    public string ReadSql => $"""
        SELECT v.version, v.description, v.checksum
        FROM {Qualified} c CROSS JOIN LATERAL jsonb_to_recordset(c.versions) AS v(version bigint, description text, checksum text)
        WHERE c.build = @build
        ORDER BY v.version
        """;

    public static async Task<List<CodeVersion>> ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var versions = new List<CodeVersion>();
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(new CodeVersion(reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
        }

        return versions;
    }

    /// <summary>Records what <paramref name="build"/> generates, replacing any other build's row.</summary>
    public async Task RecordAsync(
        NpgsqlConnection connection, string build, IReadOnlyCollection<CodeVersion> versions, string toolVersion, CancellationToken cancellationToken)
    {
        if (versions.Count == 0)
        {
            return;
        }

        // The versions as one JSON text: only text parameters, which a cold process writes without compiling array code.
        var json = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartArray();
            foreach (var version in versions)
            {
                writer.WriteStartObject();
                writer.WriteNumber("version", version.Version);
                writer.WriteString("description", version.Description);
                writer.WriteString("checksum", version.Checksum);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        await using var command = new NpgsqlCommand($"""
            INSERT INTO {Qualified} (build, versions, tool_version) VALUES (@build, @versions::jsonb, @tool_version)
            ON CONFLICT (build) DO UPDATE SET versions = EXCLUDED.versions, tool_version = EXCLUDED.tool_version, recorded_at = now();
            DELETE FROM {Qualified} WHERE build <> @build
            """, connection);
        command.Parameters.AddWithValue("build", build);
        command.Parameters.AddWithValue("versions", Encoding.UTF8.GetString(json.WrittenSpan));
        command.Parameters.AddWithValue("tool_version", toolVersion);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
