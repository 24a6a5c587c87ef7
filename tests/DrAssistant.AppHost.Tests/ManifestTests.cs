using System.Text.Json;

namespace DrAssistant.AppHost.Tests;

/// <summary>Publish mode: the same model becomes a deployment manifest (what azd reads).</summary>
public class ManifestTests
{
    [Fact]
    public async Task PublishingWritesAManifestWithEveryServiceAndStore()
    {
        var path = Path.Combine(Path.GetTempPath(), $"drassistant-manifest-{Guid.NewGuid():N}.json");
        try
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DrAssistant_AppHost>(
                ["--publisher", "manifest", "--output-path", path]);
            await using (var app = await builder.BuildAsync())
            {
                await app.RunAsync();
            }

            using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(path));
            var resources = manifest.RootElement.GetProperty("resources");

            Assert.Equal("container.v0", resources.GetProperty(ResourceNames.PostgresServer).GetProperty("type").GetString());
            Assert.Equal("container.v0", resources.GetProperty(ResourceNames.MongoServer).GetProperty("type").GetString());
            Assert.Equal("container.v0", resources.GetProperty(ResourceNames.Redis).GetProperty("type").GetString());
            Assert.Equal("project.v0", resources.GetProperty(ResourceNames.Migrations).GetProperty("type").GetString());
            Assert.Equal("project.v0", resources.GetProperty(ResourceNames.Api).GetProperty("type").GetString());

            var apiEnvironment = resources.GetProperty(ResourceNames.Api).GetProperty("env");
            Assert.Equal("{postgresdb.connectionString}", apiEnvironment.GetProperty("ConnectionStrings__postgresdb").GetString());
            Assert.Equal("{mongodb.connectionString}", apiEnvironment.GetProperty("ConnectionStrings__mongodb").GetString());
            Assert.Equal("{redis.connectionString}", apiEnvironment.GetProperty("ConnectionStrings__redis").GetString());

            // Development-only browsers and volumes stay out of a deployment.
            Assert.False(resources.TryGetProperty("mongo-express", out _));
            Assert.False(resources.TryGetProperty("pgweb", out _));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
