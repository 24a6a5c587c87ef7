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

    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync);

    private PostgresServer(string adminConnectionString, string description, string? binDirectory)
    {
        AdminConnectionString = adminConnectionString;
        Description = description;
        BinDirectory = binDirectory;
    }

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

    private static async Task<PostgresServer> StartAsync()
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
        var data = Path.Combine(root, "data");
        var owner = Tools.IsRoot ? "postgres" : null;
        if (owner is not null)
        {
            await Tools.RunAsync("chown", [$"{owner}:", root]);
        }

        await Tools.RunAsync(Path.Combine(binDirectory, "initdb"),
            ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"], owner);

        var port = Tools.FreePort();
        var pgCtl = Path.Combine(binDirectory, "pg_ctl");
        // Durability settings off: these databases are thrown away, and the tests run much faster.
        var options = $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " +
                      "-c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB";
        await Tools.RunAsync(pgCtl, ["-D", data, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "-o", options, "start"], owner);

        var stop = string.Join(' ', new[] { pgCtl, "-D", data, "-m", "immediate", "stop" }.Select(Tools.Quote));
        if (owner is not null)
        {
            stop = $"runuser -u {owner} -- {stop}";
        }

        Tools.CleanUpAfterThisProcess($"{stop} >/dev/null 2>&1; rm -rf {Tools.Quote(root)}");

        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = "postgres",
            Database = "postgres",
        }.ConnectionString;
        return new PostgresServer(connectionString, $"local PostgreSQL from {binDirectory} on port {port}", binDirectory);
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
