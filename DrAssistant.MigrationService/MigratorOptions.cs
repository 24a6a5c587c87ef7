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

    /// <summary>
    /// Whether a <c>migrate</c> first tries to find, before building anything, that there is nothing to do (see
    /// <see cref="UpToDateShortcut"/>). Off, every run takes the full path (same outcome, slower).
    /// </summary>
    public bool Shortcut { get; set; } = true;

    /// <summary>A lower-case SQL identifier: <c>[a-z_][a-z0-9_]*</c>.</summary>
    public static bool IsValidSchema(string? schema) =>
        !string.IsNullOrEmpty(schema) && schema[0] is (>= 'a' and <= 'z') or '_'
        && schema.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_');
}
