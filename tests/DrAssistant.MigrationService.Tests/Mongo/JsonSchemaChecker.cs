using System.Text.RegularExpressions;
using MongoDB.Bson;

namespace DrAssistant.MigrationService.Tests.Mongo;

/// <summary>
/// A small structural checker of MongoDB's <c>$jsonSchema</c> for tests without a server: the keywords our validators
/// use, with MongoDB's meaning (bsonType names, draft-4 boolean <c>exclusiveMinimum</c>). A keyword it does not know
/// throws, so a validator can never pass here because a rule was silently skipped.
/// </summary>
public static class JsonSchemaChecker
{
    private static readonly HashSet<string> Keywords =
        ["bsonType", "required", "properties", "enum", "items", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "description", "title"];

    /// <summary>The reasons <paramref name="document"/> fails <paramref name="validator"/> (<c>{$jsonSchema: …}</c>); empty when it passes.</summary>
    public static IReadOnlyList<string> Check(BsonDocument document, BsonDocument validator)
    {
        if (validator.ElementCount != 1 || !validator.Contains("$jsonSchema"))
        {
            throw new NotSupportedException($"Only a validator of the form {{$jsonSchema: …}} is checked here, not {validator.ToJson()}.");
        }

        var errors = new List<string>();
        Check(document, validator["$jsonSchema"].AsBsonDocument, "$", errors);
        return errors;
    }

    private static void Check(BsonValue value, BsonDocument schema, string path, List<string> errors)
    {
        var unknown = schema.Names.FirstOrDefault(n => !Keywords.Contains(n));
        if (unknown is not null)
        {
            throw new NotSupportedException($"The checker does not know the keyword '{unknown}' (at {path}).");
        }

        if (schema.TryGetValue("bsonType", out var bsonType))
        {
            var types = bsonType.IsBsonArray ? bsonType.AsBsonArray.Select(t => t.AsString).ToList() : [bsonType.AsString];
            if (!types.Any(t => IsOfType(value, t)))
            {
                errors.Add($"{path}: {value.BsonType} is not {string.Join(" or ", types)}");
                return;
            }
        }

        if (schema.TryGetValue("enum", out var words) && !words.AsBsonArray.Contains(value))
        {
            errors.Add($"{path}: {value.ToJson()} is not one of {words.ToJson()}");
        }

        if (value is BsonString text && schema.TryGetValue("pattern", out var pattern) && !Regex.IsMatch(text.Value, pattern.AsString))
        {
            errors.Add($"{path}: '{text.Value}' does not match {pattern.AsString}");
        }

        if (value.IsNumeric)
        {
            CheckBounds(value.ToDouble(), schema, path, errors);
        }

        if (value is BsonDocument document)
        {
            if (schema.TryGetValue("required", out var required))
            {
                errors.AddRange(required.AsBsonArray.Select(r => r.AsString).Where(r => !document.Contains(r)).Select(r => $"{path}: '{r}' is required"));
            }

            if (schema.TryGetValue("properties", out var properties))
            {
                foreach (var property in properties.AsBsonDocument)
                {
                    if (document.TryGetValue(property.Name, out var child))
                    {
                        Check(child, property.Value.AsBsonDocument, $"{path}.{property.Name}", errors);
                    }
                }
            }
        }

        if (value is BsonArray array && schema.TryGetValue("items", out var items))
        {
            for (var i = 0; i < array.Count; i++)
            {
                Check(array[i], items.AsBsonDocument, $"{path}[{i}]", errors);
            }
        }
    }

    private static void CheckBounds(double number, BsonDocument schema, string path, List<string> errors)
    {
        if (schema.TryGetValue("minimum", out var minimum))
        {
            var exclusive = schema.GetValue("exclusiveMinimum", false).AsBoolean;
            if (exclusive ? number <= minimum.ToDouble() : number < minimum.ToDouble())
            {
                errors.Add($"{path}: {number} is below the minimum {minimum}{(exclusive ? " (exclusive)" : "")}");
            }
        }

        if (schema.TryGetValue("maximum", out var maximum))
        {
            var exclusive = schema.GetValue("exclusiveMaximum", false).AsBoolean;
            if (exclusive ? number >= maximum.ToDouble() : number > maximum.ToDouble())
            {
                errors.Add($"{path}: {number} is above the maximum {maximum}{(exclusive ? " (exclusive)" : "")}");
            }
        }
    }

    /// <summary>MongoDB's bsonType aliases; "number" is any numeric type.</summary>
    private static bool IsOfType(BsonValue value, string type) => type switch
    {
        "object" => value.BsonType == BsonType.Document,
        "array" => value.BsonType == BsonType.Array,
        "string" => value.BsonType == BsonType.String,
        "objectId" => value.BsonType == BsonType.ObjectId,
        "date" => value.BsonType == BsonType.DateTime,
        "bool" => value.BsonType == BsonType.Boolean,
        "int" => value.BsonType == BsonType.Int32,
        "long" => value.BsonType == BsonType.Int64,
        "double" => value.BsonType == BsonType.Double,
        "decimal" => value.BsonType == BsonType.Decimal128,
        "number" => value.BsonType is BsonType.Int32 or BsonType.Int64 or BsonType.Double or BsonType.Decimal128,
        "null" => value.BsonType == BsonType.Null,
        "binData" => value.BsonType == BsonType.Binary,
        _ => throw new NotSupportedException($"The checker does not know bsonType '{type}'."),
    };
}
