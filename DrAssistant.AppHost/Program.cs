using DrAssistant;
using DrAssistant.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

var postgres = builder.AddDrAssistantPostgres();
var mongo = builder.AddDrAssistantMongo();
var redis = builder.AddDrAssistantRedis();

var migrations = builder.AddProject<Projects.DrAssistant_MigrationService>(ResourceNames.Migrations)
    .WithStores(postgres, mongo, redis);

// A small demo clinic after the migrations: on by default in Development only (DemoData:Enabled, DemoData:Seed).
builder.AddDemoData(migrations, postgres, mongo);

builder.AddProject<Projects.DrAssistant_Api>(ResourceNames.Api)
    .WithStores(postgres, mongo, redis)
    // The API must not start on a schema that failed to migrate: WaitForCompletion needs exit code 0.
    .WaitForCompletion(migrations)
    .WithExternalHttpEndpoints();

builder.Build().Run();
