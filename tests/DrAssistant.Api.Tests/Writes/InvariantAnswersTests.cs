using System.Net;
using System.Text.Json;
using Dapper;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace DrAssistant.Api.Tests.Writes;

/// <summary>
/// What the API answers when a rule of schema version 4, or a rule checked under a row lock, refuses a request made
/// one at a time (the races themselves are in Races/RaceTests).
/// </summary>
public sealed class InvariantAnswersTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Theory]
    [InlineData("username")]
    [InlineData("email")]
    public async Task ALoginOrEmailTakenIgnoringCaseIsA409NamingTheField(string field)
    {
        var (_, admin) = await api.NewClientAsync("admin");
        var name = $"Dr.Case{Guid.NewGuid():N}"[..20];
        var first = await admin.PostJsonAsync("/api/users", User(name, $"{name}@Clinic.example"));
        var second = field == "username"
            ? await admin.PostJsonAsync("/api/users", User(name.ToLowerInvariant(), $"other{Guid.NewGuid():N}@clinic.example"))
            : await admin.PostJsonAsync("/api/users", User($"other{Guid.NewGuid():N}"[..20], $"{name}@clinic.example".ToUpperInvariant()));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.True((await second.JsonAsync()).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task AnAlertRecordsWhoRaisedIt()
    {
        var (nurse, client) = await api.NewClientAsync("nurse");
        var doctor = await api.Seed.DoctorAsync();

        var raised = await (await client.PostJsonAsync("/api/alerts", new
        {
            userId = doctor, alertType = "lab_result", severity = "high", title = "Potassium 6.1", message = "Repeat the test today.",
        })).JsonAsync();
        await using var connection = await api.Db.OpenConnectionAsync();
        var stored = await connection.ExecuteScalarAsync<Guid?>("SELECT created_by FROM alerts WHERE id = @id", new { id = raised.GetProperty("id").GetGuid() });

        Assert.Equal(nurse, raised.GetProperty("createdBy").GetGuid());
        Assert.Equal(nurse, stored);
    }

    [Fact]
    public async Task AnOverlapThatSlipsPastTheEarlyCheckIsTheSame409AsTheEarlyCheck()
    {
        var (_, client) = await api.NewClientAsync("receptionist");
        var (doctor, patient) = (await api.Seed.DoctorAsync(), await api.Seed.PatientAsync());
        var start = new DateTime(2027, 4, 5, 4, 0, 0, DateTimeKind.Utc);
        await api.Seed.AppointmentAsync(doctor, patient, start, minutes: 30);
        var moving = await api.Seed.AppointmentAsync(doctor, patient, start.AddHours(2), minutes: 30);

        var early = await client.PostJsonAsync("/api/appointments", Booking(doctor, patient, start.AddMinutes(10)));
        var reschedule = await client.PutJsonAsync($"/api/appointments/{moving}", Booking(doctor, patient, start.AddMinutes(15)));
        // The constraint itself: straight to PostgreSQL, as a booking whose check ran before the other committed would.
        var constraint = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => api.Seed.AppointmentAsync(doctor, patient, start.AddMinutes(20)));

        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, reschedule.StatusCode);
        Assert.Equal("no_overlapping_appointments", constraint.ConstraintName);
        var mapped = DbErrors.Conflict(constraint).Value!;
        Assert.Equal((await early.JsonAsync()).GetProperty("detail").GetString(), mapped.Detail);
        Assert.True((await reschedule.JsonAsync()).GetProperty("errors").TryGetProperty("startTime", out _));
    }

    [Fact]
    public async Task APlacedOrderKeepsItsLastItemButADraftMayBeEmptied()
    {
        var (doctor, client) = await api.NewClientAsync("doctor");
        var encounter = await api.Seed.EncounterAsync(doctor, await api.Seed.PatientAsync(), DateTime.UtcNow.AddMinutes(-5));
        var placed = await (await client.PostJsonAsync("/api/orders", new
        {
            encounterId = encounter, orderType = "lab", items = new[] { new { itemCode = "2345-7", itemName = "Glucose" } },
        })).JsonAsync();
        var draft = await (await client.PostJsonAsync("/api/orders", new
        {
            encounterId = encounter, orderType = "lab", draft = true, items = new[] { new { itemCode = "2345-7", itemName = "Glucose" } },
        })).JsonAsync();

        var fromPlaced = await client.DeleteAsync($"/api/orders/{placed.GetProperty("id")}/items/{placed.GetProperty("items")[0].GetProperty("id")}");
        var fromDraft = await client.DeleteAsync($"/api/orders/{draft.GetProperty("id")}/items/{draft.GetProperty("items")[0].GetProperty("id")}");

        Assert.Equal(HttpStatusCode.Conflict, fromPlaced.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fromDraft.StatusCode);
        Assert.Equal(0, (await fromDraft.JsonAsync()).GetProperty("items").GetArrayLength());
    }

    /// <summary>
    /// Cache-aside's race, replayed step by step: a reader misses and loads, a write commits and deletes the key, then the
    /// reader's late write of what it loaded is refused, because the key's version changed in between.
    /// </summary>
    [Fact]
    public async Task ACacheWriteOfAValueLoadedBeforeADeleteIsRefused()
    {
        var cache = api.Services.GetRequiredService<RedisCache>();
        var key = $"test:{Guid.NewGuid():N}:value";
        await using var redis = await ConnectionMultiplexer.ConnectAsync(api.RedisConnectionString);

        var lookup = await cache.TryGetAsync<string[]>("test", key);
        await cache.RemoveAsync(key);
        await cache.SetAsync("test", key, new[] { "stale" }, TimeSpan.FromMinutes(1), lookup.Version);
        var afterStaleWrite = await redis.GetDatabase().KeyExistsAsync(key);
        var fresh = await cache.TryGetAsync<string[]>("test", key);
        await cache.SetAsync("test", key, new[] { "fresh" }, TimeSpan.FromMinutes(1), fresh.Version);

        Assert.False(lookup.Found);
        Assert.False(afterStaleWrite);
        Assert.Equal(["fresh"], (await cache.TryGetAsync<string[]>("test", key)).Value!);
    }

    /// <summary>Errors the database raises about the request's data are the client's answers; only an outage is a 503.</summary>
    [Theory]
    [InlineData(PostgresErrorCodes.CharacterNotInRepertoire, null, 400)]
    [InlineData(PostgresErrorCodes.DatetimeFieldOverflow, null, 400)]
    [InlineData(PostgresErrorCodes.StringDataRightTruncation, null, 400)]
    [InlineData(PostgresErrorCodes.ForeignKeyViolation, "fk_appointments_patient", 400)]
    [InlineData(PostgresErrorCodes.CheckViolation, "valid_time_range", 400)]
    [InlineData(PostgresErrorCodes.UniqueViolation, "idx_users_email_ci", 409)]
    [InlineData(PostgresErrorCodes.ExclusionViolation, "no_overlapping_appointments", 409)]
    [InlineData(PostgresErrorCodes.DeadlockDetected, null, 409)]
    [InlineData(PostgresErrorCodes.QueryCanceled, null, 503)]
    [InlineData(PostgresErrorCodes.CannotConnectNow, null, 503)]
    [InlineData(PostgresErrorCodes.UndefinedTable, null, 500)]
    public async Task APostgresErrorThatReachesTheHandlerIsAnsweredByItsClass(string sqlState, string? constraint, int status)
    {
        var handler = ActivatorUtilities.CreateInstance<ApiExceptionHandler>(api.Services);
        var context = new DefaultHttpContext { RequestServices = api.Services };
        context.Response.Body = new MemoryStream();
        var error = new PostgresException("refused", "ERROR", "ERROR", sqlState, constraintName: constraint);

        await handler.TryHandleAsync(context, error, CancellationToken.None);
        context.Response.Body.Position = 0;
        var problem = await JsonDocument.ParseAsync(context.Response.Body);

        Assert.Equal(status, context.Response.StatusCode);
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(status == 503, context.Response.Headers.RetryAfter.Count > 0);
    }

    private static object User(string username, string email) => new
    {
        username, email, fullName = "Dr. Case", role = "doctor", password = "a long enough password 1",
    };

    private static object Booking(Guid doctor, Guid patient, DateTime start) => new
    {
        doctorId = doctor, patientId = patient, startTime = start, endTime = start.AddMinutes(20), appointmentType = "routine",
    };
}
