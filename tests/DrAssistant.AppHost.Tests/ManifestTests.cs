using System.Text.Json;
using System.Text.RegularExpressions;

namespace DrAssistant.AppHost.Tests;

/// <summary>
/// Publish mode: the same model becomes a deployment manifest (what azd reads). What an operator deploys: containers that
/// keep their data in volumes, or (only when switched explicitly) connection-string parameters for managed servers; no
/// secret written out; no development tools or demo data; a migration service that runs once and stays up.
/// </summary>
public class ManifestTests
{
    private static readonly string[] StoreContainers = [ResourceNames.PostgresServer, ResourceNames.MongoServer, ResourceNames.Redis];

    private static readonly string[] AllConnections =
    [
        "--Stores:Postgres=connection", "--Stores:Mongo=connection", "--Stores:Redis=connection",
    ];

    [Fact]
    public async Task PublishingWritesAManifestWithEveryServiceAndStore()
    {
        var resources = await Model.PublishAsync();

        Assert.Equal("container.v0", TypeOf(resources, ResourceNames.PostgresServer));
        Assert.Equal("container.v0", TypeOf(resources, ResourceNames.MongoServer));
        Assert.Equal("container.v0", TypeOf(resources, ResourceNames.Redis));
        Assert.Equal("project.v0", TypeOf(resources, ResourceNames.Migrations));
        Assert.Equal("project.v0", TypeOf(resources, ResourceNames.Api));

        var apiEnvironment = resources.GetProperty(ResourceNames.Api).GetProperty("env");
        Assert.Equal("{postgresdb.connectionString}", apiEnvironment.GetProperty("ConnectionStrings__postgresdb").GetString());
        Assert.Equal("{mongodb.connectionString}", apiEnvironment.GetProperty("ConnectionStrings__mongodb").GetString());
        Assert.Equal("{redis.connectionString}", apiEnvironment.GetProperty("ConnectionStrings__redis").GetString());
        // Run-mode settings stay out of a deployment.
        Assert.False(apiEnvironment.TryGetProperty("OTEL_EXPORTER_OTLP_TIMEOUT", out _));
    }

    [Theory]
    [InlineData(ResourceNames.PostgresServer, "/var/lib/postgresql/data")]
    [InlineData(ResourceNames.MongoServer, "/data/db")]
    [InlineData(ResourceNames.Redis, "/data")]
    public async Task EachStoreContainerKeepsItsDataInAVolume(string store, string dataDirectory)
    {
        var resources = await Model.PublishAsync();

        var volume = Assert.Single(resources.GetProperty(store).GetProperty("volumes").EnumerateArray());
        Assert.Equal(dataDirectory, volume.GetProperty("target").GetString());
        Assert.False(volume.GetProperty("readOnly").GetBoolean());
        Assert.False(string.IsNullOrEmpty(volume.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task RedisWritesItsSnapshotsToItsVolumeAndPostgresCreatesTheServicesDatabase()
    {
        var resources = await Model.PublishAsync();

        Assert.Contains("--save", string.Join(' ', resources.GetProperty(ResourceNames.Redis).GetProperty("args").EnumerateArray().Select(a => a.GetString())), StringComparison.Ordinal);
        // Under the AppHost Aspire creates the database; deployed, the image must, or the migrator finds none.
        Assert.Equal(ResourceNames.DatabaseName, resources.GetProperty(ResourceNames.PostgresServer).GetProperty("env").GetProperty("POSTGRES_DB").GetString());
    }

    [Fact]
    public async Task NoDevelopmentToolNorTheDemoSeederIsDeployed()
    {
        var resources = await Model.PublishAsync("--DemoData:Enabled=true");

        var names = resources.EnumerateObject().Select(p => p.Name).ToList();
        Assert.DoesNotContain("pgweb", names);
        Assert.DoesNotContain("mongo-express", names);
        Assert.DoesNotContain("redisinsight", names);
        Assert.DoesNotContain(ResourceNames.Seeder, names);
        Assert.All(names, name => Assert.DoesNotContain("insight", name, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task DeployedTheMigrationServiceStaysUpIdleAfterItsRunInsteadOfBeingRestarted()
    {
        var resources = await Model.PublishAsync();

        var environment = resources.GetProperty(ResourceNames.Migrations).GetProperty("env");
        Assert.Equal("true", environment.GetProperty("Migrator__IdleAfterSuccess").GetString());
    }

    [Fact]
    public async Task TheSwitchTurnsEachStoreIntoASecretConnectionStringParameter()
    {
        var resources = await Model.PublishAsync(AllConnections);

        foreach (var container in StoreContainers.Where(c => c != ResourceNames.Redis))
        {
            Assert.False(resources.TryGetProperty(container, out _), $"{container} is still deployed as a container");
        }

        foreach (var store in new[] { ResourceNames.PostgresDatabase, ResourceNames.MongoDatabase, ResourceNames.Redis })
        {
            var parameter = resources.GetProperty(store);
            Assert.Equal("parameter.v0", parameter.GetProperty("type").GetString());
            Assert.Equal($"{{{store}.value}}", parameter.GetProperty("connectionString").GetString());
            Assert.True(parameter.GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
            Assert.False(parameter.GetProperty("inputs").GetProperty("value").TryGetProperty("default", out _), "a managed server's connection string has no default");
            foreach (var service in new[] { ResourceNames.Migrations, ResourceNames.Api })
            {
                Assert.Equal($"{{{store}.connectionString}}", resources.GetProperty(service).GetProperty("env").GetProperty($"ConnectionStrings__{store}").GetString());
            }
        }

        Assert.DoesNotContain(resources.EnumerateObject(), r => r.Value.TryGetProperty("volumes", out _));
    }

    [Fact]
    public async Task OneStoreCanBeManagedWhileTheOthersStayContainers()
    {
        var resources = await Model.PublishAsync("--Stores:Postgres=connection");

        Assert.Equal("parameter.v0", TypeOf(resources, ResourceNames.PostgresDatabase));
        Assert.False(resources.TryGetProperty(ResourceNames.PostgresServer, out _));
        Assert.Equal("container.v0", TypeOf(resources, ResourceNames.MongoServer));
        Assert.Equal("container.v0", TypeOf(resources, ResourceNames.Redis));
    }

    [Fact]
    public async Task ConnectionStringsInTheDevelopersConfigurationAloneDoNotChangeWhatIsDeployed()
    {
        var plain = await Model.PublishAsync();

        var withSecrets = await Model.PublishAsync(
            $"--ConnectionStrings:{ResourceNames.PostgresDatabase}=Host=dev.example;Database=dr_assistant;Username=dev;Password=DevSecret-1",
            $"--ConnectionStrings:{ResourceNames.MongoDatabase}=mongodb://dev:DevSecret-2@dev.example/dr_assistant",
            $"--ConnectionStrings:{ResourceNames.Redis}=dev.example:6379,password=DevSecret-3");

        foreach (var container in StoreContainers)
        {
            Assert.Equal("container.v0", TypeOf(withSecrets, container));
        }

        Assert.Equal(plain.GetRawText(), withSecrets.GetRawText());
        Assert.DoesNotContain("DevSecret", withSecrets.GetRawText(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task NoSecretIsWrittenIntoTheManifest(bool managed)
    {
        string[] secrets = ["PgSecret-7d1c", "MongoSecret-9e2a", "RedisSecret-4b3f", "ConnSecret-5a6b"];
        var resources = await Model.PublishAsync([
            .. managed ? AllConnections : [],
            $"--Parameters:postgres-password={secrets[0]}",
            $"--Parameters:mongo-password={secrets[1]}",
            $"--Parameters:redis-password={secrets[2]}",
            $"--ConnectionStrings:{ResourceNames.PostgresDatabase}=Host=db.example;Password={secrets[3]}",
            $"--ConnectionStrings:{ResourceNames.Redis}=cache.example:6379,password={secrets[3]}",
        ]);
        var text = resources.GetRawText();

        Assert.All(secrets, secret => Assert.DoesNotContain(secret, text, StringComparison.Ordinal));
        // Every password the services or stores get is a reference to a parameter, never a value.
        foreach (var (resource, name, value) in Strings(resources))
        {
            if (name.Contains("PASSWORD", StringComparison.OrdinalIgnoreCase))
            {
                Assert.True(Regex.Replace(value, @"\{[^}]+\}", string.Empty).Length == 0, $"{resource}.{name} holds a literal: {value}");
            }

            Assert.DoesNotMatch(@"(?i)password=(?!\{)", value);
        }

        // The parameters that hold passwords or connection strings are secret (azd keeps them in Key Vault / its secrets).
        foreach (var parameter in resources.EnumerateObject().Where(r => r.Value.GetProperty("type").GetString() == "parameter.v0"))
        {
            if (parameter.Name.Contains("password", StringComparison.Ordinal) || parameter.Value.TryGetProperty("connectionString", out _))
            {
                Assert.True(parameter.Value.GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean(), $"{parameter.Name} is not secret");
            }
        }
    }

    private static string? TypeOf(JsonElement resources, string name) => resources.GetProperty(name).GetProperty("type").GetString();

    /// <summary>Every environment value and connection string of the manifest: (resource, name, value).</summary>
    private static IEnumerable<(string Resource, string Name, string Value)> Strings(JsonElement resources)
    {
        foreach (var resource in resources.EnumerateObject())
        {
            if (resource.Value.TryGetProperty("connectionString", out var connection))
            {
                yield return (resource.Name, "connectionString", connection.GetString() ?? string.Empty);
            }

            if (resource.Value.TryGetProperty("env", out var environment))
            {
                foreach (var variable in environment.EnumerateObject())
                {
                    yield return (resource.Name, variable.Name, variable.Value.GetString() ?? string.Empty);
                }
            }
        }
    }
}
