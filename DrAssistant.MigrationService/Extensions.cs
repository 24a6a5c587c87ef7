using DrAssistant.MigrationService.Cli;
using DrAssistant.MigrationService.Mongo;
using DrAssistant.MigrationService.Postgres;
using DrAssistant.MigrationService.Postgres.Migrations;
using FluentMigrator.Runner;
using FluentMigrator.Runner.Conventions;
using FluentMigrator.Runner.Initialization;
using Npgsql;
using OpenTelemetry.Trace;

namespace DrAssistant.MigrationService;

internal static class Extensions
{
    public static IHostApplicationBuilder AddMigrator(this IHostApplicationBuilder builder, MigratorCommand command)
    {
        builder.Services.AddOptions<MigratorOptions>()
            .BindConfiguration(MigratorOptions.SectionName)
            .Validate(o => MigratorOptions.IsValidSchema(o.Schema), "Migrator:Schema must be a lower-case identifier.")
            .ValidateOnStart();

        var settings = builder.Configuration.GetSection(MigratorOptions.SectionName).Get<MigratorOptions>() ?? new MigratorOptions();
        var connectionString = ConnectionStringFor(builder.Configuration.GetConnectionString(ResourceNames.PostgresDatabase), settings.Schema);
        builder.Services.AddSingleton(new MigrationRunContext(
            connectionString, settings.Schema, settings.AppliedBy ?? $"{Environment.UserName}@{Environment.MachineName}"));

        // FluentMigrator only generates the migrations' SQL (MigrationCatalog): its processor never opens a connection.
        builder.Services.AddFluentMigratorCore()
            .ConfigureRunner(runner => runner
                .AddPostgres()
                .WithGlobalConnectionString(connectionString ?? "Host=unconfigured")
                .ScanIn(typeof(M001_InitialSchema).Assembly).For.All());
        builder.Services.Configure<RunnerOptions>(options => options.TransactionPerSession = false);
        builder.Services.AddSingleton<IConventionSet>(new DefaultConventionSet(settings.Schema, workingDirectory: null));

        builder.Services.AddScoped<MigrationCatalog>();
        builder.Services.AddScoped<PostgresMigrator>();
        builder.Services.AddScoped<MigratorRunner>();
        builder.AddMongoMigrator();

        builder.Logging.AddMigratorLogging(builder.Configuration, command);

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
