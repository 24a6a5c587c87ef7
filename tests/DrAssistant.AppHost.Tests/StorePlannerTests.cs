using DrAssistant.AppHost.Stores;
using Microsoft.Extensions.Configuration;

namespace DrAssistant.AppHost.Tests;

/// <summary>How each store's mode is chosen from what the machine has and what the developer asked for.</summary>
public class StorePlannerTests
{
    private static readonly ContainerRuntimeStatus Docker = new(true, "docker", "docker 28.2.2");
    private static readonly ContainerRuntimeStatus NoRuntime = new(false, null, "docker: Cannot connect to the Docker daemon");
    private static readonly LocalServer Installed = new(true, "PostgreSQL 15 from /usr/lib/postgresql/15/bin");
    private static readonly LocalServer Missing = new(false, "no PostgreSQL server binaries were found");

    [Fact]
    public void AGivenConnectionStringWinsOverEverythingElse()
    {
        var choice = Choose(Postgres(hasConnectionString: true), Docker, out var problem);

        Assert.Null(problem);
        Assert.Equal(StoreMode.Connection, choice.Mode);
    }

    [Fact]
    public void WithAContainerRuntimeTheStoreIsAContainer()
    {
        Assert.Equal(StoreMode.Container, Choose(Postgres(), Docker, out _).Mode);
    }

    [Fact]
    public void WithoutAContainerRuntimeTheInstalledServerRunsAsALocalExecutable()
    {
        var choice = Choose(Postgres(), NoRuntime, out var problem);

        Assert.Null(problem);
        Assert.Equal(StoreMode.Local, choice.Mode);
        Assert.Contains("PostgreSQL 15", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAContainerRuntimeMongoIsOffAndSaysWhy()
    {
        var choice = Choose(Mongo(), NoRuntime, out var problem);

        Assert.Null(problem);
        Assert.Equal(StoreMode.Off, choice.Mode);
        Assert.Contains("no container runtime answered", choice.Reason, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:mongodb", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void WithNoWayToRunAStoreTheProblemNamesTheThreeWaysOut()
    {
        Choose(Postgres(local: Missing), NoRuntime, out var problem);

        Assert.NotNull(problem);
        Assert.Contains("Cannot connect to the Docker daemon", problem, StringComparison.Ordinal);
        Assert.Contains("start Docker or Podman", problem, StringComparison.Ordinal);
        Assert.Contains("apt-get install postgresql", problem, StringComparison.Ordinal);
        Assert.Contains("dotnet user-secrets --project DrAssistant.AppHost set ConnectionStrings:postgresdb", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("container", "Container")]
    [InlineData("local", "Local")]
    [InlineData("CONNECTION", "Connection")]
    public void AForcedModeIsTakenWhenItCanRun(string mode, string expected)
    {
        var choice = Choose(Postgres(requested: mode, hasConnectionString: true), Docker, out var problem);

        Assert.Null(problem);
        Assert.Equal(Enum.Parse<StoreMode>(expected), choice.Mode);
    }

    [Theory]
    [InlineData("container", "no container runtime answers")]
    [InlineData("local", "no PostgreSQL server binaries")]
    [InlineData("connection", "ConnectionStrings:postgresdb is not set")]
    [InlineData("off", "must be auto, container, local or connection")]
    [InlineData("kubernetes", "must be auto, container, local or connection")]
    public void AForcedModeThatCannotRunIsAProblemThatSaysWhy(string mode, string reason)
    {
        Choose(Postgres(requested: mode, local: Missing), NoRuntime, out var problem);

        Assert.NotNull(problem);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
        Assert.Contains("Stores:Postgres", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void MongoCanBeSwitchedOffEvenWithAContainerRuntime()
    {
        Assert.Equal(StoreMode.Off, Choose(Mongo(requested: "off"), Docker, out _).Mode);
    }

    [Fact]
    public void MongoHasNoLocalMode()
    {
        Choose(Mongo(requested: "local"), Docker, out var problem);

        Assert.Contains("must be auto, container, connection or off", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TheContainerRuntimeIsAskedOnlyWhenAStoreNeedsTheAnswer()
    {
        var asked = 0;
        var runtime = new Lazy<ContainerRuntimeStatus>(() =>
        {
            asked++;
            return Docker;
        });

        StorePlanner.Choose(Postgres(hasConnectionString: true), isPublishMode: false, runtime, out _);
        StorePlanner.Choose(Mongo(requested: "off"), isPublishMode: false, runtime, out _);
        Assert.Equal(0, asked);

        StorePlanner.Choose(Postgres(), isPublishMode: false, runtime, out _);
        Assert.Equal(1, asked);
    }

    [Fact]
    public void APublishedModelUsesContainersWithoutAskingForARuntime()
    {
        var runtime = new Lazy<ContainerRuntimeStatus>(() => throw new InvalidOperationException("must not be asked"));

        var choice = StorePlanner.Choose(Postgres(requested: "local", local: Missing), isPublishMode: true, runtime, out var problem);

        Assert.Null(problem);
        Assert.Equal(StoreMode.Container, choice.Mode);
    }

    [Fact]
    public void InPublishModeAConnectionStringInConfigurationAloneStillDeploysAContainer()
    {
        // A developer's user secrets (ConnectionStrings:postgresdb for F5) must not turn the deployment's store into a
        // parameter behind their back: only Stores:Postgres=connection does.
        var runtime = new Lazy<ContainerRuntimeStatus>(() => throw new InvalidOperationException("must not be asked"));

        var choice = StorePlanner.Choose(Postgres(hasConnectionString: true), isPublishMode: true, runtime, out var problem);

        Assert.Null(problem);
        Assert.Equal(StoreMode.Container, choice.Mode);
        Assert.Contains("Stores:Postgres=connection", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void InPublishModeTheSwitchMakesAConnectionParameterWithoutAValueOnThisMachine()
    {
        var runtime = new Lazy<ContainerRuntimeStatus>(() => throw new InvalidOperationException("must not be asked"));

        var choice = StorePlanner.Choose(Postgres(requested: "connection"), isPublishMode: true, runtime, out var problem);

        Assert.Null(problem);
        Assert.Equal(StoreMode.Connection, choice.Mode);
    }

    [Fact]
    public void TheProbeAsksOnlyTheConfiguredRuntimeAndExplainsWhenItIsMissing()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ASPIRE_CONTAINER_RUNTIME"] = "drassistant-no-such-runtime" })
            .Build();

        var started = DateTime.UtcNow;
        var status = ContainerRuntimeProbe.Check(configuration);

        Assert.False(status.Answers);
        Assert.Equal("drassistant-no-such-runtime: not installed", status.Description);
        Assert.True(DateTime.UtcNow - started < ContainerRuntimeProbe.Timeout);
    }

    private static StoreChoice Choose(StoreFacts store, ContainerRuntimeStatus runtime, out string? problem) =>
        StorePlanner.Choose(store, isPublishMode: false, new Lazy<ContainerRuntimeStatus>(() => runtime), out problem);

    private static StoreFacts Postgres(string? requested = null, bool hasConnectionString = false, LocalServer? local = null) =>
        new("PostgreSQL", "Stores:Postgres", "postgresdb", requested, hasConnectionString, CanBeOff: false, local ?? Installed,
            "install PostgreSQL's server (Debian/Ubuntu: sudo apt-get install postgresql)");

    private static StoreFacts Mongo(string? requested = null) =>
        new("MongoDB", "Stores:Mongo", "mongodb", requested, HasConnectionString: false, CanBeOff: true, Local: null, InstallHint: string.Empty);
}
