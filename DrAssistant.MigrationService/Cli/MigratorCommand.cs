using System.Globalization;

namespace DrAssistant.MigrationService.Cli;

public enum MigratorVerb
{
    Migrate,
    Info,
    Check,
    Rollback,
    Script,
    CreateAdmin,
    Help,
}

/// <summary>
/// The migrator's command line: <c>migrate [--to N]</c> (the default), <c>info</c>, <c>check</c>,
/// <c>rollback --to N</c>, <c>script [--from N] [--to M]</c>,
/// <c>create-admin --username U [--email E] [--full-name F]</c> (the password from standard input or
/// <c>DRASSISTANT_ADMIN_PASSWORD</c>, never an argument), plus <c>--json</c> and <c>--accept-changes</c>.
/// Arguments of the form <c>--Section:Key=value</c> are configuration and pass through to the host.
/// </summary>
public sealed record MigratorCommand(
    MigratorVerb Verb,
    long? To = null,
    long? From = null,
    bool Json = false,
    bool AcceptChanges = false,
    string? Error = null,
    string? Username = null,
    string? Email = null,
    string? FullName = null)
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
          create-admin --username U [--email E] [--full-name F]
                                        create the clinic's first administrator (none active yet); the same
                                        username again changes nothing. The password comes from standard input
                                        (typed, or piped) or DRASSISTANT_ADMIN_PASSWORD, never from an argument

        Options:
          --json                        print one JSON report on standard output (logs go to standard error)
          --accept-changes              record the current checksum of edited migrations and accept versions
                                        missing from this build, instead of stopping with exit code 4

        Exit codes: 0 success, 1 failure (including a lost lock; create-admin: refused, and why), 2 pending,
                    drift or missing (check), 3 lock wait timed out, 4 validation failed (edited or missing
                    migration), 64 bad arguments.
        """;

    /// <summary>Arguments meant for configuration (<c>--Key=value</c>), handed to the host builder.</summary>
    public IReadOnlyList<string> ConfigurationArguments { get; init; } = [];

    public bool IsValid => Error is null;

    /// <summary>Whether standard output carries a document (JSON, SQL, create-admin's answer), so logs must go elsewhere.</summary>
    public bool WritesPayload => Json || Verb is MigratorVerb.Script or MigratorVerb.CreateAdmin;

    /// <summary>The options of <c>create-admin</c>, as <c>--name value</c> or <c>--name=value</c>.</summary>
    private static readonly string[] AccountOptions = ["--username", "--email", "--full-name"];

    public static MigratorCommand Parse(IReadOnlyList<string> args)
    {
        var verb = MigratorVerb.Migrate;
        long? to = null, from = null;
        bool json = false, acceptChanges = false, verbSeen = false;
        var configuration = new List<string>();
        var account = new Dictionary<string, string>(StringComparer.Ordinal);

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
                case var password when password == "--password" || password.StartsWith("--password=", StringComparison.Ordinal):
                    return Invalid("A password is never taken as an argument (shell history and process lists keep arguments): " +
                                   "type it or pipe it on standard input, or set DRASSISTANT_ADMIN_PASSWORD.");
                case var option when AccountOptions.Any(o => option == o || option.StartsWith(o + "=", StringComparison.Ordinal)):
                    var (name, value) = option.Contains('=', StringComparison.Ordinal)
                        ? (option[..option.IndexOf('=', StringComparison.Ordinal)], option[(option.IndexOf('=', StringComparison.Ordinal) + 1)..])
                        : (option, i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null);
                    if (string.IsNullOrWhiteSpace(value))
                    {
                        return Invalid($"{name} needs a value.");
                    }

                    account[name] = value;
                    break;
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

        if (to is not null && verb is MigratorVerb.Info or MigratorVerb.Check or MigratorVerb.CreateAdmin)
        {
            return Invalid($"--to is not an option of {Name(verb)}.");
        }

        if (verb == MigratorVerb.CreateAdmin)
        {
            if (acceptChanges)
            {
                return Invalid("--accept-changes is not an option of create-admin.");
            }

            if (!account.ContainsKey("--username"))
            {
                return Invalid("create-admin needs --username (the administrator's login name).");
            }
        }
        else if (account.Keys.FirstOrDefault() is { } stray)
        {
            return Invalid($"{stray} is only for create-admin.");
        }

        return new MigratorCommand(verb, to, from, json, acceptChanges,
            Username: account.GetValueOrDefault("--username"), Email: account.GetValueOrDefault("--email"), FullName: account.GetValueOrDefault("--full-name"))
        {
            ConfigurationArguments = configuration,
        };
    }

    private static MigratorCommand Invalid(string error) => new(MigratorVerb.Help, Error: error);

    /// <summary>The verb as typed on the command line.</summary>
    public static string Name(MigratorVerb verb) => verb == MigratorVerb.CreateAdmin ? "create-admin" : verb.ToString().ToLowerInvariant();

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
            "create-admin" => MigratorVerb.CreateAdmin,
            _ => (MigratorVerb)(-1),
        };
        return Enum.IsDefined(verb);
    }
}
