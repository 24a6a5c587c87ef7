using DrAssistant.MigrationService.Accounts;
using DrAssistant.MigrationService.Cli;
using DrAssistant.MigrationService.Deployment;

namespace DrAssistant.MigrationService;

/// <summary>
/// The whole program, callable in-process by tests: parse, read the configuration, try the up-to-date shortcut, and
/// only when it cannot finish build the host and run the command; return its exit code. <paramref name="settings"/> are
/// configuration that wins over files and environment (tests use it).
/// </summary>
public static class MigratorApp
{
    public static async Task<int> RunAsync(
        IReadOnlyList<string> args,
        TextWriter output,
        IReadOnlyDictionary<string, string?>? settings = null,
        CancellationToken cancellationToken = default,
        TextReader? input = null)
    {
        var command = MigratorCommand.Parse(args);
        if (!command.IsValid)
        {
            await Console.Error.WriteLineAsync($"{command.Error}\n\n{command.Help}");
            return ExitCodes.BadArguments;
        }

        if (command.Verb == MigratorVerb.Help)
        {
            await output.WriteLineAsync(command.Help);
            return ExitCodes.Success;
        }

        // Npgsql's first connection spends tens of milliseconds loading and setting up its types before it sends a byte:
        // do that part on another core while the configuration is read.
        if (command.Verb != MigratorVerb.Script)
        {
            _ = Task.Run(WarmUpNpgsql, CancellationToken.None);
        }

        var configuration = MigratorConfiguration.Build(command, settings);
        // The migrations' SQL, generated only when asked for (the shortcut asks as soon as it sees work to do, so it is
        // generated while the host is built), and apart from the host.
        using var catalog = new Postgres.MigrationCatalog(MigratorConfiguration.SchemaOf(configuration), Extensions.ConnectionStringFor(configuration));
        var (exitCode, handover) = await UpToDateShortcut.RunAsync(command, configuration, catalog, output, cancellationToken);
        if (exitCode is { } done)
        {
            return done;
        }

        // Whatever the shortcut hands over is the full run's, and released here at the latest (the lock before its connection).
        await using var handedConnection = handover?.Connection;
        await using var handedLock = handover?.Lock;
        using var handedLoggers = handover?.Loggers;
        // The shortcut's span stays the run's root (an async local set in a callee does not flow back to its caller).
        using var shortcutSpan = handover?.Activity;
        if (shortcutSpan is not null)
        {
            System.Diagnostics.Activity.Current = shortcutSpan;
        }

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            // The configuration already holds every source the default host would add; logging is added by AddMigrator.
            Configuration = configuration,
            EnvironmentName = MigratorConfiguration.EnvironmentOf(configuration),
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.AddMigrator(command, catalog, handover?.Loggers);
        builder.Services.AddSingleton(new StandardInput(input));

        using var host = builder.Build();
        await host.StartAsync(cancellationToken);
        try
        {
            using var scope = host.Services.CreateScope();
            if (command.Verb == MigratorVerb.CreateAdmin)
            {
                return await scope.ServiceProvider.GetRequiredService<CreateAdmin>().RunAsync(command, output, cancellationToken);
            }

            var result = await scope.ServiceProvider.GetRequiredService<MigratorRunner>().RunAsync(command, output, handover, cancellationToken);
            await IdleAfterSuccess.WaitIfAskedAsync(host, command, result, cancellationToken);
            return result;
        }
        finally
        {
            // Stopping flushes the telemetry exporters, so the last spans reach the dashboard.
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static void WarmUpNpgsql()
    {
        try
        {
            // A data source for a server it never contacts: the same types, resolvers and parsing as the real one.
            using var dataSource = Npgsql.NpgsqlDataSource.Create("Host=localhost;Pooling=false;Enlist=false");
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or NotSupportedException)
        {
            // Only ever a head start.
        }
    }
}
