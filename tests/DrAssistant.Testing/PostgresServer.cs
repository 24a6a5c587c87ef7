using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Npgsql;

namespace DrAssistant.Testing;

/// <summary>
/// One real PostgreSQL server per test process, found in this order: the connection string in
/// <c>DRASSISTANT_TEST_POSTGRES</c>; a throwaway instance started from the PostgreSQL binaries on this machine
/// (<c>initdb</c>/<c>pg_ctl</c> in a temp folder, on a free port, as the <c>postgres</c> user when we are root,
/// because PostgreSQL refuses to run as root); a Testcontainers container when a Docker engine is there.
/// Otherwise the tests fail with a message that says what to install.
/// Tests never share a database: each one asks for its own with <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresServer
{
    public const string EnvironmentVariable = "DRASSISTANT_TEST_POSTGRES";

    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartSharedAsync);

    private LocalCluster? _cluster;

    private PostgresServer(string adminConnectionString, string description, string? binDirectory)
    {
        AdminConnectionString = adminConnectionString;
        Description = description;
        BinDirectory = binDirectory;
    }

    /// <summary>
    /// A server of the test's own, started from the local binaries, that the test may stop and start again on the same
    /// port (an outage). Null, with the reason, when there are no local binaries (a server given by connection string
    /// or a container is not ours to stop).
    /// </summary>
    public static async Task<(PostgresServer? Server, string Reason)> StartDedicatedAsync()
    {
        var binDirectory = FindBinDirectory();
        return binDirectory is null
            ? (null, "stopping PostgreSQL needs its server binaries on this machine (apt-get install postgresql)")
            : (await StartLocalAsync(binDirectory), string.Empty);
    }

    /// <summary>Stops the server fast (connections are cut), as an outage would.</summary>
    public Task StopAsync() => Cluster.RunPgCtlAsync("stop", "-m", "fast");

    /// <summary>Starts a stopped server again, on the same port and data.</summary>
    public Task StartAsync() => Cluster.RunPgCtlAsync("start");

    /// <summary>
    /// Freezes every process of the server (SIGSTOP), as a hung host would: connections stay open, the kernel still
    /// accepts new ones, nothing answers. <see cref="ThawAsync"/> lets it run on.
    /// </summary>
    public Task FreezeAsync() => Cluster.SignalAsync("STOP");

    /// <summary>Lets a frozen server run on (SIGCONT).</summary>
    public Task ThawAsync() => Cluster.SignalAsync("CONT");

    private LocalCluster Cluster => _cluster ?? throw new InvalidOperationException($"This PostgreSQL ({Description}) is not ours to stop or start.");

    /// <summary>A connection string with the right to create databases and roles.</summary>
    public string AdminConnectionString { get; }

    /// <summary>Where this server came from, for messages.</summary>
    public string Description { get; }

    /// <summary>The PostgreSQL binaries (psql, pgbench) when the server was started from them.</summary>
    public string? BinDirectory { get; }

    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>A new, empty database (or a copy of <paramref name="template"/>), dropped when disposed.</summary>
    public async Task<TestDatabase> CreateDatabaseAsync(string? template = null)
    {
        var name = $"t_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            var sql = template is null
                ? $"CREATE DATABASE {name}"
                : $"CREATE DATABASE {name} TEMPLATE {template}";
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }

        return new TestDatabase(this, name, ConnectionStringFor(name));
    }

    public string ConnectionStringFor(string database, string? username = null, string? password = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database };
        if (username is not null)
        {
            builder.Username = username;
            builder.Password = password;
        }

        return builder.ConnectionString;
    }

    internal async Task DropDatabaseAsync(string name)
    {
        // Pooled connections to a dropped database would fail later for whoever picks them up.
        await using (var pooled = new NpgsqlConnection(ConnectionStringFor(name)))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<PostgresServer> StartSharedAsync()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return new PostgresServer(fromEnvironment, $"{EnvironmentVariable}", binDirectory: null);
        }

        var binDirectory = FindBinDirectory();
        if (binDirectory is not null)
        {
            return await StartLocalAsync(binDirectory);
        }

        if (Tools.DockerLooksAvailable)
        {
            return await StartContainerAsync();
        }

        throw new InvalidOperationException(
            "No PostgreSQL server for the tests. Do one of: set " + EnvironmentVariable + " to a connection string " +
            "of a role that may create databases; install the server binaries (apt-get install postgresql); or run a Docker engine.");
    }

    private static string? FindBinDirectory()
    {
        var initdb = Tools.OnPath("initdb");
        if (initdb is not null)
        {
            return Path.GetDirectoryName(initdb);
        }

        // Debian keeps the server binaries off PATH, one folder per major version.
        const string debianRoot = "/usr/lib/postgresql";
        if (!Directory.Exists(debianRoot))
        {
            return null;
        }

        return Directory.GetDirectories(debianRoot)
            .Select(dir => (dir, version: int.TryParse(Path.GetFileName(dir), out var v) ? v : 0))
            .OrderByDescending(x => x.version)
            .Select(x => Path.Combine(x.dir, "bin"))
            .FirstOrDefault(bin => File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "pg_ctl")));
    }

    private static async Task<PostgresServer> StartLocalAsync(string binDirectory)
    {
        var root = Directory.CreateTempSubdirectory("drassistant-pg-").FullName;
        var owner = Tools.IsRoot ? "postgres" : null;
        if (owner is not null)
        {
            await Tools.RunAsync("chown", [$"{owner}:", root]);
        }

        var cluster = new LocalCluster(binDirectory, root, Tools.FreePort(), owner);
        await Tools.RunAsync(Path.Combine(binDirectory, "initdb"),
            ["-D", cluster.Data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"], owner);
        await cluster.RunPgCtlAsync("start");

        var stop = string.Join(' ', new[] { Path.Combine(binDirectory, "pg_ctl"), "-D", cluster.Data, "-m", "immediate", "stop" }.Select(Tools.Quote));
        if (owner is not null)
        {
            stop = $"runuser -u {owner} -- {stop}";
        }

        // A server a test froze (SIGSTOP) must run again to obey the stop.
        var pidFile = Tools.Quote(Path.Combine(cluster.Data, "postmaster.pid"));
        var thaw = $"pm=$(head -1 {pidFile} 2>/dev/null); [ -n \"$pm\" ] && kill -CONT $pm $(awk -v pm=\"$pm\" '$4 == pm {{ print $1 }}' /proc/[0-9]*/stat 2>/dev/null) 2>/dev/null;";
        Tools.CleanUpAfterThisProcess($"{thaw} {stop} >/dev/null 2>&1; rm -rf {Tools.Quote(root)}");

        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = cluster.Port,
            Username = "postgres",
            Database = "postgres",
        }.ConnectionString;
        return new PostgresServer(connectionString, $"local PostgreSQL from {binDirectory} on port {cluster.Port}", binDirectory)
        {
            _cluster = cluster,
        };
    }

    /// <summary>A throwaway cluster in a temp folder, run as the postgres user when we are root.</summary>
    private sealed record LocalCluster(string BinDirectory, string Root, int Port, string? Owner)
    {
        public string Data => Path.Combine(Root, "data");

        // Durability settings off: these databases are thrown away, and the tests run much faster.
        private string Options => $"-p {Port} -k {Root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " +
                                  "-c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB";

        /// <summary>Sends a signal to the postmaster and every backend it forked (the postmaster first).</summary>
        public async Task SignalAsync(string signal)
        {
            var postmaster = int.Parse((await File.ReadAllLinesAsync(Path.Combine(Data, "postmaster.pid")))[0], System.Globalization.CultureInfo.InvariantCulture);
            var children = Directory.GetDirectories("/proc")
                .Select(dir => int.TryParse(Path.GetFileName(dir), out var pid) ? pid : 0)
                .Where(pid => pid > 0 && ParentOf(pid) == postmaster)
                .ToList();
            // The postmaster first (so it forks nothing new); a backend that has just ended is skipped.
            if (!Tools.Signal(postmaster, signal))
            {
                throw new InvalidOperationException($"The PostgreSQL server (process {postmaster}) is not running.");
            }

            foreach (var pid in children)
            {
                Tools.Signal(pid, signal);
            }
        }

        private static int ParentOf(int pid)
        {
            try
            {
                // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                return 0;
            }
        }

        public Task RunPgCtlAsync(string action, params string[] extra)
        {
            string[] arguments = action == "start"
                ? ["-D", Data, "-l", Path.Combine(Root, "server.log"), "-w", "-t", "60", "-o", Options, "start"]
                : ["-D", Data, "-w", .. extra, action];
            return Tools.RunAsync(Path.Combine(BinDirectory, "pg_ctl"), arguments, Owner);
        }
    }

    private static async Task<PostgresServer> StartContainerAsync()
    {
        IContainer container = new ContainerBuilder("postgres:17")
            .WithEnvironment("POSTGRES_PASSWORD", "postgres")
            .WithPortBinding(5432, assignRandomHostPort: true)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilCommandIsCompleted("pg_isready", "-U", "postgres", "-h", "127.0.0.1"))
            .Build();
        await container.StartAsync();
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = container.Hostname,
            Port = container.GetMappedPublicPort(5432),
            Username = "postgres",
            Password = "postgres",
            Database = "postgres",
        }.ConnectionString;
        return new PostgresServer(connectionString, "Testcontainers postgres:17", binDirectory: null);
    }
}

/// <summary>A database that belongs to one test (or one test class) and is dropped afterwards.</summary>
public sealed class TestDatabase(PostgresServer server, string name, string connectionString) : IAsyncDisposable
{
    public PostgresServer Server { get; } = server;

    public string Name { get; } = name;

    public string ConnectionString { get; } = connectionString;

    public NpgsqlDataSource CreateDataSource() => NpgsqlDataSource.Create(ConnectionString);

    public ValueTask DisposeAsync() => new(Server.DropDatabaseAsync(Name));
}
