using DrAssistant.Seeder.Cli;
using DrAssistant.Seeder.Clinic;
using DrAssistant.Seeder.Demo;
using DrAssistant.Seeder.Generate;
using Microsoft.Extensions.Logging.Console;
using MongoDB.Driver;
using Npgsql;
using OpenTelemetry.Trace;

namespace DrAssistant.Seeder;

internal static class Extensions
{
    public static IHostApplicationBuilder AddSeeder(this IHostApplicationBuilder builder, SeederCommand command)
    {
        builder.Services.AddSingleton(_ => Connect(builder.Configuration, builder.Environment.ApplicationName));
        builder.Services.AddSingleton(_ => ClinicCalendar.ForZone(builder.Configuration["Clinic:TimeZone"]));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DemoSeeder>();
        builder.Services.AddSingleton<DemoNotes>();
        builder.Services.AddSingleton<Generator>();
        builder.Services.AddSingleton<SeederRunner>();

        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource("Npgsql"));
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        if (command.Json)
        {
            // Standard output carries the JSON report; every log line goes to standard error.
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        }

        return builder;
    }

    private static SeederConnections Connect(IConfiguration configuration, string applicationName)
    {
        NpgsqlDataSource? postgres = null;
        var postgresConnection = configuration.GetConnectionString(ResourceNames.PostgresDatabase);
        if (!string.IsNullOrWhiteSpace(postgresConnection))
        {
            var connection = new NpgsqlConnectionStringBuilder(postgresConnection);
            if (string.IsNullOrEmpty(connection.ApplicationName))
            {
                // Named in pg_stat_activity, so a long generate is easy to find.
                connection.ApplicationName = $"DrAssistant.Seeder pid {Environment.ProcessId}";
            }

            postgres = NpgsqlDataSource.Create(connection.ConnectionString);
        }

        IMongoDatabase? mongo = null;
        var mongoConnection = configuration.GetConnectionString(ResourceNames.MongoDatabase);
        if (!string.IsNullOrWhiteSpace(mongoConnection))
        {
            var parsed = MongoConnection.Parse(mongoConnection, applicationName);
            mongo = new MongoClient(parsed.Settings).GetDatabase(parsed.DatabaseName);
        }

        return new SeederConnections(postgres, mongo);
    }
}
