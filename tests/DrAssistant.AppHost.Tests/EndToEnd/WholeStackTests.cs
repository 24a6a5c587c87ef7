using System.Diagnostics;
using System.Net;
using DrAssistant.AppHost.Stores;
using DrAssistant.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Xunit.Abstractions;

namespace DrAssistant.AppHost.Tests.EndToEnd;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WholeStackCollection
{
    /// <summary>One whole stack at a time: each takes both cores for a while.</summary>
    public const string Name = "The whole AppHost";
}

/// <summary>
/// The F5 path for real: the AppHost starts DCP, the stores, the migrator, the seeder and the API; the migrations finish,
/// the demo clinic is seeded, the API is healthy and a demo doctor signs in and reads the day; stopping it stops every
/// process it started.
/// </summary>
[Collection(WholeStackCollection.Name)]
public sealed class WholeStackTests(ITestOutputHelper output)
{
    private const string Doctor = "dr.rao";
    private const string Password = "DemoClinic#2025";
    private const string ModeProperty = "drassistant.store.mode";

    private static readonly IConfiguration NoSettings = new ConfigurationBuilder().Build();

    [SkippableFact]
    public async Task WithoutAContainerRuntimeTheStackRunsOnTheLocalServersAndStopsThemAll()
    {
        var binaries = LocalPostgres.Find(NoSettings).Binaries;
        Skip.If(binaries is null || LocalRedis.Find(NoSettings).Executable is null,
            "PostgreSQL's server binaries and redis-server are not both installed here (apt-get install postgresql redis-server)");
        var directory = NewStoresDirectory();
        using var timeout = new CancellationTokenSource(RunningAppHost.StartTimeout);
        try
        {
            await using var stack = await RunningAppHost.StartAsync(output,
                ["--Stores:Postgres=local", "--Stores:Redis=local", "--Stores:Mongo=off", $"--{LocalStores.DirectoryKey}={directory}"],
                dashboard: true, timeout.Token);

            await ServesTheDemoClinicAsync(stack, timeout.Token);
            Assert.StartsWith("local executable", stack.PropertyOf(ResourceNames.PostgresServer, ModeProperty), StringComparison.Ordinal);
            Assert.StartsWith("local executable", stack.PropertyOf(ResourceNames.Redis, ModeProperty), StringComparison.Ordinal);
            Assert.StartsWith("MongoDB off", stack.PropertyOf(ResourceNames.Api, ModeProperty), StringComparison.Ordinal);

            using (var http = new HttpClient())
            {
                var dashboardUrl = await stack.App.GetDashboardUrlAsync(timeout.Token);
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(dashboardUrl, timeout.Token)).StatusCode);
                stack.Note("the Aspire dashboard answers");
            }

            var stopped = await stack.StopAsync();
            AssertEveryProcessStopped(stack, directory);
            Assert.True(stopped < TimeSpan.FromSeconds(30), $"stopping took {stopped.TotalSeconds:0.0} s");

            // Kept between runs, like a volume, and shut down cleanly rather than killed.
            var bin = Path.GetDirectoryName(new FileInfo(binaries!.Initdb).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? binaries.Initdb)!;
            var control = await Tools.RunAsync(Path.Combine(bin, "pg_controldata"), [Path.Combine(directory, $"postgres-{binaries.MajorVersion}")]);
            Assert.Contains("Database cluster state:               shut down", control, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(directory, "redis", "dump.rdb")), "Redis saved nothing on shutdown");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task WithExistingServersAndNoMongoTheStackRunsOnThemAndShowsTheirHealth()
    {
        var postgres = await PostgresServer.GetAsync();
        var redis = await RedisServer.GetAsync();
        await using var database = await postgres.CreateDatabaseAsync();
        using var timeout = new CancellationTokenSource(RunningAppHost.StartTimeout);

        await using var stack = await RunningAppHost.StartAsync(output,
            [
                $"--ConnectionStrings:{ResourceNames.PostgresDatabase}={database.ConnectionString}",
                $"--ConnectionStrings:{ResourceNames.Redis}={redis.ConnectionString}",
                "--Stores:Mongo=off",
            ],
            dashboard: false, timeout.Token);

        await ServesTheDemoClinicAsync(stack, timeout.Token);
        foreach (var store in new[] { ResourceNames.PostgresDatabase, ResourceNames.Redis })
        {
            Assert.True(stack.Notifications.TryGetCurrentState(store, out var state));
            Assert.Equal(HealthStatus.Healthy, state.Snapshot.HealthStatus);
            var report = Assert.Single(state.Snapshot.HealthReports);
            Assert.Contains("reachable", report.Description, StringComparison.Ordinal);
            Assert.StartsWith("existing server", stack.PropertyOf(store, ModeProperty), StringComparison.Ordinal);
            stack.Note($"{store}: {report.Description}");
        }

        Assert.DoesNotContain(stack.App.Services.GetService<DistributedApplicationModel>()!.Resources, r => r.Name.StartsWith("mongo", StringComparison.Ordinal));
        Assert.Contains(stack.LogsOf(ResourceNames.Migrations), line => line.Contains("MongoDB is not configured", StringComparison.Ordinal));

        await stack.StopAsync();
        AssertEveryProcessStopped(stack, marker: null);
    }

    [Fact]
    public async Task WhenThePostgresRoleMayNotCreateTablesTheMigrationFailsAndTheApiNeverStarts()
    {
        var postgres = await PostgresServer.GetAsync();
        var redis = await RedisServer.GetAsync();
        await using var database = await postgres.CreateDatabaseAsync();
        var role = $"r_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(postgres.ConnectionStringFor(database.Name)))
        {
            await admin.OpenAsync();
            // PostgreSQL 15 already keeps CREATE on public from PUBLIC; older servers do not.
            await using var setup = new NpgsqlCommand(
                $"CREATE ROLE {role} LOGIN PASSWORD 'refused'; REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT CONNECT ON DATABASE {database.Name} TO {role};",
                admin);
            await setup.ExecuteNonQueryAsync();
        }

        using var timeout = new CancellationTokenSource(RunningAppHost.StartTimeout);
        try
        {
            await using var stack = await RunningAppHost.StartAsync(output,
                [
                    $"--ConnectionStrings:{ResourceNames.PostgresDatabase}={postgres.ConnectionStringFor(database.Name, role, "refused")}",
                    $"--ConnectionStrings:{ResourceNames.Redis}={redis.ConnectionString}",
                    "--Stores:Mongo=off",
                ],
                dashboard: false, timeout.Token);

            var migrations = await stack.WaitForEndAsync(ResourceNames.Migrations, timeout.Token);
            Assert.NotEqual(0, migrations.ExitCode);
            // A resource's log reaches the test a moment after its process has ended.
            for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(15)
                 && !stack.LogsOf(ResourceNames.Migrations).Any(line => line.Contains("permission denied", StringComparison.OrdinalIgnoreCase));)
            {
                await Task.Delay(100, timeout.Token);
            }

            Assert.Contains(stack.LogsOf(ResourceNames.Migrations), line => line.Contains("permission denied", StringComparison.OrdinalIgnoreCase));

            // The API (and the seeder) wait for the migrations to exit 0: they fail to start and never run.
            var api = await stack.WaitForEndAsync(ResourceNames.Api, timeout.Token);
            Assert.Equal(KnownResourceStates.FailedToStart, api.State?.Text);
            Assert.Null(api.StartTimeStamp);
            Assert.Equal(KnownResourceStates.FailedToStart, (await stack.WaitForEndAsync(ResourceNames.Seeder, timeout.Token)).State?.Text);
            Assert.DoesNotContain(stack.StartedProcesses, p => p.CommandLine.Contains("DrAssistant.Api", StringComparison.Ordinal));

            await stack.StopAsync();
            AssertEveryProcessStopped(stack, marker: null);
        }
        finally
        {
            await using var admin = new NpgsqlConnection(postgres.AdminConnectionString);
            await admin.OpenAsync();
            NpgsqlConnection.ClearAllPools();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database.Name} WITH (FORCE); DROP ROLE IF EXISTS {role}", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [SkippableFact]
    public async Task WithAContainerRuntimeTheStackRunsInContainers()
    {
        var runtime = ContainerRuntimeProbe.Check(NoSettings);
        Skip.IfNot(runtime.Answers, $"no container runtime answers here ({runtime.Description}); the container variant runs where Docker or Podman does");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));

        await using var stack = await RunningAppHost.StartAsync(output,
            ["--Stores:Postgres=container", "--Stores:Redis=container", "--Stores:Mongo=container"],
            dashboard: false, timeout.Token);

        await ServesTheDemoClinicAsync(stack, timeout.Token);
        Assert.StartsWith("container", stack.PropertyOf(ResourceNames.PostgresServer, ModeProperty), StringComparison.Ordinal);
        await stack.StopAsync();
    }

    /// <summary>Migrations exit 0, the demo is seeded, the API is healthy, and dr.rao signs in and reads the day.</summary>
    private static async Task ServesTheDemoClinicAsync(RunningAppHost stack, CancellationToken cancellationToken)
    {
        Assert.Equal(0, (await stack.WaitForEndAsync(ResourceNames.Migrations, cancellationToken)).ExitCode);
        Assert.Equal(0, (await stack.WaitForEndAsync(ResourceNames.Seeder, cancellationToken)).ExitCode);
        // Two replicas (Api:Replicas's default under the AppHost), each healthy: its schema gate open, its stores answering.
        Assert.Equal(2, (await stack.WaitForEveryInstanceHealthyAsync(ResourceNames.Api, cancellationToken)).Count);

        // Aspire's proxy takes turns between the replicas: the sign-in and the reads that follow cross instances.
        var (dashboard, token) = await stack.SignInAndReadTheDashboardAsync(Doctor, Password, cancellationToken);
        Assert.False(string.IsNullOrWhiteSpace(dashboard.GetProperty("doctorName").GetString()));
        Assert.Equal(System.Text.Json.JsonValueKind.Array, dashboard.GetProperty("appointments").ValueKind);

        using var client = stack.CreateApiClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var patients = await client.GetAsync("/api/patients?pageSize=5", cancellationToken);
        Assert.Equal(HttpStatusCode.OK, patients.StatusCode);
        using (var page = System.Text.Json.JsonDocument.Parse(await patients.Content.ReadAsStringAsync(cancellationToken)))
        {
            Assert.Equal(5, page.RootElement.GetProperty("items").GetArrayLength());
        }

        if (!stack.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Any(r => r.Name == ResourceNames.MongoDatabase))
        {
            // Everything but the clinical notes: those say their store is not configured.
            var notes = await client.GetAsync($"/api/notes?patientId={Guid.NewGuid()}", cancellationToken);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notes.StatusCode);
        }
    }

    private void AssertEveryProcessStopped(RunningAppHost stack, string? marker)
    {
        var started = stack.StartedProcesses;
        Assert.Contains(started, p => p.CommandLine.Contains("dcp", StringComparison.Ordinal));
        if (marker is not null)
        {
            Assert.Contains(started, p => p.CommandLine.Contains(marker, StringComparison.Ordinal));
        }

        var alive = started.Where(p => p.IsAlive()).ToList();
        Assert.True(alive.Count == 0, $"still running after the AppHost stopped:\n{string.Join('\n', alive)}");
        output.WriteLine($"{started.Count} processes started and stopped: {string.Join(", ", started.Select(p => Path.GetFileName(p.CommandLine.Split(' ')[0])).Distinct())}");
    }

    /// <summary>A folder for the local stores' data that the postgres user can enter (PostgreSQL runs as it when we are root).</summary>
    private static string NewStoresDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"drassistant-apphost-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        }

        return directory;
    }
}
