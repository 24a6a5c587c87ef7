using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace DrAssistant.ServiceDefaults.Tests;

public class LegacyConnectionStringsTests
{
    [Fact]
    public void TheSeedsDatabaseVariablesBecomeTheNpgsqlConnectionString()
    {
        var resolved = LegacyConnectionStrings.Resolve(Configuration(new()
        {
            ["DB_HOST"] = "db.internal",
            ["DB_PORT"] = "6543",
            ["DB_NAME"] = "dr_assistant",
            ["DB_USER"] = "clinic",
            ["DB_PASSWORD"] = "p;a=ss",
        }));

        var builder = new NpgsqlConnectionStringBuilder(resolved[ResourceNames.PostgresDatabase]);
        Assert.Equal("db.internal", builder.Host);
        Assert.Equal(6543, builder.Port);
        Assert.Equal("dr_assistant", builder.Database);
        Assert.Equal("clinic", builder.Username);
        Assert.Equal("p;a=ss", builder.Password);
    }

    [Fact]
    public void DatabasePortAndNameDefaultToTheSeedsValues()
    {
        var resolved = LegacyConnectionStrings.Resolve(Configuration(new() { ["DB_HOST"] = "localhost" }));

        var builder = new NpgsqlConnectionStringBuilder(resolved[ResourceNames.PostgresDatabase]);
        Assert.Equal(5432, builder.Port);
        Assert.Equal(ResourceNames.DatabaseName, builder.Database);
    }

    [Fact]
    public void AnAspireConnectionStringWinsOverTheLegacyVariables()
    {
        var resolved = LegacyConnectionStrings.Resolve(Configuration(new()
        {
            [$"ConnectionStrings:{ResourceNames.PostgresDatabase}"] = "Host=from-aspire",
            ["DB_HOST"] = "legacy",
            [$"ConnectionStrings:{ResourceNames.Redis}"] = "aspire:6379",
            ["REDIS_URI"] = "redis://legacy:6379",
        }));

        Assert.Empty(resolved);
    }

    [Fact]
    public void MongoUriIsTakenAsIs()
    {
        var resolved = LegacyConnectionStrings.Resolve(Configuration(new() { ["MONGODB_URI"] = "mongodb://mongo:mongo@localhost:27017/dr_assistant" }));

        Assert.Equal("mongodb://mongo:mongo@localhost:27017/dr_assistant", resolved[ResourceNames.MongoDatabase]);
    }

    [Fact]
    public void NothingIsInventedWhenNoVariableIsSet()
    {
        Assert.Empty(LegacyConnectionStrings.Resolve(Configuration(new())));
    }

    [Theory]
    [InlineData("redis://localhost:6379", "localhost:6379")]
    [InlineData("redis://localhost", "localhost:6379")]
    [InlineData("redis://:s3cret@cache:6380/2", "cache:6380,password=s3cret,defaultDatabase=2")]
    [InlineData("redis://app:s3cret@cache:6380", "cache:6380,user=app,password=s3cret")]
    [InlineData("rediss://cache.example:6380", "cache.example:6380,ssl=true")]
    [InlineData("cache:6379,password=x", "cache:6379,password=x")]
    public void RedisUrisBecomeStackExchangeConfiguration(string uri, string expected)
    {
        Assert.Equal(expected, LegacyConnectionStrings.RedisUriToConfiguration(uri));
    }

    [Fact]
    public void TheResolvedStringsAreVisibleAsConnectionStringsAfterServiceDefaults()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["REDIS_URI"] = "redis://cache:6379" });

        builder.Configuration.AddLegacyConnectionStrings();

        Assert.Equal("cache:6379", builder.Configuration.GetConnectionString(ResourceNames.Redis));
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
