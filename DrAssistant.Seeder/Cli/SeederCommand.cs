using System.Globalization;

namespace DrAssistant.Seeder.Cli;

public enum SeederVerb
{
    Demo,
    Generate,
    Help,
}

/// <summary>
/// The seeder's command line: <c>demo [--seed N]</c> or <c>generate --patients N [--appointments-per-patient K]
/// [--doctors D] [--batch B] [--parallel P] [--seed N] [--force]</c>, plus <c>--json</c>. There is no default command: seeding a
/// database is always asked for by name. Arguments of the form <c>--Section:Key=value</c> are configuration and
/// pass through to the host.
/// </summary>
public sealed record SeederCommand(SeederVerb Verb, string? Error = null)
{
    public const int DefaultDemoSeed = 42;
    public const int DefaultGenerateSeed = 1;
    public const int DefaultAppointmentsPerPatient = 5;
    public const int DefaultBatch = 50_000;
    public const int DefaultParallel = 2;

    public const string Usage = """
        Usage: DrAssistant.Seeder <command> [options] [--Section:Key=value ...]

        Commands:
          demo [--seed N]                  a small clinic for development: staff with demo logins, ~150 patients,
                                           a week of appointments around today, encounters, prescriptions, orders,
                                           tasks, alerts, and SOAP notes when MongoDB is configured. Idempotent:
                                           running it again changes nothing. Seed defaults to 42.
                                           Refuses (exit 1, nothing written) a database holding any user or
                                           patient it did not create, and any environment but Development
                                           (DOTNET_ENVIRONMENT=Development)...
            [--allow-outside-development]  ...unless given this, for a throwaway database elsewhere
          generate --patients N            fill PostgreSQL fast (binary COPY) with N patients and everything around
                                           them; refuses a database that already has users or patients
            [--appointments-per-patient K] default 5
            [--doctors D]                  default: enough for about 16 appointments per doctor per clinic day
            [--batch B]                    appointments per transaction, default 50000
            [--parallel P]                 connections copying at once, default 2
            [--seed N]                     default 1
            [--force]                      add to a database that already has data

        Options:
          --json                           print one JSON report on standard output (logs go to standard error)

        Connection strings: ConnectionStrings:postgresdb (required), ConnectionStrings:mongodb (demo notes; optional),
        or DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD and MONGODB_URI.

        Exit codes: 0 success, 1 failure, 64 bad arguments.
        """;

    public int Seed { get; init; }

    public int Patients { get; init; }

    public int AppointmentsPerPatient { get; init; } = DefaultAppointmentsPerPatient;

    /// <summary>Null: derived from the number of appointments.</summary>
    public int? Doctors { get; init; }

    public int Batch { get; init; } = DefaultBatch;

    /// <summary>generate: how many connections copy chunks at once.</summary>
    public int Parallel { get; init; } = DefaultParallel;

    public bool Force { get; init; }

    /// <summary>demo: run although the environment is not Development (the database checks still apply).</summary>
    public bool AllowOutsideDevelopment { get; init; }

    public bool Json { get; init; }

    /// <summary>Arguments meant for configuration (<c>--Key=value</c>), handed to the host builder.</summary>
    public IReadOnlyList<string> ConfigurationArguments { get; init; } = [];

    public bool IsValid => Error is null;

    public static SeederCommand Parse(IReadOnlyList<string> args)
    {
        SeederVerb? verb = null;
        int? seed = null, patients = null, perPatient = null, doctors = null, batch = null, parallel = null;
        bool json = false, force = false, outsideDevelopment = false;
        var configuration = new List<string>();

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--json":
                    json = true;
                    break;
                case "--force":
                    force = true;
                    break;
                case "--allow-outside-development":
                    outsideDevelopment = true;
                    break;
                case "--seed" or "--patients" or "--appointments-per-patient" or "--doctors" or "--batch" or "--parallel":
                    var minimum = arg is "--seed" or "--appointments-per-patient" ? 0 : 1;
                    if (i + 1 >= args.Count || !TryParseNumber(args[i + 1], minimum, out var number))
                    {
                        return Invalid($"{arg} needs a whole number ({minimum} or more).");
                    }

                    switch (arg)
                    {
                        case "--seed": seed = number; break;
                        case "--patients": patients = number; break;
                        case "--appointments-per-patient": perPatient = number; break;
                        case "--doctors": doctors = number; break;
                        case "--parallel": parallel = number; break;
                        default: batch = number; break;
                    }

                    i++;
                    break;
                case "-h" or "--help" or "help":
                    return new SeederCommand(SeederVerb.Help);
                default:
                    if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains('=', StringComparison.Ordinal))
                    {
                        configuration.Add(arg);
                    }
                    else if (verb is null && arg is "demo" or "generate")
                    {
                        verb = arg == "demo" ? SeederVerb.Demo : SeederVerb.Generate;
                    }
                    else
                    {
                        return Invalid($"Unknown argument '{arg}'.");
                    }

                    break;
            }
        }

        if (verb is null)
        {
            return Invalid("Name a command: demo or generate.");
        }

        if (verb == SeederVerb.Demo)
        {
            if (patients is not null || perPatient is not null || doctors is not null || batch is not null || parallel is not null || force)
            {
                return Invalid("demo takes only --seed (and --json); the other options are for generate.");
            }

            return new SeederCommand(SeederVerb.Demo)
            {
                Seed = seed ?? DefaultDemoSeed,
                AllowOutsideDevelopment = outsideDevelopment,
                Json = json,
                ConfigurationArguments = configuration,
            };
        }

        if (outsideDevelopment)
        {
            return Invalid("--allow-outside-development is for demo.");
        }

        if (patients is null)
        {
            return Invalid("generate needs --patients N.");
        }

        return new SeederCommand(SeederVerb.Generate)
        {
            Seed = seed ?? DefaultGenerateSeed,
            Patients = patients.Value,
            AppointmentsPerPatient = perPatient ?? DefaultAppointmentsPerPatient,
            Doctors = doctors,
            Batch = batch ?? DefaultBatch,
            Parallel = parallel ?? DefaultParallel,
            Force = force,
            Json = json,
            ConfigurationArguments = configuration,
        };
    }

    private static SeederCommand Invalid(string error) => new(SeederVerb.Help, error);

    private static bool TryParseNumber(string text, int minimum, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= minimum;
}
