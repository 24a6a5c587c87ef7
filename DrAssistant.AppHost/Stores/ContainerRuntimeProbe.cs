using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace DrAssistant.AppHost.Stores;

/// <summary>Whether a container runtime answers, which one, and in words.</summary>
internal sealed record ContainerRuntimeStatus(bool Answers, string? Runtime, string Description);

/// <summary>
/// Asks the container runtime whether its engine answers (<c>docker info</c> / <c>podman info</c>, a few seconds at most),
/// so that a machine without one never waits for containers that cannot start. Honours <c>ASPIRE_CONTAINER_RUNTIME</c>
/// (only that runtime is asked); otherwise docker and podman are asked together and docker wins when both answer.
/// <c>Stores:ContainerRuntime</c> = <c>auto</c> (ask) | <c>assume</c> (don't ask, treat as answering: e.g. Docker Desktop still
/// starting, Aspire waits for it) | <c>none</c> (don't ask, use no containers).
/// </summary>
internal static class ContainerRuntimeProbe
{
    public const string SettingKey = "Stores:ContainerRuntime";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>Null when <c>Stores:ContainerRuntime</c> is one of its values; otherwise what is wrong with it.</summary>
    public static string? SettingProblem(IConfiguration configuration) =>
        (configuration[SettingKey] ?? "auto").Trim().ToLowerInvariant() is "auto" or "assume" or "none"
            ? null
            : $"{SettingKey} is '{configuration[SettingKey]}'; it must be auto, assume or none.";

    public static ContainerRuntimeStatus Check(IConfiguration configuration)
    {
        var setting = (configuration[SettingKey] ?? "auto").Trim().ToLowerInvariant();
        var configured = ConfiguredRuntime(configuration);
        switch (setting)
        {
            case "assume":
                return new(true, configured, $"{configured ?? "docker"} (assumed: {SettingKey}=assume)");
            case "none":
                return new(false, null, $"{SettingKey}=none");
            case "auto":
                break;
            default:
                throw new InvalidOperationException(SettingProblem(configuration));
        }

        string[] candidates = configured is null ? ["docker", "podman"] : [configured];
        var answers = candidates.Select(c => Task.Run(() => Ask(c))).ToArray();
        Task.WaitAll(answers);
        var first = answers.Select(a => a.Result).FirstOrDefault(a => a.Answers);
        if (first is not null)
        {
            return first;
        }

        return new(false, null, string.Join("; ", answers.Select(a => a.Result.Description)));
    }

    /// <summary>The runtime Aspire itself will use when one is configured (environment or <c>DcpPublisher:ContainerRuntime</c>).</summary>
    public static string? ConfiguredRuntime(IConfiguration configuration)
    {
        var value = configuration["DcpPublisher:ContainerRuntime"]
                    ?? configuration["ASPIRE_CONTAINER_RUNTIME"]
                    ?? configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"]
                    ?? Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME");
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    private static ContainerRuntimeStatus Ask(string runtime)
    {
        var start = new ProcessStartInfo(runtime)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        // Both print the engine's version only when the engine answers.
        start.ArgumentList.Add("info");
        start.ArgumentList.Add("--format");
        start.ArgumentList.Add(runtime.Contains("podman", StringComparison.OrdinalIgnoreCase) ? "{{.Version.Version}}" : "{{.ServerVersion}}");

        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (Exception ex) when (ex is Win32Exception or FileNotFoundException)
        {
            return new(false, null, $"{runtime}: not installed");
        }

        if (process is null)
        {
            return new(false, null, $"{runtime}: could not be started");
        }

        using (process)
        {
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It ended meanwhile.
                }

                return new(false, null, $"{runtime}: '{runtime} info' did not answer within {Timeout.TotalSeconds:0} s");
            }

            process.WaitForExit();
            var version = output.Result.Trim();
            if (process.ExitCode == 0 && version.Length > 0)
            {
                return new(true, runtime, $"{runtime} {version}");
            }

            var reason = FirstLine(error.Result) ?? FirstLine(output.Result) ?? $"exit code {process.ExitCode}";
            return new(false, null, $"{runtime}: {reason}");
        }
    }

    private static string? FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
}
