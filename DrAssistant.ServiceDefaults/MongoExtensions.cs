using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The small equivalent of Aspire's MongoDB client integration (not served here): <see cref="IMongoClient"/> and
/// <see cref="IMongoDatabase"/> from a connection name, plus a ping health check. The driver traces natively on the
/// <c>MongoDB.Driver</c> activity source, which the service defaults listen to.
/// </summary>
public static class MongoExtensions
{
    /// <param name="configureSettings">Adjusts the client settings parsed from the connection string (e.g. a shorter
    /// server selection timeout, so a service answers 503 quickly when MongoDB is down).</param>
    public static TBuilder AddMongoDatabase<TBuilder>(this TBuilder builder, string connectionName, Action<MongoClientSettings>? configureSettings = null)
        where TBuilder : IHostApplicationBuilder
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"The MongoDB connection string 'ConnectionStrings:{connectionName}' is missing. " +
                "Run through the AppHost, set it in configuration, or set MONGODB_URI.");
        }

        var connection = MongoConnection.Parse(connectionString, builder.Environment.ApplicationName);
        configureSettings?.Invoke(connection.Settings);

        builder.Services.AddSingleton<IMongoClient>(_ => new MongoClient(connection.Settings));
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IMongoClient>().GetDatabase(connection.DatabaseName));
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            $"mongodb-{connectionName}",
            sp => new MongoPingHealthCheck(sp.GetRequiredService<IMongoDatabase>()),
            failureStatus: HealthStatus.Unhealthy,
            tags: ["ready"],
            timeout: TimeSpan.FromSeconds(5)));

        return builder;
    }
}

/// <summary>A parsed MongoDB connection string: client settings and the database it names.</summary>
public sealed record MongoConnection(MongoClientSettings Settings, string DatabaseName)
{
    public static MongoConnection Parse(string connectionString, string? applicationName = null)
    {
        MongoUrl url;
        try
        {
            url = MongoUrl.Create(connectionString);
        }
        catch (MongoConfigurationException ex)
        {
            throw new InvalidOperationException($"The MongoDB connection string is not valid: {ex.Message}", ex);
        }

        if (string.IsNullOrEmpty(url.DatabaseName))
        {
            throw new InvalidOperationException(
                "The MongoDB connection string names no database; add it to the path, e.g. mongodb://host:27017/dr_assistant.");
        }

        var settings = MongoClientSettings.FromUrl(url);
        settings.ApplicationName ??= applicationName;
        return new MongoConnection(settings, url.DatabaseName);
    }
}

/// <summary>
/// A <c>ping</c> with the service's credentials. A refused login is said as such, with what to do
/// (<see cref="MongoFailures"/>), rather than as a server that did not answer.
/// </summary>
internal sealed class MongoPingHealthCheck(IMongoDatabase database) : IHealthCheck
{
    private static readonly BsonDocument Ping = new("ping", 1);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await database.RunCommandAsync<BsonDocument>(Ping, cancellationToken: cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (MongoFailures.IsAuthenticationFailure(ex))
        {
            return new HealthCheckResult(context.Registration.FailureStatus, MongoFailures.AuthenticationFailed(database.Client.Settings.Credential), ex);
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException or OperationCanceledException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "MongoDB did not answer a ping.", ex);
        }
    }
}
