using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;

namespace DrAssistant.AppHost.Stores;

/// <summary>
/// Where local stores keep their data between runs (like a container's volume), and the small process helpers they share.
/// <c>Stores:Local:Directory</c> overrides the place. By default it is under the user's profile
/// (<c>~/.local/share/DrAssistant</c> on Linux, <c>%LOCALAPPDATA%\DrAssistant</c> on Windows,
/// <c>~/Library/Application Support/DrAssistant</c> on macOS); when the AppHost runs as root it is
/// <c>/var/lib/drassistant</c>, because PostgreSQL then runs as the <c>postgres</c> user, who cannot enter root's home.
/// </summary>
internal sealed class LocalStores(string directory)
{
    public const string DirectoryKey = "Stores:Local:Directory";

    /// <summary>The user PostgreSQL runs as when the AppHost is root (PostgreSQL refuses to run as root).</summary>
    public const string PostgresUser = "postgres";

    public string Directory { get; } = directory;

    public static LocalStores FromConfiguration(IConfiguration configuration)
    {
        var configured = configuration[DirectoryKey];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new(Path.GetFullPath(configured));
        }

        return new(IsRoot
            ? "/var/lib/drassistant"
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "DrAssistant"));
    }

    public static bool IsRoot => !OperatingSystem.IsWindows() && Environment.UserName == "root";

    /// <summary>A port nothing listens on now, on the loopback interface.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The first executable of that name on PATH (with .exe on Windows), or null.</summary>
    public static string? OnPath(string name)
    {
        var fileName = OperatingSystem.IsWindows() ? name + ".exe" : name;
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, fileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// A password kept in a file of this directory (only its owner may read it), made on first use, so the local
    /// server and its clients agree across runs without anything in user secrets.
    /// </summary>
    public StoreSecret Secret(string name) => new(Path.Combine(Directory, name + ".password"));

    /// <summary>Runs a command to completion (as <paramref name="asUser"/> when given); throws with its output when it fails.</summary>
    public static async Task RunAsync(string fileName, IEnumerable<string> arguments, string? asUser, CancellationToken cancellationToken)
    {
        var start = StartInfo(fileName, arguments, asUser);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(fileName)} exited with code {process.ExitCode}: {(await error).Trim()} {(await output).Trim()}".Trim());
        }
    }

    /// <summary>
    /// The command line that runs <paramref name="fileName"/> as <paramref name="asUser"/> when we are root:
    /// <c>setpriv</c> executes it in place (no intermediate process), so the process the AppHost starts and stops is the server itself.
    /// </summary>
    public static (string Command, List<string> Arguments) AsUser(string fileName, IEnumerable<string> arguments, string? asUser)
    {
        if (asUser is null || !IsRoot)
        {
            return (fileName, [.. arguments]);
        }

        // The user's own primary group (a system user need not have a group of the same name).
        var group = PrimaryGroupOf(asUser) ?? asUser;
        return (Setpriv, ["--reuid", asUser, "--regid", group, "--init-groups", "--", fileName, .. arguments]);
    }

    private static string? PrimaryGroupOf(string user) =>
        File.Exists("/etc/passwd")
            ? File.ReadLines("/etc/passwd").Select(line => line.Split(':')).FirstOrDefault(f => f.Length > 3 && f[0] == user)?[3]
            : null;

    public static string Setpriv => OnPath("setpriv") ?? "/usr/bin/setpriv";

    private static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, string? asUser)
    {
        var (command, args) = AsUser(fileName, arguments, asUser);
        var start = new ProcessStartInfo(command) { UseShellExecute = false };
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["LC_ALL"] = "C.UTF-8";
        return start;
    }

    /// <summary>Gives a directory to <paramref name="user"/> (when we are root), recursively.</summary>
    public static Task ChownAsync(string path, string user, CancellationToken cancellationToken) =>
        RunAsync("chown", ["-R", $"{user}:", path], asUser: null, cancellationToken);

    public static bool UserExists(string user)
    {
        if (OperatingSystem.IsWindows() || !File.Exists("/etc/passwd"))
        {
            return false;
        }

        return File.ReadLines("/etc/passwd").Any(line => line.StartsWith(user + ":", StringComparison.Ordinal));
    }

    public static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A generated password in a file that only its owner may read, made on first use.</summary>
internal sealed class StoreSecret(string path) : IValueProvider, IManifestExpressionProvider
{
    private readonly Lock _lock = new();

    public string Path { get; } = path;

    public bool Exists => File.Exists(Path);

    /// <summary>Whether this process made the password (so nothing made before this run can know it).</summary>
    public bool CreatedNow { get; private set; }

    public string ValueExpression => "{local-store-secret}";

    public ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) => new(Value());

    public string Value()
    {
        lock (_lock)
        {
            if (File.Exists(Path))
            {
                return File.ReadAllText(Path).Trim();
            }

            System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            // Letters and digits only: it goes into connection strings and config files unquoted.
            var value = RandomNumberGenerator.GetString("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 32);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var writer = new StreamWriter(Path, options))
            {
                writer.Write(value);
            }

            CreatedNow = true;
            return value;
        }
    }
}
