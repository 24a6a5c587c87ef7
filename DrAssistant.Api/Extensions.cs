using DrAssistant;
using DrAssistant.Api.ApiReference;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Notes;
using DrAssistant.Api.Recordings;
using Microsoft.AspNetCore.Http.Json;
using Scalar.AspNetCore;
using StackExchange.Redis;

namespace DrAssistant.Api;

internal static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var database = builder.Configuration.GetSection("Database");
        var commandTimeout = database.GetValue("CommandTimeoutSeconds", 15);
        builder.AddNpgsqlDataSource(ResourceNames.PostgresDatabase, configureDataSourceBuilder: dataSource =>
        {
            var settings = dataSource.ConnectionStringBuilder;
            // A database that is down answers 503 after a bounded wait, not after Npgsql's 15 s default.
            settings.Timeout = database.GetValue("ConnectTimeoutSeconds", 5);
            // The request's deadline (RequestDeadline) cancels a statement first, from a thread of its own; Npgsql's own
            // timeout, a little later, only bounds work outside requests. (Npgsql cancels synchronously on the thread
            // that notices the timeout: on a frozen server that would block thread-pool threads for the connect timeout.)
            settings.CommandTimeout = commandTimeout + 5;
            // A cancelled or timed-out statement on a server that does not answer the cancel request: give up on the
            // connection after half a second rather than Npgsql's 2 s (the request itself ends at its deadline).
            settings.CancellationTimeout = database.GetValue("CancellationTimeoutMilliseconds", 500);
            // Idle pooled connections to a server that vanished (a host gone, a network cut) are found by TCP keepalive
            // probes and dropped, instead of failing the next request after a full timeout.
            settings.TcpKeepAlive = true;
            settings.TcpKeepAliveTime = database.GetValue("TcpKeepAliveSeconds", 30);
            settings.TcpKeepAliveInterval = 5;
            // The same few statements run all day: prepare them per connection after two uses, so PostgreSQL plans
            // each once instead of on every request. (A failed preparation is handled by PoolRecovery: see there.)
            settings.MaxAutoPrepare = database.GetValue("MaxAutoPrepare", 64);
            settings.AutoPrepareMinUsages = 2;
            // A pooled connection is handed back as it is: Npgsql would otherwise prepend a seven-statement reset
            // (RESET ALL, CLOSE ALL, UNLISTEN *, pg_advisory_unlock_all(), DISCARD TEMP, …) to every request's first
            // statement, about 80 µs of PostgreSQL's time each. The API leaves no session state behind (no SET outside
            // a transaction, no temporary tables, LISTEN, cursors or session advisory locks), and Npgsql still rolls
            // back a transaction left open whatever this says (ConnectionResetTests).
            settings.NoResetOnClose = true;
        });

        // Every request ends within Database:CommandTimeoutSeconds (503 ProblemDetails), even on a frozen server.
        RequestDeadline.AddDefaultLimit(builder.Services, TimeSpan.FromSeconds(database.GetValue("RequestTimeoutSeconds", commandTimeout)));
        builder.AddRedisClient(ResourceNames.Redis, configureOptions: FailFast);
        // The cache may live on a Redis of its own (ConnectionStrings:cache); by default it shares the sessions' Redis.
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(RedisCache.ConnectionName)))
        {
            builder.AddKeyedRedisClient(RedisCache.ConnectionName, configureOptions: FailFast);
        }
        else
        {
            builder.Services.AddKeyedSingleton(RedisCache.ConnectionName, (sp, _) => sp.GetRequiredService<IConnectionMultiplexer>());
        }

        // Without MongoDB the API still runs: notes endpoints answer 503, the timeline and encounter answer without notes.
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ResourceNames.MongoDatabase)))
        {
            // A MongoDB that is down answers 503 after a bounded wait, not after the driver's 30 s default.
            var selectionTimeout = builder.Configuration.GetSection("Mongo").GetValue("ServerSelectionTimeoutSeconds", 5);
            builder.AddMongoDatabase(ResourceNames.MongoDatabase, settings => settings.ServerSelectionTimeout = TimeSpan.FromSeconds(selectionTimeout));
            builder.Services.AddHostedService<RecordingSweeper>();
        }

        builder.Services.AddSingleton<NotesDatabase>();
        builder.Services.AddSingleton<NotesQueries>();
        builder.Services.AddSingleton<RecordingsQueries>();
        builder.Services.AddSingleton<RecordingSweep>();
        builder.Services.AddOptions<RecordingOptions>().BindConfiguration(RecordingOptions.SectionName)
            .Validate(o => o.MaxBytes > 0, "Recordings:MaxBytes must be more than 0.")
            .Validate(o => o.Retention > TimeSpan.Zero, "Recordings:Retention must be more than 0.")
            .Validate(o => o.SweepInterval > TimeSpan.Zero && o.SweepInterval <= TimeSpan.FromDays(30), "Recordings:SweepInterval must be more than 0 and at most 30 days.")
            .Validate(o => o.SweepGracePeriod >= TimeSpan.FromMinutes(1), "Recordings:SweepGracePeriod must be at least a minute, longer than any upload.")
            .ValidateOnStart();

        Db.Configure();
        builder.Services.AddOptions<ClinicOptions>().BindConfiguration(ClinicOptions.SectionName)
            .Validate(o => ClinicClock.TryFindZone(o.TimeZone, out _), "Clinic:TimeZone must be an IANA time zone, e.g. Asia/Kolkata.")
            .ValidateOnStart();
        builder.Services.AddOptions<CacheOptions>().BindConfiguration(CacheOptions.SectionName);
        builder.Services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.SectionName);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ClinicClock>();
        builder.Services.AddSingleton<RedisCache>();
        builder.Services.AddSingleton<CachePolicy>();
        builder.Services.AddHostedService<CacheInvalidationRetry>();

        builder.AddSessionAuthentication();
        // Every /api request answers 503 until the database's recorded schema is the one this build needs.
        builder.AddSchemaGate();
        builder.AddSecurityHeaders();
        builder.Services.AddOptions<BootstrapOptions>().BindConfiguration(BootstrapOptions.SectionName);

        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        // Malformed bodies and parameters reach the exception handler, which names the field in a 400.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.Configure<JsonOptions>(options =>
        {
            options.SerializerOptions.MaxDepth = 32;
            // Text PostgreSQL cannot store and instants without an offset are the client's 400, naming the field.
            options.SerializerOptions.Converters.Add(new StorableText.StringConverter());
            options.SerializerOptions.Converters.Add(new StorableText.DocumentConverter());
            options.SerializerOptions.Converters.Add(new Instants.OffsetRequiredConverter());
        });
        builder.Services.AddOpenApi(SignInDocumentation.Configure);
        return builder;
    }

    /// <summary>When Redis is gone, fail fast: the cache answers from PostgreSQL, sessions fail closed.</summary>
    private static void FailFast(ConfigurationOptions options)
    {
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectTimeout = 2000;
        options.AsyncTimeout = 1000;
        options.SyncTimeout = 1000;
    }

    /// <summary>
    /// The OpenAPI document and Scalar describe every endpoint to whoever asks: served in Development, elsewhere only
    /// when <c>Api:ExposeOpenApi</c> is true.
    /// </summary>
    public static WebApplication MapOpenApiWithUi(this WebApplication app)
    {
        if (app.Environment.IsDevelopment() || app.Configuration.GetValue<bool>("Api:ExposeOpenApi"))
        {
            app.MapOpenApi().AllowAnonymous();
            app.MapScalarApiReference(SignInDocumentation.ConfigureScalar).AllowAnonymous();
        }

        return app;
    }
}
