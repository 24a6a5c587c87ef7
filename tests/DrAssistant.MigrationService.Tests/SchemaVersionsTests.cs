using System.Reflection;
using DrAssistant.MigrationService.Mongo;
using DrAssistant.MigrationService.Postgres.Migrations;
using DrAssistant.Shared;
using FluentMigrator;

namespace DrAssistant.MigrationService.Tests;

/// <summary>
/// The schema the API requires (<see cref="SchemaVersions"/>, shared with it) is exactly what this migrator brings a
/// database to: adding a migration or a MongoDB step without raising the number (or the reverse) fails here.
/// </summary>
public class SchemaVersionsTests
{
    private static readonly long[] PostgresVersions = [.. typeof(M001_InitialSchema).Assembly.GetTypes()
        .Select(t => t.GetCustomAttribute<MigrationAttribute>()?.Version)
        .OfType<long>()
        .Order()];

    [Fact]
    public void TheApiRequiresTheLatestPostgresMigrationOfThisBuild() =>
        Assert.Equal(SchemaVersions.Postgres, PostgresVersions[^1]);

    [Fact]
    public void PostgresVersionsRunFromOneWithoutGaps()
    {
        // The API's schema gate counts the versions 1..required recorded in the database: numbering must be dense.
        Assert.Equal(Enumerable.Range(1, PostgresVersions.Length).Select(v => (long)v), PostgresVersions);
    }

    [Fact]
    public void TheApiRequiresTheLatestMongoStepOfThisBuild() =>
        Assert.Equal(SchemaVersions.Mongo, MongoSteps.Latest);

    [Fact]
    public void MongoStepsRunFromOneWithoutGaps() =>
        Assert.Equal(Enumerable.Range(1, MongoSteps.All.Count), MongoSteps.All.Select(s => s.Number));
}
