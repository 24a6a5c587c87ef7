using Microsoft.Extensions.Configuration;

namespace DrAssistant.AppHost;

/// <summary>
/// The three stores. Each one is a container by default; when its connection string is given in configuration
/// (<c>ConnectionStrings:postgresdb</c>, <c>ConnectionStrings:mongodb</c>, <c>ConnectionStrings:redis</c>),
/// the existing server is used instead and no container is started.
/// </summary>
internal static class StoreExtensions
{
    public static IResourceBuilder<IResourceWithConnectionString> AddDrAssistantPostgres(this IDistributedApplicationBuilder builder)
    {
        if (builder.HasConnectionString(ResourceNames.PostgresDatabase))
        {
            return builder.AddConnectionString(ResourceNames.PostgresDatabase);
        }

        var server = builder.AddPostgres(ResourceNames.PostgresServer)
            .WithImageTag("17");
        if (builder.ExecutionContext.IsRunMode)
        {
            server.WithDataVolume()
                .WithLifetime(ContainerLifetime.Persistent)
                .WithPgWeb(pgweb => pgweb.WithLifetime(ContainerLifetime.Persistent));
        }

        return server.AddDatabase(ResourceNames.PostgresDatabase, ResourceNames.DatabaseName);
    }

    public static IResourceBuilder<IResourceWithConnectionString> AddDrAssistantMongo(this IDistributedApplicationBuilder builder)
    {
        if (builder.HasConnectionString(ResourceNames.MongoDatabase))
        {
            return builder.AddConnectionString(ResourceNames.MongoDatabase);
        }

        var server = builder.AddMongo(ResourceNames.MongoServer);
        if (builder.ExecutionContext.IsRunMode)
        {
            server.WithDataVolume()
                .WithLifetime(ContainerLifetime.Persistent)
                .WithMongoExpress();
        }

        return server.AddDatabase(ResourceNames.MongoDatabase, ResourceNames.DatabaseName);
    }

    public static IResourceBuilder<IResourceWithConnectionString> AddDrAssistantRedis(this IDistributedApplicationBuilder builder)
    {
        if (builder.HasConnectionString(ResourceNames.Redis))
        {
            return builder.AddConnectionString(ResourceNames.Redis);
        }

        var redis = builder.AddRedis(ResourceNames.Redis);
        if (builder.ExecutionContext.IsRunMode)
        {
            redis.WithDataVolume()
                .WithLifetime(ContainerLifetime.Persistent)
                .WithRedisInsight(insight => insight.WithLifetime(ContainerLifetime.Persistent));
        }

        return redis;
    }

    /// <summary>References the three stores and waits until each one is healthy.</summary>
    public static IResourceBuilder<ProjectResource> WithStores(
        this IResourceBuilder<ProjectResource> project,
        params IResourceBuilder<IResourceWithConnectionString>[] stores)
    {
        foreach (var store in stores)
        {
            project.WithReference(store).WaitFor(store);
        }

        return project;
    }

    private static bool HasConnectionString(this IDistributedApplicationBuilder builder, string name) =>
        !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name));
}
