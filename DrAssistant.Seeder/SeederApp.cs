using DrAssistant.Seeder.Cli;

namespace DrAssistant.Seeder;

/// <summary>
/// The whole program, callable in-process by tests: parse, build the host, run one command, return its exit code.
/// <paramref name="settings"/> are configuration that wins over files and environment (tests use it).
/// </summary>
public static class SeederApp
{
    public static async Task<int> RunAsync(
        IReadOnlyList<string> args,
        TextWriter output,
        IReadOnlyDictionary<string, string?>? settings = null,
        CancellationToken cancellationToken = default)
    {
        var command = SeederCommand.Parse(args);
        if (!command.IsValid)
        {
            await Console.Error.WriteLineAsync($"{command.Error}\n\n{command.Help}");
            return ExitCodes.BadArguments;
        }

        if (command.Verb == SeederVerb.Help)
        {
            await output.WriteLineAsync(command.Help);
            return ExitCodes.Success;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [.. command.ConfigurationArguments] });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.AddServiceDefaults();
        builder.AddSeeder(command);

        using var host = builder.Build();
        await host.StartAsync(cancellationToken);
        try
        {
            return await host.Services.GetRequiredService<SeederRunner>().RunAsync(command, output, cancellationToken);
        }
        finally
        {
            // Stopping flushes the telemetry exporters, so the last spans reach the dashboard.
            await host.StopAsync(CancellationToken.None);
        }
    }
}
