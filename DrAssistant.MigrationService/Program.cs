using DrAssistant.MigrationService;

// The exit code is returned from Main, never left to a BackgroundService: a failed migration must exit non-zero,
// or the AppHost's WaitForCompletion would start the API on a broken schema.
return await MigratorApp.RunAsync(args, Console.Out);
