using DrAssistant.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MongoDB.Driver;

namespace DrAssistant.Api.Tests.Notes;

/// <summary>
/// The API with a MongoDB database of its own, initialised by the migrator (collections, validators, indexes), when a
/// MongoDB server can be had. Without one the API runs without MongoDB and the tests that need it skip, saying why
/// (<c>await MongoServer.RequireAsync()</c> first in each).
/// </summary>
public class MongoApiFactory : ApiFactory
{
    private MongoClient? _client;

    public string? MongoConnectionString { get; private set; }

    /// <summary>The test's database, to look behind the API (GridFS files, raw documents).</summary>
    public IMongoDatabase Mongo { get; private set; } = null!;

    /// <summary>The API's clock: tests step it forward to keep two writes' timestamps apart, instead of waiting.</summary>
    public SteppedTimeProvider Clock { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }

    /// <summary>Settings a subclass adds beside the MongoDB connection string (e.g. a small upload limit).</summary>
    protected virtual Dictionary<string, string?> MongoSettings => [];

    protected override Dictionary<string, string?> Settings
    {
        get
        {
            var settings = new Dictionary<string, string?>(MongoSettings);
            if (MongoConnectionString is not null)
            {
                settings["ConnectionStrings:mongodb"] = MongoConnectionString;
            }

            return settings;
        }
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var server = await MongoServer.GetAsync();
        if (server is null)
        {
            return;
        }

        var connectionString = server.NewDatabaseConnectionString(out _);
        var exitCode = await MigrationService.MigratorApp.RunAsync(["migrate"], TextWriter.Null, new Dictionary<string, string?>
        {
            ["ConnectionStrings:postgresdb"] = Database.ConnectionString,
            ["ConnectionStrings:mongodb"] = connectionString,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"Initialising the MongoDB test database failed with exit code {exitCode}.");
        }

        MongoConnectionString = connectionString;
        var connection = MongoConnection.Parse(connectionString);
        _client = new MongoClient(connection.Settings);
        Mongo = _client.GetDatabase(connection.DatabaseName);
    }

    protected override async Task DisposeStoresAsync()
    {
        if (_client is not null)
        {
            await _client.DropDatabaseAsync(Mongo.DatabaseNamespace.DatabaseName);
            _client.Dispose();
        }
    }
}
