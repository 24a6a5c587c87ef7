namespace DrAssistant.MigrationService.Mongo;

/// <summary>Settings under <c>Migrator:Mongo</c> in configuration.</summary>
public sealed class MongoMigratorOptions
{
    public const string SectionName = "Migrator:Mongo";

    /// <summary>
    /// How long the lease lives without renewal. It is renewed every third of this while the migrator runs, so only
    /// a migrator that died (or lost the server for this long) lets it expire and another take over.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long to wait for another migrator's live lease before giving up with exit code 3.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often to try for the lease while another migrator holds it.</summary>
    public TimeSpan LockPollInterval { get; set; } = TimeSpan.FromMilliseconds(500);
}
