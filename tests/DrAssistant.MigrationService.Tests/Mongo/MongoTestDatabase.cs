using DrAssistant.MigrationService.Mongo;
using DrAssistant.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using MongoDB.Bson;
using MongoDB.Driver;

namespace DrAssistant.MigrationService.Tests.Mongo;

/// <summary>
/// A fresh, uniquely named database on the test MongoDB server, dropped afterwards. Creating one skips the calling
/// <c>[SkippableFact]</c> (with the reason) when there is no server.
/// </summary>
public sealed class MongoTestDatabase : IAsyncDisposable
{
    private readonly MongoClient _client;
    private readonly List<MongoClient> _migratorClients = [];

    private MongoTestDatabase(string connectionString)
    {
        ConnectionString = connectionString;
        var connection = MongoConnection.Parse(connectionString);
        _client = new MongoClient(connection.Settings);
        Database = _client.GetDatabase(connection.DatabaseName);
    }

    public string ConnectionString { get; }

    public IMongoDatabase Database { get; }

    public static async Task<MongoTestDatabase> CreateAsync()
    {
        var server = await MongoServer.RequireAsync();
        return new MongoTestDatabase(server.NewDatabaseConnectionString(out _));
    }

    /// <summary>A migrator of its own (as another process would have), with short waits unless told otherwise.</summary>
    public MongoMigrator Migrator(MongoMigratorOptions? options = null, IReadOnlyList<MongoStep>? steps = null)
    {
        var client = new MongoClient(MongoConnection.Parse(ConnectionString).Settings);
        _migratorClients.Add(client);
        return new MongoMigrator(
            client.GetDatabase(Database.DatabaseNamespace.DatabaseName),
            options ?? new MongoMigratorOptions { LockTimeout = TimeSpan.FromSeconds(10), LockPollInterval = TimeSpan.FromMilliseconds(50) },
            "tester@tests",
            NullLogger<MongoMigrator>.Instance,
            steps);
    }

    public IMongoCollection<BsonDocument> Collection(string name) => Database.GetCollection<BsonDocument>(name);

    public async Task<List<string>> CollectionNamesAsync() =>
        [.. (await (await Database.ListCollectionNamesAsync()).ToListAsync()).Order(StringComparer.Ordinal)];

    /// <summary>The collection's options as <c>listCollections</c> gives them.</summary>
    public async Task<BsonDocument> OptionsAsync(string collection)
    {
        var filter = new BsonDocument("name", collection);
        var info = await (await Database.ListCollectionsAsync(new ListCollectionsOptions { Filter = filter })).SingleAsync();
        return info["options"].AsBsonDocument;
    }

    /// <summary>The collection's indexes as <c>listIndexes</c> gives them, by name.</summary>
    public async Task<Dictionary<string, BsonDocument>> IndexesAsync(string collection) =>
        (await (await Collection(collection).Indexes.ListAsync()).ToListAsync()).ToDictionary(i => i["name"].AsString);

    public async Task<List<BsonDocument>> HistoryAsync() =>
        await Collection(MongoMigrator.HistoryCollectionName).Find(FilterDefinition<BsonDocument>.Empty).Sort("{ _id: 1 }").ToListAsync();

    /// <summary>Everything that makes up the declared state, as the server reports it, in a comparable form.</summary>
    public async Task<string> DescribeAsync()
    {
        var lines = new List<string>();
        foreach (var collection in MongoSteps.Declared)
        {
            var options = await OptionsAsync(collection.Name);
            // Sorted: collMod may store the options in another order than create did.
            var validation = options.Where(o => o.Name.StartsWith("validat", StringComparison.Ordinal)).OrderBy(o => o.Name, StringComparer.Ordinal);
            lines.Add($"{collection.Name} {new BsonDocument(validation).ToJson()}");
            foreach (var index in (await IndexesAsync(collection.Name)).Values.OrderBy(i => i["name"].AsString, StringComparer.Ordinal))
            {
                lines.Add($"  {index["name"]} {index["key"].ToJson()} {MongoPlanner.SignificantOptions(index).ToJson()}");
            }
        }

        return string.Join('\n', lines);
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DropDatabaseAsync(Database.DatabaseNamespace.DatabaseName);
        _client.Dispose();
        _migratorClients.ForEach(c => c.Dispose());
    }
}
