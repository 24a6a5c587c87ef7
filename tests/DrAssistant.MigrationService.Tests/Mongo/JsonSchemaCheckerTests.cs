using MongoDB.Bson;

namespace DrAssistant.MigrationService.Tests.Mongo;

/// <summary>The test-side checker means what MongoDB means, so the validator tests can fail for the right reasons.</summary>
public class JsonSchemaCheckerTests
{
    [Fact]
    public void NumberMeansAnyNumericType()
    {
        var schema = Schema(new BsonDocument("n", new BsonDocument("bsonType", "number")));

        Assert.All(new BsonValue[] { 1, 1L, 1.5, new BsonDecimal128(1m) }, v => Assert.Empty(JsonSchemaChecker.Check(new BsonDocument("n", v), schema)));
        Assert.NotEmpty(JsonSchemaChecker.Check(new BsonDocument("n", "1"), schema));
    }

    [Fact]
    public void ABsonTypeListAcceptsAnyOfItsTypes()
    {
        var schema = Schema(new BsonDocument("v", new BsonDocument("bsonType", new BsonArray { "string", "null" })));

        Assert.Empty(JsonSchemaChecker.Check(new BsonDocument("v", BsonNull.Value), schema));
        Assert.NotEmpty(JsonSchemaChecker.Check(new BsonDocument("v", 3), schema));
    }

    [Fact]
    public void AnExclusiveMinimumRefusesTheBoundItself()
    {
        var schema = Schema(new BsonDocument("n", new BsonDocument { { "minimum", 0 }, { "exclusiveMinimum", true } }));

        Assert.NotEmpty(JsonSchemaChecker.Check(new BsonDocument("n", 0), schema));
        Assert.Empty(JsonSchemaChecker.Check(new BsonDocument("n", 0.001), schema));
    }

    [Fact]
    public void AnUnknownKeywordIsAnErrorNotASilentPass()
    {
        var schema = Schema(new BsonDocument("n", new BsonDocument("multipleOf", 2)));

        Assert.Throws<NotSupportedException>(() => JsonSchemaChecker.Check(new BsonDocument("n", 3), schema));
    }

    private static BsonDocument Schema(BsonDocument properties) =>
        new("$jsonSchema", new BsonDocument { { "bsonType", "object" }, { "properties", properties } });
}
