namespace DrAssistant.MigrationService;

/// <summary>The log lines both the up-to-date shortcut and the full run write, worded once.</summary>
internal static partial class RunLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL is up to date at version {Version}; nothing to apply.")]
    public static partial void UpToDate(ILogger logger, long version);

    [LoggerMessage(Level = LogLevel.Information, Message = "MongoDB is not configured (no ConnectionStrings:{Name}); skipping the MongoDB side.")]
    public static partial void MongoNotConfigured(ILogger logger, string name);
}
