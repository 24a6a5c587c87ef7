using Microsoft.Extensions.Options;
using MongoDB.Driver;

namespace DrAssistant.MigrationService.Mongo;

internal static class MongoRegistration
{
    /// <summary>
    /// The MongoDB migrator, only when <c>ConnectionStrings:mongodb</c> is set: without it the run skips MongoDB
    /// and reports it as not configured (PostgreSQL alone is a valid deployment of the migrator).
    /// </summary>
    public static IHostApplicationBuilder AddMongoMigrator(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MongoMigratorOptions>()
            .BindConfiguration(MongoMigratorOptions.SectionName)
            .Validate(o => o.LeaseDuration >= TimeSpan.FromSeconds(1), "Migrator:Mongo:LeaseDuration must be at least one second.")
            .Validate(o => o.LockPollInterval > TimeSpan.Zero, "Migrator:Mongo:LockPollInterval must be positive.")
            .ValidateOnStart();
        builder.Services.AddScoped<MongoStage>();

        var connectionString = builder.Configuration.GetConnectionString(ResourceNames.MongoDatabase);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return builder;
        }

        try
        {
            builder.AddMongoDatabase(ResourceNames.MongoDatabase);
        }
        catch (InvalidOperationException ex)
        {
            // A malformed connection string is the operator's to fix: say so in the run's report, not in a stack trace.
            builder.Services.AddSingleton(new MongoConfigurationError(ex.Message));
            return builder;
        }

        builder.Services.AddSingleton(sp => new MongoMigrator(
            sp.GetRequiredService<IMongoDatabase>(),
            sp.GetRequiredService<IOptions<MongoMigratorOptions>>().Value,
            sp.GetRequiredService<MigrationRunContext>().AppliedBy,
            sp.GetRequiredService<ILogger<MongoMigrator>>()));
        return builder;
    }
}
