namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A MongoDB server in a container (the official <c>mongo</c> image), authenticated as its root user.
/// Aspire.Hosting.MongoDB is not served to us, so this is the small equivalent with the same connection-string shape.
/// </summary>
public sealed class MongoServerResource(string name, ParameterResource userName, ParameterResource password)
    : ContainerResource(name), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";
    internal const int DefaultContainerPort = 27017;

    public ParameterResource UserNameParameter { get; } = userName;

    public ParameterResource PasswordParameter { get; } = password;

    public EndpointReference PrimaryEndpoint => field ??= new(this, PrimaryEndpointName);

    public ReferenceExpression ConnectionStringExpression => BuildConnectionString(databaseName: null);

    internal ReferenceExpression BuildConnectionString(string? databaseName) =>
        // Root users live in the admin database, whatever database the client works in.
        ReferenceExpression.Create(
            $"mongodb://{UserNameParameter}:{PasswordParameter}@{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}/{databaseName ?? string.Empty}?authSource=admin");
}

/// <summary>A database on a <see cref="MongoServerResource"/>; its connection string names the database.</summary>
public sealed class MongoDatabaseResource(string name, string databaseName, MongoServerResource parent)
    : Resource(name), IResourceWithParent<MongoServerResource>, IResourceWithConnectionString
{
    public string DatabaseName { get; } = databaseName;

    public MongoServerResource Parent { get; } = parent;

    public ReferenceExpression ConnectionStringExpression => Parent.BuildConnectionString(DatabaseName);
}
