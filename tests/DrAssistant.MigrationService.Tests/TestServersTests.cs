using Dapper;
using DrAssistant.Testing;
using Npgsql;
using StackExchange.Redis;

namespace DrAssistant.MigrationService.Tests;

/// <summary>The test fixtures give real servers, and every test gets a database of its own.</summary>
public class TestServersTests
{
    [Fact]
    public async Task PostgresIsARealServerOfVersion13OrNewer()
    {
        var server = await PostgresServer.GetAsync();
        await using var connection = new NpgsqlConnection(server.AdminConnectionString);

        var versionNumber = await connection.ExecuteScalarAsync<int>("SELECT current_setting('server_version_num')::int");

        // gen_random_uuid() is built in from 13 on; the schema relies on it.
        Assert.True(versionNumber >= 130000, $"server_version_num {versionNumber} from {server.Description}");
    }

    [Fact]
    public async Task EachTestDatabaseIsSeparateAndGoneAfterDisposal()
    {
        var server = await PostgresServer.GetAsync();
        string name;
        await using (var first = await server.CreateDatabaseAsync())
        await using (var second = await server.CreateDatabaseAsync())
        {
            name = first.Name;
            await using var connection = new NpgsqlConnection(first.ConnectionString);
            await connection.ExecuteAsync("CREATE TABLE only_here (id int)");
            await using var other = new NpgsqlConnection(second.ConnectionString);

            Assert.Equal(0, await other.ExecuteScalarAsync<int>("SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'"));
        }

        await using var admin = new NpgsqlConnection(server.AdminConnectionString);
        Assert.Equal(0, await admin.ExecuteScalarAsync<int>("SELECT count(*) FROM pg_database WHERE datname = @name", new { name }));
    }

    [Fact]
    public async Task RedisIsARealServer()
    {
        var server = await RedisServer.GetAsync();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        var key = $"test:{Guid.NewGuid():N}";

        await redis.GetDatabase().StringSetAsync(key, "v", TimeSpan.FromMinutes(1));

        Assert.Equal("v", (string?)await redis.GetDatabase().StringGetAsync(key));
    }

    [Fact]
    public async Task ADedicatedRedisCanBeStoppedAndComesBackOnTheSamePort()
    {
        await using var server = await RedisServer.StartDedicatedAsync();
        var options = ConfigurationOptions.Parse(server.ConnectionString);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 500;

        await server.StopAsync();
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var down = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString + ",connectTimeout=500");
        });

        await server.StartAsync();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        Assert.True((await redis.GetDatabase().PingAsync()) >= TimeSpan.Zero);
    }
}
