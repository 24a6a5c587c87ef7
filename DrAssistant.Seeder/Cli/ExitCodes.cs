namespace DrAssistant.Seeder.Cli;

/// <summary>The seeder's exit codes (documented in the README). The AppHost's WaitForCompletion would need 0.</summary>
public static class ExitCodes
{
    /// <summary>Done, including "the demo data is already there".</summary>
    public const int Success = 0;

    /// <summary>A write, a connection or a precondition failed (e.g. <c>generate</c> on a database that has data).</summary>
    public const int Failure = 1;

    /// <summary>The command line could not be understood (EX_USAGE).</summary>
    public const int BadArguments = 64;
}
