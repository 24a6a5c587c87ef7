using Npgsql;

namespace DrAssistant.MigrationService.Postgres;

/// <summary>What a build says about one of its migrations, without the SQL: enough to validate and report.</summary>
public sealed record CodeVersion(long Version, string Description, string Checksum);

/// <summary>
/// The checksums a build's migrations yield, kept by build identity (<see cref="BuildIdentity"/>) in
/// <c>schema_checksums</c>: one row per build, all its versions at once, so a row is either complete or absent. A run
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
        SELECT u.version, u.description, u.checksum
        FROM {Qualified} c CROSS JOIN LATERAL unnest(c.versions, c.descriptions, c.checksums) AS u(version, description, checksum)
        WHERE c.build = @build
        ORDER BY u.version
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

        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"""
                    INSERT INTO {Qualified} (build, versions, descriptions, checksums, tool_version)
                    VALUES (@build, @versions, @descriptions, @checksums, @tool_version)
                    ON CONFLICT (build) DO UPDATE SET versions = EXCLUDED.versions, descriptions = EXCLUDED.descriptions,
                        checksums = EXCLUDED.checksums, tool_version = EXCLUDED.tool_version, recorded_at = now()
                    """)
                {
                    Parameters =
                    {
                        new("build", build),
                        new("versions", versions.Select(v => v.Version).ToArray()),
                        new("descriptions", versions.Select(v => v.Description).ToArray()),
                        new("checksums", versions.Select(v => v.Checksum).ToArray()),
                        new("tool_version", toolVersion),
                    },
                },
                new NpgsqlBatchCommand($"DELETE FROM {Qualified} WHERE build <> @build") { Parameters = { new("build", build) } },
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }
}
