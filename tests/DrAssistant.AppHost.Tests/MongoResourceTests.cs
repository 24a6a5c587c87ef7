using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using MongoDB.Driver;

namespace DrAssistant.AppHost.Tests;

/// <summary>Our MongoDB hosting resource: connection strings that survive any password, and a health that explains a refused login.</summary>
public class MongoResourceTests
{
    /// <summary>Every character with a meaning in a mongodb:// URI, and a space.</summary>
    private const string Reserved = "p@ss/w:rd?#[x]%25 y";

    [Fact]
    public async Task AConnectionStringBuiltFromAPasswordWithEveryReservedCharacterParsesBackToThatPassword()
    {
        var builder = DistributedApplication.CreateBuilder();
        var user = builder.AddParameter("mongo-user", "ad:min@clinic/one");
        var password = builder.AddParameter("mongo-pass", Reserved, secret: true);
        var server = builder.AddMongo("mongo", user, password);
        var database = server.AddDatabase("mongodb", "dr_assistant");
        Allocate(server.Resource, "localhost", 27017);

        var value = await database.Resource.ConnectionStringExpression.GetValueAsync(CancellationToken.None);
        var url = MongoUrl.Create(value!);

        Assert.Equal(("ad:min@clinic/one", Reserved), (url.Username, url.Password));
        Assert.Equal(("dr_assistant", "admin"), (url.DatabaseName, url.AuthenticationSource));
        Assert.Equal(new MongoServerAddress("localhost", 27017), url.Server);
        var credential = MongoClientSettings.FromUrl(url).Credential;
        Assert.Equal(("ad:min@clinic/one", "admin"), (credential.Username, credential.Source));
    }

    [Fact]
    public async Task MongoExpressGetsOneEscapedConnectionStringRatherThanCredentialsToPasteIntoOne()
    {
        var builder = DistributedApplication.CreateBuilder();
        builder.AddMongo("mongo", password: builder.AddParameter("mongo-pass", Reserved, secret: true)).WithMongoExpress();
        var express = builder.Resources.OfType<ContainerResource>().Single(r => r.Name == "mongo-express");

        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), express);
        foreach (var callback in express.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        var environment = context.EnvironmentVariables;
        var connectionString = await Assert.IsType<ReferenceExpression>(environment["ME_CONFIG_MONGODB_URL"]).GetValueAsync(CancellationToken.None);
        var url = MongoUrl.Create(connectionString!);
        Assert.Equal(("admin", Reserved, "admin"), (url.Username, url.Password, url.AuthenticationSource));
        Assert.Equal(new MongoServerAddress("mongo", 27017), url.Server);
        Assert.False(environment.ContainsKey("ME_CONFIG_MONGODB_ADMINPASSWORD"));
        Assert.False(environment.ContainsKey("ME_CONFIG_MONGODB_SERVER"));
    }

    [Fact]
    public void ARefusedLoginMakesTheServerUnhealthyWithTheExplanationButLetsTheServicesStartAndSaySo()
    {
        var explanation = MongoFailures.AuthenticationFailed(MongoCredential.CreateCredential("admin", "admin", "wrong"));

        var server = MongoBuilderExtensions.MongoPingCheck.Refused(explanation, null, MongoBuilderExtensions.MongoPingCheck.Role.Server);
        var database = MongoBuilderExtensions.MongoPingCheck.Refused(explanation, null, MongoBuilderExtensions.MongoPingCheck.Role.Database);

        // The mongo resource shows what is wrong and what to do on the dashboard...
        Assert.Equal(HealthStatus.Unhealthy, server.Status);
        Assert.StartsWith("authentication failed: the data volume was probably created with another password;", server.Description, StringComparison.Ordinal);
        Assert.Contains("Parameters:mongo-password", server.Description, StringComparison.Ordinal);
        Assert.Contains("docker volume rm", server.Description, StringComparison.Ordinal);
        // ...while the database the services wait for lets the migrator start and fail with the same words (exit 1),
        // instead of every service showing "Waiting" for ever.
        Assert.Equal(HealthStatus.Healthy, database.Status);
        Assert.EndsWith(explanation, database.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServerThatDoesNotAnswerIsUnhealthyForTheServicesToo()
    {
        var check = new MongoBuilderExtensions.MongoPingCheck(
            () => "mongodb://admin:pw@127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300", MongoBuilderExtensions.MongoPingCheck.Role.Database);

        var result = await check.CheckHealthAsync(new HealthCheckContext
        {
            Registration = new HealthCheckRegistration("mongodb_check", check, HealthStatus.Unhealthy, null),
        });

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("MongoDB did not answer a ping.", result.Description);
    }

    /// <summary>What the orchestrator does when the container starts: the endpoint gets an address.</summary>
    private static void Allocate(IResourceWithEndpoints resource, string host, int port)
    {
        var endpoint = resource.Annotations.OfType<EndpointAnnotation>().Single();
        endpoint.AllocatedEndpoint = new AllocatedEndpoint(endpoint, host, port);
    }
}
