using DrAssistant.AppHost.Stores;
using DrAssistant.Testing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DrAssistant.AppHost.Tests;

/// <summary>What the dashboard says about a store given by connection string: reachable, or not and why.</summary>
public class StoreHealthCheckTests
{
    [Fact]
    public async Task APostgresThatAnswersIsReachableWithItsVersion()
    {
        var server = await PostgresServer.GetAsync();

        var result = await StoreHealthChecks.Postgres(server.AdminConnectionString, databaseName: null, CancellationToken.None);

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Contains("reachable (PostgreSQL ", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingDatabaseIsNamedWithTheServersOwnWords()
    {
        var server = await PostgresServer.GetAsync();

        var result = await StoreHealthChecks.Postgres(server.ConnectionStringFor("no_such_database"), databaseName: null, CancellationToken.None);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("database \"no_such_database\" does not exist (3D000)", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APostgresNobodyListensForIsRefused()
    {
        var result = await StoreHealthChecks.Postgres($"Host=127.0.0.1;Port={Tools.FreePort()};Username=x;Password=y", databaseName: null, CancellationToken.None);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("refused", result.Description, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ARedisThatAnswersIsReachable()
    {
        var redis = await RedisServer.GetAsync();

        var result = await StoreHealthChecks.Redis(redis.ConnectionString, databaseName: null, CancellationToken.None);

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Contains("reachable (ping", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARedisNobodyListensForIsRefused()
    {
        var result = await StoreHealthChecks.Redis($"127.0.0.1:{Tools.FreePort()}", databaseName: null, CancellationToken.None);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("refused", result.Description, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AConnectionStringOfTheWrongKindSaysSo()
    {
        var result = await StoreHealthChecks.Postgres("this is not a connection string", databaseName: null, CancellationToken.None);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.StartsWith("The connection string is not a PostgreSQL one", result.Description, StringComparison.Ordinal);
    }
}
