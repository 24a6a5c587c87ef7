using Dapper;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit.Abstractions;

namespace DrAssistant.Api.Tests.Resilience;

/// <summary>
/// The evidence behind <see cref="PoolRecovery"/>, on Npgsql itself with the API's auto-prepare settings and a pool of
/// one connection: when the execution that auto-prepares a row-returning statement (its second use, with Auto Prepare
/// Min Usages 2) is refused at Bind, Npgsql keeps the statement as prepared without its row description, and the next
/// use of it on that connection fails ("Received unexpected backend message DataRow"). Clearing the pool after such a
/// failure, as PoolRecovery does, keeps every later use working.
/// </summary>
public sealed class PreparedStatementDefectTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Query = "SELECT id, name FROM words WHERE name <> @name ORDER BY id";
    private TestDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.ExecuteAsync("CREATE TABLE words (id serial PRIMARY KEY, name text NOT NULL); INSERT INTO words (name) VALUES ('a'), ('b')");
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    /// <summary>
    /// Pins the defect of Npgsql 10.0.3. If this starts failing after an Npgsql upgrade, the defect is fixed there:
    /// say so in PoolRecovery and the README (the safety net then costs nothing but may go).
    /// </summary>
    [Fact]
    public async Task NpgsqlBreaksTheNextUseOfAStatementWhosePreparingExecutionWasRefusedAtBind()
    {
        await using var dataSource = PoolOfOne();

        var first = await UseAsync(dataSource, "x");
        var refused = await Assert.ThrowsAsync<PostgresException>(() => UseAsync(dataSource, "bad\0"));
        var broken = await Record.ExceptionAsync(() => UseAsync(dataSource, "y"));
        var afterwards = await UseAsync(dataSource, "y");

        output.WriteLine($"use 1: {first} rows; use 2: {refused.SqlState}; use 3: {broken?.GetType().Name} \"{broken?.Message}\"; use 4: {afterwards} rows");
        Assert.Equal(2, first);
        Assert.Equal(PostgresErrorCodes.CharacterNotInRepertoire, refused.SqlState);
        Assert.NotNull(broken);
        Assert.Contains("unexpected backend message", broken.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(2, afterwards);
    }

    [Fact]
    public async Task AfterPoolRecoveryTheTwentyNextUsesOfTheStatementSucceed()
    {
        await using var dataSource = PoolOfOne();

        await UseAsync(dataSource, "x");
        var refused = await Assert.ThrowsAsync<PostgresException>(() => UseAsync(dataSource, "bad\0"));
        Assert.Same(refused, PoolRecovery.MayHaveHalfPrepared(new OperationCanceledException("wrapped", refused)));
        PoolRecovery.Recover(dataSource, refused, NullLogger.Instance);
        var rows = new List<int>();
        for (var i = 0; i < 20; i++)
        {
            rows.Add(await UseAsync(dataSource, "y"));
        }

        output.WriteLine($"after the refused use and the pool's recovery, 20 uses: {rows.Count(r => r == 2)} answered 2 rows");
        Assert.All(rows, r => Assert.Equal(2, r));
    }

    [Fact]
    public void ConstraintViolationsAndContentionComeFromExecuteAndLeaveThePoolAlone()
    {
        Assert.Null(PoolRecovery.MayHaveHalfPrepared(new PostgresException("dup", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation)));
        Assert.Null(PoolRecovery.MayHaveHalfPrepared(new PostgresException("slot", "ERROR", "ERROR", PostgresErrorCodes.ExclusionViolation)));
        Assert.Null(PoolRecovery.MayHaveHalfPrepared(new PostgresException("deadlock", "ERROR", "ERROR", PostgresErrorCodes.DeadlockDetected)));
        Assert.NotNull(PoolRecovery.MayHaveHalfPrepared(new PostgresException("nul", "ERROR", "ERROR", PostgresErrorCodes.CharacterNotInRepertoire)));
        Assert.NotNull(PoolRecovery.MayHaveHalfPrepared(new PostgresException("cancel", "ERROR", "ERROR", PostgresErrorCodes.QueryCanceled)));
    }

    /// <summary>The API's settings (DrAssistant.Api/Extensions.cs) with a pool of one connection.</summary>
    private NpgsqlDataSource PoolOfOne() => new NpgsqlDataSourceBuilder(_database.ConnectionString)
    {
        ConnectionStringBuilder = { MaxPoolSize = 1, MaxAutoPrepare = 64, AutoPrepareMinUsages = 2 },
    }.Build();

    private static async Task<int> UseAsync(NpgsqlDataSource dataSource, string name)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<(int Id, string Name)>(Query, new { name })).Count();
    }
}
