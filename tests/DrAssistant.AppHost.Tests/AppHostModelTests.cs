using DrAssistant.AppHost.Stores;

namespace DrAssistant.AppHost.Tests;

/// <summary>
/// The application model as the AppHost builds it with containers, inspected without starting any (the container
/// runtime is assumed, so these hold on a machine without one too).
/// </summary>
public class AppHostModelTests
{
    [Fact]
    public async Task EachStoreIsAContainerOfItsOfficialImage()
    {
        var model = await BuildModelAsync();

        Assert.Equal("docker.io/library/postgres", ImageOf(model, ResourceNames.PostgresServer).Split(':')[0]);
        Assert.Equal("docker.io/library/mongo:8.0", ImageOf(model, ResourceNames.MongoServer));
        Assert.StartsWith("docker.io/library/redis:", ImageOf(model, ResourceNames.Redis), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgresAndMongoBothHoldTheDrAssistantDatabase()
    {
        var model = await BuildModelAsync();

        Assert.Equal(ResourceNames.DatabaseName, Single<PostgresDatabaseResource>(model, ResourceNames.PostgresDatabase).DatabaseName);
        Assert.Equal(ResourceNames.DatabaseName, Single<MongoDatabaseResource>(model, ResourceNames.MongoDatabase).DatabaseName);
    }

    [Fact]
    public async Task TheMongoConnectionStringHasTheUsualShapeWithTheAdminAuthSource()
    {
        var model = await BuildModelAsync();

        var expression = Single<MongoDatabaseResource>(model, ResourceNames.MongoDatabase).ConnectionStringExpression.ValueExpression;

        Assert.Equal(
            "mongodb://{mongo-username.value}:{mongo-password.value}@{mongo.bindings.tcp.host}:{mongo.bindings.tcp.port}/dr_assistant?authSource=admin",
            expression);
    }

    [Fact]
    public async Task StorePasswordsAreSecretParameters()
    {
        var model = await BuildModelAsync();

        Assert.True(Single<PostgresServerResource>(model, ResourceNames.PostgresServer).PasswordParameter.Secret);
        Assert.True(Single<MongoServerResource>(model, ResourceNames.MongoServer).PasswordParameter.Secret);
        Assert.True(Single<RedisResource>(model, ResourceNames.Redis).PasswordParameter?.Secret);
    }

    [Theory]
    [InlineData(ResourceNames.Migrations)]
    [InlineData(ResourceNames.Api)]
    public async Task ServicesReferenceAndWaitForEveryStore(string service)
    {
        var model = await BuildModelAsync();
        var project = Single<ProjectResource>(model, service);

        var references = project.Annotations.OfType<ResourceRelationshipAnnotation>()
            .Where(a => a.Type == "Reference").Select(a => a.Resource.Name).ToHashSet();
        var healthyWaits = project.Annotations.OfType<WaitAnnotation>()
            .Where(w => w.WaitType == WaitType.WaitUntilHealthy).Select(w => w.Resource.Name).ToHashSet();

        foreach (var store in new[] { ResourceNames.PostgresDatabase, ResourceNames.MongoDatabase, ResourceNames.Redis })
        {
            Assert.Contains(store, references);
            Assert.Contains(store, healthyWaits);
        }
    }

    [Fact]
    public async Task TheApiStartsOnlyAfterTheMigrationsCompleteSuccessfully()
    {
        var model = await BuildModelAsync();

        var wait = Assert.Single(
            Single<ProjectResource>(model, ResourceNames.Api).Annotations.OfType<WaitAnnotation>(),
            w => w.Resource.Name == ResourceNames.Migrations);

        Assert.Equal(WaitType.WaitForCompletion, wait.WaitType);
        Assert.Equal(0, wait.ExitCode);
    }

    [Fact]
    public async Task TheMigrationsDoNotWaitForTheApi()
    {
        var model = await BuildModelAsync();

        Assert.DoesNotContain(
            Single<ProjectResource>(model, ResourceNames.Migrations).Annotations.OfType<WaitAnnotation>(),
            w => w.Resource.Name == ResourceNames.Api);
    }

    [Theory]
    [InlineData(ResourceNames.PostgresServer)]
    [InlineData(ResourceNames.MongoServer)]
    [InlineData(ResourceNames.Redis)]
    public async Task InRunModeStoresArePersistentAndKeepTheirDataInAVolume(string store)
    {
        var model = await BuildModelAsync();
        var container = Single<ContainerResource>(model, store);

        Assert.Equal(ContainerLifetime.Persistent, container.Annotations.OfType<ContainerLifetimeAnnotation>().Single().Lifetime);
        Assert.Contains(container.Annotations.OfType<ContainerMountAnnotation>(), m => m.Type == ContainerMountType.Volume);
    }

    [Fact]
    public async Task EachStoreHasABrowserForDevelopers()
    {
        var model = await BuildModelAsync();

        Assert.Contains(model, r => r is ContainerResource && r.Name == "pgweb");
        Assert.Contains(model, r => r is ContainerResource && r.Name == "mongo-express");
        Assert.Contains(model, r => r is ContainerResource && r.Name == "redisinsight");
    }

    [Fact]
    public async Task ConnectionStringsInConfigurationReplaceTheContainers()
    {
        var model = await BuildModelAsync(
            $"--ConnectionStrings:{ResourceNames.PostgresDatabase}=Host=db.example;Database=dr_assistant",
            $"--ConnectionStrings:{ResourceNames.MongoDatabase}=mongodb://db.example:27017/dr_assistant",
            $"--ConnectionStrings:{ResourceNames.Redis}=cache.example:6379");

        Assert.DoesNotContain(model, r => r is ContainerResource or LocalPostgresResource or LocalRedisResource);
        foreach (var store in new[] { ResourceNames.PostgresDatabase, ResourceNames.MongoDatabase, ResourceNames.Redis })
        {
            AssertExternal(model, store);
        }

        var migrations = Single<ProjectResource>(model, ResourceNames.Migrations);
        Assert.Contains(migrations.Annotations.OfType<ResourceRelationshipAnnotation>(),
            a => a.Type == "Reference" && a.Resource.Name == ResourceNames.PostgresDatabase);
    }

    [Fact]
    public async Task OneStoreCanBeExternalWhileTheOthersStayContainers()
    {
        var model = await BuildModelAsync($"--ConnectionStrings:{ResourceNames.Redis}=cache.example:6379");

        AssertExternal(model, ResourceNames.Redis);
        Assert.IsType<PostgresServerResource>(model.Single(r => r.Name == ResourceNames.PostgresServer));
        Assert.IsType<MongoServerResource>(model.Single(r => r.Name == ResourceNames.MongoServer));
    }

    private static Task<IResourceCollection> BuildModelAsync(params string[] args) =>
        Model.BuildAsync([$"--{ContainerRuntimeProbe.SettingKey}=assume", .. args]);

    private static T Single<T>(IResourceCollection model, string name) where T : IResource =>
        Assert.IsType<T>(model.Single(r => r.Name == name), exactMatch: false);

    /// <summary>
    /// An existing server: a connection string from configuration, not a container; a resource of its own with a health
    /// check, so the dashboard shows whether it answers.
    /// </summary>
    private static void AssertExternal(IResourceCollection model, string name)
    {
        var resource = model.Single(r => r.Name == name);
        Assert.IsType<ConnectionStringResource>(resource);
        Assert.NotEmpty(resource.Annotations.OfType<HealthCheckAnnotation>());
    }

    private static string ImageOf(IResourceCollection model, string name)
    {
        var image = Single<ContainerResource>(model, name).Annotations.OfType<ContainerImageAnnotation>().Single();
        return $"{image.Registry}/{image.Image}:{image.Tag}";
    }
}
