using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrAssistant.Api.Infrastructure;

/// <summary>
/// Instants in request bodies carry their offset. "2026-05-05T09:00:00" names no instant: read as UTC it becomes
/// 14:30 at a clinic in India. Such a value is refused (400 naming the field), as is anything not ISO 8601.
/// Clinical times also stay within <see cref="FirstYear"/>–<see cref="LastYear"/>: a year 0001 or 9999 is a typo,
/// and at the edges of <see cref="DateTime"/> a day's end cannot even be computed.
/// </summary>
public static class Instants
{
    public const int FirstYear = 1900;

    public const int LastYear = 2200;

    public static bool InRange(DateTimeOffset instant) => instant.UtcDateTime.Year is >= FirstYear and <= LastYear;

    public static bool InRange(DateOnly date) => date.Year is >= FirstYear and <= LastYear;

    public static string OutOfRange(string field) => $"{field} must be between the years {FirstYear} and {LastYear}.";

    /// <summary>Whether ISO 8601 text ends its time with <c>Z</c> or an offset (<c>+05:30</c>, <c>-04:00</c>).</summary>
    public static bool HasOffset(ReadOnlySpan<char> text)
    {
        var time = text.IndexOfAny('T', 't');
        return time >= 0 && text[time..].IndexOfAny("Zz+-") >= 0;
    }

    public sealed class OffsetRequiredConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var value))
            {
                throw new FieldValueException("The value is not a date and time in ISO 8601, e.g. 2026-05-05T09:00:00+05:30.");
            }

            if (!HasOffset(reader.GetString()))
            {
                throw new FieldValueException("The value has no offset: write it with Z or an offset, e.g. 2026-05-05T09:00:00+05:30.");
            }

            return value;
        }

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }
}
