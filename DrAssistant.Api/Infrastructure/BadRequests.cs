using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace DrAssistant.Api.Infrastructure;

/// <summary>
/// What the parameter binder and the JSON reader refused, told in the API's words: the field (as the client wrote it)
/// and the rule it broke. Their own messages name .NET types and binder internals
/// (<c>could not be converted to DrAssistant.Api.Patients.PatientRequest</c>, <c>Failed to bind parameter
/// "Nullable&lt;int&gt; page"</c>), so they are read, never repeated.
/// </summary>
public static partial class BadRequests
{
    /// <param name="bad">What the binder threw.</param>
    /// <param name="endpoint">The endpoint that refused it: its body type tells what a field should have been.</param>
    public static ProblemDetails Describe(BadHttpRequestException bad, Endpoint? endpoint)
    {
        if (bad.InnerException is JsonException json)
        {
            return FromJson(json, endpoint?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType);
        }

        var message = bad.Message;
        if (FailedToBind().Match(message) is { Success: true } failed)
        {
            var name = failed.Groups["name"].Value;
            return Invalid(name, $"{name} must be {Kind(failed.Groups["type"].Value)}.");
        }

        if (RequiredParameter().Match(message) is { Success: true } required)
        {
            return required.Groups["source"].Value == "body"
                ? Invalid("body", "A JSON body is required.")
                : Invalid(required.Groups["name"].Value, $"{required.Groups["name"].Value} is required.");
        }

        if (message.StartsWith("Implicit body inferred", StringComparison.Ordinal))
        {
            return Invalid("body", "A JSON body is required.");
        }

        return bad.StatusCode switch
        {
            StatusCodes.Status415UnsupportedMediaType => Problem(bad.StatusCode, "Unsupported media type",
                "Send the body as JSON (Content-Type: application/json)."),
            // Ours (RequestBodyLimitMiddleware) or the server's: both state the limit in bytes and nothing else.
            StatusCodes.Status413PayloadTooLarge => Problem(bad.StatusCode, "Payload too large", message),
            StatusCodes.Status400BadRequest when message.Contains("as JSON", StringComparison.Ordinal) =>
                Invalid("body", "The body is not valid JSON."),
            _ => Problem(bad.StatusCode, "Bad request", "The request could not be read."),
        };
    }

    private static ProblemDetails FromJson(JsonException json, Type? bodyType)
    {
        // "$.items[0].dose" -> "items[0].dose": the field as the client wrote it.
        var field = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? null : json.Path.TrimStart('$', '.');
        var message = json.Message;
        if (json is FieldValueException)
        {
            // Our own converters' words (text PostgreSQL cannot store, an instant without an offset): already the API's.
            return Invalid(field ?? "body", message);
        }

        if (NotConverted().Match(message) is { Success: true } converted)
        {
            // The serializer names the type it was reading, which for a record is the record, not the field: the
            // field's own type is found by following the path through the body's type.
            var expected = bodyType is null ? null : TypeAt(bodyType, field);
            var kind = expected is not null ? Kind(expected) : field is null ? Kind(converted.Groups["type"].Value) : null;
            return field is null
                ? Invalid("body", $"The body must be {kind}.")
                : Invalid(field, kind is null ? $"{field} has the wrong type." : $"{field} must be {kind}.");
        }

        if (MissingRequired().Match(message) is { Success: true } missing)
        {
            // A member the type requires: named by its full path ("content.plan.medications[0].name").
            var errors = missing.Groups["names"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(name => field is null ? name.Trim('\'') : $"{field}.{name.Trim('\'')}")
                .ToDictionary(name => name, name => new[] { $"{name} is required." });
            if (errors.Count > 0)
            {
                return new HttpValidationProblemDetails(errors) { Status = StatusCodes.Status400BadRequest, Title = "One or more validation errors occurred." };
            }
        }

        if (message.Contains("maximum configured depth", StringComparison.Ordinal))
        {
            return Invalid(field ?? "body", "The body is nested too deeply.");
        }

        var at = json.LineNumber is { } line && json.BytePositionInLine is { } position
            ? $" (line {line + 1}, position {position + 1})"
            : string.Empty;
        return Invalid("body", $"The body is not valid JSON{at}.");
    }

    /// <summary>The type of the value at a JSON path ("items[0].dose") within <paramref name="root"/>, or null.</summary>
    private static Type? TypeAt(Type root, string? path)
    {
        var type = root;
        foreach (Match step in PathStep().Matches(path ?? string.Empty))
        {
            if (step.Groups["index"].Success)
            {
                type = ElementType(type);
            }
            else
            {
                var name = step.Groups["name"].Value;
                type = type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)?.PropertyType;
            }

            if (type is null)
            {
                return null;
            }
        }

        return type;
    }

    private static Type? ElementType(Type type)
    {
        type = System.Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        return type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
    }

    private static string Kind(Type type)
    {
        type = System.Nullable.GetUnderlyingType(type) ?? type;
        if (type != typeof(string) && ElementType(type) is not null && !type.Name.StartsWith("Dictionary", StringComparison.Ordinal))
        {
            return "a list";
        }

        return Kind(type.Name);
    }

    /// <summary>What a value of the binder's or serializer's type looks like to a client.</summary>
    private static string Kind(string type)
    {
        var name = type.Trim();
        // Nullable<int>, System.Nullable`1[System.Int32] -> the inner type.
        if (Nullable().Match(name) is { Success: true } nullable)
        {
            name = nullable.Groups["inner"].Value;
        }

        if (name.EndsWith("[]", StringComparison.Ordinal) || name.Contains("List", StringComparison.Ordinal)
            || name.Contains("Enumerable", StringComparison.Ordinal) || name.Contains("Collection", StringComparison.Ordinal))
        {
            return "a list";
        }

        name = name.Split('`', '<')[0];
        name = name[(name.LastIndexOf('.') + 1)..];
        return name switch
        {
            "int" or "Int32" or "long" or "Int64" or "short" or "Int16" or "byte" or "Byte" => "a whole number",
            "decimal" or "Decimal" or "double" or "Double" or "float" or "Single" => "a number",
            "bool" or "Boolean" => "true or false",
            "Guid" => "an id (a UUID)",
            "DateOnly" => "a date (YYYY-MM-DD)",
            "DateTime" or "DateTimeOffset" => "a date and time (ISO 8601)",
            "TimeOnly" => "a time of day (HH:MM)",
            "TimeSpan" => "a duration",
            "string" or "String" or "char" or "Char" => "a string",
            "JsonElement" or "JsonDocument" or "JsonNode" or "JsonObject" => "JSON",
            _ => "an object",
        };
    }

    private static HttpValidationProblemDetails Invalid(string field, string message) =>
        new(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "One or more validation errors occurred.",
        };

    private static ProblemDetails Problem(int status, string title, string detail) => new() { Status = status, Title = title, Detail = detail };

    [GeneratedRegex("""^Failed to bind parameter "(?<type>.+) (?<name>[A-Za-z_][A-Za-z0-9_]*)" from """)]
    private static partial Regex FailedToBind();

    [GeneratedRegex("""^Required parameter "(?<type>.+) (?<name>[A-Za-z_][A-Za-z0-9_]*)" was not provided from (?<source>[a-z ]+)\.""")]
    private static partial Regex RequiredParameter();

    [GeneratedRegex(@"could not be converted to (?<type>[^ ]+?)\.?(?: |$)")]
    private static partial Regex NotConverted();

    [GeneratedRegex(@"missing required properties including: (?<names>.+?)\.?(?: Path:|$)")]
    private static partial Regex MissingRequired();

    [GeneratedRegex(@"^(Nullable<(?<inner>.+)>|System\.Nullable`1\[(?<inner>.+)\])$")]
    private static partial Regex Nullable();

    /// <summary>A step of a JSON path as the serializer writes it: a name, or an index in brackets.</summary>
    [GeneratedRegex(@"(?<name>[A-Za-z_][A-Za-z0-9_]*)|\[(?<index>\d+)\]")]
    private static partial Regex PathStep();
}

/// <summary>
/// A value our JSON converters refuse, in the API's own words; the serializer adds the field's path, and
/// <see cref="BadRequests"/> answers a 400 naming that field with this message.
/// </summary>
public sealed class FieldValueException : JsonException
{
    public FieldValueException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    public FieldValueException(string message, string path)
        : base(message, path, null, null)
    {
    }
}
