namespace DrAssistant.AppHost.Tests;

/// <summary>Publish mode: the same model becomes a deployment manifest (what azd reads).</summary>
public class ManifestTests
{
    [Fact]
    public async Task PublishingWritesAManifestWithEveryServiceAndStore()
    {
        var resources = await Model.PublishAsync();

        Assert.Equal("container.v0", resources.GetProperty(ResourceNames.PostgresServer).GetProperty("type").GetString());
        Assert.Equal("container.v0", resources.GetProperty(ResourceNames.MongoServer).GetProperty("type").GetString());
        Assert.Equal("container.v0", resources.GetProperty(ResourceNames.Redis).GetProperty("type").GetString());
        Assert.Equal("project.v0", resources.GetProperty(ResourceNames.Migrations).GetProperty("type").GetString());
        Assert.Equal("project.v0", resources.GetProperty(ResourceNames.Api).GetProperty("type").GetString());

        var apiEnvironment = resources.GetProperty(ResourceNames.Api).GetProperty("env");
        Assert.Equal("{postgresdb.connectionString}", apiEnvironment.GetProperty("ConnectionStrings__postgresdb").GetString());
        Assert.Equal("{mongodb.connectionString}", apiEnvironment.GetProperty("ConnectionStrings__mongodb").GetString());
        Assert.Equal("{redis.connectionString}", apiEnvironment.GetProperty("ConnectionStrings__redis").GetString());
        // Run-mode settings stay out of a deployment.
        Assert.False(apiEnvironment.TryGetProperty("OTEL_EXPORTER_OTLP_TIMEOUT", out _));

        // Development-only browsers and volumes stay out of a deployment.
        Assert.False(resources.TryGetProperty("mongo-express", out _));
        Assert.False(resources.TryGetProperty("pgweb", out _));
    }
}
