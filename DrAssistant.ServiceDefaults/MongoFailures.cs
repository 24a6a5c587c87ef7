using MongoDB.Driver;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What to tell a person when MongoDB answers but refuses our credentials. The same words appear wherever it is met:
/// the AppHost's health check of the <c>mongo</c> resource (on the dashboard), the services' health checks and the
/// migrator's error, so whichever is seen first says what to do. This file is linked into the AppHost.
/// </summary>
public static class MongoFailures
{
    /// <summary>The server's code for "Authentication failed".</summary>
    public const int AuthenticationFailedCode = 18;

    /// <summary>The server's code for a command the user is not allowed to run.</summary>
    public const int UnauthorizedCode = 13;

    /// <summary>The root user the AppHost's container is created with lives in this database.</summary>
    public const string AdminDatabase = "admin";

    /// <summary>
    /// Whether the server answered and refused the credentials, as opposed to not answering at all (which waiting may
    /// cure; a wrong password never is).
    /// </summary>
    public static bool IsAuthenticationFailure(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is MongoAuthenticationException or MongoCommandException { Code: AuthenticationFailedCode })
            {
                return true;
            }

            // After a refused handshake the driver marks the server unknown: an operation then times out selecting a
            // server, and the refusal is only in the cluster description the timeout's message carries.
            if (current is TimeoutException && current.Message.Contains(nameof(MongoAuthenticationException), StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The explanation of a refused login, with the two ways out.</summary>
    public static string AuthenticationFailed(MongoCredential? credential)
    {
        var user = credential?.Username ?? "(none)";
        var source = credential?.Source ?? AdminDatabase;
        var text =
            "authentication failed: the data volume was probably created with another password; " +
            $"MongoDB answers but refuses user '{user}' (looked up in database '{source}'). " +
            "To fix it under the AppHost, either set the mongo-password parameter back to the password the volume was created with " +
            "(dotnet user-secrets --project DrAssistant.AppHost set Parameters:mongo-password \"<that password>\"), " +
            "or delete the mongo data volume to start with an empty database (docker volume ls, then docker volume rm the one " +
            "whose name ends in -mongo-data; its data is lost). " +
            "With a server of your own, correct the user name, password or authSource of ConnectionStrings:mongodb (or MONGODB_URI).";
        if (!string.Equals(source, AdminDatabase, StringComparison.Ordinal))
        {
            text += $" The connection string makes the server look the user up in '{source}'; the container's root user " +
                    "(and most administrators) live in 'admin': add authSource=admin to it (e.g. mongodb://user:password@host:27017/dr_assistant?authSource=admin).";
        }

        return text;
    }
}
