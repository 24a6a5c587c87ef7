using System.Data.Common;
using System.Globalization;
using DrAssistant;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Maps the original design's environment variables (<c>DB_HOST</c>, <c>DB_PORT</c>, <c>DB_NAME</c>, <c>DB_USER</c>,
/// <c>DB_PASSWORD</c>, <c>MONGODB_URI</c>, <c>REDIS_URI</c>) onto the Aspire connection strings, but only where the
/// Aspire connection string is absent: the AppHost always wins.
/// </summary>
public static class LegacyConnectionStrings
{
    public static IConfigurationManager AddLegacyConnectionStrings(this IConfigurationManager configuration)
    {
        var resolved = Resolve(configuration);
        if (resolved.Count > 0)
        {
            configuration.AddInMemoryCollection(resolved.Select(pair =>
                new KeyValuePair<string, string?>($"ConnectionStrings:{pair.Key}", pair.Value)));
        }

        return configuration;
    }

    /// <summary>The connection strings (by Aspire connection name) that the legacy variables supply.</summary>
    public static IReadOnlyDictionary<string, string> Resolve(IConfiguration configuration)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);

        if (IsMissing(configuration, ResourceNames.PostgresDatabase) && !string.IsNullOrWhiteSpace(configuration["DB_HOST"]))
        {
            var builder = new DbConnectionStringBuilder
            {
                ["Host"] = configuration["DB_HOST"],
                ["Port"] = Or(configuration["DB_PORT"], "5432"),
                ["Database"] = Or(configuration["DB_NAME"], ResourceNames.DatabaseName),
            };
            if (!string.IsNullOrEmpty(configuration["DB_USER"]))
            {
                builder["Username"] = configuration["DB_USER"];
            }

            if (!string.IsNullOrEmpty(configuration["DB_PASSWORD"]))
            {
                builder["Password"] = configuration["DB_PASSWORD"];
            }

            result[ResourceNames.PostgresDatabase] = builder.ConnectionString;
        }

        if (IsMissing(configuration, ResourceNames.MongoDatabase) && !string.IsNullOrWhiteSpace(configuration["MONGODB_URI"]))
        {
            result[ResourceNames.MongoDatabase] = configuration["MONGODB_URI"]!;
        }

        if (IsMissing(configuration, ResourceNames.Redis) && !string.IsNullOrWhiteSpace(configuration["REDIS_URI"]))
        {
            result[ResourceNames.Redis] = RedisUriToConfiguration(configuration["REDIS_URI"]!);
        }

        return result;
    }

    /// <summary>
    /// Turns <c>redis://[user:password@]host[:port][/db]</c> (or <c>rediss://</c> for TLS) into a StackExchange.Redis
    /// configuration string. Anything that is not such a URI is assumed to be a configuration string already.
    /// </summary>
    public static string RedisUriToConfiguration(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || (uri.Scheme != "redis" && uri.Scheme != "rediss"))
        {
            return value;
        }

        var port = uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port;
        var parts = new List<string> { $"{uri.Host}:{port.ToString(CultureInfo.InvariantCulture)}" };

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var userInfo = uri.UserInfo.Split(':', 2);
            var user = Uri.UnescapeDataString(userInfo[0]);
            var password = userInfo.Length == 2 ? Uri.UnescapeDataString(userInfo[1]) : null;
            if (password is null)
            {
                // redis://secret@host is the old form where the only credential is the password.
                password = user;
                user = string.Empty;
            }

            if (!string.IsNullOrEmpty(user))
            {
                parts.Add($"user={user}");
            }

            parts.Add($"password={password}");
        }

        var database = uri.AbsolutePath.Trim('/');
        if (int.TryParse(database, NumberStyles.None, CultureInfo.InvariantCulture, out var db))
        {
            parts.Add($"defaultDatabase={db.ToString(CultureInfo.InvariantCulture)}");
        }

        if (uri.Scheme == "rediss")
        {
            parts.Add("ssl=true");
        }

        return string.Join(',', parts);
    }

    private static bool IsMissing(IConfiguration configuration, string name) =>
        string.IsNullOrWhiteSpace(configuration.GetConnectionString(name));

    private static string Or(string? value, string fallback) => string.IsNullOrWhiteSpace(value) ? fallback : value;
}
