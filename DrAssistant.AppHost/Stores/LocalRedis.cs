using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DrAssistant.AppHost.Stores;

/// <summary><c>redis-server</c> installed on this machine, as an executable resource.</summary>
internal sealed class LocalRedisResource(string name, string command, string workingDirectory, StoreSecret password, string dataDirectory)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public StoreSecret Password { get; } = password;

    public string DataDirectory { get; } = dataDirectory;

    public string ConfigFile => Path.Combine(DataDirectory, "redis.conf");

    public EndpointReference PrimaryEndpoint => field ??= new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"127.0.0.1:{PrimaryEndpoint.Property(EndpointProperty.Port)},password={Password}");
}

internal static class LocalRedis
{
    public const string ServerKey = "Stores:Local:RedisServer";

    public const string InstallHint =
        "install Redis (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis), " +
        $"or point {ServerKey} at redis-server";

    public static (LocalServer Server, string? Executable) Find(IConfiguration configuration)
    {
        var configured = configuration[ServerKey];
        var executable = !string.IsNullOrWhiteSpace(configured)
            ? (File.Exists(configured) ? configured : null)
            : LocalStores.OnPath("redis-server");
        if (executable is null)
        {
            var where = !string.IsNullOrWhiteSpace(configured) ? $"{configured} ({ServerKey})" : "PATH";
            return (new(false, $"no redis-server was found on {where}"), null);
        }

        return (new(true, $"{VersionOf(executable)} from {Path.GetDirectoryName(executable)}"), executable);
    }

    /// <summary>
    /// Adds <c>redis-server</c> on a free port of 127.0.0.1, with a generated password and its data (<c>dump.rdb</c>)
    /// kept in the local stores' directory between runs.
    /// </summary>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(this IDistributedApplicationBuilder builder, string executable, LocalStores stores)
    {
        var dataDirectory = Path.Combine(stores.Directory, "redis");
        var redis = new LocalRedisResource(ResourceNames.Redis, executable, stores.Directory, stores.Secret("redis"), dataDirectory);
        var port = LocalStores.FreePort();

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(redis, (e, ct) =>
            WriteConfigAsync(redis, port, e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(redis), ct));

        // The settings, the password among them, are in a file only its owner reads: never on the command line.
        return builder.AddResource(redis)
            .WithArgs(redis.ConfigFile)
            .WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: LocalRedisResource.EndpointName, isProxied: false)
            .WithIconName("Database")
            .WithStoreHealthCheck(StoreHealthChecks.Redis, databaseName: null);
    }

    private static async Task WriteConfigAsync(LocalRedisResource redis, int port, ILogger logger, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(redis.DataDirectory);
        var config = $"""
            port {port}
            bind 127.0.0.1
            protected-mode yes
            daemonize no
            dir "{redis.DataDirectory}"
            dbfilename dump.rdb
            save 60 1
            appendonly no
            requirepass {redis.Password.Value()}
            """;
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var writer = new StreamWriter(redis.ConfigFile, options))
        {
            await writer.WriteAsync(config.AsMemory(), cancellationToken);
        }

        logger.LogInformation("Redis: data in {DataDirectory} (kept between runs)", redis.DataDirectory);
    }

    /// <summary><c>redis-server --version</c> prints "Redis server v=7.0.15 sha=…".</summary>
    private static string VersionOf(string executable)
    {
        try
        {
            var start = new ProcessStartInfo(executable, "--version") { RedirectStandardOutput = true, UseShellExecute = false };
            using var process = Process.Start(start);
            var output = process?.StandardOutput.ReadToEnd() ?? string.Empty;
            process?.WaitForExit(5000);
            var version = output.Split(' ').FirstOrDefault(part => part.StartsWith("v=", StringComparison.Ordinal));
            return version is null ? "redis-server" : $"Redis {version[2..]}";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "redis-server";
        }
    }
}
