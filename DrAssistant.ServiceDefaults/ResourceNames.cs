namespace DrAssistant;

/// <summary>
/// Names of the Aspire resources. The connection names the services read are the same strings,
/// so this one file is linked into the AppHost, the services and the tests.
/// </summary>
internal static class ResourceNames
{
    public const string PostgresServer = "postgres";
    public const string PostgresDatabase = "postgresdb";
    public const string MongoServer = "mongo";
    public const string MongoDatabase = "mongodb";
    public const string Redis = "redis";
    public const string Migrations = "migrations";
    public const string Api = "api";
    public const string Seeder = "seeder";

    /// <summary>The database name inside PostgreSQL and MongoDB.</summary>
    public const string DatabaseName = "dr_assistant";
}
