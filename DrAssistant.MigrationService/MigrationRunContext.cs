using System.Reflection;
using DrAssistant.MigrationService.Postgres;
using DrAssistant.MigrationService.Postgres.Migrations;

namespace DrAssistant.MigrationService;

/// <summary>Facts about this run that every part needs: where, as whom, with which build.</summary>
public sealed class MigrationRunContext(string? connectionString, string schema, string appliedBy)
{
    public static readonly string CurrentToolVersion =
        typeof(MigrationRunContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private readonly Lazy<string> _build = new(() => BuildIdentity.Of(typeof(DrMigration).Assembly, schema));

    /// <summary>The PostgreSQL connection string, or null when none is configured (only <c>script</c> works then).</summary>
    public string? ConnectionString { get; } = connectionString;

    public string Schema { get; } = schema;

    public string AppliedBy { get; } = appliedBy;

    public string ToolVersion => CurrentToolVersion;

    /// <summary>The identity of what decides this build's SQL (<see cref="BuildIdentity"/>), computed when first asked.</summary>
    public string Build => _build.Value;
}
