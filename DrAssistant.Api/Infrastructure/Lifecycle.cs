namespace DrAssistant.Api.Infrastructure;

/// <summary>
/// A record's lifecycle as one table of allowed steps: each row is an action (the endpoint's verb) that moves a record
/// from one status to another. What a status allows, and which statuses are final, are read from the table, never
/// written a second time.
/// </summary>
public sealed class Lifecycle(params (string Action, string From, string To)[] steps)
{
    public IReadOnlyList<(string Action, string From, string To)> Steps { get; } = steps;

    /// <summary>The actions, in the table's order.</summary>
    public IReadOnlyList<string> Actions => [.. Steps.Select(s => s.Action).Distinct(StringComparer.Ordinal)];

    /// <summary>Where an action leads, and the statuses it may leave.</summary>
    public (string To, string[] From) Of(string action)
    {
        var rows = Steps.Where(s => s.Action == action).ToList();
        return rows.Count == 0
            ? throw new ArgumentOutOfRangeException(nameof(action), action, "No such step.")
            : (rows[0].To, [.. rows.Select(s => s.From)]);
    }

    /// <summary>A status no step leaves: the record is done with (completed, cancelled, …).</summary>
    public bool IsFinal(string status) => !Steps.Any(s => s.From == status);

    /// <summary>The statuses some step leaves: those in which the record may still change.</summary>
    public string[] Open => [.. Steps.Select(s => s.From).Distinct(StringComparer.Ordinal)];
}
