using System.Text;

namespace DrAssistant.AppHost.Stores;

/// <summary>How a store runs under the AppHost.</summary>
internal enum StoreMode
{
    /// <summary>A container (Docker or Podman), with a data volume.</summary>
    Container,

    /// <summary>The server installed on this machine, started by the AppHost as an executable resource.</summary>
    Local,

    /// <summary>A server that already exists, given by its connection string.</summary>
    Connection,

    /// <summary>Left out (MongoDB only): the services run without it.</summary>
    Off,
}

/// <summary>One of the three stores and what the AppHost knows about it.</summary>
internal sealed record StoreFacts(
    string DisplayName,
    string SettingKey,
    string ConnectionName,
    string? RequestedMode,
    bool HasConnectionString,
    bool CanBeOff,
    LocalServer? Local,
    string InstallHint);

/// <summary>A server installed on this machine (found or not, and why not).</summary>
internal sealed record LocalServer(bool Found, string Description);

/// <summary>The mode chosen for one store, with the sentence that says why (logged, and shown on the dashboard).</summary>
internal sealed record StoreChoice(StoreMode Mode, string Reason)
{
    public string ModeName => Mode switch
    {
        StoreMode.Container => "container",
        StoreMode.Local => "local executable",
        StoreMode.Connection => "existing server",
        _ => "off",
    };
}

/// <summary>
/// Chooses, for each store, between a container, a local executable, a given connection string and (MongoDB only) off.
/// <c>Stores:Postgres</c>, <c>Stores:Redis</c> = <c>auto</c> (default) | <c>container</c> | <c>local</c> | <c>connection</c>;
/// <c>Stores:Mongo</c> = <c>auto</c> | <c>container</c> | <c>connection</c> | <c>off</c>. In <c>auto</c>: a given connection
/// string wins; then a container when a container runtime answers; then the local server (MongoDB: off). Pure: what the
/// machine has comes in as facts, and the container runtime is asked only when some store needs the answer.
/// <para>
/// In publish mode (the deployment manifest) the choice is explicit and never depends on this machine: <c>auto</c>,
/// <c>container</c> and <c>local</c> deploy a container with a data volume, <c>connection</c> a connection-string
/// parameter (a managed server, whose value the deployment asks for), <c>off</c> leaves MongoDB out. A connection
/// string in configuration (a developer's user secrets) changes nothing there.
/// </para>
/// </summary>
internal static class StorePlanner
{
    public const string Auto = "auto";

    public static StoreChoice Choose(StoreFacts store, bool isPublishMode, Lazy<ContainerRuntimeStatus> runtime, out string? problem)
    {
        problem = null;
        var requested = (store.RequestedMode ?? Auto).Trim().ToLowerInvariant();
        var allowed = store.CanBeOff ? "auto, container, connection or off" : "auto, container, local or connection";
        switch (requested)
        {
            case Auto:
                break;
            case "container":
                if (isPublishMode || runtime.Value.Answers)
                {
                    return new(StoreMode.Container, $"{store.SettingKey}=container");
                }

                problem = $"{store.SettingKey}=container, but no container runtime answers ({runtime.Value.Description}). " +
                          $"Start Docker or Podman, or set {store.SettingKey} to auto.";
                return new(StoreMode.Off, problem);
            case "local" when !store.CanBeOff:
                if (isPublishMode)
                {
                    // A deployment has no "local executable": the manifest describes a container.
                    return new(StoreMode.Container, "publish mode");
                }

                if (store.Local is { Found: true })
                {
                    return new(StoreMode.Local, $"{store.SettingKey}=local: {store.Local.Description}");
                }

                problem = $"{store.SettingKey}=local, but {store.Local?.Description ?? "there is no local server"}. {store.InstallHint}";
                return new(StoreMode.Off, problem);
            case "connection":
                if (isPublishMode)
                {
                    // The value is the deployment's to give (azd asks for it), not this machine's.
                    return new(StoreMode.Connection, $"{store.SettingKey}=connection");
                }

                if (store.HasConnectionString)
                {
                    return new(StoreMode.Connection, $"ConnectionStrings:{store.ConnectionName} is set");
                }

                problem = $"{store.SettingKey}=connection, but ConnectionStrings:{store.ConnectionName} is not set. " + SetConnectionString(store);
                return new(StoreMode.Off, problem);
            case "off" when store.CanBeOff:
                return new(StoreMode.Off, $"{store.SettingKey}=off");
            default:
                problem = $"{store.SettingKey} is '{store.RequestedMode}'; it must be {allowed}.";
                return new(StoreMode.Off, problem);
        }

        if (isPublishMode)
        {
            return new(StoreMode.Container, store.HasConnectionString
                ? $"publish mode: ConnectionStrings:{store.ConnectionName} is set here but a deployment uses it only with {store.SettingKey}=connection"
                : "publish mode");
        }

        if (store.HasConnectionString)
        {
            return new(StoreMode.Connection, $"ConnectionStrings:{store.ConnectionName} is set");
        }

        if (runtime.Value.Answers)
        {
            return new(StoreMode.Container, $"{runtime.Value.Description} answers");
        }

        if (store.CanBeOff)
        {
            return new(StoreMode.Off,
                $"no container runtime answered and ConnectionStrings:{store.ConnectionName} is not set");
        }

        if (store.Local is { Found: true })
        {
            return new(StoreMode.Local, $"no container runtime answered; {store.Local.Description}");
        }

        problem = NowhereToRun(store, runtime.Value);
        return new(StoreMode.Off, problem);
    }

    /// <summary>The three ways out, in plain words.</summary>
    private static string NowhereToRun(StoreFacts store, ContainerRuntimeStatus runtime)
    {
        var text = new StringBuilder();
        text.AppendLine($"{store.DisplayName} has nowhere to run:");
        text.AppendLine($"  - no container runtime answered ({runtime.Description});");
        text.AppendLine($"  - {store.Local?.Description ?? "no local server was found"};");
        text.AppendLine($"  - ConnectionStrings:{store.ConnectionName} is not set.");
        text.AppendLine("Do one of:");
        text.AppendLine("  1. start Docker or Podman (ASPIRE_CONTAINER_RUNTIME picks one), then run again;");
        text.AppendLine($"  2. {store.InstallHint}, then run again;");
        text.Append($"  3. use a server you already have: {SetConnectionString(store)}");
        return text.ToString();
    }

    private static string SetConnectionString(StoreFacts store) =>
        $"dotnet user-secrets --project DrAssistant.AppHost set ConnectionStrings:{store.ConnectionName} \"…\" " +
        $"(or the environment variable ConnectionStrings__{store.ConnectionName}).";
}
