using System.Globalization;

namespace DrAssistant.MigrationService.Cli;

public enum MigratorVerb
{
    Migrate,
    Info,
    Check,
    Rollback,
    Script,
    Help,
}

/// <summary>
/// The migrator's command line: <c>migrate [--to N]</c> (the default), <c>info</c>, <c>check</c>,
/// <c>rollback --to N</c>, <c>script [--from N] [--to M]</c>, plus <c>--json</c> and <c>--accept-changes</c>.
/// Arguments of the form <c>--Section:Key=value</c> are configuration and pass through to the host.
/// </summary>
public sealed record MigratorCommand(
    MigratorVerb Verb,
    long? To = null,
    long? From = null,
    bool Json = false,
    bool AcceptChanges = false,
    string? Error = null)
{
    public const string Usage = """
        Usage: DrAssistant.MigrationService [command] [options] [--Section:Key=value ...]

        Commands:
          migrate [--to N]              apply pending versions (PostgreSQL, then MongoDB); the default
          info                          applied and pending versions, when and by whom applied, checksum status, drift
          check                         like info, but exits 2 when anything is pending, has drifted, or is
                                        missing of the migrator's own tables
          rollback --to N               run Down for every applied version above N, newest first
          script [--from N] [--to M]    print the SQL (and MongoDB commands) that would run; executes nothing

        Options:
          --json                        print one JSON report on standard output (logs go to standard error)
          --accept-changes              record the current checksum of edited migrations and accept versions
                                        missing from this build, instead of stopping with exit code 4

        Exit codes: 0 success, 1 failure (including a lost lock), 2 pending, drift or missing (check),
                    3 lock wait timed out, 4 validation failed (edited or missing migration), 64 bad arguments.
        """;

    /// <summary>Arguments meant for configuration (<c>--Key=value</c>), handed to the host builder.</summary>
    public IReadOnlyList<string> ConfigurationArguments { get; init; } = [];

    public bool IsValid => Error is null;

    /// <summary>Whether standard output carries a document (JSON or SQL), so logs must go elsewhere.</summary>
    public bool WritesPayload => Json || Verb == MigratorVerb.Script;

    public static MigratorCommand Parse(IReadOnlyList<string> args)
    {
        var verb = MigratorVerb.Migrate;
        long? to = null, from = null;
        bool json = false, acceptChanges = false, verbSeen = false;
        var configuration = new List<string>();

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--json":
                    json = true;
                    break;
                case "--accept-changes":
                    acceptChanges = true;
                    break;
                case "--to" or "--from":
                    if (i + 1 >= args.Count || !TryParseVersion(args[i + 1], out var version))
                    {
                        return Invalid($"{arg} needs a version number (0 or more).");
                    }

                    if (arg == "--to")
                    {
                        to = version;
                    }
                    else
                    {
                        from = version;
                    }

                    i++;
                    break;
                case "-h" or "--help" or "help":
                    return new MigratorCommand(MigratorVerb.Help);
                default:
                    if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains('=', StringComparison.Ordinal))
                    {
                        configuration.Add(arg);
                    }
                    else if (!verbSeen && TryParseVerb(arg, out var parsed))
                    {
                        verb = parsed;
                        verbSeen = true;
                    }
                    else
                    {
                        return Invalid($"Unknown argument '{arg}'.");
                    }

                    break;
            }
        }

        if (verb == MigratorVerb.Rollback && to is null)
        {
            return Invalid("rollback needs --to N (the version to keep; 0 removes everything).");
        }

        if (from is not null && verb != MigratorVerb.Script)
        {
            return Invalid("--from is only for script.");
        }

        if (to is not null && verb is MigratorVerb.Info or MigratorVerb.Check)
        {
            return Invalid($"--to is not an option of {verb.ToString().ToLowerInvariant()}.");
        }

        return new MigratorCommand(verb, to, from, json, acceptChanges) { ConfigurationArguments = configuration };
    }

    private static MigratorCommand Invalid(string error) => new(MigratorVerb.Help, Error: error);

    private static bool TryParseVersion(string text, out long version) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out version);

    private static bool TryParseVerb(string text, out MigratorVerb verb)
    {
        verb = text switch
        {
            "migrate" => MigratorVerb.Migrate,
            "info" => MigratorVerb.Info,
            "check" => MigratorVerb.Check,
            "rollback" => MigratorVerb.Rollback,
            "script" => MigratorVerb.Script,
            _ => (MigratorVerb)(-1),
        };
        return Enum.IsDefined(verb);
    }
}
