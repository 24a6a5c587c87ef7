using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace DrAssistant.Testing;

/// <summary>Small process and network helpers shared by the server fixtures.</summary>
public static class Tools
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>The first executable of that name on PATH, or null.</summary>
    public static string? OnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public static bool DockerLooksAvailable =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST")) || File.Exists("/var/run/docker.sock");

    /// <summary>Runs a command to completion and returns its output; throws with the output when it fails.</summary>
    public static async Task<string> RunAsync(
        string fileName, IEnumerable<string> arguments, string? asUser = null, TimeSpan? timeout = null, IDictionary<string, string>? environment = null)
    {
        var start = StartInfo(fileName, arguments, asUser);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} did not finish in time.");
        }

        output.Append(await stdout).Append(await stderr);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{output}");
        }

        return output.ToString();
    }

    /// <summary>A start description, run through <c>runuser</c> as another user when asked (and when we are root).</summary>
    public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, string? asUser = null)
    {
        var start = new ProcessStartInfo { UseShellExecute = false };
        if (asUser is not null && IsRoot)
        {
            start.FileName = "runuser";
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add(asUser);
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(fileName);
        }
        else
        {
            start.FileName = fileName;
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["LC_ALL"] = "C.UTF-8";
        return start;
    }

    /// <summary>
    /// Runs <paramref name="shellCommand"/> once this test process is gone, however it ends (normal exit, crash or
    /// kill by the runner), so no server started for the tests outlives them.
    /// </summary>
    public static void CleanUpAfterThisProcess(string shellCommand)
    {
        var watchdog = new ProcessStartInfo("sh") { UseShellExecute = false, RedirectStandardInput = false };
        watchdog.ArgumentList.Add("-c");
        watchdog.ArgumentList.Add($"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; {shellCommand}");
        using var _ = Process.Start(watchdog);
    }

    /// <summary>
    /// Sends a POSIX signal (SIGSTOP, SIGCONT) to a process, without needing a kill binary on the machine. False when the
    /// process is gone.
    /// </summary>
    public static bool Signal(int pid, string signal)
    {
        var number = signal switch
        {
            "STOP" => 19,
            "CONT" => 18,
            "TERM" => 15,
            _ => throw new ArgumentException($"Unsupported signal {signal}.", nameof(signal)),
        };
        if (SendSignal(pid, number) == 0)
        {
            return true;
        }

        const int noSuchProcess = 3;
        var errno = Marshal.GetLastPInvokeError();
        return errno == noSuchProcess ? false : throw new InvalidOperationException($"Could not send SIG{signal} to process {pid} (errno {errno}).");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    public static async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
