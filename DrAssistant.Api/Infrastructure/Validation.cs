using System.Text.RegularExpressions;

namespace DrAssistant.Api.Infrastructure;

/// <summary>
/// Collects what is wrong with a request, field by field (names as the client wrote them, camelCase), and turns it
/// into a 400 ValidationProblem. The limits mirror the database's column lengths and CHECK constraints.
/// </summary>
public sealed partial class Validation
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public IDictionary<string, string[]> Errors => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

    public Validation Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
        return this;
    }

    /// <summary>Required text no longer than <paramref name="maxLength"/> characters.</summary>
    public Validation Required(string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Add(field, $"{field} is required.");
        }

        return MaxLength(field, value, maxLength);
    }

    public Validation Required<T>(string field, T? value) where T : struct =>
        value is null ? Add(field, $"{field} is required.") : this;

    /// <summary>Text no longer than <paramref name="maxLength"/> characters that PostgreSQL can store (no NUL).</summary>
    public Validation MaxLength(string field, string? value, int maxLength)
    {
        if (StorableText.Problem(value) is { } problem)
        {
            return Add(field, $"{field} {problem}.");
        }

        return value is not null && value.Length > maxLength ? Add(field, $"{field} must be at most {maxLength} characters.") : this;
    }

    /// <summary>An instant a clinic can mean: within the years <see cref="Instants.FirstYear"/> to <see cref="Instants.LastYear"/>.</summary>
    public Validation Instant(string field, DateTimeOffset? value) =>
        value is { } instant && !Instants.InRange(instant) ? Add(field, Instants.OutOfRange(field)) : this;

    /// <summary>One of the allowed words, or absent when <paramref name="required"/> is false.</summary>
    public Validation OneOf(string field, string? value, IReadOnlyCollection<string> allowed, bool required = true)
    {
        if (value is null)
        {
            return required ? Add(field, $"{field} is required; one of: {string.Join(", ", allowed)}.") : this;
        }

        return allowed.Contains(value, StringComparer.Ordinal)
            ? this
            : Add(field, $"{field} must be one of: {string.Join(", ", allowed)}.");
    }

    public Validation Email(string field, string? value, int maxLength, bool required)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return required ? Add(field, $"{field} is required.") : this;
        }

        MaxLength(field, value, maxLength);
        return EmailPattern().IsMatch(value) ? this : Add(field, $"{field} is not an email address.");
    }

    public Validation Range(string field, int? value, int min, int max) =>
        value is { } v && (v < min || v > max) ? Add(field, $"{field} must be between {min} and {max}.") : this;

    public Validation NotEmpty(string field, Guid? value) =>
        value == Guid.Empty ? Add(field, $"{field} is not a valid id.") : this;

    public Validation When(bool condition, string field, string message) => condition ? Add(field, message) : this;

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailPattern();
}
