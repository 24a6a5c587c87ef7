using DrAssistant;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.Json;
using Scalar.AspNetCore;
using StackExchange.Redis;

namespace DrAssistant.Api;

internal static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource(ResourceNames.PostgresDatabase, configureDataSourceBuilder: dataSource =>
        {
            // A database that is down answers 503 after a bounded wait, not after Npgsql's 15 s default.
            var database = builder.Configuration.GetSection("Database");
            dataSource.ConnectionStringBuilder.Timeout = database.GetValue("ConnectTimeoutSeconds", 5);
            dataSource.ConnectionStringBuilder.CommandTimeout = database.GetValue("CommandTimeoutSeconds", 15);
        });
        builder.AddRedisClient(ResourceNames.Redis, configureOptions: options =>
        {
            // Redis is an accelerator: when it is gone, fail fast and answer from PostgreSQL.
            options.AbortOnConnectFail = false;
            options.BacklogPolicy = BacklogPolicy.FailFast;
            options.ConnectTimeout = 2000;
            options.AsyncTimeout = 1000;
            options.SyncTimeout = 1000;
        });
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ResourceNames.MongoDatabase)))
        {
            builder.AddMongoDatabase(ResourceNames.MongoDatabase);
        }

        Db.Configure();
        builder.Services.AddOptions<ClinicOptions>().BindConfiguration(ClinicOptions.SectionName)
            .Validate(o => ClinicClock.TryFindZone(o.TimeZone, out _), "Clinic:TimeZone must be an IANA time zone, e.g. Asia/Kolkata.")
            .ValidateOnStart();
        builder.Services.AddOptions<CacheOptions>().BindConfiguration(CacheOptions.SectionName);
        builder.Services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.SectionName);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ClinicClock>();
        builder.Services.AddSingleton<RedisCache>();
        builder.Services.AddHostedService<CacheInvalidationRetry>();

        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        // Malformed bodies and parameters reach the exception handler, which names the field in a 400.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.Configure<JsonOptions>(options => options.SerializerOptions.MaxDepth = 32);
        builder.Services.AddOpenApi();
        return builder;
    }

    public static WebApplication MapOpenApiWithUi(this WebApplication app)
    {
        app.MapOpenApi();
        if (app.Environment.IsDevelopment())
        {
            app.MapScalarApiReference();
        }

        return app;
    }
}
