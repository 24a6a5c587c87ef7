using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Aspire.Hosting;

public static class MongoBuilderExtensions
{
    internal const string Image = "library/mongo";
    internal const string ImageTag = "8.0";
    internal const string ExpressImage = "library/mongo-express";
    internal const string ExpressImageTag = "1.0";

    /// <summary>
    /// Adds a MongoDB server container. The root user name defaults to <c>admin</c>; the password is a secret
    /// parameter (generated and kept in user secrets when not given).
    /// </summary>
    public static IResourceBuilder<MongoServerResource> AddMongo(
        this IDistributedApplicationBuilder builder,
        string name,
        IResourceBuilder<ParameterResource>? userName = null,
        IResourceBuilder<ParameterResource>? password = null)
    {
        var userParameter = userName?.Resource ?? builder.AddParameter($"{name}-username", "admin", publishValueAsDefault: true).Resource;
        // No special characters: the password goes into a mongodb:// URI unescaped.
        var passwordParameter = password?.Resource
            ?? ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);

        var server = new MongoServerResource(name, userParameter, passwordParameter);

        return builder.AddResource(server)
            .WithEndpoint(targetPort: MongoServerResource.DefaultContainerPort, name: MongoServerResource.PrimaryEndpointName)
            .WithImage(Image, ImageTag)
            .WithImageRegistry("docker.io")
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables["MONGO_INITDB_ROOT_USERNAME"] = server.UserNameParameter;
                context.EnvironmentVariables["MONGO_INITDB_ROOT_PASSWORD"] = server.PasswordParameter;
            })
            .WithPingHealthCheck();
    }

    public static IResourceBuilder<MongoDatabaseResource> AddDatabase(
        this IResourceBuilder<MongoServerResource> builder, string name, string databaseName) =>
        builder.ApplicationBuilder.AddResource(new MongoDatabaseResource(name, databaseName, builder.Resource))
            .WithPingHealthCheck();

    /// <summary>Healthy once the resource's connection string answers a <c>ping</c>.</summary>
    private static IResourceBuilder<T> WithPingHealthCheck<T>(this IResourceBuilder<T> builder)
        where T : IResourceWithConnectionString
    {
        var resource = builder.Resource;
        string? connectionString = null;
        builder.ApplicationBuilder.Eventing.Subscribe<ConnectionStringAvailableEvent>(resource, async (_, cancellationToken) =>
            connectionString = await resource.ConnectionStringExpression.GetValueAsync(cancellationToken));

        var key = $"{resource.Name}_check";
        // One check instance, so one client is reused across probes.
        var check = new MongoPingCheck(() => connectionString);
        builder.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            key, check, failureStatus: null, tags: null));
        return builder.WithHealthCheck(key);
    }

    /// <summary>A named volume on <c>/data/db</c>, so data outlives the container.</summary>
    public static IResourceBuilder<MongoServerResource> WithDataVolume(this IResourceBuilder<MongoServerResource> builder) =>
        builder.WithVolume(VolumeNameGenerator.Generate(builder, "data"), "/data/db");

    /// <summary>mongo-express, a web UI for browsing the data; development only, never in the manifest.</summary>
    public static IResourceBuilder<MongoServerResource> WithMongoExpress(this IResourceBuilder<MongoServerResource> builder)
    {
        var server = builder.Resource;
        builder.ApplicationBuilder.AddContainer($"{server.Name}-express", ExpressImage, ExpressImageTag)
            .WithImageRegistry("docker.io")
            .WithHttpEndpoint(targetPort: 8081, name: "http")
            .WithEnvironment(context =>
            {
                // Containers reach each other by resource name on the Aspire network, on the container port.
                context.EnvironmentVariables["ME_CONFIG_MONGODB_SERVER"] = server.Name;
                context.EnvironmentVariables["ME_CONFIG_MONGODB_PORT"] = MongoServerResource.DefaultContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
                context.EnvironmentVariables["ME_CONFIG_MONGODB_ADMINUSERNAME"] = server.UserNameParameter;
                context.EnvironmentVariables["ME_CONFIG_MONGODB_ADMINPASSWORD"] = server.PasswordParameter;
                context.EnvironmentVariables["ME_CONFIG_BASICAUTH"] = "false";
            })
            .WithParentRelationship(server)
            .WaitFor(builder)
            .ExcludeFromManifest();
        return builder;
    }

    private sealed class MongoPingCheck(Func<string?> connectionString) : IHealthCheck
    {
        private MongoClient? _client;

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var value = connectionString();
            if (value is null)
            {
                return HealthCheckResult.Unhealthy("The connection string is not available yet.");
            }

            try
            {
                _client ??= new MongoClient(value);
                await _client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is MongoException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("MongoDB did not answer a ping.", ex);
            }
        }
    }
}
