using DrAssistant.AppHost.Stores;

namespace DrAssistant.AppHost.Tests;

/// <summary>The application model without containers: local executables, MongoDB off, existing servers.</summary>
public class StoreModeModelTests
{
    [SkippableFact]
    public async Task WithoutAContainerRuntimePostgresAndRedisAreLocalExecutablesAndMongoIsLeftOut()
    {
        Skip.If(LocalPostgres.Find(EmptyConfiguration).Binaries is null, "PostgreSQL's server binaries are not installed here");
        var model = await BuildModelAsync($"--{ContainerRuntimeProbe.SettingKey}=none");

        var postgres = Assert.IsType<LocalPostgresResource>(model.Single(r => r.Name == ResourceNames.PostgresServer));
        var database = Assert.IsType<LocalPostgresDatabaseResource>(model.Single(r => r.Name == ResourceNames.PostgresDatabase));
        Assert.Same(postgres, database.Parent);
        Assert.Equal(ResourceNames.DatabaseName, database.DatabaseName);
        Assert.IsType<LocalRedisResource>(model.Single(r => r.Name == ResourceNames.Redis));
        Assert.DoesNotContain(model, r => r is ContainerResource);
        Assert.DoesNotContain(model, r => r.Name.StartsWith("mongo", StringComparison.Ordinal));
        foreach (var store in new IResource[] { database, postgres, model.Single(r => r.Name == ResourceNames.Redis) })
        {
            Assert.NotEmpty(store.Annotations.OfType<HealthCheckAnnotation>());
        }
    }

    [SkippableFact]
    public async Task ALocalPostgresListensOnlyOnLoopbackAndRunsAsThePostgresUserWhenWeAreRoot()
    {
        Skip.If(LocalPostgres.Find(EmptyConfiguration).Binaries is null, "PostgreSQL's server binaries are not installed here");
        var model = await BuildModelAsync("--Stores:Postgres=local", "--Stores:Redis=local", "--Stores:Mongo=off");
        var postgres = (LocalPostgresResource)model.Single(r => r.Name == ResourceNames.PostgresServer);

        var arguments = await Model.ArgumentsOfAsync(postgres);

        Assert.Contains("listen_addresses=127.0.0.1", arguments);
        if (LocalStores.IsRoot)
        {
            Assert.EndsWith("setpriv", postgres.Command, StringComparison.Ordinal);
            Assert.Equal(["--reuid", "postgres", "--regid"], arguments.Take(3));
        }
        else
        {
            Assert.EndsWith("postgres", postgres.Command, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(ResourceNames.Migrations)]
    [InlineData(ResourceNames.Api)]
    [InlineData(ResourceNames.Seeder)]
    public async Task WithMongoOffNoServiceReferencesOrWaitsForIt(string service)
    {
        var model = await BuildModelAsync($"--{ContainerRuntimeProbe.SettingKey}=assume", "--Stores:Mongo=off");
        var project = (ProjectResource)model.Single(r => r.Name == service);

        Assert.DoesNotContain(model, r => r.Name.StartsWith("mongo", StringComparison.Ordinal));
        Assert.DoesNotContain(project.Annotations.OfType<ResourceRelationshipAnnotation>(), a => a.Resource.Name.StartsWith("mongo", StringComparison.Ordinal));
        Assert.Contains(project.Annotations.OfType<WaitAnnotation>(), w => w.Resource.Name == ResourceNames.PostgresDatabase);
    }

    [Fact]
    public async Task WithMongoOffThePublishedManifestHasNoMongo()
    {
        var resources = await Model.PublishAsync("--Stores:Mongo=off");

        Assert.DoesNotContain(resources.EnumerateObject(), r => r.Name.StartsWith("mongo", StringComparison.Ordinal));
        Assert.False(resources.GetProperty(ResourceNames.Api).GetProperty("env").TryGetProperty("ConnectionStrings__mongodb", out _));
        Assert.Equal("container.v0", resources.GetProperty(ResourceNames.PostgresServer).GetProperty("type").GetString());
    }

    [Fact]
    public async Task AGivenServerIsAResourceWithAHealthCheckAndItsConnectionStringStaysSecret()
    {
        var model = await BuildModelAsync(
            $"--{ContainerRuntimeProbe.SettingKey}=none",
            "--ConnectionStrings:postgresdb=Host=db.example;Database=dr_assistant;Username=app;Password=secret",
            "--ConnectionStrings:redis=cache.example:6379",
            "--Stores:Mongo=off");

        var postgres = Assert.IsType<ConnectionStringResource>(model.Single(r => r.Name == ResourceNames.PostgresDatabase));
        Assert.NotEmpty(postgres.Annotations.OfType<HealthCheckAnnotation>());
        var value = Assert.Single(postgres.ConnectionStringExpression.ValueProviders.OfType<ParameterResource>());
        Assert.True(value.Secret);
        Assert.Equal("Host=db.example;Database=dr_assistant;Username=app;Password=secret", await postgres.ConnectionStringExpression.GetValueAsync(CancellationToken.None));
        Assert.DoesNotContain(model, r => r is LocalPostgresResource or LocalRedisResource);
    }

    private static readonly Microsoft.Extensions.Configuration.IConfiguration EmptyConfiguration =
        new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build();

    /// <summary>Local stores would keep their data in a folder of this test's own (never made: nothing starts).</summary>
    private static Task<IResourceCollection> BuildModelAsync(params string[] args) =>
        Model.BuildAsync([$"--{LocalStores.DirectoryKey}={Path.Combine(Path.GetTempPath(), $"drassistant-model-{Guid.NewGuid():N}")}", .. args]);
}
