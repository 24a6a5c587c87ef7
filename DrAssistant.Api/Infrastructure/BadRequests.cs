using System.Text.Json;
using System.Text.RegularExpressions;
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
    public static ProblemDetails Describe(BadHttpRequestException bad)
    {
        if (bad.InnerException is JsonException json)
        {
            return FromJson(json);
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

    private static ProblemDetails FromJson(JsonException json)
    {
        // "$.items[0].dose" -> "items[0].dose": the field as the client wrote it.
        var field = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? null : json.Path.TrimStart('$', '.');
        var message = json.Message;
        if (NotConverted().Match(message) is { Success: true } converted)
        {
            var kind = Kind(converted.Groups["type"].Value);
            return field is null ? Invalid("body", $"The body must be {kind}.") : Invalid(field, $"{field} must be {kind}.");
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

    [GeneratedRegex(@"^(Nullable<(?<inner>.+)>|System\.Nullable`1\[(?<inner>.+)\])$")]
    private static partial Regex Nullable();
}
