using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using DrAssistant.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace DrAssistant.Api.Tests;

/// <summary>
/// The API over a database of its own (a copy of a migrated template) and the shared real Redis.
/// One per test class; tests in a class use their own rows.
/// </summary>
public class ApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public TestDatabase Database { get; private set; } = null!;

    public string RedisConnectionString { get; protected set; } = null!;

    public NpgsqlDataSource Db { get; private set; } = null!;

    public Seed Seed => new(Db);

    private readonly ConcurrentDictionary<Guid, string> _tokens = new();

    /// <summary>A client signed in (through the real login) as this seeded user.</summary>
    public async Task<HttpClient> ClientAsAsync(Guid userId)
    {
        if (!_tokens.TryGetValue(userId, out var token))
        {
            token = await LoginAsync(userId);
            _tokens[userId] = token;
        }

        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A new user of that role and a client signed in as them.</summary>
    public async Task<(Guid Id, HttpClient Client)> NewClientAsync(string role)
    {
        var id = await Seed.UserAsync(role);
        return (id, await ClientAsAsync(id));
    }

    private async Task<string> LoginAsync(Guid userId)
    {
        await using var connection = await Db.OpenConnectionAsync();
        var username = await connection.ExecuteScalarAsync<string>("SELECT username FROM users WHERE id = @userId", new { userId });
        var response = await CreateClient().PostAsJsonAsync("/api/auth/login", new { username, password = Seed.Password }, Json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"login as {username} failed: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>Extra settings a test class needs (e.g. a Redis that is down).</summary>
    protected virtual Dictionary<string, string?> Settings => [];

    public virtual async Task InitializeAsync()
    {
        Database = await CreateDatabaseAsync();
        RedisConnectionString ??= (await RedisServer.GetAsync()).ConnectionString;
        Db = NpgsqlDataSource.Create(Database.ConnectionString);
    }

    /// <summary>A migrated database of this factory's own (by default a copy of the shared template).</summary>
    protected virtual async Task<TestDatabase> CreateDatabaseAsync() =>
        await (await PostgresServer.GetAsync()).CreateDatabaseAsync(await MigratedTemplate.GetAsync());

    /// <summary>
    /// A migrated database on a PostgreSQL server of the test's own, which it may stop or freeze (fault tests); the test
    /// is skipped, with the reason, where no local server binaries can start one.
    /// </summary>
    protected static async Task<(PostgresServer Server, TestDatabase Database)> DedicatedDatabaseAsync()
    {
        var (server, reason) = await PostgresServer.StartDedicatedAsync();
        Skip.If(server is null, reason);
        var database = await server!.CreateDatabaseAsync();
        var exit = await MigrationService.MigratorApp.RunAsync(["migrate"], TextWriter.Null, new Dictionary<string, string?>
        {
            ["ConnectionStrings:postgresdb"] = database.ConnectionString,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        Assert.Equal(0, exit);
        NpgsqlConnection.ClearAllPools();
        return (server, database);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        await Db.DisposeAsync();
        await Database.DisposeAsync();
        await DisposeStoresAsync();
    }

    /// <summary>Stores a subclass added (e.g. a MongoDB database), removed once the API has stopped.</summary>
    protected virtual Task DisposeStoresAsync() => Task.CompletedTask;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:postgresdb", Database.ConnectionString);
        builder.UseSetting("ConnectionStrings:redis", RedisConnectionString);
        // Outage tests provoke thousands of expected warnings; errors are what a failing test needs to show.
        builder.UseSetting("Logging:LogLevel:Default", "Error");
        builder.UseSetting("Logging:LogLevel:StackExchange.Redis", "Critical");
        builder.UseSetting("Clinic:TimeZone", "Asia/Kolkata");
        // Every test client is one address to the test server: the per-client sign-in limit is tested on its own
        // (ClientLimitTests), and would otherwise throttle a class that signs many users in.
        builder.UseSetting("Sessions:ClientLoginLimit", "100000");
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }
}

/// <summary>One migrated database per test run, copied (CREATE DATABASE … TEMPLATE) for each test class.</summary>
public static class MigratedTemplate
{
    private static readonly Lazy<Task<string>> Template = new(CreateAsync);

    public static Task<string> GetAsync() => Template.Value;

    private static async Task<string> CreateAsync()
    {
        var server = await PostgresServer.GetAsync();
        var name = $"template_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(server.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = server.ConnectionStringFor(name);
        var exitCode = await MigrationService.MigratorApp.RunAsync(["migrate"], TextWriter.Null, new Dictionary<string, string?>
        {
            ["ConnectionStrings:postgresdb"] = connectionString,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"Migrating the template database failed with exit code {exitCode}.");
        }

        // A template must have no open connections while it is copied (the migrator pooled its own).
        NpgsqlConnection.ClearAllPools();
        await using (var admin = new NpgsqlConnection(server.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var terminate = new NpgsqlCommand(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @name", admin);
            terminate.Parameters.AddWithValue("name", name);
            await terminate.ExecuteNonQueryAsync();
        }

        return name;
    }
}

internal static class HttpExtensions
{
    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<T>(body, ApiFactory.Json)!;
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>The field names of a 400 ValidationProblem.</summary>
    public static async Task<string[]> InvalidFieldsAsync(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 400, $"expected 400, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToArray();
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body) =>
        client.PostAsJsonAsync(url, body, ApiFactory.Json);

    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string url, object body) =>
        client.PutAsJsonAsync(url, body, ApiFactory.Json);
}
