using DrAssistant;
using DrAssistant.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

// Each store is a container, a local executable or an existing server (MongoDB may be off): Stores:* settings.
var stores = builder.AddDrAssistantStores();
if (stores is null)
{
    // A store has nowhere to run; why, and the ways out, are printed. Stop now rather than wait for ever.
    return 1;
}

// Api:Replicas (2 under the AppHost, so every F5 runs more than one instance).
if (builder.ApiReplicas() is not { } replicas)
{
    return 1;
}

var migrations = builder.AddProject<Projects.DrAssistant_MigrationService>(ResourceNames.Migrations)
    .WithStores(stores)
    .AsRunOncePerDeployment()
    .WithDevelopmentDefaults();

// A small demo clinic after the migrations: on by default in Development only (DemoData:Enabled, DemoData:Seed).
builder.AddDemoData(migrations, stores);

builder.AddProject<Projects.DrAssistant_Api>(ResourceNames.Api)
    .WithStores(stores)
    // The API must not start on a schema that failed to migrate: WaitForCompletion needs exit code 0. (Deployed, nothing
    // orders the two: the API's own schema gate answers 503 until the database is at the version it needs.)
    .WaitForCompletion(migrations)
    .AsScalableApi(replicas)
    .WithExternalHttpEndpoints()
    .WithDevelopmentDefaults()
    .WithApiReferenceLink();

builder.Build().Run();
return 0;
