using FluentMigrator.Runner.VersionTableInfo;
using Microsoft.Extensions.Options;

namespace DrAssistant.MigrationService.Postgres;

/// <summary>FluentMigrator's own version table, with lower-case names like the rest of the schema.</summary>
[VersionTableMetaData]
public sealed class VersionTable(IOptions<MigratorOptions> options) : IVersionTableMetaData
{
    public const string Name = Shared.SchemaVersions.PostgresVersionTable;

    public bool OwnsSchema => false;

    public string SchemaName => options.Value.Schema;

    public string TableName => Name;

    public string ColumnName => "version";

    public string DescriptionColumnName => "description";

    public string UniqueIndexName => "uc_schema_version";

    public string AppliedOnColumnName => "applied_on";

    public bool CreateWithPrimaryKey => false;
}
