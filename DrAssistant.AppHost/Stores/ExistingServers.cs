namespace DrAssistant.AppHost.Stores;

/// <summary>
/// A store given by its connection string (<c>ConnectionStrings:{name}</c>). In run mode it is a resource of its own on
/// the dashboard, with a live health check (reachable or not, and why), and the services wait until it answers; in
/// publish mode it stays a connection-string parameter of the manifest.
/// </summary>
internal static class ExistingServers
{
    public static IResourceBuilder<IResourceWithConnectionString> AddExistingServer(
        this IDistributedApplicationBuilder builder, string name, StoreHealthChecks.Probe? probe)
    {
        if (!builder.ExecutionContext.IsRunMode)
        {
            return builder.AddConnectionString(name);
        }

        // The value stays a secret parameter (masked on the dashboard); the resource named after the connection is what
        // services reference, so they still read ConnectionStrings:{name}.
        var value = builder.AddParameterFromConfiguration($"{name}-connection-string", $"ConnectionStrings:{name}", secret: true);
        var server = builder.AddConnectionString(name, ReferenceExpression.Create($"{value}"))
            .WithIconName("PlugConnected");
        if (probe is not null)
        {
            server.WithStoreHealthCheck(probe, databaseName: null);
        }

        return server;
    }
}
