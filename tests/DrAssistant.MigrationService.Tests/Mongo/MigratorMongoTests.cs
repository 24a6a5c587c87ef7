using System.Text.Json;
using DrAssistant.MigrationService.Cli;
using DrAssistant.Testing;

namespace DrAssistant.MigrationService.Tests.Mongo;

/// <summary>
/// The migrator as a whole with MongoDB in it: absent, unreachable, misconfigured, or a real server (those tests are
/// skipped, with the reason, when there is none). PostgreSQL is always real.
/// </summary>
public class MigratorMongoTests
{
    [Fact]
    public async Task WithoutAMongoConnectionStringMigrateSucceedsAndReportsMongoNotConfigured()
    {
        await using var postgres = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();

        var (exitCode, json) = await RunJsonAsync(["migrate", "--json"], postgres.ConnectionString, mongo: null);

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Equal("not-configured", json.GetProperty("mongo").GetProperty("status").GetString());
        Assert.Single(json.GetProperty("mongo").EnumerateObject());
    }

    [Fact]
    public async Task WithoutAMongoConnectionStringCheckLooksOnlyAtPostgres()
    {
        await using var postgres = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        await RunJsonAsync(["migrate", "--json"], postgres.ConnectionString, mongo: null);

        var (exitCode, json) = await RunJsonAsync(["check", "--json"], postgres.ConnectionString, mongo: null);

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Equal("not-configured", json.GetProperty("mongo").GetProperty("status").GetString());
    }

    [Fact]
    public async Task AnUnreachableMongoFailsTheRunWithASentenceAfterPostgresIsDone()
    {
        await using var postgres = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();

        var (exitCode, json) = await RunJsonAsync(["migrate", "--json"], postgres.ConnectionString, NobodyListens);

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Equal("failed", json.GetProperty("mongo").GetProperty("status").GetString());
        Assert.StartsWith("No MongoDB server answered at 127.0.0.1:1", json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(Postgres.Db.LatestVersion, json.GetProperty("postgres").GetProperty("currentVersion").GetInt64());
    }

    [Fact]
    public async Task AMongoConnectionStringWithoutADatabaseFailsTheRunWithASentence()
    {
        await using var postgres = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();

        var (exitCode, json) = await RunJsonAsync(["info", "--json"], postgres.ConnectionString, "mongodb://127.0.0.1:27017/");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("names no database", json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RollbackNeverContactsMongo()
    {
        await using var postgres = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        await RunJsonAsync(["migrate", "--json"], postgres.ConnectionString, mongo: null);

        var (exitCode, json) = await RunJsonAsync(["rollback", "--to", "2", "--json"], postgres.ConnectionString, NobodyListens);

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.False(json.TryGetProperty("mongo", out _));
    }

    [Fact]
    public async Task TheScriptAppendsTheMongoCommandsWithoutAnyServer()
    {
        var output = new StringWriter();

        var exitCode = await MigratorApp.RunAsync(["script"], output, Settings(postgres: null, mongo: null));

        Assert.Equal(ExitCodes.Success, exitCode);
        var script = output.ToString();
        Assert.True(script.IndexOf("CREATE TABLE", StringComparison.Ordinal) < script.IndexOf("MongoDB database 'dr_assistant'", StringComparison.Ordinal));
        Assert.Contains("{ \"create\" : \"clinicalNotes\"", script, StringComparison.Ordinal);
        Assert.Contains("{ \"collMod\" : \"voiceRecordings\"", script, StringComparison.Ordinal);
        Assert.Contains("{ \"createIndexes\" : \"fs.chunks\"", script, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task MigrateReconcilesMongoAfterPostgresAndThenCheckPasses()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();
        await using var postgres = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();

        var (migrated, migrateJson) = await RunJsonAsync(["migrate", "--json"], postgres.ConnectionString, mongo.ConnectionString);
        var (checkedCode, checkJson) = await RunJsonAsync(["check", "--json"], postgres.ConnectionString, mongo.ConnectionString);

        Assert.Equal(ExitCodes.Success, migrated);
        Assert.Equal("applied", migrateJson.GetProperty("mongo").GetProperty("status").GetString());
        Assert.Equal("applied-now", migrateJson.GetProperty("mongo").GetProperty("steps")[0].GetProperty("state").GetString());
        Assert.NotEmpty(migrateJson.GetProperty("mongo").GetProperty("actions").EnumerateArray());
        Assert.Equal(ExitCodes.Success, checkedCode);
        Assert.Equal("up-to-date", checkJson.GetProperty("mongo").GetProperty("status").GetString());
    }

    [SkippableFact]
    public async Task CheckExitsTwoWhileMongoHasPendingSteps()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();
        await using var postgres = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        await RunJsonAsync(["migrate", "--json"], postgres.ConnectionString, mongo: null);

        var (exitCode, json) = await RunJsonAsync(["check", "--json"], postgres.ConnectionString, mongo.ConnectionString);

        Assert.Equal(ExitCodes.PendingOrDrift, exitCode);
        Assert.Equal("pending", json.GetProperty("mongo").GetProperty("status").GetString());
        Assert.Equal("pending", json.GetProperty("mongo").GetProperty("steps")[0].GetProperty("state").GetString());
    }

    [SkippableFact]
    public async Task ALiveMongoLeaseMakesMigrateExitWithTheLockTimeoutCode()
    {
        await using var mongo = await MongoTestDatabase.CreateAsync();
        await using var postgres = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        await using var holder = await DrAssistant.MigrationService.Mongo.MongoLease.AcquireAsync(
            mongo.Database, "another migrator", new(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);

        var (exitCode, json) = await RunJsonAsync(
            ["migrate", "--json", "--Migrator:Mongo:LockTimeout=00:00:01"], postgres.ConnectionString, mongo.ConnectionString);

        Assert.Equal(ExitCodes.LockTimeout, exitCode);
        Assert.Equal("lock-timeout", json.GetProperty("status").GetString());
    }

    [SkippableFact]
    public async Task ARefusedLoginExitsOneAtOnceWithWhatToDoInsteadOfWaiting()
    {
        var server = await MongoServer.RequireAsync();
        await using var postgres = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        // A user the server does not know (refused whether or not the server enforces access control), with a password
        // that needs escaping.
        var wrong = new MongoDB.Driver.MongoUrlBuilder(server.NewDatabaseConnectionString(out _))
        {
            Username = "nobody",
            Password = "not@the/right:one?#[] %",
            AuthenticationSource = "admin",
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var (exitCode, json) = await RunJsonAsync(["migrate", "--json"], postgres.ConnectionString, wrong.ToString());

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Equal("failed", json.GetProperty("mongo").GetProperty("status").GetString());
        Assert.StartsWith("authentication failed: the data volume was probably created with another password;", json.GetProperty("error").GetString(), StringComparison.Ordinal);
        // Well within the lease wait and the server selection timeout: it did not wait.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"took {clock.Elapsed}");
    }

    /// <summary>Port 1 on loopback: nothing listens there, and a short selection timeout makes the failure quick.</summary>
    private const string NobodyListens = "mongodb://127.0.0.1:1/dr_assistant?serverSelectionTimeoutMS=300&connectTimeoutMS=300";

    private static async Task<(int ExitCode, JsonElement Json)> RunJsonAsync(string[] args, string postgres, string? mongo)
    {
        var output = new StringWriter();
        var exitCode = await MigratorApp.RunAsync(args, output, Settings(postgres, mongo));
        using var document = JsonDocument.Parse(output.ToString());
        return (exitCode, document.RootElement.Clone());
    }

    private static Dictionary<string, string?> Settings(string? postgres, string? mongo) => new()
    {
        ["ConnectionStrings:postgresdb"] = postgres ?? "",
        // Empty, not absent: a MongoDB configured elsewhere (user secrets, environment) must not leak into the test.
        ["ConnectionStrings:mongodb"] = mongo ?? "",
        ["Migrator:LockTimeout"] = "00:00:30",
    };
}
