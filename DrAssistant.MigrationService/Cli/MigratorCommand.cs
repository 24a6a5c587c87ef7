using System.CommandLine;
using System.Globalization;
using DrAssistant.Shared.CommandLine;

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
/// The migrator's command line, declared once with System.CommandLine (<see cref="Declaration"/>): <c>migrate [--to N]</c>
/// (the default), <c>info</c>, <c>check</c>, <c>rollback --to N</c>, <c>script [--from N] [--to M]</c>,
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
    private const string Epilogue = """
        Arguments of the form --Section:Key=value are configuration (e.g. --ConnectionStrings:postgresdb=Host=…).

        Exit codes: 0 success, 1 failure (including a lost lock; create-admin: refused, and why), 2 pending,
                    drift or missing (check), 3 lock wait timed out, 4 validation failed (edited or missing
                    migration), 64 bad arguments.
        """;

    /// <summary>Arguments meant for configuration (<c>--Key=value</c>), handed to the host builder.</summary>
    public IReadOnlyList<string> ConfigurationArguments { get; init; } = [];

    /// <summary>The help to print: asked for (<see cref="MigratorVerb.Help"/>), or after <see cref="Error"/>.</summary>
    public string Help { get; init; } = string.Empty;

    public bool IsValid => Error is null;

    /// <summary>Whether standard output carries a document (JSON, SQL, create-admin's answer), so logs must go elsewhere.</summary>
    public bool WritesPayload => Json || Verb is MigratorVerb.Script or MigratorVerb.CreateAdmin;

    public static MigratorCommand Parse(IReadOnlyList<string> args)
    {
        var cli = new Declaration();
        var parsed = ToolCommandLine.Parse(cli.Root, args);
        if (parsed.IsHelp || parsed.Error is not null)
        {
            return new MigratorCommand(MigratorVerb.Help, Error: parsed.Error) { Help = parsed.Help() };
        }

        var result = parsed.Result;
        var verb = cli.Verbs.GetValueOrDefault(result.CommandResult.Command, MigratorVerb.Migrate);
        return new MigratorCommand(
            verb,
            result.GetValue(cli.To),
            result.GetValue(cli.From),
            result.GetValue(cli.Json),
            result.GetValue(cli.AcceptChanges),
            Username: result.GetValue(cli.Username),
            Email: result.GetValue(cli.Email),
            FullName: result.GetValue(cli.FullName))
        {
            ConfigurationArguments = parsed.ConfigurationArguments,
        };
    }

    /// <summary>The verb as typed on the command line.</summary>
    public static string Name(MigratorVerb verb) => verb == MigratorVerb.CreateAdmin ? "create-admin" : verb.ToString().ToLowerInvariant();

    /// <summary>Every command and option, with its help text and its checks: the only description of the command line.</summary>
    private sealed class Declaration
    {
        public readonly Option<long?> To = Version("--to", "the version to migrate to (migrate, script) or to keep (rollback)");
        public readonly Option<long?> From = Version("--from", "the version to script from");
        public readonly Option<bool> Json = new("--json") { Description = "print one JSON report on standard output (logs go to standard error)" };

        public readonly Option<bool> AcceptChanges = new("--accept-changes")
        {
            Description = "record the current checksum of edited migrations and accept versions missing from this build, " +
                          "instead of stopping with exit code 4",
        };

        public readonly Option<string?> Username = Text("--username", "U", "the administrator's login name (required)");
        public readonly Option<string?> Email = Text("--email", "E", "default: <username>@clinic.invalid");
        public readonly Option<string?> FullName = Text("--full-name", "F", "default: the username");

        public readonly RootCommand Root = new("Runs the PostgreSQL migrations, then the MongoDB steps, and exits.");

        public readonly Dictionary<Command, MigratorVerb> Verbs = [];

        public Declaration()
        {
            // A password given as an argument is kept by shell history and process lists: refused on every command, and
            // the value is never echoed.
            var password = new Option<string?>("--password")
            {
                Hidden = true,
                Arity = ArgumentArity.ZeroOrOne,
                Recursive = true,
            };
            password.Validators.Add(result => result.AddError(
                "A password is never taken as an argument (shell history and process lists keep arguments): " +
                "type it or pipe it on standard input, or set DRASSISTANT_ADMIN_PASSWORD."));
            Root.Options.Add(password);
            Root.Options.Add(To);
            Root.Options.Add(Json);
            Root.Options.Add(AcceptChanges);

            Add(MigratorVerb.Migrate, "apply pending versions (PostgreSQL, then MongoDB); the default", To, Json, AcceptChanges);
            Add(MigratorVerb.Info, "applied and pending versions, when and by whom applied, checksum status, drift", Json, AcceptChanges);
            Add(MigratorVerb.Check, "like info, but exits 2 when anything is pending, has drifted, or is missing of the " +
                                    "migrator's own tables", Json, AcceptChanges);
            var rollback = Add(MigratorVerb.Rollback, "run Down for every applied version above --to N, newest first", To, Json, AcceptChanges);
            rollback.Validators.Add(result =>
            {
                if (result.GetResult(To) is null)
                {
                    result.AddError("rollback needs --to N (the version to keep; 0 removes everything).");
                }
            });
            Add(MigratorVerb.Script, "print the SQL (and MongoDB commands) that would run; executes nothing", From, To, Json, AcceptChanges);
            var createAdmin = Add(MigratorVerb.CreateAdmin,
                "create the clinic's first administrator (none active yet); the same username again changes nothing. The " +
                "password comes from standard input (typed, or piped) or DRASSISTANT_ADMIN_PASSWORD, never from an argument",
                Username, Email, FullName, Json);
            createAdmin.Validators.Add(result =>
            {
                if (result.GetResult(Username) is null)
                {
                    result.AddError("create-admin needs --username (the administrator's login name).");
                }
            });
            ToolCommandLine.Configure(Root, Epilogue);
        }

        private Command Add(MigratorVerb verb, string description, params Option[] options)
        {
            var command = new Command(Name(verb), description);
            foreach (var option in options)
            {
                command.Options.Add(option);
            }

            Root.Subcommands.Add(command);
            Verbs[command] = verb;
            return command;
        }

        private static Option<long?> Version(string name, string description) => new(name)
        {
            Description = description,
            HelpName = "N",
            Arity = ArgumentArity.ExactlyOne,
            CustomParser = result =>
            {
                if (long.TryParse(result.Tokens.Single().Value, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
                {
                    return version;
                }

                result.AddError($"{name} needs a version number (0 or more), not '{result.Tokens.Single().Value}'.");
                return null;
            },
        };

        private static Option<string?> Text(string name, string helpName, string description)
        {
            var option = new Option<string?>(name) { Description = description, HelpName = helpName, Arity = ArgumentArity.ExactlyOne };
            option.Validators.Add(result =>
            {
                if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string?>()))
                {
                    result.AddError($"{name} needs a value.");
                }
            });
            return option;
        }
    }
}
