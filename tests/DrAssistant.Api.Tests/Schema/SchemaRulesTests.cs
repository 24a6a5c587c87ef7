using DrAssistant.Api.Infrastructure;

namespace DrAssistant.Api.Tests.Schema;

/// <summary>The schema gate's verdict from what the stores record (no server): this build needs version 4 and step 2.</summary>
public sealed class SchemaRulesTests
{
    private static readonly PostgresSchemaReading Complete = new(true, true, 4, [], []);
    private static readonly MongoSchemaReading MongoComplete = new(2, []);

    [Fact]
    public void ADatabaseWithEveryVersionRecordedInBothTablesIsServed()
    {
        var state = Decide(Complete);

        Assert.True(state.Ready);
        Assert.Null(state.Problem);
        Assert.Equal("PostgreSQL schema at version 4 (this build needs 4).", state.Summary);
    }

    [Fact]
    public void AnOlderSchemaIsRefusedNamingBothVersions()
    {
        var state = Decide(new PostgresSchemaReading(true, true, 3, [4], []));

        Assert.False(state.Ready);
        Assert.Equal("The database schema is at version 3, this build needs 4. Run the migration service (migrate) against this database.", state.Problem);
    }

    [Fact]
    public void ANewerSchemaIsServedAndSaysSo()
    {
        var state = Decide(Complete with { Current = 7 });

        Assert.True(state.Ready);
        Assert.Contains("later versions only add, so this build serves", state.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void VersionsWithoutTheMigrationServicesHistoryAreRefused()
    {
        Assert.False(Decide(Complete with { HasHistoryTable = false }).Ready);
        Assert.False(Decide(Complete with { Partial = [4] }).Ready);
    }

    [Fact]
    public void AStoreThatDoesNotAnswerNeverOpensTheGateAndNeverClosesAnOpenOne()
    {
        var unread = SchemaRules.Decide(SchemaState.Initial, null, "connection refused", false, null, null, 4, 2);
        var open = Decide(Complete);
        var stillOpen = SchemaRules.Decide(open, null, "connection refused", false, null, null, 4, 2);

        Assert.False(unread.Ready);
        Assert.Contains("connection refused", unread.Problem, StringComparison.Ordinal);
        Assert.True(stillOpen.Ready);
    }

    [Fact]
    public void AMongoDbThatHasNotAnsweredYetLeavesTheRestServingButNotTheNotes()
    {
        var state = SchemaRules.Decide(SchemaState.Initial, Complete, null, true, null, "no server", 4, 2);

        Assert.True(state.Ready);
        Assert.False(state.MongoUsable);
        Assert.Contains("no server", state.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void AMongoDbBehindTheBuildStopsEverything()
    {
        var state = SchemaRules.Decide(SchemaState.Initial, Complete, null, true, new MongoSchemaReading(1, [2]), null, 4, 2);

        Assert.False(state.Ready);
        Assert.False(state.MongoUsable);
        Assert.Equal("MongoDB's schema is at step 1, this build needs step 2. Run the migration service (migrate) against this database.", state.Problem);
    }

    [Fact]
    public void AMongoDbOnceReadStaysUsableThroughAnOutage()
    {
        var read = SchemaRules.Decide(SchemaState.Initial, Complete, null, true, MongoComplete, null, 4, 2);
        var outage = SchemaRules.Decide(read, Complete, null, true, null, "no server", 4, 2);

        Assert.True(read.MongoUsable);
        Assert.True(outage.MongoUsable);
        Assert.True(outage.Ready);
    }

    private static SchemaState Decide(PostgresSchemaReading postgres) =>
        SchemaRules.Decide(SchemaState.Initial, postgres, null, false, null, null, 4, 2);
}
