using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace DrAssistant.AppHost;

/// <summary>
/// What makes the model safe as a deployment and the API a service that scales out: the number of API replicas
/// (<c>Api:Replicas</c>), the API's readiness and liveness (<c>/health</c>, which stays unhealthy until the schema is the
/// one the build needs; <c>/alive</c>), and a migration service that, deployed, runs once and then stays up idle
/// instead of being restarted in a loop by the platform.
/// </summary>
internal static class DeploymentExtensions
{
    public const string ReplicasKey = "Api:Replicas";

    /// <summary>Two in run mode, so every F5 runs (and tests) more than one instance; one in a deployment unless set.</summary>
    public const int RunModeReplicas = 2;

    public const int MaxReplicas = 32;

    /// <summary>
    /// The API's replicas from <c>Api:Replicas</c>, or null (having said why on standard error) when the setting is not a
    /// number from 1 to <see cref="MaxReplicas"/>.
    /// </summary>
    public static int? ApiReplicas(this IDistributedApplicationBuilder builder)
    {
        var text = builder.Configuration[ReplicasKey];
        if (string.IsNullOrWhiteSpace(text))
        {
            return builder.ExecutionContext.IsRunMode ? RunModeReplicas : 1;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var replicas) && replicas is >= 1 and <= MaxReplicas)
        {
            return replicas;
        }

        Console.Error.WriteLine($"DrAssistant.AppHost: {ReplicasKey} is '{text}'; it must be a whole number from 1 to {MaxReplicas}.");
        return null;
    }

    /// <summary>
    /// The API as a service of <paramref name="replicas"/> instances behind one endpoint (run mode: Aspire's proxy balances
    /// them). Its health on the dashboard (and what <c>WaitFor(api)</c> waits for) is <c>/health</c>: the stores and the
    /// schema gate. A deployment gets the same two probes: readiness <c>/health</c>, liveness <c>/alive</c>.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AsScalableApi(this IResourceBuilder<ProjectResource> api, int replicas)
    {
        if (replicas > 1)
        {
            api.WithReplicas(replicas);
        }

        // The readiness probe is also the resource's health check under the AppHost.
#pragma warning disable ASPIREPROBES001 // Probes are experimental; they only describe the endpoints the API already serves.
        api.WithHttpProbe(ProbeType.Readiness, "/health", periodSeconds: 10, endpointName: "http")
            .WithHttpProbe(ProbeType.Liveness, "/alive", initialDelaySeconds: 10, periodSeconds: 30, endpointName: "http");
#pragma warning restore ASPIREPROBES001
        return api;
    }

    /// <summary>
    /// Deployed, the migration service stays up after a successful <c>migrate</c> (<c>Migrator:IdleAfterSuccess</c>):
    /// a container platform restarts a process that ends, and would run the migrations in a loop. Under the AppHost it
    /// exits, and the API waits for that (WaitForCompletion).
    /// </summary>
    public static IResourceBuilder<ProjectResource> AsRunOncePerDeployment(this IResourceBuilder<ProjectResource> migrations)
    {
        if (migrations.ApplicationBuilder.ExecutionContext.IsPublishMode)
        {
            migrations.WithEnvironment("Migrator__IdleAfterSuccess", "true");
        }

        return migrations;
    }
}
