using Npgsql;

namespace DrAssistant.MigrationService.Postgres;

/// <summary>One catalog object the migrator keeps for itself, and what it lacks.</summary>
/// <param name="Name">How people and reports name it: "comment on table schema_version".</param>
/// <param name="Parent">The object it belongs to; when that is missing, only the parent is reported.</param>
/// <param name="Exists">A boolean SQL expression (parameters <c>@schema</c>, <c>@version_table</c>, <c>@history_table</c>).</param>
/// <param name="Create">Idempotent SQL that puts it in place.</param>
/// <param name="MadeWithParent">Created by its parent's statement, so nothing to run when the parent was missing too.</param>
public sealed record BookkeepingObject(string Name, string? Parent, string Exists, string Create, bool MadeWithParent = false);

/// <summary>
/// Everything the migrator creates for itself, beside the migrations: FluentMigrator's version table
/// (<c>schema_version</c>, its columns and unique index, exactly as FluentMigrator 8 makes them), our history table
/// (<c>schema_history</c> and its primary key), the checksums of the current build (<c>schema_checksums</c> and its
/// primary key, see <see cref="BuildChecksums"/>) and the three tables' comments.
/// <para>
/// <see cref="EnsureAsync"/> runs at the start of every <c>migrate</c> and <c>rollback</c>, under the lock and before
/// anything reads the history, and puts back whatever is missing in one transaction (FluentMigrator's runner, which
/// older builds used, would create its table outside any version's transaction, in steps a kill could separate). So a
/// run killed at any moment leaves either nothing or everything of this, and the next run repairs an older build's
/// leftovers. <see cref="InspectAsync"/> tells <c>info</c> and <c>check</c> what is missing; the up-to-date shortcut
/// asks the same question (<see cref="InspectCommand"/>) and leaves any repair to the full run.
/// </para>
/// </summary>
public sealed class Bookkeeping
{
    public const string VersionTableComment = "Kept by FluentMigrator: the schema versions applied to this database.";

    public const string HistoryTableComment =
        "Kept by DrAssistant.MigrationService: one row per applied migration with the checksum of the SQL it ran, who applied it and how long it took.";

    public const string ChecksumsTableComment =
        "Kept by DrAssistant.MigrationService: the checksums of the SQL the latest build's migrations generate, by build identity, so that its runs need not generate it again. Deleting the row is harmless.";

    private readonly string _schema;

    public Bookkeeping(string schema)
    {
        _schema = schema;
        var s = $"\"{schema}\"";
        var versions = $"{s}.\"{VersionTable.Name}\"";
        const string versionOid = "to_regclass(@version_table)";
        string Column(string name) =>
            $"EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = {versionOid} AND attname = '{name}' AND attnum > 0 AND NOT attisdropped)";

        var schemaName = $"schema {schema}";
        var versionTable = $"table {VersionTable.Name}";
        Objects =
        [
            new(schemaName, null,
                "EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = @schema)",
                $"CREATE SCHEMA IF NOT EXISTS {s}"),

            // The columns and index FluentMigrator's VersionMigration, VersionUniqueMigration and
            // VersionDescriptionMigration create, in their order.
            new(versionTable, schemaName,
                $"{versionOid} IS NOT NULL",
                $"CREATE TABLE IF NOT EXISTS {versions} (version bigint NOT NULL, applied_on timestamp, description varchar(1024))"),
            new($"column {VersionTable.Name}.applied_on", versionTable,
                Column("applied_on"),
                $"ALTER TABLE {versions} ADD COLUMN IF NOT EXISTS applied_on timestamp", MadeWithParent: true),
            new($"column {VersionTable.Name}.description", versionTable,
                Column("description"),
                $"ALTER TABLE {versions} ADD COLUMN IF NOT EXISTS description varchar(1024)", MadeWithParent: true),
            new("index uc_schema_version", versionTable,
                $"EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = {versionOid} AND c.relname = 'uc_schema_version')",
                $"CREATE UNIQUE INDEX IF NOT EXISTS uc_schema_version ON {versions} (version)"),
            new($"comment on table {VersionTable.Name}", versionTable,
                $"obj_description({versionOid}, 'pg_class') IS NOT DISTINCT FROM {Literal(VersionTableComment)}",
                $"COMMENT ON TABLE {versions} IS {Literal(VersionTableComment)}"),

            .. KeyedTable(MigrationHistory.TableName, "@history_table", "version", HistoryTableComment, """
                version bigint NOT NULL CONSTRAINT schema_history_pkey PRIMARY KEY,
                description text NOT NULL,
                checksum text NOT NULL,
                applied_by text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                duration_ms bigint NOT NULL,
                tool_version text NOT NULL
                """),
            .. KeyedTable(BuildChecksums.TableName, "@checksums_table", "build", ChecksumsTableComment, """
                build text NOT NULL CONSTRAINT schema_checksums_pkey PRIMARY KEY,
                versions jsonb NOT NULL,
                tool_version text NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now()
                """),
        ];
    }

    /// <summary>
    /// One of our own tables: the table (<paramref name="columns"/> name its primary key <c>{table}_pkey</c>), that key
    /// on its own (older builds' tables may lack it) and the table's comment. <paramref name="nameParameter"/> holds the
    /// qualified name for the existence checks.
    /// </summary>
    private BookkeepingObject[] KeyedTable(string table, string nameParameter, string key, string comment, string columns)
    {
        var qualified = $"\"{_schema}\".\"{table}\"";
        var oid = $"to_regclass({nameParameter})";
        var name = $"table {table}";
        return
        [
            new(name, $"schema {_schema}", $"{oid} IS NOT NULL", $"CREATE TABLE IF NOT EXISTS {qualified} (\n{columns}\n)"),
            new($"primary key {table}_pkey", name,
                $"EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = {oid} AND contype = 'p')",
                $"""
                DO $$ BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = '{qualified}'::regclass AND contype = 'p') THEN
                        ALTER TABLE {qualified} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({key});
                    END IF;
                END $$
                """, MadeWithParent: true),
            new($"comment on table {table}", name,
                $"obj_description({oid}, 'pg_class') IS NOT DISTINCT FROM {Literal(comment)}",
                $"COMMENT ON TABLE {qualified} IS {Literal(comment)}"),
        ];
    }

    /// <summary>In creation order: a parent comes before what belongs to it.</summary>
    public IReadOnlyList<BookkeepingObject> Objects { get; }

    /// <summary>
    /// What is missing, as people should hear it: an object whose parent is missing too is left out (a missing table
    /// implies its comment). Empty when everything is in place. Reads only.
    /// </summary>
    public async Task<IReadOnlyList<string>> InspectAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        Reportable(await MissingAsync(connection, cancellationToken));

    /// <summary>
    /// Puts in place whatever is missing, in one transaction, and returns what it reported missing (empty when
    /// everything was there: then it wrote nothing). Call it holding the migration lock.
    /// </summary>
    /// <param name="known">What was missing by an inspection made under the lock just before, if there was one.</param>
    public async Task<IReadOnlyList<string>> EnsureAsync(
        NpgsqlConnection connection, List<BookkeepingObject>? known, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var missing = attempt == 0 && known is not null ? known : await MissingAsync(connection, cancellationToken);
            if (missing.Count == 0)
            {
                return [];
            }

            var statements = missing
                .Where(o => !(o.MadeWithParent && missing.Any(p => p.Name == o.Parent)))
                .Select(o => o.Create);
            try
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var batch = new NpgsqlBatch(connection, transaction))
                {
                    foreach (var statement in statements)
                    {
                        batch.BatchCommands.Add(new NpgsqlBatchCommand(statement));
                    }

                    await batch.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                return Reportable(missing);
            }
            catch (PostgresException ex) when (attempt == 0 && ex.SqlState is PostgresErrorCodes.UniqueViolation
                or PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.DuplicateSchema or PostgresErrorCodes.DuplicateObject)
            {
                // A migrator that does not take the lock (an older build) created one of them a moment ago: look again.
            }
        }
    }

    private List<string> Reportable(List<BookkeepingObject> missing) =>
        [.. missing.Where(o => o.Parent is null || missing.All(p => p.Name != o.Parent)).Select(o => o.Name)];

    /// <summary>One query that tells which objects are in place: one boolean column per object, in order.</summary>
    public NpgsqlBatchCommand InspectCommand() => new($"SELECT {string.Join(", ", Objects.Select(o => o.Exists))}")
    {
        Parameters =
        {
            new("schema", _schema),
            new("version_table", $"\"{_schema}\".\"{VersionTable.Name}\""),
            new("history_table", $"\"{_schema}\".\"{MigrationHistory.TableName}\""),
            new("checksums_table", $"\"{_schema}\".\"{BuildChecksums.TableName}\""),
        },
    };

    /// <summary>The objects missing according to the current row of <see cref="InspectCommand"/>'s result.</summary>
    public List<BookkeepingObject> MissingFrom(NpgsqlDataReader reader) => [.. Objects.Where((_, i) => !reader.GetBoolean(i))];

    private async Task<List<BookkeepingObject>> MissingAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // One round trip: a run that finds everything in place costs no more than this.
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { InspectCommand() } };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return MissingFrom(reader);
    }

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
}
