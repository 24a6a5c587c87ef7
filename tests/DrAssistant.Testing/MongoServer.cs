using Xunit;
using System.Diagnostics;
using DotNet.Testcontainers.Builders;
using MongoDB.Bson;
using MongoDB.Driver;

namespace DrAssistant.Testing;

/// <summary>
/// A MongoDB server when one can be had: <c>DRASSISTANT_TEST_MONGODB</c> (a connection string) if set; otherwise
/// <c>mongod</c> from PATH on a free port; otherwise Testcontainers when a Docker engine is there. When none is
/// available the tests that need it are skipped (never passed), each with <see cref="UnavailableReason"/>.
/// </summary>
public sealed class MongoServer
{
    public const string EnvironmentVariable = "DRASSISTANT_TEST_MONGODB";

    private static readonly Lazy<Task<MongoServer?>> Shared = new(StartAsync);
    private static string _unavailableReason = "not looked for yet";

    private MongoServer(string connectionString, string description)
    {
        ConnectionString = connectionString;
        Description = description;
    }

    /// <summary>A connection string without a database; tests add their own database name.</summary>
    public string ConnectionString { get; }

    public string Description { get; }

    public static string UnavailableReason => _unavailableReason;

    public static Task<MongoServer?> GetAsync() => Shared.Value;

    /// <summary>The server, or a skip of the calling <c>[SkippableFact]</c> saying why there is none.</summary>
    public static async Task<MongoServer> RequireAsync()
    {
        var server = await GetAsync();
        Skip.If(server is null, $"No MongoDB server: {UnavailableReason}");
        return server!;
    }

    /// <summary>A connection string to a fresh, uniquely named database on this server.</summary>
    public string NewDatabaseConnectionString(out string databaseName)
    {
        databaseName = $"t_{Guid.NewGuid():N}";
        var url = new MongoUrlBuilder(ConnectionString) { DatabaseName = databaseName };
        if (!string.IsNullOrEmpty(url.Username) && string.IsNullOrEmpty(url.AuthenticationSource))
        {
            url.AuthenticationSource = "admin";
        }

        return url.ToString();
    }

    private static async Task<MongoServer?> StartAsync()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return await PingAsync(fromEnvironment) is { } error
                ? Unavailable($"{EnvironmentVariable} is set but the server did not answer: {error}")
                : new MongoServer(fromEnvironment, EnvironmentVariable);
        }

        var mongod = Tools.OnPath("mongod");
        if (mongod is not null)
        {
            return await StartLocalAsync(mongod);
        }

        if (Tools.DockerLooksAvailable)
        {
            try
            {
                var container = new ContainerBuilder("mongo:8.0")
                    .WithPortBinding(27017, assignRandomHostPort: true)
                    .WithWaitStrategy(Wait.ForUnixContainer().UntilInternalTcpPortIsAvailable(27017))
                    .Build();
                await container.StartAsync();
                return new MongoServer($"mongodb://{container.Hostname}:{container.GetMappedPublicPort(27017)}/", "Testcontainers mongo:8.0");
            }
            catch (Exception ex)
            {
                return Unavailable($"Docker looked available but the mongo container did not start: {ex.Message}");
            }
        }

        return Unavailable(
            $"{EnvironmentVariable} is not set, no mongod is on PATH, and no Docker engine is reachable. " +
            "MongoDB cannot be installed on this machine; these tests run wherever one of the three exists.");
    }

    private static async Task<MongoServer?> StartLocalAsync(string mongod)
    {
        var dbPath = Directory.CreateTempSubdirectory("drassistant-mongo-").FullName;
        var port = Tools.FreePort();
        var start = Tools.StartInfo(mongod, ["--dbpath", dbPath, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind_ip", "127.0.0.1", "--quiet"]);
        start.RedirectStandardOutput = true;
        var process = Process.Start(start);
        if (process is null)
        {
            return Unavailable("mongod is on PATH but could not be started.");
        }

        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        Tools.CleanUpAfterThisProcess($"kill {process.Id} 2>/dev/null; sleep 2; rm -rf {Tools.Quote(dbPath)}");
        await Tools.WaitForPortAsync(port, TimeSpan.FromSeconds(30));
        var connectionString = $"mongodb://127.0.0.1:{port}/";
        return await PingAsync(connectionString) is { } error
            ? Unavailable($"mongod started but did not answer: {error}")
            : new MongoServer(connectionString, $"local mongod on port {port}");
    }

    private static async Task<string?> PingAsync(string connectionString)
    {
        try
        {
            var settings = MongoClientSettings.FromConnectionString(connectionString);
            settings.ServerSelectionTimeout = TimeSpan.FromSeconds(5);
            using var client = new MongoClient(settings);
            await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1));
            return null;
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException)
        {
            return ex.Message;
        }
    }

    private static MongoServer? Unavailable(string reason)
    {
        _unavailableReason = reason;
        return null;
    }
}
