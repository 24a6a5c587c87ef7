using System.Diagnostics;
using System.Net;
using Dapper;
using DrAssistant.Shared;
using DrAssistant.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace DrAssistant.Api.Tests.Schema;

/// <summary>
/// The API guards its own schema: started on a database the migrator has not brought to this build's version, it
/// answers 503 on <c>/health</c> and every <c>/api</c> request (naming both versions) and keeps <c>/alive</c>; it
/// opens within one re-check interval of a migration, closes again within one of a rollback, and serves on a schema
/// newer than it needs. Each test has a database and an API of its own.
/// </summary>
public sealed class SchemaGateTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>A check is two short queries; the rest is a loaded 2-core machine.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task OnAnEmptyDatabaseHealthAndEveryApiRequestAre503UntilTheMigrationsRunThenItServesWithinTheInterval()
    {
        await using var api = await GatedApi.StartAsync(migrate: null);
        var client = api.CreateClient();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive")).StatusCode);
        foreach (var request in new Func<Task<HttpResponseMessage>>[]
        {
            () => client.GetAsync("/api/patients"),
            () => client.GetAsync($"/api/users/{Guid.NewGuid()}"),
            () => client.PostJsonAsync("/api/auth/login", new { username = "anyone", password = "any password" }),
        })
        {
            var response = await request();
            var problem = await response.JsonAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.StartsWith($"The database schema is at version 0 (nothing applied), this build needs {SchemaVersions.Postgres}.",
                problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal(SchemaVersions.Postgres, problem.GetProperty("requiredSchemaVersion").GetInt64());
        }

        Assert.Equal(0, await MigrateAsync(api.Database.ConnectionString, "migrate"));
        var waited = await WaitForAsync(client, "/health", HttpStatusCode.OK);
        output.WriteLine($"healthy {waited.TotalMilliseconds:0} ms after the migration (re-check interval {Interval.TotalMilliseconds:0} ms)");
        Assert.True(waited <= Interval + Margin, $"healthy only after {waited}");

        var user = await api.Seed.UserAsync("doctor");
        var signedIn = await api.ClientAsAsync(user);
        Assert.Equal(HttpStatusCode.OK, (await signedIn.GetAsync($"/api/users/{user}")).StatusCode);
    }

    [Fact]
    public async Task OnAnOlderSchemaTheAnswerNamesTheDatabasesVersionAndTheOneThisBuildNeeds()
    {
        await using var api = await GatedApi.StartAsync(migrate: ["migrate", "--to", $"{SchemaVersions.Postgres - 1}"]);

        var response = await api.CreateClient().GetAsync("/api/patients");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(
            $"The database schema is at version {SchemaVersions.Postgres - 1}, this build needs {SchemaVersions.Postgres}. Run the migration service (migrate) against this database.",
            (await response.JsonAsync()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await api.CreateClient().GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task ASchemaRolledBackUnderARunningApiIsRefusedWithinTheInterval()
    {
        await using var api = await GatedApi.StartAsync(migrate: ["migrate"]);
        var user = await api.Seed.UserAsync("doctor");
        var client = await api.ClientAsAsync(user);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/users/{user}")).StatusCode);

        Assert.Equal(0, await MigrateAsync(api.Database.ConnectionString, "rollback", "--to", $"{SchemaVersions.Postgres - 1}"));
        var waited = await WaitForAsync(client, $"/api/users/{user}", HttpStatusCode.ServiceUnavailable);
        output.WriteLine($"refused {waited.TotalMilliseconds:0} ms after the rollback");

        Assert.True(waited <= Interval + Margin, $"still served {waited} after the rollback");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task ANewerSchemaThanTheBuildNeedsIsServed()
    {
        // What a later build's migrator leaves: a version above this build's, recorded in both tables. Migrations only
        // add (a column or table this build does not know is never in its way), so this build keeps serving: a rolling
        // deployment's old instances keep answering while the new ones start.
        await using var api = await GatedApi.StartAsync(migrate: ["migrate"], prepare: async connection =>
        {
            var later = SchemaVersions.Postgres + 3;
            await connection.ExecuteAsync($"""
                INSERT INTO {SchemaVersions.PostgresVersionTable} (version, applied_on, description) VALUES (@later, now(), 'a later build');
                INSERT INTO {SchemaVersions.PostgresHistoryTable} (version, description, checksum, applied_by, duration_ms, tool_version)
                VALUES (@later, 'a later build', 'later', 'a later migrator', 1, 'later');
                CREATE TABLE later_build_table (id bigint);
                """, new { later });
        });
        var user = await api.Seed.UserAsync("doctor");
        var client = await api.ClientAsAsync(user);

        var health = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/users/{user}")).StatusCode);
    }

    [Fact]
    public async Task AVersionRecordedWithoutItsHistoryRowIsNotServed()
    {
        // A version that ran outside a transaction and was cut short between FluentMigrator's row and the migration
        // service's (or one applied by another tool): nothing says it completed.
        await using var api = await GatedApi.StartAsync(migrate: ["migrate"], prepare: connection =>
            connection.ExecuteAsync($"DELETE FROM {SchemaVersions.PostgresHistoryTable} WHERE version = @version", new { version = SchemaVersions.Postgres }));

        var response = await api.CreateClient().GetAsync("/api/patients");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains($"version(s) {SchemaVersions.Postgres} are recorded in only one of", (await response.JsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AVersionMissingBelowTheLatestIsNotServed()
    {
        await using var api = await GatedApi.StartAsync(migrate: ["migrate"], prepare: connection => connection.ExecuteAsync($"""
            DELETE FROM {SchemaVersions.PostgresVersionTable} WHERE version = 2;
            DELETE FROM {SchemaVersions.PostgresHistoryTable} WHERE version = 2;
            """));

        var response = await api.CreateClient().GetAsync("/api/patients");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("lacks version(s) 2", (await response.JsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheMigratorRepairsAVersionWithoutItsHistoryRowAndTheApiThenServes()
    {
        await using var api = await GatedApi.StartAsync(migrate: ["migrate"], prepare: connection =>
            connection.ExecuteAsync($"DELETE FROM {SchemaVersions.PostgresHistoryTable} WHERE version = 1"));
        var client = api.CreateClient();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health")).StatusCode);

        // The migrator records a baseline for a version applied without its history row.
        Assert.Equal(0, await MigrateAsync(api.Database.ConnectionString, "migrate"));

        await WaitForAsync(client, "/health", HttpStatusCode.OK);
    }

    private static Task<int> MigrateAsync(string connectionString, params string[] args) =>
        MigrationService.MigratorApp.RunAsync(args, TextWriter.Null, new Dictionary<string, string?>
        {
            ["ConnectionStrings:postgresdb"] = connectionString,
            ["Logging:LogLevel:Default"] = "Warning",
        });

    /// <summary>Polls until the path answers the status; returns how long that took (fails after 30 s).</summary>
    private static async Task<TimeSpan> WaitForAsync(HttpClient client, string path, HttpStatusCode status)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var response = await client.GetAsync(path);
            if (response.StatusCode == status)
            {
                return clock.Elapsed;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{path} still answers {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(50);
        }
    }

    /// <summary>The API over a new database, migrated as asked (or not at all) before it starts, re-checking every second.</summary>
    private sealed class GatedApi(string[]? migrate, Func<NpgsqlConnection, Task>? prepare) : ApiFactory, IAsyncDisposable
    {
        public static async Task<GatedApi> StartAsync(string[]? migrate, Func<NpgsqlConnection, Task>? prepare = null)
        {
            var api = new GatedApi(migrate, prepare);
            await api.InitializeAsync();
            return api;
        }

        protected override async Task<TestDatabase> CreateDatabaseAsync()
        {
            var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
            if (migrate is not null)
            {
                Assert.Equal(0, await MigrateAsync(database.ConnectionString, migrate));
            }

            if (prepare is not null)
            {
                await using var connection = new NpgsqlConnection(database.ConnectionString);
                await connection.OpenAsync();
                await prepare(connection);
            }

            return database;
        }

        protected override Dictionary<string, string?> Settings => new()
        {
            ["Schema:CheckInterval"] = Interval.ToString(),
        };

        public override async ValueTask DisposeAsync() => await ((IAsyncLifetime)this).DisposeAsync();
    }
}
