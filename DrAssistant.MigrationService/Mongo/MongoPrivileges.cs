using MongoDB.Driver;

namespace DrAssistant.MigrationService.Mongo;

/// <summary>
/// The privileges the MongoDB side needs, and the sentence for a command the server refused for want of one: which
/// command, which built-in role grants it on the database, and the mongosh line that grants it.
/// </summary>
public static class MongoPrivileges
{
    /// <summary>What the migrator needs on its database: it creates collections and indexes, and sets validators.</summary>
    public static readonly IReadOnlyList<string> MigratorRoles = ["readWrite", "dbAdmin"];

    /// <summary>What the API needs: it reads and writes documents and GridFS (the driver may create GridFS's indexes).</summary>
    public static readonly IReadOnlyList<string> ApiRoles = ["readWrite"];

    /// <summary>The privilege action a command needs and the least built-in role granting it on one database.</summary>
    public static (string Action, string Role)? Needed(string command) => command switch
    {
        // collMod is in dbAdmin (and dbOwner), not in readWrite: the usual missing one.
        "collMod" => ("collMod", "dbAdmin"),
        "createIndexes" => ("createIndex", "readWrite"),
        "create" => ("createCollection", "readWrite"),
        "dropIndexes" => ("dropIndex", "readWrite"),
        "listCollections" => ("listCollections", "read"),
        "listIndexes" => ("listIndexes", "read"),
        "find" or "aggregate" or "count" or "distinct" or "getMore" => ("find", "read"),
        "insert" => ("insert", "readWrite"),
        "update" => ("update", "readWrite"),
        "delete" => ("remove", "readWrite"),
        "findAndModify" => ("update", "readWrite"),
        _ => null,
    };

    /// <summary>The explanation of a refused command (server code 13); null for any other failure.</summary>
    public static string? Explain(MongoCommandException exception, string database, MongoCredential? credential)
    {
        if (exception.Code != MongoFailures.UnauthorizedCode)
        {
            return null;
        }

        var command = exception.Command is { ElementCount: > 0 } sent ? sent.GetElement(0).Name : "(unknown command)";
        var user = credential?.Username ?? "(unauthenticated)";
        var userDatabase = credential?.Source ?? MongoFailures.AdminDatabase;
        var all = $"The migrator needs the roles {string.Join(" and ", MigratorRoles)} on {database}; the API needs {string.Join(" and ", ApiRoles)}.";
        if (Needed(command) is not { } needed)
        {
            return $"MongoDB user '{user}' may not run {command} on {database} ({exception.ErrorMessage}). {all}";
        }

        return $"MongoDB user '{user}' may not run {command} on {database}: it needs the {needed.Action} privilege, which the role " +
               $"{needed.Role} grants (the server said: {exception.ErrorMessage}). Grant it in mongosh: " +
               $"db.getSiblingDB(\"{userDatabase}\").grantRolesToUser(\"{user}\", [{{ role: \"{needed.Role}\", db: \"{database}\" }}]). {all}";
    }
}
