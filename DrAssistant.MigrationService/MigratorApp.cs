using DrAssistant.MigrationService.Accounts;
using DrAssistant.MigrationService.Cli;
using DrAssistant.MigrationService.Deployment;

namespace DrAssistant.MigrationService;

/// <summary>
/// The whole program, callable in-process by tests: parse, build the host, run one command, return its exit code.
/// <paramref name="settings"/> are configuration that wins over files and environment (tests use it).
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
            await Console.Error.WriteLineAsync($"{command.Error}\n\n{MigratorCommand.Usage}");
            return ExitCodes.BadArguments;
        }

        if (command.Verb == MigratorVerb.Help)
        {
            await output.WriteLineAsync(MigratorCommand.Usage);
            return ExitCodes.Success;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [.. command.ConfigurationArguments],
            // appsettings.json sits beside the binary, wherever the tool is started from.
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.AddServiceDefaults();
        builder.AddMigrator(command);
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

            var exitCode = await scope.ServiceProvider.GetRequiredService<MigratorRunner>().RunAsync(command, output, cancellationToken);
            await IdleAfterSuccess.WaitIfAskedAsync(host, command, exitCode, cancellationToken);
            return exitCode;
        }
        finally
        {
            // Stopping flushes the telemetry exporters, so the last spans reach the dashboard.
            await host.StopAsync(CancellationToken.None);
        }
    }
}
