namespace DrAssistant.Api.Infrastructure;

internal static class ApiTelemetry
{
    /// <summary>The API's own meter; the service defaults export every <c>DrAssistant.*</c> meter.</summary>
    public const string MeterName = "DrAssistant.Api";
}
