using MongoDB.Driver;
using Npgsql;

namespace DrAssistant.Seeder;

/// <summary>
/// The stores, by Aspire connection name: PostgreSQL (<c>postgresdb</c>) is required by every command, MongoDB
/// (<c>mongodb</c>) only by the demo's notes and may be absent. A missing PostgreSQL connection string fails the run
/// with a message; it never falls back to a default server.
/// </summary>
internal sealed class SeederConnections(NpgsqlDataSource? postgres, IMongoDatabase? mongo) : IAsyncDisposable
{
    public IMongoDatabase? Mongo { get; } = mongo;

    public NpgsqlDataSource RequirePostgres() => postgres ?? throw new InvalidOperationException(
        $"The PostgreSQL connection string 'ConnectionStrings:{ResourceNames.PostgresDatabase}' is missing. " +
        "Run through the AppHost, set it in configuration, or set DB_HOST (and DB_PORT, DB_NAME, DB_USER, DB_PASSWORD).");

    public async ValueTask DisposeAsync()
    {
        if (postgres is not null)
        {
            await postgres.DisposeAsync();
        }

        Mongo?.Client.Dispose();
    }
}
