using System.Diagnostics;

namespace DrAssistant.MigrationService;

internal static class Telemetry
{
    /// <summary>Spans of the migrator: one per run, one for the lock wait, one per version.</summary>
    public static readonly ActivitySource Source = new("DrAssistant.MigrationService");
}
