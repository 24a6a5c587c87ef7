using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MongoDB.Bson;
using MongoDB.Driver;
using Npgsql;
using StackExchange.Redis;

namespace DrAssistant.AppHost.Stores;

/// <summary>
/// Health checks for stores the AppHost does not start from an Aspire integration: local executables and servers given by
/// connection string. Each probe opens its own short-lived connection (nothing pooled: a stopping local PostgreSQL is
/// not kept waiting by an idle connection of ours) and, when it fails, says why in a sentence the dashboard shows.
/// </summary>
internal static class StoreHealthChecks
{
    public delegate Task<HealthCheckResult> Probe(string connectionString, string? databaseName, CancellationToken cancellationToken);

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Healthy when the resource's connection string answers <paramref name="probe"/>.</summary>
    public static IResourceBuilder<T> WithStoreHealthCheck<T>(this IResourceBuilder<T> builder, Probe probe, string? databaseName)
        where T : IResourceWithConnectionString
    {
        var resource = builder.Resource;
        string? connectionString = null;
        builder.ApplicationBuilder.Eventing.Subscribe<ConnectionStringAvailableEvent>(resource, async (_, cancellationToken) =>
            connectionString = await resource.ConnectionStringExpression.GetValueAsync(cancellationToken));

        var key = $"{resource.Name}_check";
        builder.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            key,
            _ => new DelegateCheck(cancellationToken => connectionString is null
                ? Task.FromResult(HealthCheckResult.Unhealthy("The connection string is not available yet."))
                : probe(connectionString, databaseName, cancellationToken)),
            failureStatus: null,
            tags: null));
        return builder.WithHealthCheck(key);
    }

    public static async Task<HealthCheckResult> Postgres(string connectionString, string? databaseName, CancellationToken cancellationToken)
    {
        NpgsqlConnectionStringBuilder settings;
        try
        {
            settings = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = (int)ProbeTimeout.TotalSeconds, CommandTimeout = (int)ProbeTimeout.TotalSeconds };
        }
        catch (ArgumentException ex)
        {
            return HealthCheckResult.Unhealthy($"The connection string is not a PostgreSQL one: {ex.Message}");
        }

        if (databaseName is not null)
        {
            settings.Database = databaseName;
        }

        var target = $"PostgreSQL at {settings.Host}:{settings.Port}, database {settings.Database ?? settings.Username}";
        try
        {
            await using var connection = new NpgsqlConnection(settings.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT version()", connection);
            var version = await command.ExecuteScalarAsync(cancellationToken) as string;
            return HealthCheckResult.Healthy($"{target}: reachable ({version?.Split(" on ")[0]})");
        }
        catch (PostgresException ex)
        {
            return HealthCheckResult.Unhealthy($"{target}: {ex.MessageText} ({ex.SqlState})");
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"{target}: {Reason(ex)}");
        }
    }

    public static async Task<HealthCheckResult> Redis(string connectionString, string? databaseName, CancellationToken cancellationToken)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(connectionString);
        }
        catch (ArgumentException ex)
        {
            return HealthCheckResult.Unhealthy($"The connection string is not a Redis one: {ex.Message}");
        }

        options.AbortOnConnectFail = true;
        options.ConnectRetry = 0;
        options.ConnectTimeout = (int)ProbeTimeout.TotalMilliseconds;
        options.AsyncTimeout = (int)ProbeTimeout.TotalMilliseconds;
        var target = $"Redis at {string.Join(", ", options.EndPoints.Select(e => e.ToString()))}";
        // The client only says "UnableToConnect": a plain TCP connection first says why (refused, no such host, no answer).
        if (await TcpProblemAsync(options.EndPoints.FirstOrDefault(), cancellationToken) is { } unreachable)
        {
            return HealthCheckResult.Unhealthy($"{target}: {unreachable}");
        }

        try
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
            var latency = await connection.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy($"{target}: reachable (ping {latency.TotalMilliseconds:0.0} ms)");
        }
        catch (Exception ex) when (ex is RedisException or SocketException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"{target}: {Reason(ex)}");
        }
    }

    public static async Task<HealthCheckResult> Mongo(string connectionString, string? databaseName, CancellationToken cancellationToken)
    {
        MongoUrl url;
        try
        {
            url = MongoUrl.Create(connectionString);
        }
        catch (MongoConfigurationException ex)
        {
            return HealthCheckResult.Unhealthy($"The connection string is not a MongoDB one: {ex.Message}");
        }

        var settings = MongoClientSettings.FromUrl(url);
        settings.ServerSelectionTimeout = ProbeTimeout;
        settings.ConnectTimeout = ProbeTimeout;
        var target = $"MongoDB at {string.Join(", ", url.Servers)}";
        try
        {
            using var client = new MongoClient(settings);
            await client.GetDatabase(url.DatabaseName ?? "admin")
                .RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: cancellationToken);
            return HealthCheckResult.Healthy($"{target}: reachable");
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"{target}: {Reason(ex)}");
        }
    }

    private static async Task<string?> TcpProblemAsync(System.Net.EndPoint? endpoint, CancellationToken cancellationToken)
    {
        var (host, port) = endpoint switch
        {
            System.Net.DnsEndPoint dns => (dns.Host, dns.Port),
            System.Net.IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            _ => (null, 0),
        };
        if (host is null)
        {
            return null;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(host, port == 0 ? 6379 : port, timeout.Token);
            return null;
        }
        catch (SocketException ex)
        {
            return ex.Message;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {ProbeTimeout.TotalSeconds:0} s";
        }
    }

    /// <summary>The innermost message, on one line: "Connection refused", "No such host is known", …</summary>
    private static string Reason(Exception ex)
    {
        var message = ex.GetBaseException().Message;
        if (ex is RedisConnectionException redis)
        {
            // Its own message lists every endpoint and the library's advice; the failure type and inner cause say it shorter.
            message = redis.InnerException is { } inner ? $"{redis.FailureType}: {inner.GetBaseException().Message}" : redis.FailureType.ToString();
        }

        // The driver's server-selection timeout goes on to dump the whole cluster state.
        var clusterState = message.IndexOf(" Client view of cluster state", StringComparison.Ordinal);
        if (clusterState > 0)
        {
            message = message[..clusterState];
        }

        return message.Split('\n')[0].Trim();
    }

    private sealed class DelegateCheck(Func<CancellationToken, Task<HealthCheckResult>> check) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            check(cancellationToken);
    }
}
