using System.Diagnostics;
using DrAssistant.AppHost.Stores;
using Xunit.Abstractions;

namespace DrAssistant.AppHost.Tests.EndToEnd;

/// <summary>The AppHost as a program, on a machine where a store can run nowhere.</summary>
public sealed class NowhereToRunTests(ITestOutputHelper output)
{
    [Fact]
    public async Task WhenAStoreCanRunNowhereTheAppHostStopsAtOnceAndNamesTheThreeWaysOut()
    {
        var appHost = Path.Combine(AppContext.BaseDirectory, "DrAssistant.AppHost.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     appHost,
                     // No container runtime, no PostgreSQL binaries where it is told to look, no connection strings.
                     $"--{ContainerRuntimeProbe.SettingKey}=none",
                     $"--{LocalPostgres.BinDirectoryKey}=/nonexistent/postgresql/bin",
                     "--ConnectionStrings:postgresdb=",
                     "--ConnectionStrings:redis=",
                     "--ConnectionStrings:mongodb=",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var error = await stderr;
        output.WriteLine($"exit code {process.ExitCode} after {clock.Elapsed.TotalSeconds:0.0} s (including .NET start-up)");
        output.WriteLine(error);
        output.WriteLine(await stdout);

        Assert.Equal(1, process.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Contains("PostgreSQL has nowhere to run", error, StringComparison.Ordinal);
        Assert.Contains("start Docker or Podman", error, StringComparison.Ordinal);
        Assert.Contains("apt-get install postgresql", error, StringComparison.Ordinal);
        Assert.Contains("set ConnectionStrings:postgresdb", error, StringComparison.Ordinal);
        // Plain words, not a stack trace.
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
    }
}
