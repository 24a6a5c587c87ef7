using System.Diagnostics;
using System.Globalization;
using DrAssistant.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MongoDB.Bson;
using MongoDB.Driver;
using Npgsql;

namespace DrAssistant.Api.Infrastructure;

/// <summary>Settings under <c>Schema</c>.</summary>
public sealed class SchemaOptions
{
    public const string SectionName = "Schema";

    /// <summary>How often the recorded schema versions are read again (a migration that lands, a rollback).</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long start-up waits for the first reading before the API listens (closed until it comes).</summary>
    public TimeSpan StartupCheckTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>What PostgreSQL records about the versions this build needs (1..required); read by <see cref="SchemaGateMonitor"/>.</summary>
/// <param name="HasVersionTable">FluentMigrator's <c>schema_version</c> exists.</param>
/// <param name="HasHistoryTable">The migration service's <c>schema_history</c> exists.</param>
/// <param name="Current">The highest version recorded (0 when none).</param>
/// <param name="Missing">Versions in 1..required that <c>schema_version</c> lacks.</param>
/// <param name="Partial">
/// Versions in 1..required recorded in one table but not the other: applied outside the migration service, or a
/// version that runs outside a transaction and was cut short between its two records.
/// </param>
public sealed record PostgresSchemaReading(bool HasVersionTable, bool HasHistoryTable, long Current, IReadOnlyList<long> Missing, IReadOnlyList<long> Partial);

/// <summary>What MongoDB's <c>_migrations</c> records: the highest step and the steps in 1..required it lacks.</summary>
public sealed record MongoSchemaReading(int Current, IReadOnlyList<int> Missing);

/// <summary>
/// Whether this instance may serve. <see cref="Ready"/> false: every <c>/api</c> request answers 503 and <c>/health</c> is
/// unhealthy, with <see cref="Problem"/> saying why. <see cref="MongoUsable"/> false (MongoDB configured but its step not
/// read yet, because it did not answer): notes and recordings answer 503 as for an unreachable MongoDB, the rest serves.
/// </summary>
public sealed record SchemaState(
    bool Ready,
    bool PostgresReady,
    bool MongoUsable,
    string? Problem,
    string Summary,
    long? PostgresVersion,
    int? MongoStep)
{
    private const string NotReadYet = "The database schema has not been read yet.";

    public static SchemaState Initial { get; } = new(false, false, false, NotReadYet, NotReadYet, null, null);
}

/// <summary>
/// The decision, without a server: from the readings (or why a reading failed) and the previous state. A store that
/// does not answer never opens the gate, and never closes one that its last answer opened (an outage is not an older
/// schema; requests then fail on the store itself). A database newer than the build serves: migrations only add.
/// </summary>
public static class SchemaRules
{
    public const string RunTheMigrator = "Run the migration service (migrate) against this database.";

    public static SchemaState Decide(
        SchemaState previous,
        PostgresSchemaReading? postgres,
        string? postgresError,
        bool mongoConfigured,
        MongoSchemaReading? mongo,
        string? mongoError,
        long requiredPostgres = SchemaVersions.Postgres,
        int requiredMongo = SchemaVersions.Mongo)
    {
        var postgresVersion = postgres?.Current ?? previous.PostgresVersion;
        var problem = postgres is null
            ? previous.PostgresReady ? null : $"The database schema's version could not be read ({postgresError}). Waiting for PostgreSQL."
            : PostgresProblem(postgres, requiredPostgres);
        var postgresReady = problem is null;

        var mongoStep = mongo?.Current ?? previous.MongoStep;
        var mongoUsable = !mongoConfigured || (mongo is null ? previous.MongoUsable : mongo.Missing.Count == 0);
        string? mongoNote = null;
        if (mongoConfigured && mongo is null && !mongoUsable)
        {
            mongoNote = $"MongoDB's schema step could not be read ({mongoError}): clinical notes and recordings answer 503 until it is.";
        }
        else if (mongo is { Missing.Count: > 0 })
        {
            // A MongoDB that answers and is behind is a deployment that did not finish: nothing is served.
            problem ??= $"MongoDB's schema is at step {mongo.Current}, this build needs step {requiredMongo}" +
                        (mongo.Current >= requiredMongo ? $" (step(s) {string.Join(", ", mongo.Missing)} missing). " : ". ") + RunTheMigrator;
        }

        var summary = problem ?? string.Join(" ", new[]
        {
            $"PostgreSQL schema at version {postgresVersion} (this build needs {requiredPostgres}" +
            (postgresVersion > requiredPostgres ? "; later versions only add, so this build serves)." : ")."),
            !mongoConfigured ? null
                : mongoNote ?? $"MongoDB at step {mongoStep} (this build needs {requiredMongo}" +
                  (mongoStep > requiredMongo ? "; later steps only add)." : ")."),
        }.OfType<string>());
        return new SchemaState(problem is null, postgresReady, mongoUsable, problem, summary, postgresVersion, mongoStep);
    }

    private static string? PostgresProblem(PostgresSchemaReading reading, long required)
    {
        if (!reading.HasVersionTable || reading.Current == 0)
        {
            return $"The database schema is at version 0 (nothing applied), this build needs {required}. {RunTheMigrator}";
        }

        if (reading.Missing.Count > 0)
        {
            return reading.Current < required
                ? $"The database schema is at version {reading.Current}, this build needs {required}. {RunTheMigrator}"
                : $"The database schema is at version {reading.Current} but lacks version(s) {string.Join(", ", reading.Missing)}; this build needs every version up to {required}. {RunTheMigrator}";
        }

        if (!reading.HasHistoryTable)
        {
            return $"The database schema is at version {reading.Current}, but {SchemaVersions.PostgresHistoryTable} is missing: the versions were " +
                   $"not applied by the migration service, so nothing says they completed. {RunTheMigrator}";
        }

        if (reading.Partial.Count > 0)
        {
            return $"The database schema is at version {reading.Current}, but version(s) {string.Join(", ", reading.Partial)} are recorded " +
                   $"in only one of {SchemaVersions.PostgresVersionTable} and {SchemaVersions.PostgresHistoryTable} (applied outside the migration " +
                   $"service, or cut short): this build needs {required}, completely applied. {RunTheMigrator}";
        }

        return null;
    }
}

/// <summary>
/// This instance's verdict on the schema: one volatile reference, read by every <c>/api</c> request and by
/// <c>/health</c>, replaced by <see cref="SchemaGateMonitor"/>. Closed until the first reading says the database is ready.
/// </summary>
public sealed class SchemaGate
{
    private volatile SchemaState _state = SchemaState.Initial;

    public SchemaState State => _state;

    public bool IsOpen => _state.Ready;

    public bool MongoUsable => _state.MongoUsable;

    internal SchemaState Update(SchemaState state) => _state = state;
}

/// <summary>
/// Reads the recorded schema versions at start (before the API listens, for at most
/// <see cref="SchemaOptions.StartupCheckTimeout"/>) and then every <see cref="SchemaOptions.CheckInterval"/>, and
/// updates the <see cref="SchemaGate"/>. Logs each change of verdict once.
/// </summary>
public sealed class SchemaGateMonitor(
    SchemaGate gate,
    NpgsqlDataSource db,
    IServiceProvider services,
    IOptions<SchemaOptions> options,
    ILogger<SchemaGateMonitor> logger) : BackgroundService
{
    private readonly IMongoDatabase? _mongo = services.GetService<IMongoDatabase>();

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.StartupCheckTimeout);
        try
        {
            await CheckAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("The schema could not be read within {Timeout}; the API answers 503 until it is.", options.Value.StartupCheckTimeout);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await CheckAsync(stoppingToken);
        }
    }

    /// <summary>Reads both stores (side by side) and updates the gate.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var postgres = ReadPostgresAsync(cancellationToken);
        var mongo = _mongo is null ? Task.FromResult<(MongoSchemaReading?, string?)>((null, null)) : ReadMongoAsync(_mongo, cancellationToken);
        var (postgresReading, postgresError) = await postgres;
        var (mongoReading, mongoError) = await mongo;
        cancellationToken.ThrowIfCancellationRequested();

        var previous = gate.State;
        var next = gate.Update(SchemaRules.Decide(previous, postgresReading, postgresError, _mongo is not null, mongoReading, mongoError));
        if (next.Summary != previous.Summary || next.Ready != previous.Ready)
        {
            if (next.Ready && next.MongoUsable)
            {
                logger.LogInformation("Schema ready: {Summary}", next.Summary);
            }
            else
            {
                logger.LogWarning(next.Ready ? "Serving without MongoDB: {Summary}" : "Not serving /api: {Summary}", next.Summary);
            }
        }

        if (postgresError is not null && next.Ready)
        {
            logger.LogDebug("Schema check could not read PostgreSQL ({Reason}); keeping the last verdict.", postgresError);
        }
    }

    private async Task<(PostgresSchemaReading?, string?)> ReadPostgresAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            // Unqualified names: the API's search path is where its tables, and the migrator's, are.
            await using (var tables = new NpgsqlCommand(
                $"SELECT to_regclass('{SchemaVersions.PostgresVersionTable}') IS NOT NULL, to_regclass('{SchemaVersions.PostgresHistoryTable}') IS NOT NULL",
                connection))
            await using (var reader = await tables.ExecuteReaderAsync(cancellationToken))
            {
                await reader.ReadAsync(cancellationToken);
                var (hasVersions, hasHistory) = (reader.GetBoolean(0), reader.GetBoolean(1));
                if (!hasVersions)
                {
                    return (new PostgresSchemaReading(false, hasHistory, 0, [.. Range(SchemaVersions.Postgres)], []), null);
                }

                await reader.CloseAsync();
                return (await ReadVersionsAsync(connection, hasHistory, cancellationToken), null);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return (null, ex.Message);
        }
    }

    private static async Task<PostgresSchemaReading> ReadVersionsAsync(NpgsqlConnection connection, bool hasHistory, CancellationToken cancellationToken)
    {
        // Only the versions this build needs count: a newer build's migrator may be writing a later version right now.
        var partial = hasHistory
            ? $"""
              ARRAY(SELECT coalesce(v.version, h.version)
                    FROM (SELECT version FROM {SchemaVersions.PostgresVersionTable} WHERE version BETWEEN 1 AND @required) v
                    FULL JOIN (SELECT version FROM {SchemaVersions.PostgresHistoryTable} WHERE version BETWEEN 1 AND @required) h USING (version)
                    WHERE v.version IS NULL OR h.version IS NULL
                    ORDER BY 1)
              """
            : "ARRAY[]::bigint[]";
        await using var command = new NpgsqlCommand($"""
            SELECT coalesce((SELECT max(version) FROM {SchemaVersions.PostgresVersionTable}), 0),
                   ARRAY(SELECT g FROM generate_series(1::bigint, @required) g
                         WHERE NOT EXISTS (SELECT 1 FROM {SchemaVersions.PostgresVersionTable} WHERE version = g) ORDER BY g),
                   {partial}
            """, connection);
        command.Parameters.AddWithValue("required", SchemaVersions.Postgres);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var missing = reader.GetFieldValue<long[]>(1);
        return new PostgresSchemaReading(true, hasHistory, reader.GetInt64(0), missing,
            [.. reader.GetFieldValue<long[]>(2).Where(v => !missing.Contains(v))]);
    }

    private static async Task<(MongoSchemaReading?, string?)> ReadMongoAsync(IMongoDatabase mongo, CancellationToken cancellationToken)
    {
        try
        {
            var steps = await mongo.GetCollection<BsonDocument>(SchemaVersions.MongoHistoryCollection)
                .Find(FilterDefinition<BsonDocument>.Empty)
                .Project(Builders<BsonDocument>.Projection.Include("_id"))
                .ToListAsync(cancellationToken);
            var recorded = steps.Select(s => s["_id"]).Where(id => id.IsInt32).Select(id => id.AsInt32).ToHashSet();
            var missing = Enumerable.Range(1, SchemaVersions.Mongo).Where(step => !recorded.Contains(step)).ToList();
            return (new MongoSchemaReading(recorded.Count == 0 ? 0 : recorded.Max(), missing), null);
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException)
        {
            return (null, ex.Message);
        }
    }

    private static IEnumerable<long> Range(long required)
    {
        for (var version = 1L; version <= required; version++)
        {
            yield return version;
        }
    }
}

/// <summary>Readiness: unhealthy while the gate is closed, degraded while MongoDB's step is unread.</summary>
public sealed class SchemaHealthCheck(SchemaGate gate) : IHealthCheck
{
    public const string Name = "schema";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = gate.State;
        return Task.FromResult(!state.Ready ? HealthCheckResult.Unhealthy(state.Problem)
            : !state.MongoUsable ? HealthCheckResult.Degraded(state.Summary)
            : HealthCheckResult.Healthy(state.Summary));
    }
}

/// <summary>
/// Every <c>/api</c> request answers 503 ProblemDetails (with <c>Retry-After</c>) while the gate is closed: the API
/// never serves on a schema older than it needs. One volatile read per request when open.
/// </summary>
public sealed class SchemaGateMiddleware(RequestDelegate next, SchemaGate gate, IOptions<SchemaOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (gate.IsOpen || !context.Request.Path.StartsWithSegments("/api"))
        {
            return next(context);
        }

        return RefuseAsync(context);
    }

    private async Task RefuseAsync(HttpContext context)
    {
        var state = gate.State;
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(options.Value.CheckInterval.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "The database schema is not ready",
            Detail = state.Problem,
        };
        problem.Extensions["schemaVersion"] = state.PostgresVersion;
        problem.Extensions["requiredSchemaVersion"] = SchemaVersions.Postgres;
        if (state.MongoStep is not null)
        {
            problem.Extensions["mongoStep"] = state.MongoStep;
            problem.Extensions["requiredMongoStep"] = SchemaVersions.Mongo;
        }

        if (Activity.Current is { } activity)
        {
            problem.Extensions["traceId"] = activity.TraceId.ToString();
        }

        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = problem,
        });
    }
}

/// <summary>MongoDB is configured but its schema step has not been read yet: the notes endpoints answer 503.</summary>
public sealed class NotesSchemaUnverifiedException(string? detail)
    : Exception(detail ?? "MongoDB's schema step has not been verified yet.");

public static class SchemaGateExtensions
{
    public static IHostApplicationBuilder AddSchemaGate(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SchemaOptions>().BindConfiguration(SchemaOptions.SectionName)
            .Validate(o => o.CheckInterval > TimeSpan.Zero, "Schema:CheckInterval must be more than 0.")
            .Validate(o => o.StartupCheckTimeout > TimeSpan.Zero, "Schema:StartupCheckTimeout must be more than 0.")
            .ValidateOnStart();
        builder.Services.AddSingleton<SchemaGate>();
        builder.Services.AddSingleton<SchemaGateMonitor>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SchemaGateMonitor>());
        // Readiness only: /alive stays the process itself.
        builder.Services.AddHealthChecks().AddCheck<SchemaHealthCheck>(SchemaHealthCheck.Name);
        return builder;
    }

    public static IApplicationBuilder UseSchemaGate(this IApplicationBuilder app) => app.UseMiddleware<SchemaGateMiddleware>();
}
