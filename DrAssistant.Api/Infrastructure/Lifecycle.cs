namespace DrAssistant.Api.Infrastructure;

/// <summary>
/// A record's lifecycle as one table of allowed steps: each row is an action (the endpoint's verb) that moves a record
/// from one status to another. A feature's rules declare it once; what a status allows, where an action leads, which
/// statuses are final are all read from the table, never written a second time, so no step is allowed in one place and
/// refused in another.
/// </summary>
public sealed class Lifecycle
{
    /// <summary>Steps named by the status they lead to (sign → signed): the action is the target status.</summary>
    public Lifecycle(params (string From, string To)[] steps)
        : this([.. steps.Select(s => (s.To, s.From, s.To))])
    {
    }

    public Lifecycle(params (string Action, string From, string To)[] steps) => Steps = steps;

    public IReadOnlyList<(string Action, string From, string To)> Steps { get; }

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

    /// <summary>The statuses a record may move to <paramref name="to"/> from.</summary>
    public string[] From(string to) => [.. Steps.Where(s => s.To == to).Select(s => s.From).Distinct(StringComparer.Ordinal)];

    public bool Allows(string from, string to) => Steps.Any(s => s.From == from && s.To == to);

    /// <summary>A status no step leaves: the record is done with (completed, cancelled, …).</summary>
    public bool IsFinal(string status) => !Steps.Any(s => s.From == status);

    /// <summary>The statuses some step leaves: those in which the record may still change.</summary>
    public string[] Open => [.. Steps.Select(s => s.From).Distinct(StringComparer.Ordinal)];
}
