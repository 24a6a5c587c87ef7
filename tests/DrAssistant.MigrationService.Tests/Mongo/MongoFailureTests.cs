using System.Net;
using DrAssistant.MigrationService.Mongo;
using Microsoft.Extensions.Hosting;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.Core.Clusters;
using MongoDB.Driver.Core.Connections;
using MongoDB.Driver.Core.Servers;

namespace DrAssistant.MigrationService.Tests.Mongo;

/// <summary>
/// What the migrator says when MongoDB refuses it: the failures are the driver's own exception types, built here as the
/// driver builds them from a server's answer (no server is imitated), and the sentences are checked for what a person
/// needs to act.
/// </summary>
public class MongoFailureTests
{
    private static readonly ConnectionId Connection = new(new ServerId(new ClusterId(), new DnsEndPoint("mongo.example", 27017)));

    [Fact]
    public void ARefusedLoginIsExplainedInTheHealthChecksWordsWithBothWaysOut()
    {
        var settings = MongoClientSettings.FromConnectionString("mongodb://admin:wrong@mongo.example:27017/dr_assistant?authSource=admin");
        var refused = new MongoAuthenticationException(Connection, "Unable to authenticate using sasl protocol mechanism SCRAM-SHA-256.");

        var error = MongoMigrator.Explain(refused, settings, "dr_assistant");

        Assert.Equal(MongoFailures.AuthenticationFailed(settings.Credential), error);
        Assert.StartsWith("authentication failed: the data volume was probably created with another password;", error, StringComparison.Ordinal);
        Assert.Contains("user 'admin'", error, StringComparison.Ordinal);
        Assert.Contains("set Parameters:mongo-password", error, StringComparison.Ordinal);
        Assert.Contains("docker volume rm", error, StringComparison.Ordinal);
        Assert.DoesNotContain("add authSource=admin", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ALegacyUriWithoutAuthSourceIsToldToAddIt()
    {
        // The original design's MONGODB_URI: the user is then looked up in dr_assistant, not in admin.
        var settings = MongoClientSettings.FromConnectionString("mongodb://admin:secret@mongo:27017/dr_assistant");
        var refused = new MongoCommandException(Connection, "Authentication failed.", new BsonDocument("saslStart", 1),
            BsonDocument.Parse("{ ok: 0, code: 18, codeName: 'AuthenticationFailed', errmsg: 'Authentication failed.' }"));

        var error = MongoMigrator.Explain(refused, settings, "dr_assistant");

        Assert.StartsWith("authentication failed:", error, StringComparison.Ordinal);
        Assert.Contains("looked up in database 'dr_assistant'", error, StringComparison.Ordinal);
        Assert.Contains("add authSource=admin", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ARefusalHiddenInAServerSelectionTimeoutIsStillARefusedLogin()
    {
        // After a refused handshake the driver marks the server unknown; the next operation times out with this.
        var timeout = new TimeoutException(
            "A timeout occurred after 5000ms selecting a server. Client view of cluster state is { ServerDescriptions : [{ State : \"Disconnected\", " +
            "HeartbeatException : \"MongoDB.Driver.MongoAuthenticationException: Unable to authenticate using sasl protocol mechanism SCRAM-SHA-256.\" }] }");

        Assert.True(MongoFailures.IsAuthenticationFailure(timeout));
        Assert.False(MongoFailures.IsAuthenticationFailure(new TimeoutException("A timeout occurred after 5000ms selecting a server.")));
        Assert.False(MongoFailures.IsAuthenticationFailure(new MongoConnectionException(Connection, "connection refused")));
    }

    [Theory]
    [InlineData("collMod", "collMod", "dbAdmin")]
    [InlineData("createIndexes", "createIndex", "readWrite")]
    [InlineData("create", "createCollection", "readWrite")]
    [InlineData("listCollections", "listCollections", "read")]
    [InlineData("findAndModify", "update", "readWrite")]
    public void AMissingPrivilegeIsNamedWithTheRoleThatGrantsIt(string command, string action, string role)
    {
        var settings = MongoClientSettings.FromConnectionString("mongodb://migrator:pw@mongo:27017/dr_assistant?authSource=admin");
        var refused = new MongoCommandException(Connection, "Command failed.", new BsonDocument(command, "clinicalNotes"),
            BsonDocument.Parse($"{{ ok: 0, code: 13, codeName: 'Unauthorized', errmsg: 'not authorized on dr_assistant to execute command {{ {command}: \"clinicalNotes\" }}' }}"));

        var error = MongoMigrator.Explain(refused, settings, "dr_assistant");

        Assert.StartsWith($"MongoDB user 'migrator' may not run {command} on dr_assistant: it needs the {action} privilege, which the role {role} grants", error, StringComparison.Ordinal);
        Assert.Contains($"db.getSiblingDB(\"admin\").grantRolesToUser(\"migrator\", [{{ role: \"{role}\", db: \"dr_assistant\" }}])", error, StringComparison.Ordinal);
        Assert.Contains("The migrator needs the roles readWrite and dbAdmin on dr_assistant; the API needs readWrite.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnyOtherRefusedCommandKeepsTheServersWords()
    {
        var settings = MongoClientSettings.FromConnectionString("mongodb://mongo:27017/dr_assistant");
        var refused = new MongoCommandException(Connection, "Command failed.", new BsonDocument("collMod", "clinicalNotes"),
            BsonDocument.Parse("{ ok: 0, code: 72, codeName: 'InvalidOptions', errmsg: 'bad option' }"));

        Assert.Equal("MongoDB refused a command: bad option (InvalidOptions, code 72).", MongoMigrator.Explain(refused, settings, "dr_assistant"));
    }
}
