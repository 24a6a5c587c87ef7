using DrAssistant.AppHost.Stores;

namespace DrAssistant.AppHost.Tests;

/// <summary>
/// The API as a service that scales out: <c>Api:Replicas</c> instances (two by default under the AppHost, so every F5
/// runs more than one), whose health is <c>/health</c> (the stores and the schema gate) with <c>/alive</c> as liveness.
/// </summary>
public class ApiReplicasModelTests
{
    [Fact]
    public async Task UnderTheAppHostTheApiRunsAsTwoReplicasByDefault()
    {
        var api = await ApiAsync();

        Assert.Equal(2, api.Annotations.OfType<ReplicaAnnotation>().Single().Replicas);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("4", 4)]
    public async Task ApiReplicasSetsHowMany(string setting, int replicas)
    {
        var api = await ApiAsync($"--{DeploymentExtensions.ReplicasKey}={setting}");

        Assert.Equal(replicas, api.Annotations.OfType<ReplicaAnnotation>().SingleOrDefault()?.Replicas ?? 1);
    }

    [Fact]
    public async Task TheApisHealthIsItsReadinessEndpointAndItsLivenessIsAlive()
    {
        var api = await ApiAsync();

#pragma warning disable ASPIREPROBES001 // Probes are experimental in Aspire 13.
        var probes = api.Annotations.OfType<EndpointProbeAnnotation>().ToDictionary(p => p.Type, p => p.Path);
        Assert.Equal("/health", probes[ProbeType.Readiness]);
        Assert.Equal("/alive", probes[ProbeType.Liveness]);
#pragma warning restore ASPIREPROBES001
        Assert.NotEmpty(api.Annotations.OfType<HealthCheckAnnotation>());
    }

    [Fact]
    public async Task UnderTheAppHostTheMigrationServiceExitsAfterItsRunAsTheApiWaitsForThat()
    {
        var model = await Model.BuildAsync($"--{ContainerRuntimeProbe.SettingKey}=assume");
        var migrations = (ProjectResource)model.Single(r => r.Name == ResourceNames.Migrations);

        var environment = new Dictionary<string, object>();
        foreach (var callback in migrations.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), environment));
        }

        Assert.False(environment.ContainsKey("Migrator__IdleAfterSuccess"));
    }

    private static async Task<ProjectResource> ApiAsync(params string[] args)
    {
        var model = await Model.BuildAsync([$"--{ContainerRuntimeProbe.SettingKey}=assume", .. args]);
        return (ProjectResource)model.Single(r => r.Name == ResourceNames.Api);
    }
}
