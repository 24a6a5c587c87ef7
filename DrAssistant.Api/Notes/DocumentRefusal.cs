using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using MongoDB.Bson;
using MongoDB.Driver;

namespace DrAssistant.Api.Notes;

/// <summary>
/// A write MongoDB's validator refused (server error 121, <c>DocumentValidationFailure</c>) as a 422 naming the failing
/// fields, read from the server's <c>errInfo</c>, never a 500. The API checks what it is sent, so this is met when the
/// stored document itself breaks a rule: a note written by another service, or before a rule existed, cannot be edited
/// until the named fields are put right.
/// </summary>
public static class DocumentRefusal
{
    public const int DocumentValidationFailure = 121;

    /// <summary>The server's explanation of a refused write (its <c>errInfo</c>), when <paramref name="exception"/> is one.</summary>
    public static bool IsRefusal(Exception exception, out BsonDocument? errInfo)
    {
        errInfo = null;
        switch (exception)
        {
            case MongoWriteException { WriteError.Code: DocumentValidationFailure } write:
                errInfo = write.WriteError.Details;
                return true;
            case MongoBulkWriteException bulk when bulk.WriteErrors.FirstOrDefault(e => e.Code == DocumentValidationFailure) is { } error:
                errInfo = error.Details;
                return true;
            case MongoCommandException { Code: DocumentValidationFailure } command:
                // findAndModify and update commands carry it beside the code.
                errInfo = command.Result?.GetValue("errInfo", BsonNull.Value) as BsonDocument;
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// The failing fields and why, from <c>errInfo</c> (<c>{details: {operatorName: "$jsonSchema", schemaRulesNotSatisfied: […]}}</c>),
    /// keyed by path as the API names fields (<c>content.objective.vitalSigns.heartRate</c>, <c>tags[2]</c>).
    /// A refusal without details (an older server) names the document as a whole.
    /// </summary>
    public static Dictionary<string, string[]> Fields(BsonDocument? errInfo)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (errInfo?.GetValue("details", BsonNull.Value) is BsonDocument details)
        {
            Walk(details, string.Empty, errors);
        }

        if (errors.Count == 0)
        {
            errors["document"] = ["The stored document does not satisfy the collection's validator."];
        }

        return errors.ToDictionary(e => e.Key, e => e.Value.Distinct(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);
    }

    /// <summary>The 422 answer.</summary>
    public static ProblemHttpResult Problem(Dictionary<string, string[]> errors) => TypedResults.Problem(new HttpValidationProblemDetails(errors)
    {
        Status = StatusCodes.Status422UnprocessableEntity,
        Title = "The document does not satisfy the collection's rules.",
        Detail = "MongoDB refused the write (document validation, error 121) because of the fields named in errors. " +
                 "A document written before a rule existed, or by another service, must have those fields corrected first.",
    });

    /// <summary>Turns a validator refusal escaping an endpoint of the group into <see cref="Problem"/>.</summary>
    public static TBuilder WithDocumentRefusals<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context);
            }
            catch (Exception ex) when (IsRefusal(ex, out var errInfo))
            {
                var errors = Fields(errInfo);
                context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DocumentRefusal).FullName!)
                    .LogWarning("{Method} {Path}: MongoDB's validator refused the write ({Fields}).",
                        context.HttpContext.Request.Method, context.HttpContext.Request.Path, string.Join(", ", errors.Keys));
                return Problem(errors);
            }
        });

    private static void Walk(BsonDocument rule, string path, Dictionary<string, List<string>> errors)
    {
        var name = rule.GetValue("operatorName", BsonNull.Value) is BsonString s ? s.Value : string.Empty;
        switch (name)
        {
            case "$jsonSchema":
                Each(rule, "schemaRulesNotSatisfied", r => Walk(r, path, errors));
                break;
            case "properties":
                Each(rule, "propertiesNotSatisfied", property =>
                {
                    var child = Join(path, property.GetValue("propertyName", "?").ToString()!);
                    Each(property, "details", r => Walk(r, child, errors));
                });
                break;
            case "required":
                foreach (var missing in Array(rule, "missingProperties"))
                {
                    Add(errors, Join(path, missing.ToString()!), "is required.");
                }

                break;
            case "additionalProperties":
                foreach (var extra in Array(rule, "additionalProperties"))
                {
                    Add(errors, Join(path, extra.ToString()!), "is not allowed here.");
                }

                break;
            case "items":
                var item = rule.GetValue("itemIndex", BsonNull.Value) is { IsNumeric: true } index
                    ? $"{path}[{index.ToInt32().ToString(CultureInfo.InvariantCulture)}]"
                    : path;
                if (Array(rule, "details").Any())
                {
                    Each(rule, "details", r => Walk(r, item, errors));
                }
                else
                {
                    Add(errors, item, Reason(rule));
                }

                break;
            default:
                // $and/$or/allOf… nest their clauses under details; a leaf rule has a reason.
                if (Array(rule, "details").Any() || Array(rule, "clausesNotSatisfied").Any())
                {
                    Each(rule, "details", r => Walk(r, path, errors));
                    Each(rule, "clausesNotSatisfied", r => Walk(r, path, errors));
                }
                else
                {
                    Add(errors, path, Reason(rule));
                }

                break;
        }
    }

    /// <summary>A leaf rule in words: what was expected, and what was found.</summary>
    private static string Reason(BsonDocument rule)
    {
        var name = rule.GetValue("operatorName", "?").ToString();
        var specified = rule.GetValue("specifiedAs", BsonNull.Value) as BsonDocument;
        var expected = specified?.GetValue(name!, BsonNull.Value) ?? BsonNull.Value;
        var found = rule.GetValue("consideredType", BsonNull.Value) is BsonString type ? $" (it is {type.Value})"
            : rule.TryGetValue("consideredValue", out var value) ? $" (it is {value.ToJson()})"
            : string.Empty;
        return name switch
        {
            "bsonType" or "type" => $"must be of type {Words(expected)}{found}.",
            "enum" => $"must be one of {Words(expected)}{found}.",
            "minimum" => $"must be at least {expected}{(specified?.GetValue("exclusiveMinimum", false) == true ? " (exclusive)" : "")}{found}.",
            "maximum" => $"must be at most {expected}{(specified?.GetValue("exclusiveMaximum", false) == true ? " (exclusive)" : "")}{found}.",
            "pattern" => $"does not have the expected form ({expected}){found}.",
            _ => $"{rule.GetValue("reason", "does not satisfy the rule")} ({name}){found}.",
        };
    }

    private static string Words(BsonValue value) => value is BsonArray array ? string.Join(", ", array.Select(v => v.ToString())) : value.ToString()!;

    private static IEnumerable<BsonValue> Array(BsonDocument document, string name) =>
        document.GetValue(name, BsonNull.Value) is BsonArray array ? array : [];

    private static void Each(BsonDocument document, string name, Action<BsonDocument> action)
    {
        foreach (var item in Array(document, name).OfType<BsonDocument>())
        {
            action(item);
        }
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static void Add(Dictionary<string, List<string>> errors, string path, string message)
    {
        var field = path.Length == 0 ? "document" : path;
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }

        list.Add(message);
    }
}
