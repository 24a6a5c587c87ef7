using System.Text.Json;
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
        Assert.Equal(["demo", "--seed", "42"], await ArgumentsOfAsync(seeder));
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

        Assert.Equal(["demo", "--seed", "7"], await ArgumentsOfAsync(seeder));
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
        var path = Path.Combine(Path.GetTempPath(), $"drassistant-manifest-{Guid.NewGuid():N}.json");
        try
        {
            // Even when asked for: demo logins have no place in a deployment.
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DrAssistant_AppHost>(
                ["--publisher", "manifest", "--output-path", path, "--DemoData:Enabled=true"]);
            await using (var app = await builder.BuildAsync())
            {
                await app.RunAsync();
            }

            using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(path));
            var resources = manifest.RootElement.GetProperty("resources");
            Assert.True(resources.TryGetProperty(ResourceNames.Migrations, out _));
            Assert.False(resources.TryGetProperty(ResourceNames.Seeder, out _));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<IResourceCollection> BuildModelAsync(params string[] args)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DrAssistant_AppHost>(
            [$"--{ContainerRuntimeProbe.SettingKey}=assume", .. args]);
        return builder.Resources;
    }

    /// <summary>The command-line arguments the resource is given, as its callbacks produce them.</summary>
    private static async Task<string[]> ArgumentsOfAsync(ProjectResource resource)
    {
        var arguments = new List<object>();
        var context = new CommandLineArgsCallbackContext(arguments, resource, CancellationToken.None);
        foreach (var callback in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return [.. arguments.Select(a => a.ToString()!)];
    }

    private static ProjectResource Seeder(IResourceCollection model) =>
        Assert.IsType<ProjectResource>(model.Single(r => r.Name == ResourceNames.Seeder));
}
