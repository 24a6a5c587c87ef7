using DrAssistant;
using Scalar.AspNetCore;

namespace DrAssistant.Api;

internal static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource(ResourceNames.PostgresDatabase);
        builder.AddRedisClient(ResourceNames.Redis);
        builder.AddMongoDatabase(ResourceNames.MongoDatabase);

        builder.Services.AddProblemDetails();
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
