using DrAssistant.MigrationService.Accounts;
using DrAssistant.MigrationService.Cli;
using DrAssistant.MigrationService.Mongo;
using DrAssistant.MigrationService.Postgres;
using Npgsql;
using OpenTelemetry.Trace;

namespace DrAssistant.MigrationService;

internal static class Extensions
{
    /// <param name="catalog">The migrations of this build (FluentMigrator kept apart, see <see cref="MigrationCatalog"/>).</param>
    /// <param name="loggers">The shortcut's logging, configured the same way, to go on with; null to set it up here.</param>
    public static IHostApplicationBuilder AddMigrator(
        this IHostApplicationBuilder builder, MigratorCommand command, MigrationCatalog catalog, ILoggerFactory? loggers = null)
    {
        builder.Services.AddOptions<MigratorOptions>()
            .BindConfiguration(MigratorOptions.SectionName)
            .Validate(o => MigratorOptions.IsValidSchema(o.Schema), "Migrator:Schema must be a lower-case identifier.")
            .ValidateOnStart();

        var settings = Settings(builder.Configuration);
        builder.Services.AddSingleton(new MigrationRunContext(
            ConnectionStringFor(builder.Configuration), settings.Schema, settings.AppliedBy ?? $"{Environment.UserName}@{Environment.MachineName}"));
        builder.Services.AddSingleton(catalog);
        builder.Services.AddScoped<PostgresMigrator>();
        builder.Services.AddScoped<MigratorRunner>();
        builder.Services.AddScoped<CreateAdmin>();
        builder.AddMongoMigrator();

        if (loggers is not null)
        {
            // Registered last, so it is the one resolved; its owner (MigratorApp) disposes it.
            builder.Services.AddSingleton(loggers);
        }
        else
        {
            builder.Logging.AddMigratorLogging(builder.Configuration, command);
        }

        // Of the service defaults, a one-shot tool with no endpoint needs only telemetry (no health checks, service
        // discovery or HTTP resilience), and only when it is exported: without an exporter, spans reach in-process
        // listeners (tests) through the ActivitySource alone.
        if (MigratorConfiguration.ExportsTelemetry(builder.Configuration))
        {
            builder.ConfigureOpenTelemetry();
            builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource("Npgsql"));
        }

        return builder;
    }

    /// <summary>The <c>Migrator</c> settings as configured (defaults where not).</summary>
    public static MigratorOptions Settings(IConfiguration configuration) =>
        configuration.GetSection(MigratorOptions.SectionName).Get<MigratorOptions>() ?? new MigratorOptions();

    /// <summary>The configured PostgreSQL connection string as the migrator uses it, or null when there is none.</summary>
    public static string? ConnectionStringFor(IConfiguration configuration) =>
        ConnectionStringFor(configuration.GetConnectionString(ResourceNames.PostgresDatabase), Settings(configuration).Schema);

    /// <summary>The configured connection string, named for pg_stat_activity and pointed at the schema.</summary>
    public static string? ConnectionStringFor(string? configured, string schema)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            return null;
        }

        var builder = new NpgsqlConnectionStringBuilder(configured);
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = $"DrAssistant.MigrationService pid {Environment.ProcessId}";
        }

        if (schema != "public")
        {
            builder.SearchPath = schema;
        }

        // A one-shot tool gains nothing from a pool, and without one, closing the connection ends the session and with it
        // the migration lock, even when releasing it failed (a pooled session would keep it until reused or pruned).
        builder.Pooling = false;

        // The migrator reads and writes only built-in types: skip loading the server's type catalog on connect.
        // FluentMigrator opens its connections from the connection string, so the data-source-builder form is no option.
#pragma warning disable CS0618
        builder.ServerCompatibilityMode = ServerCompatibilityMode.NoTypeLoading;
#pragma warning restore CS0618

        return builder.ConnectionString;
    }
}
