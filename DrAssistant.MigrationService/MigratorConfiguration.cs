using System.Reflection;
using DrAssistant.MigrationService.Cli;

namespace DrAssistant.MigrationService;

/// <summary>
/// The migrator's configuration and logging, built once and shared by the up-to-date shortcut and the host, so both
/// read the very same settings: the sources .NET's default host uses, in its order (<c>DOTNET_</c> variables and the
/// command line for the host, <c>appsettings.json</c>, <c>appsettings.{Environment}.json</c>, user secrets in
/// Development, environment variables, the command line), then the caller's settings (tests), then the original
/// design's <c>DB_HOST</c>/<c>MONGODB_URI</c> variables. Files are not watched: the tool runs once.
/// </summary>
internal static class MigratorConfiguration
{
    public static ConfigurationManager Build(MigratorCommand command, IReadOnlyDictionary<string, string?>? settings)
    {
        var configuration = new ConfigurationManager();
        string[] args = [.. command.ConfigurationArguments];
        configuration.AddEnvironmentVariables(prefix: "DOTNET_");
        if (args.Length > 0)
        {
            configuration.AddCommandLine(args);
        }

        var environment = EnvironmentOf(configuration);
        // appsettings.json sits beside the binary, wherever the tool is started from.
        configuration.SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false)
            .AddJsonFile($"appsettings.{environment}.json", optional: true, reloadOnChange: false);
        if (environment == Environments.Development && Assembly.GetEntryAssembly() is { } entry)
        {
            configuration.AddUserSecrets(entry, optional: true, reloadOnChange: false);
        }

        configuration.AddEnvironmentVariables();
        if (args.Length > 0)
        {
            configuration.AddCommandLine(args);
        }

        if (settings is not null)
        {
            configuration.AddInMemoryCollection(settings);
        }

        configuration.AddLegacyConnectionStrings();
        return configuration;
    }

    /// <summary><c>Migrator:Schema</c>, read without the binder (which a cold process pays for).</summary>
    public static string SchemaOf(IConfiguration configuration) =>
        configuration[$"{MigratorOptions.SectionName}:{nameof(MigratorOptions.Schema)}"] ?? new MigratorOptions().Schema;

    public static string EnvironmentOf(IConfiguration configuration) =>
        configuration[HostDefaults.EnvironmentKey] is { Length: > 0 } name ? name : Environments.Production;

    /// <summary>
    /// Console logging configured from <c>Logging</c>. (FluentMigrator, which only generates SQL, logs nowhere: the
    /// migrator reports failures itself, in a sentence, and logs each statement it sends at Debug.)
    /// </summary>
    public static ILoggingBuilder AddMigratorLogging(this ILoggingBuilder logging, IConfiguration configuration, MigratorCommand command)
    {
        logging.AddConfiguration(configuration.GetSection("Logging"));
        logging.AddConsole(options =>
        {
            if (command.WritesPayload)
            {
                // Standard output carries the JSON or SQL; every log line goes to standard error.
                options.LogToStandardErrorThreshold = LogLevel.Trace;
            }
        });

        return logging;
    }

    /// <summary>Whether telemetry is exported (the Aspire dashboard, a collector): only then is OpenTelemetry set up.</summary>
    public static bool ExportsTelemetry(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
}
