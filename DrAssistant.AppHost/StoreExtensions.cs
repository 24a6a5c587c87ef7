using System.Collections.Immutable;
using DrAssistant.AppHost.Stores;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DrAssistant.AppHost;

/// <summary>
/// The stores as the services reference them; <see cref="Mongo"/> is null when MongoDB is off, and
/// <see cref="MongoOffReason"/> then says why.
/// </summary>
internal sealed record DrAssistantStores(
    IResourceBuilder<IResourceWithConnectionString> Postgres,
    IResourceBuilder<IResourceWithConnectionString>? Mongo,
    IResourceBuilder<IResourceWithConnectionString> Redis,
    string? MongoOffReason);

/// <summary>
/// The three stores. Each runs in one of these ways (see <see cref="StorePlanner"/>, settings under <c>Stores:</c>):
/// a container when a container runtime answers; otherwise the server installed on this machine as an executable resource
/// (PostgreSQL, Redis; MongoDB is then off); or an existing server when its connection string is given
/// (<c>ConnectionStrings:postgresdb</c>, <c>ConnectionStrings:mongodb</c>, <c>ConnectionStrings:redis</c>).
/// </summary>
internal static class StoreExtensions
{
    public const string PostgresKey = "Stores:Postgres";
    public const string RedisKey = "Stores:Redis";
    public const string MongoKey = "Stores:Mongo";

    private const string ModeProperty = "drassistant.store.mode";

    /// <summary>
    /// Chooses a mode per store and adds the stores. Returns null, having printed why and the ways out, when a store has
    /// nowhere to run: the AppHost then exits at once instead of waiting for ever.
    /// </summary>
    public static DrAssistantStores? AddDrAssistantStores(this IDistributedApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var isPublish = !builder.ExecutionContext.IsRunMode;
        if (ContainerRuntimeProbe.SettingProblem(configuration) is { } settingProblem)
        {
            return Refuse([settingProblem]);
        }

        var runtime = new Lazy<ContainerRuntimeStatus>(() => ContainerRuntimeProbe.Check(configuration));

        var (postgresLocal, postgresBinaries) = isPublish ? (null, null) : LocalPostgres.Find(configuration);
        var (redisLocal, redisExecutable) = isPublish ? (null, null) : LocalRedis.Find(configuration);
        var facts = new[]
        {
            new StoreFacts("PostgreSQL", PostgresKey, ResourceNames.PostgresDatabase, configuration[PostgresKey],
                builder.HasConnectionString(ResourceNames.PostgresDatabase), CanBeOff: false, postgresLocal, LocalPostgres.InstallHint),
            new StoreFacts("Redis", RedisKey, ResourceNames.Redis, configuration[RedisKey],
                builder.HasConnectionString(ResourceNames.Redis), CanBeOff: false, redisLocal, LocalRedis.InstallHint),
            new StoreFacts("MongoDB", MongoKey, ResourceNames.MongoDatabase, configuration[MongoKey],
                builder.HasConnectionString(ResourceNames.MongoDatabase), CanBeOff: true, Local: null, InstallHint: string.Empty),
        };

        var choices = new StoreChoice[facts.Length];
        var problems = new List<string>();
        for (var i = 0; i < facts.Length; i++)
        {
            choices[i] = StorePlanner.Choose(facts[i], isPublish, runtime, out var problem);
            if (problem is not null)
            {
                problems.Add(problem);
            }
        }

        if (problems.Count > 0)
        {
            return Refuse(problems);
        }

        if (runtime.IsValueCreated && runtime.Value is { Answers: true, Runtime: "podman" } && ContainerRuntimeProbe.ConfiguredRuntime(configuration) is null)
        {
            // Only Podman answers: tell Aspire, which would otherwise try Docker.
            configuration["DcpPublisher:ContainerRuntime"] = "podman";
        }

        var local = isPublish ? null : LocalStores.FromConfiguration(configuration);
        var (postgres, mongo, redis) = (choices[0], choices[2], choices[1]);
        var stores = new DrAssistantStores(
            postgres.Mode switch
            {
                StoreMode.Container => builder.AddPostgresContainer(),
                StoreMode.Local => builder.AddLocalPostgres(postgresBinaries!, local!),
                _ => builder.AddExistingServer(ResourceNames.PostgresDatabase, StoreHealthChecks.Postgres),
            },
            mongo.Mode switch
            {
                StoreMode.Container => builder.AddMongoContainer(),
                StoreMode.Connection => builder.AddExistingServer(ResourceNames.MongoDatabase, StoreHealthChecks.Mongo),
                _ => null,
            },
            redis.Mode switch
            {
                StoreMode.Container => builder.AddRedisContainer(),
                StoreMode.Local => builder.AddLocalRedis(redisExecutable!, local!),
                _ => builder.AddExistingServer(ResourceNames.Redis, StoreHealthChecks.Redis),
            },
            mongo.Mode == StoreMode.Off ? mongo.Reason : null);

        if (builder.ExecutionContext.IsRunMode)
        {
            stores.Postgres.WithStoreMode(postgres);
            stores.Mongo?.WithStoreMode(mongo);
            stores.Redis.WithStoreMode(redis);
            builder.LogStoreModesAtStart(runtime, (facts[0], postgres), (facts[1], redis), (facts[2], mongo));
        }
        else
        {
            SayWhatDeploys((facts[0], postgres), (facts[1], redis), (facts[2], mongo));
        }

        return stores;
    }

    /// <summary>
    /// References the three stores and waits until each one is healthy. Without MongoDB the service runs without it, and
    /// the dashboard says so on the service.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithStores(this IResourceBuilder<ProjectResource> project, DrAssistantStores stores)
    {
        project.WithStores(stores.Postgres, stores.Mongo, stores.Redis);
        if (stores.MongoOffReason is { } reason && project.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            project.OnInitializeResource((resource, e, _) => e.Notifications.PublishUpdateAsync(resource, snapshot => snapshot with
            {
                Properties = snapshot.Properties.RemoveAll(p => p.Name == ModeProperty).Add(
                    new ResourcePropertySnapshot(ModeProperty, $"MongoDB off: {reason}; clinical notes answer 503")
                    {
                        DisplayName = "MongoDB",
                        IsHighlighted = true,
                    }),
            }));
        }

        return project;
    }

    /// <summary>
    /// In publish mode, what each store becomes in the manifest and why, on standard output (azd shows it; so does
    /// <c>dotnet run … -- --publisher manifest</c>): what a person deploying should read before deploying.
    /// </summary>
    private static void SayWhatDeploys(params (StoreFacts Store, StoreChoice Choice)[] stores)
    {
        Console.WriteLine("DrAssistant.AppHost: what this manifest deploys (README, \"Deploying\"):");
        foreach (var (store, choice) in stores)
        {
            var what = choice.Mode switch
            {
                StoreMode.Container => "a container with a data volume",
                StoreMode.Connection => $"a managed server: the connection-string parameter '{store.ConnectionName}', asked for at deployment",
                _ => "left out (the API answers 503 for clinical notes and recordings)",
            };
            Console.WriteLine($"  {store.DisplayName}: {what} ({choice.Reason}).");
            if (choice.Mode == StoreMode.Container && store.SettingKey != RedisKey)
            {
                var consequence = store.SettingKey == PostgresKey ? "PostgreSQL cannot even initialise its data there" : "MongoDB does not support such a file system";
                Console.WriteLine($"    On Azure Container Apps a volume is an Azure Files (SMB) share: {consequence}. For Azure, set " +
                                  $"{store.SettingKey}=connection and use a managed server.");
            }
        }
    }

    /// <summary>Says, in plain words on standard error, why the stores cannot start; the AppHost then exits 1.</summary>
    private static DrAssistantStores? Refuse(IEnumerable<string> problems)
    {
        Console.Error.WriteLine();
        Console.Error.WriteLine("DrAssistant.AppHost cannot start the stores.");
        foreach (var problem in problems)
        {
            Console.Error.WriteLine();
            Console.Error.WriteLine(problem);
        }

        Console.Error.WriteLine();
        Console.Error.WriteLine("The README's \"Run it\" section explains the modes (Stores:Postgres, Stores:Redis, Stores:Mongo).");
        return null;
    }

    /// <summary>References the stores (those that are on) and waits until each one is healthy.</summary>
    public static IResourceBuilder<ProjectResource> WithStores(
        this IResourceBuilder<ProjectResource> project,
        params IResourceBuilder<IResourceWithConnectionString>?[] stores)
    {
        foreach (var store in stores.OfType<IResourceBuilder<IResourceWithConnectionString>>())
        {
            project.WithReference(store).WaitFor(store);
        }

        return project;
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddPostgresContainer(this IDistributedApplicationBuilder builder)
    {
        // The data volume in a deployment too: a container's own file system is lost with the container.
        var server = builder.AddPostgres(ResourceNames.PostgresServer)
            .WithImageTag("17")
            .WithDataVolume();
        if (builder.ExecutionContext.IsRunMode)
        {
            server.WithLifetime(ContainerLifetime.Persistent)
                .WithPgWeb(pgweb => pgweb.WithLifetime(ContainerLifetime.Persistent));
        }
        else
        {
            // Under the AppHost, Aspire creates the database; deployed, the image creates it when it initialises the volume.
            server.WithEnvironment("POSTGRES_DB", ResourceNames.DatabaseName);
        }

        return server.AddDatabase(ResourceNames.PostgresDatabase, ResourceNames.DatabaseName);
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddMongoContainer(this IDistributedApplicationBuilder builder)
    {
        var server = builder.AddMongo(ResourceNames.MongoServer)
            .WithDataVolume();
        if (builder.ExecutionContext.IsRunMode)
        {
            server.WithLifetime(ContainerLifetime.Persistent)
                .WithMongoExpress();
        }

        return server.AddDatabase(ResourceNames.MongoDatabase, ResourceNames.DatabaseName);
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddRedisContainer(this IDistributedApplicationBuilder builder)
    {
        // The data volume (and with it Redis's snapshots) in a deployment too: sessions survive a restart.
        var redis = builder.AddRedis(ResourceNames.Redis)
            .WithDataVolume();
        if (builder.ExecutionContext.IsRunMode)
        {
            // Plain TCP on the developer's machine: no developer certificate needed (and no dashboard banner asking for one).
            // WithoutHttpsCertificate is marked experimental (ASPIRECERTIFICATES001); it only removes a TLS option we don't use.
#pragma warning disable ASPIRECERTIFICATES001
            redis.WithoutHttpsCertificate()
                .WithLifetime(ContainerLifetime.Persistent)
                .WithRedisInsight(insight => insight.WithLifetime(ContainerLifetime.Persistent).WithoutHttpsCertificate());
#pragma warning restore ASPIRECERTIFICATES001
        }

        return redis;
    }

    /// <summary>The mode, and why, as a highlighted property of the store (and of its server) on the dashboard.</summary>
    private static void WithStoreMode(this IResourceBuilder<IResourceWithConnectionString> store, StoreChoice choice)
    {
        var text = $"{choice.ModeName}: {choice.Reason}";
        IResource[] resources = store.Resource is IResourceWithParent { Parent: var parent } ? [store.Resource, parent] : [store.Resource];
        foreach (var resource in resources)
        {
            store.ApplicationBuilder.Eventing.Subscribe<InitializeResourceEvent>(resource, (e, _) =>
                e.Notifications.PublishUpdateAsync(resource, snapshot => snapshot with
                {
                    Properties = snapshot.Properties.RemoveAll(p => p.Name == ModeProperty).Add(
                        new ResourcePropertySnapshot(ModeProperty, text) { DisplayName = "Store mode", IsHighlighted = true }),
                }));
        }
    }

    private static void LogStoreModesAtStart(
        this IDistributedApplicationBuilder builder, Lazy<ContainerRuntimeStatus> runtime, params (StoreFacts Store, StoreChoice Choice)[] stores)
    {
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DrAssistant.AppHost.Stores");
            if (runtime.IsValueCreated && !runtime.Value.Answers)
            {
                logger.LogInformation("No container runtime answered ({Reason}): stores run without containers.", runtime.Value.Description);
            }

            foreach (var (store, choice) in stores)
            {
                if (choice.Mode == StoreMode.Off)
                {
                    logger.LogWarning(
                        "{Store}: off ({Reason}). Clinical notes and recordings answer 503 and the demo has no notes. " +
                        "To have MongoDB: start Docker or Podman, or set ConnectionStrings:{Connection}.",
                        store.DisplayName, choice.Reason, store.ConnectionName);
                }
                else
                {
                    logger.LogInformation("{Store}: {Mode} ({Reason})", store.DisplayName, choice.ModeName, choice.Reason);
                }
            }

            return Task.CompletedTask;
        });
    }

    private static bool HasConnectionString(this IDistributedApplicationBuilder builder, string name) =>
        !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name));
}
