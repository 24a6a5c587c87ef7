using DrAssistant.MigrationService.Accounts;
using DrAssistant.MigrationService.Cli;
using DrAssistant.MigrationService.Mongo;
using DrAssistant.MigrationService.Postgres;
using DrAssistant.MigrationService.Postgres.Migrations;
using FluentMigrator.Runner;
using FluentMigrator.Runner.Conventions;
using FluentMigrator.Runner.Initialization;
using Microsoft.Extensions.Logging.Console;
using Npgsql;
using OpenTelemetry.Trace;

namespace DrAssistant.MigrationService;

internal static class Extensions
{
    public static IHostApplicationBuilder AddMigrator(this IHostApplicationBuilder builder, MigratorCommand command)
    {
        builder.Services.AddOptions<MigratorOptions>()
            .BindConfiguration(MigratorOptions.SectionName)
            .Validate(o => System.Text.RegularExpressions.Regex.IsMatch(o.Schema, "^[a-z_][a-z0-9_]*$"),
                "Migrator:Schema must be a lower-case identifier.")
            .ValidateOnStart();

        var settings = builder.Configuration.GetSection(MigratorOptions.SectionName).Get<MigratorOptions>() ?? new MigratorOptions();
        var connectionString = ConnectionStringFor(builder.Configuration.GetConnectionString(ResourceNames.PostgresDatabase), settings.Schema);
        builder.Services.AddSingleton(new MigrationRunContext(
            connectionString, settings.Schema, settings.AppliedBy ?? $"{Environment.UserName}@{Environment.MachineName}"));

        builder.Services.AddFluentMigratorCore()
            .ConfigureRunner(runner => runner
                .AddPostgres()
                // Only 'script' runs without a database, and its processor never opens a connection.
                .WithGlobalConnectionString(connectionString ?? "Host=unconfigured")
                .ScanIn(typeof(M001_InitialSchema).Assembly).For.All());
        builder.Services.Configure<RunnerOptions>(options => options.TransactionPerSession = false);
        builder.Services.AddSingleton<IConventionSet>(new DefaultConventionSet(settings.Schema, workingDirectory: null));

        builder.Services.AddScoped<MigrationCatalog>();
        builder.Services.AddScoped<PostgresMigrator>();
        builder.Services.AddScoped<MigratorRunner>();
        builder.Services.AddScoped<CreateAdmin>();
        builder.AddMongoMigrator();

        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource("Npgsql"));

        // FluentMigrator logs every statement, and every failure with its stack trace; the migrator reports failures
        // itself, in a sentence. Quiet by default (in code, so it holds wherever the tool runs), unless configured.
        if (builder.Configuration["Logging:LogLevel:FluentMigrator"] is null)
        {
            builder.Logging.AddFilter("FluentMigrator", LogLevel.None);
        }

        if (command.WritesPayload)
        {
            // Standard output carries the JSON or SQL; every log line goes to standard error.
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        }

        return builder;
    }

    /// <summary>The configured connection string, named for pg_stat_activity and pointed at the schema.</summary>
    private static string? ConnectionStringFor(string? configured, string schema)
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
