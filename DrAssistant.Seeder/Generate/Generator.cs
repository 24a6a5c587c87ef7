using DrAssistant.Seeder.Cli;

namespace DrAssistant.Seeder.Generate;

internal sealed class Generator
{
    public Task<int> RunAsync(SeederCommand command, SeedReport report, TextWriter output, CancellationToken cancellationToken) =>
        Task.FromResult(ExitCodes.Failure);
}
