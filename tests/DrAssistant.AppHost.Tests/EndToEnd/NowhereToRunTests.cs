using System.Diagnostics;
using DrAssistant.AppHost.Stores;
using Xunit.Abstractions;

namespace DrAssistant.AppHost.Tests.EndToEnd;

/// <summary>The AppHost as a program, with settings it cannot run with: it stops at once and says why.</summary>
public sealed class NowhereToRunTests(ITestOutputHelper output)
{
    [Fact]
    public async Task WhenAStoreCanRunNowhereTheAppHostStopsAtOnceAndNamesTheThreeWaysOut()
    {
        var (exitCode, error, elapsed) = await RunAsync(
            // No container runtime, no PostgreSQL binaries where it is told to look, no connection strings.
            $"--{ContainerRuntimeProbe.SettingKey}=none",
            $"--{LocalPostgres.BinDirectoryKey}=/nonexistent/postgresql/bin",
            "--ConnectionStrings:postgresdb=",
            "--ConnectionStrings:redis=",
            "--ConnectionStrings:mongodb=");

        Assert.Equal(1, exitCode);
        Assert.True(elapsed < TimeSpan.FromSeconds(30), $"took {elapsed.TotalSeconds:0.0} s");
        Assert.Contains("PostgreSQL has nowhere to run", error, StringComparison.Ordinal);
        Assert.Contains("start Docker or Podman", error, StringComparison.Ordinal);
        Assert.Contains("apt-get install postgresql", error, StringComparison.Ordinal);
        Assert.Contains("set ConnectionStrings:postgresdb", error, StringComparison.Ordinal);
        // Plain words, not a stack trace.
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("two")]
    [InlineData("100")]
    public async Task ABadNumberOfApiReplicasStopsTheAppHostAtOnceAndSaysWhatItMustBe(string replicas)
    {
        var (exitCode, error, _) = await RunAsync($"--{ContainerRuntimeProbe.SettingKey}=assume", $"--Api:Replicas={replicas}");

        Assert.Equal(1, exitCode);
        Assert.Contains($"Api:Replicas is '{replicas}'; it must be a whole number from 1 to 32.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    /// <summary>The built AppHost as a program with these arguments: its exit code, standard error, and how long it ran.</summary>
    private async Task<(int ExitCode, string Error, TimeSpan Elapsed)> RunAsync(params string[] arguments)
    {
        var appHost = Path.Combine(AppContext.BaseDirectory, "DrAssistant.AppHost.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[appHost, .. arguments])
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
        return (process.ExitCode, error, clock.Elapsed);
    }
}
