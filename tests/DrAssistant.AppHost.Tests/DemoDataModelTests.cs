using DrAssistant.AppHost.Stores;

namespace DrAssistant.AppHost.Tests;

/// <summary>The demo seeder in the application model: when it is there, what it waits for, and when it is not.</summary>
public class DemoDataModelTests
{
    [Fact]
    public async Task InDevelopmentTheSeederRunsTheDemoOnlyAfterTheMigrationsCompleteSuccessfully()
    {
        var model = await BuildModelAsync();
        var seeder = Seeder(model);

        var wait = Assert.Single(seeder.Annotations.OfType<WaitAnnotation>(), w => w.Resource.Name == ResourceNames.Migrations);
        Assert.Equal(WaitType.WaitForCompletion, wait.WaitType);
        Assert.Equal(0, wait.ExitCode);
        Assert.Equal(["demo", "--seed", "42"], await Model.ArgumentsOfAsync(seeder));
    }

    [Fact]
    public async Task TheSeederReferencesAndWaitsForPostgresAndMongo()
    {
        var seeder = Seeder(await BuildModelAsync());

        var references = seeder.Annotations.OfType<ResourceRelationshipAnnotation>()
            .Where(a => a.Type == "Reference").Select(a => a.Resource.Name).ToHashSet();
        var healthyWaits = seeder.Annotations.OfType<WaitAnnotation>()
            .Where(w => w.WaitType == WaitType.WaitUntilHealthy).Select(w => w.Resource.Name).ToHashSet();

        foreach (var store in new[] { ResourceNames.PostgresDatabase, ResourceNames.MongoDatabase })
        {
            Assert.Contains(store, references);
            Assert.Contains(store, healthyWaits);
        }

        // The demo has nothing to cache.
        Assert.DoesNotContain(ResourceNames.Redis, references);
    }

    [Fact]
    public async Task TheSeedComesFromConfiguration()
    {
        var seeder = Seeder(await BuildModelAsync("--DemoData:Seed=7"));

        Assert.Equal(["demo", "--seed", "7"], await Model.ArgumentsOfAsync(seeder));
    }

    [Fact]
    public async Task TurningDemoDataOffLeavesTheSeederOut()
    {
        var model = await BuildModelAsync("--DemoData:Enabled=false");

        Assert.DoesNotContain(model, r => r.Name == ResourceNames.Seeder);
        Assert.Contains(model, r => r.Name == ResourceNames.Migrations);
    }

    [Fact]
    public async Task OutsideDevelopmentThereIsNoDemoDataUnlessAskedFor()
    {
        var production = await BuildModelAsync("--environment=Production");
        var asked = await BuildModelAsync("--environment=Production", "--DemoData:Enabled=true");

        Assert.DoesNotContain(production, r => r.Name == ResourceNames.Seeder);
        Assert.Contains(asked, r => r.Name == ResourceNames.Seeder);
    }

    [Fact]
    public async Task ThePublishManifestHasNoSeeder()
    {
        // Even when asked for: demo logins have no place in a deployment.
        var resources = await Model.PublishAsync("--DemoData:Enabled=true");

        Assert.True(resources.TryGetProperty(ResourceNames.Migrations, out _));
        Assert.False(resources.TryGetProperty(ResourceNames.Seeder, out _));
    }

    private static Task<IResourceCollection> BuildModelAsync(params string[] args) =>
        Model.BuildAsync([$"--{ContainerRuntimeProbe.SettingKey}=assume", .. args]);

    private static ProjectResource Seeder(IResourceCollection model) =>
        Assert.IsType<ProjectResource>(model.Single(r => r.Name == ResourceNames.Seeder));
}
