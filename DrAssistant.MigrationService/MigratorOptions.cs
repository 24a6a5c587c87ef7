namespace DrAssistant.MigrationService;

/// <summary>Settings under <c>Migrator</c> in configuration.</summary>
public sealed class MigratorOptions
{
    public const string SectionName = "Migrator";

    /// <summary>The schema the tables live in.</summary>
    public string Schema { get; set; } = "public";

    /// <summary>How long to wait for another migrator's lock before giving up with exit code 3.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often to ask for the lock while another migrator holds it.</summary>
    public TimeSpan LockPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How many times a transient connection failure at start is retried (with backoff).</summary>
    public int ConnectRetries { get; set; } = 8;

    /// <summary>The first retry's delay; each next one doubles, up to 5 seconds.</summary>
    public TimeSpan ConnectRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Recorded as "applied by"; defaults to user@machine.</summary>
    public string? AppliedBy { get; set; }
}
