using System.CommandLine;
using System.Globalization;
using DrAssistant.Shared.CommandLine;

namespace DrAssistant.Seeder.Cli;

public enum SeederVerb
{
    Demo,
    Generate,
    Help,
}

/// <summary>
/// The seeder's command line, declared once with System.CommandLine (<see cref="Declaration"/>): <c>demo [--seed N]</c>
/// or <c>generate --patients N [--appointments-per-patient K] [--doctors D] [--batch B] [--parallel P] [--seed N]
/// [--force]</c>, plus <c>--json</c>. There is no default command: seeding a database is always asked for by name.
/// Arguments of the form <c>--Section:Key=value</c> are configuration and pass through to the host.
/// </summary>
public sealed record SeederCommand(SeederVerb Verb, string? Error = null)
{
    public const int DefaultDemoSeed = 42;
    public const int DefaultGenerateSeed = 1;
    public const int DefaultAppointmentsPerPatient = 5;
    public const int DefaultBatch = 50_000;
    public const int DefaultParallel = 2;

    private const string Epilogue = """
        Arguments of the form --Section:Key=value are configuration. Connection strings: ConnectionStrings:postgresdb
        (required), ConnectionStrings:mongodb (demo notes; optional), or DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD
        and MONGODB_URI.

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

    /// <summary>The help to print: asked for (<see cref="SeederVerb.Help"/>), or after <see cref="Error"/>.</summary>
    public string Help { get; init; } = string.Empty;

    public bool IsValid => Error is null;

    public static SeederCommand Parse(IReadOnlyList<string> args)
    {
        var cli = new Declaration();
        var parsed = ToolCommandLine.Parse(cli.Root, args);
        if (parsed.IsHelp || parsed.Error is not null)
        {
            return new SeederCommand(SeederVerb.Help, parsed.Error) { Help = parsed.Help() };
        }

        var result = parsed.Result;
        if (result.CommandResult.Command == cli.Root)
        {
            // No default command: seeding a database is always asked for by name.
            return new SeederCommand(SeederVerb.Help, "Name a command: demo or generate.") { Help = parsed.Help() };
        }

        if (result.CommandResult.Command == cli.Demo)
        {
            return new SeederCommand(SeederVerb.Demo)
            {
                Seed = result.GetValue(cli.Seed) ?? DefaultDemoSeed,
                AllowOutsideDevelopment = result.GetValue(cli.AllowOutsideDevelopment),
                Json = result.GetValue(cli.Json),
                ConfigurationArguments = parsed.ConfigurationArguments,
            };
        }

        return new SeederCommand(SeederVerb.Generate)
        {
            Seed = result.GetValue(cli.Seed) ?? DefaultGenerateSeed,
            Patients = result.GetValue(cli.Patients) ?? 0,
            AppointmentsPerPatient = result.GetValue(cli.AppointmentsPerPatient) ?? DefaultAppointmentsPerPatient,
            Doctors = result.GetValue(cli.Doctors),
            Batch = result.GetValue(cli.Batch) ?? DefaultBatch,
            Parallel = result.GetValue(cli.Parallel) ?? DefaultParallel,
            Force = result.GetValue(cli.Force),
            Json = result.GetValue(cli.Json),
            ConfigurationArguments = parsed.ConfigurationArguments,
        };
    }

    /// <summary>Every command and option, with its help text and its checks: the only description of the command line.</summary>
    private sealed class Declaration
    {
        public readonly Option<int?> Seed = Number("--seed", 0, "the random seed (default: 42 for demo, 1 for generate)");
        public readonly Option<int?> Patients = Number("--patients", 1, "how many patients (required)");
        public readonly Option<int?> AppointmentsPerPatient = Number("--appointments-per-patient", 0, $"default {DefaultAppointmentsPerPatient}");
        public readonly Option<int?> Doctors = Number("--doctors", 1, "default: enough for about 16 appointments per doctor per clinic day");
        public readonly Option<int?> Batch = Number("--batch", 1, $"appointments per transaction, default {DefaultBatch}");
        public readonly Option<int?> Parallel = Number("--parallel", 1, $"connections copying at once, default {DefaultParallel}");
        public readonly Option<bool> Force = new("--force") { Description = "add to a database that already has data" };
        public readonly Option<bool> Json = new("--json") { Description = "print one JSON report on standard output (logs go to standard error)" };

        public readonly Option<bool> AllowOutsideDevelopment = new("--allow-outside-development")
        {
            Description = "run outside the Development environment, for a throwaway database elsewhere",
        };

        public readonly RootCommand Root = new("Fills the databases with demo data (demo) or with volume for measurements (generate).");

        public readonly Command Demo = new("demo",
            "a small clinic for development: staff with demo logins, ~150 patients, a week of appointments around today, " +
            "encounters, prescriptions, orders, tasks, alerts, and SOAP notes when MongoDB is configured. Idempotent: running it " +
            "again changes nothing. Refuses (exit 1, nothing written) a database holding any user or patient it did not create, " +
            "and any environment but Development (DOTNET_ENVIRONMENT=Development) unless --allow-outside-development");

        public readonly Command Generate = new("generate",
            "fill PostgreSQL fast (binary COPY) with N patients and everything around them; refuses a database that already " +
            "has users or patients unless --force");

        public Declaration()
        {
            Demo.Options.Add(Seed);
            Demo.Options.Add(AllowOutsideDevelopment);
            Demo.Options.Add(Json);
            foreach (var option in new Option[] { Patients, AppointmentsPerPatient, Doctors, Batch, Parallel, Seed, Force, Json })
            {
                Generate.Options.Add(option);
            }

            Generate.Validators.Add(result =>
            {
                if (result.GetResult(Patients) is null)
                {
                    result.AddError("generate needs --patients N.");
                }
            });
            Root.Subcommands.Add(Demo);
            Root.Subcommands.Add(Generate);
            ToolCommandLine.Configure(Root, Epilogue);
        }

        private static Option<int?> Number(string name, int minimum, string description) => new(name)
        {
            Description = description,
            HelpName = "N",
            Arity = ArgumentArity.ExactlyOne,
            CustomParser = result =>
            {
                var text = result.Tokens.Single().Value;
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= minimum)
                {
                    return value;
                }

                result.AddError($"{name} needs a whole number ({minimum} or more), not '{text}'.");
                return null;
            },
        };
    }
}
