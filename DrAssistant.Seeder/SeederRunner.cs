using System.Diagnostics;
using System.Reflection;
using DrAssistant.Seeder.Cli;
using DrAssistant.Seeder.Demo;
using DrAssistant.Seeder.Generate;
using MongoDB.Driver;
using Npgsql;

namespace DrAssistant.Seeder;

/// <summary>Runs one command and reports it. Expected failures become exit code 1 with a clear message, never a stack trace.</summary>
internal sealed class SeederRunner(DemoSeeder demo, Generator generator, ILogger<SeederRunner> logger)
{
    public async Task<int> RunAsync(SeederCommand command, TextWriter output, CancellationToken cancellationToken)
    {
        var version = typeof(SeederRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        var report = new SeedReport
        {
            Tool = $"DrAssistant.Seeder {version.Split('+')[0]}",
            Command = command.Verb.ToString().ToLowerInvariant(),
        };

        using var activity = Telemetry.Source.StartActivity(report.Command);
        var clock = Stopwatch.StartNew();
        try
        {
            report.ExitCode = command.Verb switch
            {
                SeederVerb.Demo => await demo.RunAsync(command.Seed, command.AllowOutsideDevelopment, report, cancellationToken),
                SeederVerb.Generate => await generator.RunAsync(command, report, command.Json ? TextWriter.Null : output, cancellationToken),
                _ => ExitCodes.BadArguments,
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            report.Status = "failed";
            report.Error = Explain(ex);
            report.ExitCode = ExitCodes.Failure;
            logger.LogError("{Command} failed: {Error}", report.Command, report.Error);
            if (ex is NpgsqlException or MongoException or InvalidOperationException or TimeoutException)
            {
                logger.LogDebug(ex, "Failure details");
            }
            else
            {
                // Not a failure we expect (a server, a connection, a setting): the stack trace is for whoever fixes it.
                logger.LogError(ex, "Unexpected failure");
            }
            activity?.SetStatus(ActivityStatusCode.Error, report.Error);
        }

        report.DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1);
        if (command.Json)
        {
            await output.WriteLineAsync(report.ToJson());
        }

        activity?.SetTag("exit_code", report.ExitCode);
        return report.ExitCode;
    }

    private static string Explain(Exception ex) => ex switch
    {
        PostgresException { SqlState: PostgresErrorCodes.UndefinedTable } pg =>
            $"{pg.MessageText}: the database has no schema yet. Run the migrations first (dotnet run --project DrAssistant.MigrationService).",
        PostgresException pg => $"{pg.MessageText} ({pg.SqlState}{(pg.ConstraintName is null ? "" : $", constraint {pg.ConstraintName}")})",
        _ => ex.Message,
    };
}
