namespace DrAssistant.MigrationService;

/// <summary>The log lines both the up-to-date shortcut and the full run write, worded once.</summary>
internal static class RunLog
{
    public static void UpToDate(ILogger logger, long version) =>
        logger.LogInformation("PostgreSQL is up to date at version {Version}; nothing to apply.", version);

    public static void MongoNotConfigured(ILogger logger, string name) =>
        logger.LogInformation("MongoDB is not configured (no ConnectionStrings:{Name}); skipping the MongoDB side.", name);
}
