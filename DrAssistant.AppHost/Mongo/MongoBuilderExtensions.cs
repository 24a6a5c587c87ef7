using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
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
        // Any password works (connection strings escape it); the generated one simply has no special characters.
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
            .WithPingHealthCheck(MongoPingCheck.Role.Server);
    }

    public static IResourceBuilder<MongoDatabaseResource> AddDatabase(
        this IResourceBuilder<MongoServerResource> builder, string name, string databaseName) =>
        builder.ApplicationBuilder.AddResource(new MongoDatabaseResource(name, databaseName, builder.Resource))
            .WithPingHealthCheck(MongoPingCheck.Role.Database);

    /// <summary>Healthy once the resource's connection string answers a <c>ping</c> (see <see cref="MongoPingCheck"/>).</summary>
    private static IResourceBuilder<T> WithPingHealthCheck<T>(this IResourceBuilder<T> builder, MongoPingCheck.Role role)
        where T : IResourceWithConnectionString
    {
        var resource = builder.Resource;
        string? connectionString = null;
        builder.ApplicationBuilder.Eventing.Subscribe<ConnectionStringAvailableEvent>(resource, async (_, cancellationToken) =>
            connectionString = await resource.ConnectionStringExpression.GetValueAsync(cancellationToken));

        var key = $"{resource.Name}_check";
        // One check instance, so one client is reused across probes.
        var check = new MongoPingCheck(() => connectionString, role);
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
                // A whole connection string with escaped credentials: given a server, user and password instead,
                // mongo-express pastes them into a URI unescaped, which a password with '@' or '/' breaks.
                context.EnvironmentVariables["ME_CONFIG_MONGODB_URL"] = server.BuildContainerConnectionString();
                context.EnvironmentVariables["ME_CONFIG_BASICAUTH"] = "false";
            })
            .WithParentRelationship(server)
            .WaitFor(builder)
            .ExcludeFromManifest();
        return builder;
    }

    /// <summary>
    /// A <c>ping</c> with the resource's credentials. When the server answers but refuses them (typically a data volume
    /// created with another password), the server resource is unhealthy with <see cref="MongoFailures"/>'s explanation,
    /// shown on the dashboard; the database resource, which the services wait for, lets them start, so the migrator
    /// fails at once with the same explanation (and the API, waiting for the migrator, never starts) instead of everyone
    /// showing "Waiting" for ever.
    /// </summary>
    public sealed class MongoPingCheck(Func<string?> connectionString, MongoPingCheck.Role role) : IHealthCheck
    {
        private MongoClient? _client;

        public enum Role
        {
            Server,
            Database,
        }

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
            catch (Exception ex) when (MongoFailures.IsAuthenticationFailure(ex))
            {
                return Refused(MongoFailures.AuthenticationFailed(_client?.Settings.Credential), ex, role);
            }
            catch (Exception ex) when (ex is MongoException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("MongoDB did not answer a ping.", ex);
            }
        }

        public static HealthCheckResult Refused(string explanation, Exception? exception, Role role) => role == Role.Server
            ? HealthCheckResult.Unhealthy(explanation, exception)
            : HealthCheckResult.Healthy($"MongoDB answers but refuses the credentials; the services start so that they fail saying so. {explanation}");
    }
}
