using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DrAssistant.AppHost.Stores;

/// <summary>The PostgreSQL server binaries installed on this machine.</summary>
internal sealed record PostgresBinaries(string BinDirectory, int MajorVersion)
{
    public string Postgres => Path.Combine(BinDirectory, Executable("postgres"));

    public string Initdb => Path.Combine(BinDirectory, Executable("initdb"));

    public string PgCtl => Path.Combine(BinDirectory, Executable("pg_ctl"));

    private static string Executable(string name) => OperatingSystem.IsWindows() ? name + ".exe" : name;
}

/// <summary>PostgreSQL run from its installed server binaries, as an executable resource.</summary>
internal sealed class LocalPostgresResource(string name, string workingDirectory, StoreSecret password, string dataDirectory)
    : ExecutableResource(name, "postgres", workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public StoreSecret Password { get; } = password;

    public string DataDirectory { get; } = dataDirectory;

    public EndpointReference PrimaryEndpoint => field ??= new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host=127.0.0.1;Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={LocalStores.PostgresUser};Password={Password}");
}

/// <summary>A database on the local server; created once the server is ready, like Aspire's own PostgreSQL databases.</summary>
internal sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresResource>, IResourceWithConnectionString
{
    public string DatabaseName { get; } = databaseName;

    public LocalPostgresResource Parent { get; } = parent;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}

internal static partial class LocalPostgres
{
    public const string BinDirectoryKey = "Stores:Local:PostgresBinDirectory";

    public const string InstallHint =
        "install PostgreSQL's server (Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql@17; " +
        $"Windows: the installer from postgresql.org), or point {BinDirectoryKey} at its bin folder";

    /// <summary>
    /// Finds the server binaries: <c>Stores:Local:PostgresBinDirectory</c>, else <c>initdb</c> on PATH, else the usual
    /// install folders (Debian's <c>/usr/lib/postgresql/N/bin</c>, Homebrew's <c>postgresql@N</c>, Windows'
    /// <c>Program Files\PostgreSQL\N\bin</c>), newest version first.
    /// </summary>
    public static (LocalServer Server, PostgresBinaries? Binaries) Find(IConfiguration configuration)
    {
        var configured = configuration[BinDirectoryKey];
        IEnumerable<string> candidates = !string.IsNullOrWhiteSpace(configured)
            ? [configured]
            : CandidateDirectories();

        PostgresBinaries? binaries = null;
        foreach (var directory in candidates)
        {
            binaries = TryAt(directory);
            if (binaries is not null)
            {
                break;
            }
        }

        if (binaries is null)
        {
            var where = !string.IsNullOrWhiteSpace(configured)
                ? $"{configured} ({BinDirectoryKey})"
                : "initdb on PATH, /usr/lib/postgresql/*/bin, Homebrew's postgresql@*, Program Files\\PostgreSQL";
            return (new(false, $"no PostgreSQL server binaries were found (looked for initdb, pg_ctl and postgres in {where})"), null);
        }

        if (LocalStores.IsRoot && !LocalStores.UserExists(LocalStores.PostgresUser))
        {
            return (new(false,
                $"PostgreSQL {binaries.MajorVersion} is installed in {binaries.BinDirectory}, but the AppHost runs as root, PostgreSQL refuses to, " +
                $"and there is no '{LocalStores.PostgresUser}' user to run it as (create one: useradd --system {LocalStores.PostgresUser})"), null);
        }

        return (new(true, $"PostgreSQL {binaries.MajorVersion} from {binaries.BinDirectory}"), binaries);
    }

    /// <summary>
    /// Adds the server (an executable on a free port of 127.0.0.1, data kept in the local stores' directory, <c>initdb</c>
    /// on first run, as the <c>postgres</c> user when we are root) and its database.
    /// </summary>
    public static IResourceBuilder<LocalPostgresDatabaseResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, PostgresBinaries binaries, LocalStores stores)
    {
        var dataDirectory = Path.Combine(stores.Directory, $"postgres-{binaries.MajorVersion}");
        var server = new LocalPostgresResource(ResourceNames.PostgresServer, stores.Directory, stores.Secret($"postgres-{binaries.MajorVersion}"), dataDirectory);
        var port = LocalStores.FreePort();
        var asUser = LocalStores.IsRoot ? LocalStores.PostgresUser : null;
        var (command, arguments) = LocalStores.AsUser(binaries.Postgres,
        [
            "-D", dataDirectory,
            "-p", LocalStores.Invariant(port),
            // TCP on the loopback interface only; no Unix socket (its default folder may not be ours to write).
            "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories=",
        ], asUser);

        var serverBuilder = builder.AddResource(server)
            .WithCommand(command)
            .WithArgs([.. arguments])
            .WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: LocalPostgresResource.EndpointName, isProxied: false)
            .WithIconName("DatabaseMultiple")
            .WithStoreHealthCheck(StoreHealthChecks.Postgres, databaseName: "postgres");

        // Aspire moves a child's state with its parent only for containers: the database follows its server here.
        var database = new LocalPostgresDatabaseResource(ResourceNames.PostgresDatabase, ResourceNames.DatabaseName, server);
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(server, async (e, ct) =>
        {
            try
            {
                await InitialiseAsync(server, binaries, asUser, e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server), ct);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                await e.Services.GetRequiredService<ResourceNotificationService>()
                    .PublishUpdateAsync(database, s => s with { State = KnownResourceStates.FailedToStart });
                throw;
            }
        });
        builder.Eventing.Subscribe<ResourceReadyEvent>(server, async (e, ct) =>
        {
            var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
            var logger = e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
            try
            {
                await CreateDatabaseAsync(server, database, logger, ct);
                await notifications.PublishUpdateAsync(database, s => s with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow, StopTimeStamp = null });
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                // Whatever waits for the database fails now rather than waiting for ever.
                logger.LogError("Could not create the database {Database}: {Reason}", database.DatabaseName, ex.Message);
                await notifications.PublishUpdateAsync(database, s => s with { State = KnownResourceStates.FailedToStart });
            }
        });
        builder.Eventing.Subscribe<ResourceStoppedEvent>(server, (e, _) =>
            e.Services.GetRequiredService<ResourceNotificationService>().PublishUpdateAsync(database, s => s with
            {
                State = KnownResourceStates.Exited,
                StopTimeStamp = DateTime.UtcNow,
            }));

        builder.Services.AddHostedService(_ => new FastShutdown(server, binaries, asUser, port));

        return builder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.NotStarted,
                Properties = [],
            })
            .WithIconName("Database")
            .WithStoreHealthCheck(StoreHealthChecks.Postgres, databaseName: null);
    }

    /// <summary><c>initdb</c> on the first run, into a data directory kept between runs.</summary>
    private static async Task InitialiseAsync(LocalPostgresResource server, PostgresBinaries binaries, string? asUser, ILogger logger, CancellationToken cancellationToken)
    {
        var data = server.DataDirectory;
        var root = Path.GetDirectoryName(data)!;
        Directory.CreateDirectory(root);
        if (File.Exists(Path.Combine(data, "PG_VERSION")))
        {
            if (server.Password.CreatedNow)
            {
                throw new InvalidOperationException(
                    $"The PostgreSQL data in {data} was made with a password kept in {server.Password.Path}, which is gone. " +
                    $"Put it back, or delete {data} to start from an empty server.");
            }

            logger.LogInformation("PostgreSQL {Version}: data in {DataDirectory} (kept between runs)", binaries.MajorVersion, data);
            return;
        }

        if (Directory.Exists(data) && Directory.EnumerateFileSystemEntries(data).Any())
        {
            throw new InvalidOperationException($"{data} is not empty but is not a PostgreSQL data directory (no PG_VERSION). Move it away and run again.");
        }

        logger.LogInformation("PostgreSQL {Version}: first run, initialising a new server in {DataDirectory}", binaries.MajorVersion, data);
        Directory.CreateDirectory(data);
        var passwordFile = Path.Combine(root, $".initdb-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(passwordFile, server.Password.Value(), cancellationToken);
        try
        {
            if (asUser is not null)
            {
                await LocalStores.ChownAsync(data, asUser, cancellationToken);
                await LocalStores.ChownAsync(passwordFile, asUser, cancellationToken);
            }

            await LocalStores.RunAsync(binaries.Initdb,
            [
                "-D", data, "-U", LocalStores.PostgresUser, "--pwfile", passwordFile,
                "-A", "scram-sha-256", "-E", "UTF8", "--no-locale",
            ], asUser, cancellationToken);
        }
        catch
        {
            // A half-made cluster would be refused next time: start clean.
            TryDelete(data);
            throw;
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    private static async Task CreateDatabaseAsync(LocalPostgresResource server, LocalPostgresDatabaseResource database, ILogger logger, CancellationToken cancellationToken)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await server.ConnectionStringExpression.GetValueAsync(cancellationToken))
        {
            Database = "postgres",
            Pooling = false,
        }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database.DatabaseName } } };
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }

        await using var create = new NpgsqlCommand($"CREATE DATABASE {QuoteIdentifier(database.DatabaseName)}", connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
        logger.LogInformation("Created the database {Database}", database.DatabaseName);
    }

    /// <summary>
    /// Stops the server with a fast shutdown when the AppHost stops. Aspire stops an executable with SIGTERM, which for
    /// PostgreSQL means "wait until every client has gone", and kills it a few seconds later: the server would be killed
    /// and recover from a crash on the next run. Hosted services stop in reverse order, so this runs before Aspire stops
    /// the resources.
    /// </summary>
    private sealed class FastShutdown(LocalPostgresResource server, PostgresBinaries binaries, string? asUser, int port) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            // postmaster.pid's fourth line is the server's port: stop only the server this AppHost started (another
            // AppHost on the same data directory would have been refused, and its server is not ours to stop).
            var pidFile = Path.Combine(server.DataDirectory, "postmaster.pid");
            string[] lines;
            try
            {
                lines = await File.ReadAllLinesAsync(pidFile, cancellationToken);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
            {
                return;
            }

            if (lines.Length < 4 || lines[3].Trim() != LocalStores.Invariant(port))
            {
                return;
            }

            try
            {
                await LocalStores.RunAsync(binaries.PgCtl, ["-D", server.DataDirectory, "-m", "fast", "-w", "-t", "20", "stop"], asUser, cancellationToken);
            }
            catch (InvalidOperationException)
            {
                // Not running after all (a stale pid file, or stopped from the dashboard): nothing to stop.
            }
        }
    }

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static PostgresBinaries? TryAt(string directory)
    {
        var probe = new PostgresBinaries(directory, 0);
        if (!File.Exists(probe.Initdb) || !File.Exists(probe.Postgres) || !File.Exists(probe.PgCtl))
        {
            return null;
        }

        var version = MajorVersionOf(probe.Postgres);
        return version is null ? null : probe with { MajorVersion = version.Value };
    }

    /// <summary><c>postgres --version</c> prints "postgres (PostgreSQL) 15.18 (Debian …)".</summary>
    private static int? MajorVersionOf(string postgres)
    {
        try
        {
            var start = new ProcessStartInfo(postgres, "--version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(5000);
            var match = VersionPattern().Match(output);
            return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static IEnumerable<string> CandidateDirectories()
    {
        var onPath = LocalStores.OnPath("initdb");
        if (onPath is not null)
        {
            yield return Path.GetDirectoryName(onPath)!;
        }

        foreach (var pattern in new[]
                 {
                     ("/usr/lib/postgresql", "*", "bin"),
                     ("/opt/homebrew/opt", "postgresql@*", "bin"),
                     ("/usr/local/opt", "postgresql@*", "bin"),
                     (Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles), "PostgreSQL"), "*", "bin"),
                 })
        {
            var (root, glob, bin) = pattern;
            if (string.IsNullOrEmpty(root) || !Directory.Exists(root))
            {
                continue;
            }

            foreach (var directory in Directory.GetDirectories(root, glob)
                         .OrderByDescending(d => int.TryParse(TrailingNumber().Match(Path.GetFileName(d)).Value, out var v) ? v : 0))
            {
                yield return Path.Combine(directory, bin);
            }
        }
    }

    [GeneratedRegex(@"PostgreSQL\)?\s+(\d+)")]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"\d+$")]
    private static partial Regex TrailingNumber();
}
