using Dapper;
using DrAssistant.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DrAssistant.Api.Tests.Resilience;

/// <summary>
/// The API's pool hands connections back without Npgsql's session reset (No Reset On Close): what must not leak from
/// one request to the next still does not.
/// </summary>
public sealed class ConnectionResetTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public void TheApisPoolSkipsTheSessionReset()
    {
        var dataSource = api.Services.GetRequiredService<NpgsqlDataSource>();

        Assert.True(new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).NoResetOnClose);
    }

    [Fact]
    public async Task ATransactionLeftOpenIsRolledBackBeforeTheConnectionIsUsedAgain()
    {
        await using var dataSource = new NpgsqlDataSourceBuilder(api.Database.ConnectionString)
        {
            ConnectionStringBuilder = { MaxPoolSize = 1, NoResetOnClose = true },
        }.Build();
        int backend;
        await using (var first = await dataSource.OpenConnectionAsync())
        {
            backend = first.ProcessID;
            var transaction = await first.BeginTransactionAsync();
            await first.ExecuteAsync("INSERT INTO users (username, email, full_name, role, password_hash) " +
                                     "VALUES ('left.open', 'left.open@clinic.example', 'Left Open', 'nurse', 'x')", transaction: transaction);
            // Closed with its transaction neither committed nor rolled back, as a request that failed half-way leaves it.
        }

        await using var next = await dataSource.OpenConnectionAsync();

        Assert.Equal(backend, next.ProcessID);
        Assert.Equal(0, await next.ExecuteScalarAsync<int>("SELECT count(*) FROM users WHERE username = 'left.open'"));
        // Not inside a transaction any more: txid_current_if_assigned() is null outside one that wrote.
        Assert.Null(await next.ExecuteScalarAsync<long?>("SELECT txid_current_if_assigned()"));
    }
}
