using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;

namespace DrAssistant.Shared.CommandLine;

/// <summary>
/// What the migration service's and the seeder's command lines have in common around System.CommandLine: configuration
/// arguments (<c>--Section:Key=value</c>) pass through to the host, no response files or directives, and one outcome —
/// the parse result, or the help to print (0), or the errors and the help of the command they concern (64). Each tool
/// declares its commands and options once; help, errors and the exit code all come from that declaration.
/// </summary>
public static class ToolCommandLine
{
    /// <summary>The command line could not be understood (EX_USAGE).</summary>
    public const int BadArguments = 64;

    private const int HelpWidth = 118;

    /// <summary>
    /// Prepares a tool's root command: help (<c>-h</c>, <c>--help</c>, and the word <c>help</c>) ends with
    /// <paramref name="epilogue"/> (exit codes, connection strings), no directives, no <c>--version</c>.
    /// </summary>
    public static void Configure(RootCommand root, string epilogue)
    {
        foreach (var option in root.Options.ToList())
        {
            if (option.Action is HelpAction help)
            {
                help.MaxWidth = HelpWidth;
            }
            else if (option is VersionOption)
            {
                root.Options.Remove(option);
            }
        }

        root.Directives.Clear();
        // "help" as a word, as the hand-written parsers accepted it.
        root.Subcommands.Add(new Command(HelpWord) { Hidden = true });
        // The tool runs what was parsed; without an action of its own, a root with commands would insist on one.
        root.SetAction(_ => { });
        Epilogues.AddOrUpdate(root, epilogue);
    }

    /// <summary>The text help ends with, per tool (System.CommandLine's help layout cannot be extended).</summary>
    internal static readonly System.Runtime.CompilerServices.ConditionalWeakTable<RootCommand, string> Epilogues = [];

    internal const string HelpWord = "help";

    /// <summary>
    /// Parses <paramref name="args"/>: configuration arguments (<c>--Name=value</c> where <c>--Name</c> is none of the
    /// tool's options) are set apart for the host, the rest is parsed against <paramref name="root"/>.
    /// </summary>
    public static ToolParse Parse(RootCommand root, IReadOnlyList<string> args)
    {
        var declared = OptionNames(root);
        var configuration = new List<string>();
        var tokens = new List<string>(args.Count);
        foreach (var arg in args)
        {
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 2 && !declared.Contains(arg[..equals]))
            {
                configuration.Add(arg);
            }
            else
            {
                tokens.Add(arg);
            }
        }

        // No @response-file expansion: an argument is what was typed.
        var result = root.Parse(tokens, new ParserConfiguration { ResponseFileTokenReplacer = null });
        return new ToolParse(result, configuration);
    }

    private static HashSet<string> OptionNames(Command command)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<Command>([command]);
        while (pending.TryPop(out var next))
        {
            foreach (var option in next.Options)
            {
                names.Add(option.Name);
                names.UnionWith(option.Aliases);
            }

            foreach (var sub in next.Subcommands)
            {
                pending.Push(sub);
            }
        }

        return names;
    }
}

/// <summary>A parsed command line: the parse result and the configuration arguments set apart for the host.</summary>
public sealed record ToolParse(ParseResult Result, IReadOnlyList<string> ConfigurationArguments)
{
    /// <summary>Help (or the word <c>help</c>) was asked for: nothing else runs.</summary>
    public bool IsHelp => Result.Errors.Count == 0 && (Result.Action is HelpAction || IsHelpWord);

    private bool IsHelpWord => Result.CommandResult.Command.Name == ToolCommandLine.HelpWord;

    /// <summary>The errors, one a line, each naming the argument it is about.</summary>
    public string? Error => Result.Errors.Count == 0 ? null : string.Join(Environment.NewLine, Result.Errors.Select(e => e.Message));

    /// <summary>The help of the command the user addressed (the root's when none), with the tool's epilogue.</summary>
    public string Help()
    {
        // System.CommandLine writes help only as the action of --help: ask it for the help of the command concerned.
        var path = new Stack<string>();
        if (!IsHelpWord)
        {
            for (var command = Result.CommandResult; command.Parent is CommandResult parent; command = parent)
            {
                path.Push(command.Command.Name);
            }
        }

        var root = (RootCommand)Result.RootCommandResult.Command;
        using var text = new StringWriter();
        root.Parse([.. path, "--help"]).Invoke(new InvocationConfiguration { Output = text, Error = text });
        return ToolCommandLine.Epilogues.TryGetValue(root, out var epilogue)
            ? $"{text.ToString().TrimEnd()}{Environment.NewLine}{Environment.NewLine}{epilogue.TrimEnd()}"
            : text.ToString().TrimEnd();
    }
}
