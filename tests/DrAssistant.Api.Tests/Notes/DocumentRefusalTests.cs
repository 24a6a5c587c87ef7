using System.Net;
using System.Text.Json;
using DrAssistant.Api.Notes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.Core.Clusters;
using MongoDB.Driver.Core.Connections;
using MongoDB.Driver.Core.Servers;

namespace DrAssistant.Api.Tests.Notes;

/// <summary>
/// A write MongoDB's validator refuses (error 121) is a 422 naming the failing fields, read from the server's
/// <c>errInfo</c>. The refusals here are the driver's own exception types carrying an <c>errInfo</c> of the form MongoDB
/// 5.0+ documents; the server test is in <see cref="NotesFlowTests"/>.
/// </summary>
public sealed class DocumentRefusalTests
{
    /// <summary>As MongoDB 8.0 explains a refused note: nested properties, an array item, an enumeration, a missing field.</summary>
    private static readonly BsonDocument ErrInfo = BsonDocument.Parse("""
        {
          failingDocumentId: ObjectId('6650a1b2c3d4e5f6a7b8c9d0'),
          details: {
            operatorName: '$jsonSchema',
            schemaRulesNotSatisfied: [
              { operatorName: 'properties', propertiesNotSatisfied: [
                { propertyName: 'patientId', details: [
                  { operatorName: 'pattern', specifiedAs: { pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' },
                    reason: 'regular expression did not match', consideredValue: '3F2C9A1E-7B4D-4E8F-A1B2-C3D4E5F6A7B8' } ] },
                { propertyName: 'content', details: [
                  { operatorName: 'properties', propertiesNotSatisfied: [
                    { propertyName: 'objective', details: [
                      { operatorName: 'properties', propertiesNotSatisfied: [
                        { propertyName: 'vitalSigns', details: [
                          { operatorName: 'properties', propertiesNotSatisfied: [
                            { propertyName: 'heartRate', details: [
                              { operatorName: 'bsonType', specifiedAs: { bsonType: ['double', 'int', 'long', 'decimal'] },
                                reason: 'type did not match', consideredValue: '88', consideredType: 'string' } ] } ] } ] } ] } ] } ] } ] },
                { propertyName: 'tags', details: [
                  { operatorName: 'items', reason: 'At least one item did not match the sub-schema', itemIndex: 2, details: [
                    { operatorName: 'bsonType', specifiedAs: { bsonType: 'string' }, reason: 'type did not match', consideredValue: 7, consideredType: 'int' } ] } ] },
                { propertyName: 'status', details: [
                  { operatorName: 'enum', specifiedAs: { enum: ['draft', 'signed', 'amended'] }, reason: 'value was not found in enum', consideredValue: 'final' } ] },
                { propertyName: 'aiConfidenceScore', details: [
                  { operatorName: 'maximum', specifiedAs: { maximum: 1 }, reason: 'comparison failed', consideredValue: 1.5 } ] }
              ] },
              { operatorName: 'required', specifiedAs: { required: ['_id', 'updatedAt'] }, missingProperties: ['updatedAt'] }
            ]
          }
        }
        """);

    private static readonly ConnectionId Connection = new(new ServerId(new ClusterId(), new System.Net.DnsEndPoint("mongo", 27017)));

    [Fact]
    public void EachFailingFieldIsNamedAsTheApiNamesFieldsWithWhatWasExpected()
    {
        var errors = DocumentRefusal.Fields(ErrInfo);

        Assert.Equal(
            ["patientId", "content.objective.vitalSigns.heartRate", "tags[2]", "status", "aiConfidenceScore", "updatedAt"],
            errors.Keys);
        Assert.Equal(["must be of type double, int, long, decimal (it is string)."], errors["content.objective.vitalSigns.heartRate"]);
        Assert.Equal(["must be of type string (it is int)."], errors["tags[2]"]);
        Assert.Equal(["must be one of draft, signed, amended (it is \"final\")."], errors["status"]);
        Assert.Equal(["must be at most 1 (it is 1.5)."], errors["aiConfidenceScore"]);
        Assert.Equal(["is required."], errors["updatedAt"]);
        Assert.StartsWith("does not have the expected form", Assert.Single(errors["patientId"]), StringComparison.Ordinal);
    }

    [Fact]
    public void ARefusalWithoutDetailsNamesTheDocument()
    {
        Assert.Equal(["document"], DocumentRefusal.Fields(null).Keys);
        Assert.Equal(["document"], DocumentRefusal.Fields(new BsonDocument("failingDocumentId", 1)).Keys);
    }

    [Fact]
    public void OnlyADocumentValidationFailureIsARefusal()
    {
        Assert.True(DocumentRefusal.IsRefusal(Refused(121), out var errInfo));
        Assert.Equal(ErrInfo, errInfo);
        Assert.False(DocumentRefusal.IsRefusal(Refused(11000), out _));
        Assert.False(DocumentRefusal.IsRefusal(new TimeoutException(), out _));
    }

    [Fact]
    public async Task AnEndpointWhoseWriteIsRefusedAnswers422NamingTheFieldsNot500()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        await using var app = builder.Build();
        // As findOneAndUpdate fails on a note written before a rule existed.
        app.MapGroup("/notes").WithDocumentRefusals().MapPut("/{id}", (string id) => Throw(121));
        await app.StartAsync();

        var response = await app.GetTestClient().PutAsync("/notes/1", null);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(422, body.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(
            ["patientId", "content.objective.vitalSigns.heartRate", "tags[2]", "status", "aiConfidenceScore", "updatedAt"],
            body.RootElement.GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task AnyOtherFailurePassesThrough()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        await using var app = builder.Build();
        app.MapGroup("/notes").WithDocumentRefusals().MapPut("/{id}", (string id) => Throw(2));
        await app.StartAsync();

        await Assert.ThrowsAsync<MongoCommandException>(() => app.GetTestClient().PutAsync("/notes/1", null));
    }

    private static IResult Throw(int code) => throw Refused(code);

    private static MongoCommandException Refused(int code) => new(
        Connection, "Command findAndModify failed: Document failed validation.",
        new BsonDocument("findAndModify", "clinicalNotes"),
        new BsonDocument { { "ok", 0 }, { "errmsg", "Document failed validation" }, { "code", code }, { "codeName", "DocumentValidationFailure" }, { "errInfo", ErrInfo } });
}
