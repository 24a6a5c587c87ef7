namespace DrAssistant.MigrationService;

public static class Program
{
    // The exit code is returned from Main, never left to a BackgroundService: a failed migration must exit non-zero,
    // or the AppHost's WaitForCompletion would start the API on a broken schema.
    public static Task<int> Main(string[] args) => MigratorApp.RunAsync(args, Console.Out);
}
