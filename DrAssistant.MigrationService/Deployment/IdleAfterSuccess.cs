using DrAssistant.MigrationService.Cli;

namespace DrAssistant.MigrationService.Deployment;

/// <summary>
/// <c>Migrator:IdleAfterSuccess</c> (set by the AppHost in a deployment manifest): after a successful <c>migrate</c> the
/// process stays up, doing nothing, until it is stopped (SIGTERM; then exit 0). A container platform (Azure Container
/// Apps, Kubernetes) restarts a container whose process ends, whatever its exit code; a migration service that exited
/// after its work would be run again and again. Idle, it runs once per deployment (once per start of its container),
/// and a failed migration still exits non-zero, so the platform shows it and retries it with its back-off.
/// </summary>
public static class IdleAfterSuccess
{
    public const string SettingKey = "Migrator:IdleAfterSuccess";

    public static async Task WaitIfAskedAsync(IHost host, MigratorCommand command, int exitCode, CancellationToken cancellationToken)
    {
        var configuration = host.Services.GetRequiredService<IConfiguration>();
        if (exitCode != ExitCodes.Success || command.Verb != MigratorVerb.Migrate || !configuration.GetValue<bool>(SettingKey))
        {
            return;
        }

        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(IdleAfterSuccess)).LogInformation(
            "Migrations done. Staying up, idle, until stopped ({Setting}), so that the platform does not restart a service that ended.",
            SettingKey);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping, cancellationToken);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Stopped: the run's exit code stands.
        }
    }
}
