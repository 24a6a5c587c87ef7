namespace DrAssistant.MigrationService.Cli;

/// <summary>The migrator's exit codes (documented in the README). The AppHost's WaitForCompletion needs 0.</summary>
public static class ExitCodes
{
    /// <summary>Done, including "nothing to do".</summary>
    public const int Success = 0;

    /// <summary>A migration, a connection or the environment failed, or the migrator lost its lock.</summary>
    public const int Failure = 1;

    /// <summary><c>check</c> only: something is pending or has drifted, or the migrator's own tables lack something.</summary>
    public const int PendingOrDrift = 2;

    /// <summary>Another migrator held the lock for longer than the configured wait.</summary>
    public const int LockTimeout = 3;

    /// <summary>An applied migration was edited, or is missing from this build.</summary>
    public const int ValidationFailed = 4;

    /// <summary>The command line could not be understood (EX_USAGE).</summary>
    public const int BadArguments = 64;
}
