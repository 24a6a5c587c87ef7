using System.Diagnostics;

namespace DrAssistant.Seeder;

internal static class Telemetry
{
    /// <summary>Under the DrAssistant.* prefix the service defaults listen to, so each run is a trace in the dashboard.</summary>
    public static readonly ActivitySource Source = new("DrAssistant.Seeder");
}
