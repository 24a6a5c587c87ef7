namespace DrAssistant.Shared;

/// <summary>
/// The schema this build needs: the API serves only once the database is at least here, and the migration service's
/// latest migration and MongoDB step are these numbers (its tests fail when they differ). Add a migration or a step, and
/// raise the number here in the same change.
/// </summary>
public static class SchemaVersions
{
    /// <summary>The latest PostgreSQL version (FluentMigrator's <c>schema_version</c>) of this build.</summary>
    public const long Postgres = 5;

    /// <summary>The latest MongoDB step (recorded in <c>_migrations</c>) of this build.</summary>
    public const int Mongo = 2;

    /// <summary>FluentMigrator's version table: one row per applied version.</summary>
    public const string PostgresVersionTable = "schema_version";

    /// <summary>The migration service's history: one row per applied version, written in that version's transaction.</summary>
    public const string PostgresHistoryTable = "schema_history";

    /// <summary>The MongoDB collection of applied steps (<c>_id</c> is the step's number).</summary>
    public const string MongoHistoryCollection = "_migrations";
}
