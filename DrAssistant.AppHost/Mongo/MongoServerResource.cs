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

    /// <summary>
    /// The root user's connection string. User name and password are percent-encoded (<c>:uri</c>), so any password
    /// works, <c>@ / : ? # [ ] %</c> and spaces included; root users live in the admin database, whatever database the
    /// client works in.
    /// </summary>
    internal ReferenceExpression BuildConnectionString(string? databaseName) =>
        ReferenceExpression.Create(
            $"mongodb://{UserNameParameter:uri}:{PasswordParameter:uri}@{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}/{databaseName ?? string.Empty}?authSource=admin");

    /// <summary>The same, as another container on the Aspire network reaches it: by resource name, on the container port.</summary>
    internal ReferenceExpression BuildContainerConnectionString() =>
        ReferenceExpression.Create(
            $"mongodb://{UserNameParameter:uri}:{PasswordParameter:uri}@{Name}:{DefaultContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}/?authSource=admin");
}

/// <summary>A database on a <see cref="MongoServerResource"/>; its connection string names the database.</summary>
public sealed class MongoDatabaseResource(string name, string databaseName, MongoServerResource parent)
    : Resource(name), IResourceWithParent<MongoServerResource>, IResourceWithConnectionString
{
    public string DatabaseName { get; } = databaseName;

    public MongoServerResource Parent { get; } = parent;

    public ReferenceExpression ConnectionStringExpression => Parent.BuildConnectionString(DatabaseName);
}
