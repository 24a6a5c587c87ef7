using DrAssistant.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using MongoDB.Driver;

namespace DrAssistant.ServiceDefaults.Tests;

public class MongoRegistrationTests
{
    [Fact]
    public void TheDatabaseNameComesFromTheConnectionStringPath()
    {
        var connection = MongoConnection.Parse("mongodb://admin:pw@mongo.example:27018/dr_assistant?authSource=admin");

        Assert.Equal("dr_assistant", connection.DatabaseName);
        Assert.Equal("mongo.example", connection.Settings.Server.Host);
        Assert.Equal(27018, connection.Settings.Server.Port);
        Assert.Equal("admin", connection.Settings.Credential.Source);
        Assert.Equal("admin", connection.Settings.Credential.Username);
    }

    [Fact]
    public void AConnectionStringWithoutADatabaseIsRefusedWithAnExplanation()
    {
        var error = Assert.Throws<InvalidOperationException>(() => MongoConnection.Parse("mongodb://mongo.example:27017/"));

        Assert.Contains("names no database", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMalformedConnectionStringIsRefusedWithAnExplanation()
    {
        var error = Assert.Throws<InvalidOperationException>(() => MongoConnection.Parse("mongodb://host:notaport/db"));

        Assert.Contains("not valid", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingConnectionStringNamesTheSettingToProvide()
    {
        var builder = Host.CreateApplicationBuilder();

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddMongoDatabase("mongodb"));

        Assert.Contains("ConnectionStrings:mongodb", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheClientAndTheNamedDatabaseAreRegistered()
    {
        using var host = BuildHost("mongodb://127.0.0.1:27017/dr_assistant");

        Assert.Equal("dr_assistant", host.Services.GetRequiredService<IMongoDatabase>().DatabaseNamespace.DatabaseName);
        Assert.Same(host.Services.GetRequiredService<IMongoClient>(), host.Services.GetRequiredService<IMongoDatabase>().Client);
    }

    [Fact]
    public async Task TheHealthCheckIsUnhealthyWhenNoServerAnswers()
    {
        // Port 1 on loopback: nothing listens there, so the ping must fail quickly.
        using var host = BuildHost("mongodb://127.0.0.1:1/dr_assistant?serverSelectionTimeoutMS=300&connectTimeoutMS=300");

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Unhealthy, report.Entries["mongodb-mongodb"].Status);
    }

    [SkippableFact]
    public async Task TheHealthCheckIsHealthyAgainstARealServer()
    {
        var server = await MongoServer.RequireAsync();
        using var host = BuildHost(server.NewDatabaseConnectionString(out _));

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, report.Entries["mongodb-mongodb"].Status);
    }

    [SkippableFact]
    public async Task TheHealthCheckSaysALoginWasRefusedAndWhatToDo()
    {
        var server = await MongoServer.RequireAsync();
        // A user the server does not know: refused whether or not it enforces access control.
        var wrong = new MongoUrlBuilder(server.NewDatabaseConnectionString(out _)) { Username = "nobody", Password = "wrong", AuthenticationSource = "admin" };
        using var host = BuildHost(wrong.ToString());

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = report.Entries["mongodb-mongodb"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.StartsWith("authentication failed: the data volume was probably created with another password;", entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void APasswordWithEveryReservedCharacterSurvivesAConnectionStringBuiltByTheDriver()
    {
        const string password = "p@ss/w:rd?#[x]%25 y";
        var built = new MongoUrlBuilder { Server = new MongoServerAddress("mongo", 27017), Username = "admin", Password = password, DatabaseName = "dr_assistant", AuthenticationSource = "admin" }.ToString();

        var connection = MongoConnection.Parse(built);

        Assert.Equal(("admin", "admin", "dr_assistant"), (connection.Settings.Credential.Username, connection.Settings.Credential.Source, connection.DatabaseName));
        Assert.Equal(password, MongoUrl.Create(built).Password);
    }

    private static IHost BuildHost(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:mongodb"] = connectionString;
        builder.AddMongoDatabase("mongodb");
        return builder.Build();
    }
}
