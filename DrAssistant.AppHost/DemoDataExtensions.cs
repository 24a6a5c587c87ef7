using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace DrAssistant.AppHost;

/// <summary>
/// Demo data for F5: the seeder runs <c>demo</c> once the migrations have completed, so a developer finds a small clinic
/// (and can log in as <c>dr.rao</c>) on the first run. Switched by <c>DemoData:Enabled</c>, which defaults to on in
/// Development and off in any other environment; <c>DemoData:Seed</c> picks the clinic (42 by default). Never in a
/// publish manifest: demo logins have no place in a deployment.
/// </summary>
internal static class DemoDataExtensions
{
    public const string EnabledKey = "DemoData:Enabled";
    public const string SeedKey = "DemoData:Seed";
    public const int DefaultSeed = 42;

    public static bool IsDemoDataEnabled(this IDistributedApplicationBuilder builder) =>
        builder.ExecutionContext.IsRunMode
        && (builder.Configuration.GetValue<bool?>(EnabledKey) ?? builder.Environment.IsDevelopment());

    /// <summary>Adds the seeder when demo data is enabled; returns whether it did.</summary>
    public static bool AddDemoData(
        this IDistributedApplicationBuilder builder,
        IResourceBuilder<ProjectResource> migrations,
        DrAssistantStores stores)
    {
        if (!builder.IsDemoDataEnabled())
        {
            return false;
        }

        var seed = builder.Configuration.GetValue<int?>(SeedKey) ?? DefaultSeed;
        builder.AddProject<Projects.DrAssistant_Seeder>(ResourceNames.Seeder)
            .WithArgs("demo", "--seed", seed.ToString(CultureInfo.InvariantCulture))
            // The seeder refuses any environment but Development: it runs in the AppHost's own, never a weaker one
            // (and is never given --allow-outside-development).
            .WithEnvironment("DOTNET_ENVIRONMENT", builder.Environment.EnvironmentName)
            .WithStores(stores.Postgres, stores.Mongo)
            .WithDevelopmentDefaults()
            // Rows need the schema: only after the migrator has exited 0.
            .WaitForCompletion(migrations);
        return true;
    }
}
