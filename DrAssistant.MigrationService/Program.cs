using System.Diagnostics;

var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();

using var host = builder.Build();
await host.StartAsync();
using (var activity = new ActivitySource("DrAssistant.MigrationService").StartActivity("migrate"))
{
    host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DrAssistant.MigrationService").LogInformation("Nothing to migrate yet.");
}

await host.StopAsync();
return 0;
