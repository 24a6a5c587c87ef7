using System.Net;
using System.Net.Http.Headers;
using Dapper;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace DrAssistant.Api.Tests.Auth;

/// <summary>
/// Rules that must hold when requests arrive together: each race is started by one gate, so every request is in flight
/// before any is answered. Run against the code before issue 12, each of these failed (see the comments).
/// </summary>
public sealed class AccountRaceTests(AccountRaceTests.EveryRequestRefreshes api, ITestOutputHelper output) : IClassFixture<AccountRaceTests.EveryRequestRefreshes>
{
    [Fact]
    public async Task SixtyParallelWrongLoginsCheckAtMostFivePasswordsAndThenEvenTheRightOneIsRefused()
    {
        // Before: the count was read before the password check and raised after it, so all 60 were checked (60 × 401).
        var (_, username) = await UserAsync("doctor");
        var gate = new TaskCompletionSource();
        var attempts = Enumerable.Range(0, 60).Select(async i =>
        {
            var client = api.CreateClient();
            await gate.Task;
            return await client.PostJsonAsync("/api/auth/login", new { username, password = $"wrong guess {i}" });
        }).ToList();

        gate.SetResult();
        var answers = await Task.WhenAll(attempts);
        var right = await api.CreateClient().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password });

        var checkedCount = answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized);
        var refused = answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests);
        output.WriteLine($"60 parallel wrong logins: {checkedCount} checked (401), {refused} refused (429), others {60 - checkedCount - refused}; then the right password: {(int)right.StatusCode}");
        Assert.InRange(checkedCount, 1, 5);
        Assert.Equal(60 - checkedCount, refused);
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.True(right.Headers.RetryAfter?.Delta > TimeSpan.Zero, "a 429 says when to try again (Retry-After)");
    }

    [Fact]
    public async Task ADeactivationRacingRefreshesNeverBringsTheSessionBack()
    {
        // Before: a refresh was GET then SET; a DEL landing between them was undone by the SET (about half the trials).
        const int trials = 50;
        var (_, admin) = await api.NewClientAsync("admin");
        await using var redis = await ConnectionMultiplexer.ConnectAsync(api.RedisConnectionString);
        var resurrected = 0;
        var stillServed = 0;
        for (var trial = 0; trial < trials; trial++)
        {
            var (id, username) = await UserAsync("nurse");
            var token = await TokenAsync(username);
            var session = $"session:{DrAssistant.Api.Auth.SessionStore.SessionIdOf(token)}";
            var gate = new TaskCompletionSource();
            var deactivated = new TaskCompletionSource();
            // Refreshes keep coming until the deactivation has answered, so its DEL lands among them.
            var refreshes = Enumerable.Range(0, 4).Select(async _ =>
            {
                var client = WithToken(token);
                await gate.Task;
                while (!deactivated.Task.IsCompleted)
                {
                    (await client.GetAsync("/api/auth/me")).Dispose();
                }
            }).ToList();
            var deactivation = Task.Run(async () =>
            {
                await gate.Task;
                var response = await AnsweredAsync(() => admin.PutJsonAsync($"/api/users/{id}", new
                {
                    username, email = $"{username}@clinic.example", fullName = "Nurse", role = "nurse", status = "inactive",
                }));
                deactivated.SetResult();
                return response;
            });

            gate.SetResult();
            await Task.WhenAll(refreshes);
            Assert.Equal(HttpStatusCode.OK, (await deactivation).StatusCode);

            if (await redis.GetDatabase().KeyExistsAsync(session))
            {
                resurrected++;
            }

            if ((await WithToken(token).GetAsync("/api/auth/me")).StatusCode != HttpStatusCode.Unauthorized)
            {
                stillServed++;
            }
        }

        output.WriteLine($"{trials} deactivation-vs-refresh races (4 streams of refreshes each, activity resolution 0): {resurrected} sessions back in Redis, {stillServed} tokens still served");
        Assert.Equal(0, resurrected);
        Assert.Equal(0, stillServed);
    }

    [Fact]
    public async Task TwoAdministratorsDemotingEachOtherAtOnceLeaveOneAdministrator()
    {
        // Before: nothing checked the last administrator, so both demotions went through and the clinic had none.
        const int trials = 15;
        var outcomes = new Dictionary<string, int>();
        var left = new List<long>();
        for (var trial = 0; trial < trials; trial++)
        {
            // This class's database is its own: make these two the clinic's only active administrators.
            var (a, aName, aClient) = await AdminAsync();
            var (b, bName, bClient) = await AdminAsync();
            await api.Seed.ExecuteAsync("UPDATE users SET status = 'inactive' WHERE role = 'admin' AND id <> ALL(@keep)", new { keep = new[] { a, b } });

            var gate = new TaskCompletionSource();
            var first = Task.Run(async () =>
            {
                await gate.Task;
                return await AnsweredAsync(() => aClient.PutJsonAsync($"/api/users/{b}", Demotion(bName)));
            });
            var second = Task.Run(async () =>
            {
                await gate.Task;
                return await AnsweredAsync(() => bClient.PutJsonAsync($"/api/users/{a}", Demotion(aName)));
            });
            gate.SetResult();
            var answers = await Task.WhenAll(first, second);

            var key = string.Join('+', answers.Select(r => (int)r.StatusCode).Order());
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
            await using var connection = await api.Db.OpenConnectionAsync();
            left.Add(await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM users WHERE role = 'admin' AND status = 'active'"));
        }

        output.WriteLine($"{trials} trials of two administrators demoting each other: answers {string.Join(", ", outcomes.Select(o => $"{o.Key} ×{o.Value}"))}; active administrators left: {string.Join(",", left)}");
        Assert.All(left, count => Assert.Equal(1, count));

        static object Demotion(string username) => new
        {
            username, email = $"{username}@clinic.example", fullName = "Former admin", role = "receptionist", status = "active",
        };
    }

    /// <summary>
    /// The request, sent again (up to three times) while it answers 401 or 503: on a machine so loaded that a Redis
    /// call exceeds its timeout, authentication fails closed (401) and a change that cannot end sessions is not made
    /// (503); neither changed anything, so sending again is what a client would do. A 401 that is the race's own
    /// outcome (the other side ended this caller's sessions) stays 401.
    /// </summary>
    private static async Task<HttpResponseMessage> AnsweredAsync(Func<Task<HttpResponseMessage>> send)
    {
        var response = await send();
        for (var attempt = 1; attempt < 3 && response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.ServiceUnavailable; attempt++)
        {
            await Task.Delay(200);
            response = await send();
        }

        return response;
    }

    private async Task<(Guid Id, string Username, HttpClient Client)> AdminAsync()
    {
        var (id, username) = await UserAsync("admin");
        return (id, username, WithToken(await TokenAsync(username)));
    }

    private async Task<(Guid Id, string Username)> UserAsync(string role)
    {
        var id = await api.Seed.UserAsync(role);
        await using var connection = await api.Db.OpenConnectionAsync();
        return (id, await connection.ExecuteScalarAsync<string>("SELECT username FROM users WHERE id = @id", new { id }) ?? "");
    }

    private async Task<string> TokenAsync(string username)
    {
        var response = await api.CreateClient().PostJsonAsync("/api/auth/login", new { username, password = Seed.Password });
        return (await response.JsonAsync()).GetProperty("token").GetString()!;
    }

    private HttpClient WithToken(string token)
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Every request writes its activity back, so every request is a refresh.</summary>
    public sealed class EveryRequestRefreshes : ApiFactory
    {
        protected override Dictionary<string, string?> Settings => new()
        {
            ["Sessions:ActivityResolution"] = "00:00:00",
        };
    }
}
