using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrAssistant.Api.Infrastructure;

/// <summary>
/// Text PostgreSQL cannot store: a NUL character (text and varchar refuse it, 22021; jsonb refuses the \u0000 escape,
/// 22P05) and half of a UTF-16 surrogate pair (no UTF-8 encoding exists for it). Such text is the client's mistake,
/// refused with a 400 naming the field before it reaches the database, where it would look like an outage and, worse,
/// could leave a pooled connection with a half-prepared statement (see <see cref="PoolRecovery"/>).
/// </summary>
public static class StorableText
{
    /// <summary>Why PostgreSQL cannot store <paramref name="value"/>, or null when it can.</summary>
    public static string? Problem(string? value)
    {
        if (value is null)
        {
            return null;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0')
            {
                return "contains a NUL character (\\u0000), which cannot be stored";
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return "contains half of a UTF-16 surrogate pair, which is not text";
            }
        }

        return null;
    }

    /// <summary>Every string of a request body, checked as it is read (property values and array items).</summary>
    public sealed class StringConverter : JsonConverter<string>
    {
        public override bool HandleNull => false;

        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            string? value;
            try
            {
                value = reader.GetString();
            }
            catch (InvalidOperationException ex)
            {
                // A number or a bool where text belongs: no message of ours, so the serializer writes its "could not be
                // converted" one with the path, which BadRequests turns into "<field> must be a string."
                throw new JsonException(null, ex);
            }

            return Problem(value) is { } problem ? throw new FieldValueException($"The value {problem}.") : value;
        }

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

        // Dictionary keys (a custom converter of string is used for them too).
        public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Read(ref reader, typeToConvert, options)!;

        public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);
    }

    /// <summary>
    /// JSON documents kept as jsonb (an address, preferences): every property name and string inside is checked. The field
    /// is the document's own (the body for a document that is the whole body), the message says where inside it.
    /// </summary>
    public sealed class DocumentConverter : JsonConverter<JsonElement>
    {
        public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var atRoot = reader.CurrentDepth == 0;
            var document = JsonElement.ParseValue(ref reader);
            if (Find(document, string.Empty) is { } found)
            {
                var (where, problem) = found;
                var message = where.Length == 0 ? $"The value {problem}." : $"{where}: the value {problem}.";
                // A whole-body document has no field of its own: name the place inside it.
                throw atRoot && where.Length > 0 ? new FieldValueException(message, "$." + where) : new FieldValueException(message);
            }

            return document;
        }

        public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options) => value.WriteTo(writer);

        private static (string Where, string Problem)? Find(JsonElement element, string path)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    return Problem(element.GetString()) is { } problem ? (path, problem) : null;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        var inner = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                        if (Problem(property.Name) is { } nameProblem)
                        {
                            return (inner, "has a name that " + nameProblem);
                        }

                        if (Find(property.Value, inner) is { } found)
                        {
                            return found;
                        }
                    }

                    return null;
                case JsonValueKind.Array:
                    var index = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        if (Find(item, $"{path}[{index++}]") is { } found)
                        {
                            return found;
                        }
                    }

                    return null;
                default:
                    return null;
            }
        }
    }
}

/// <summary>Query strings (and their names) with text PostgreSQL cannot store are a 400 naming the parameter.</summary>
public sealed class StorableQueryMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        Dictionary<string, string[]>? errors = null;
        foreach (var (name, values) in context.Request.Query)
        {
            var problem = StorableText.Problem(name) ?? values.Select(StorableText.Problem).FirstOrDefault(p => p is not null);
            if (problem is not null)
            {
                var field = StorableText.Problem(name) is null ? name : "query";
                errors ??= [];
                errors[field] = [$"{field} {problem}."];
            }
        }

        return errors is null ? next(context) : Results.ValidationProblem(errors).ExecuteAsync(context);
    }
}
