namespace DrAssistant.Testing;

/// <summary>
/// The system clock, plus however far a test has stepped it forward: two writes a test wants apart in time are apart by
/// the step, whatever the machine's speed, without a <c>Task.Delay</c>. Unlike a frozen fake clock, time still flows, so
/// timers, caches and leases of the code under test behave as in production.
/// </summary>
public sealed class SteppedTimeProvider : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>Moves the clock forward by <paramref name="step"/> (and keeps flowing from there).</summary>
    public void Advance(TimeSpan step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(step, TimeSpan.Zero);
        Interlocked.Add(ref _offsetTicks, step.Ticks);
    }
}
