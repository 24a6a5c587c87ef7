using System.Diagnostics;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;

namespace DrAssistant.Testing;

/// <summary>
/// Real Redis for the tests: <c>DRASSISTANT_TEST_REDIS</c> (a StackExchange.Redis configuration string) if set;
/// otherwise <c>redis-server</c> from PATH on a free port; otherwise Testcontainers when a Docker engine is there.
/// Keys in the API embed random UUIDs, so tests can share one server. A test that stops Redis gets its own
/// with <see cref="StartDedicatedAsync"/>.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    public const string EnvironmentVariable = "DRASSISTANT_TEST_REDIS";

    private static readonly Lazy<Task<RedisServer>> Shared = new(() => StartAsync(shared: true));

    private readonly string? _executable;
    private Process? _process;
    private IContainer? _container;

    private RedisServer(string connectionString, string description, string? executable, int port)
    {
        ConnectionString = connectionString;
        Description = description;
        _executable = executable;
        Port = port;
    }

    public string ConnectionString { get; }

    public string Description { get; }

    public int Port { get; }

    public static Task<RedisServer> GetAsync() => Shared.Value;

    /// <summary>A private redis-server that the test may stop and start again (same port).</summary>
    public static Task<RedisServer> StartDedicatedAsync() => StartAsync(shared: false);

    /// <summary>Stops the server (as an outage would); <see cref="StartAsync()"/> brings it back on the same port.</summary>
    public async Task StopAsync()
    {
        if (_container is not null)
        {
            await _container.StopAsync();
            return;
        }

        EnsureOwned();
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Freezes the server (SIGSTOP): connections stay open, nothing answers, until <see cref="ThawAsync"/>.</summary>
    public Task FreezeAsync() => SignalAsync("STOP");

    /// <summary>Lets a frozen server run on (SIGCONT).</summary>
    public Task ThawAsync() => SignalAsync("CONT");

    private Task SignalAsync(string signal)
    {
        EnsureOwned();
        if (_process is null || _process.HasExited || !Tools.Signal(_process.Id, signal))
        {
            throw new InvalidOperationException("This Redis is not running.");
        }

        return Task.CompletedTask;
    }

    public async Task StartAsync()
    {
        if (_container is not null)
        {
            await _container.StartAsync();
            return;
        }

        EnsureOwned();
        _process = await LaunchAsync(_executable!, Port);
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }

        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }

    private void EnsureOwned()
    {
        if (_executable is null)
        {
            throw new InvalidOperationException($"This Redis ({Description}) is not ours to stop or start.");
        }
    }

    private static async Task<RedisServer> StartAsync(bool shared)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (shared && !string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return new RedisServer(fromEnvironment, EnvironmentVariable, executable: null, port: 0);
        }

        var executable = Tools.OnPath("redis-server");
        if (executable is not null)
        {
            var port = Tools.FreePort();
            var server = new RedisServer($"127.0.0.1:{port}", $"local redis-server on port {port}", executable, port)
            {
                _process = await LaunchAsync(executable, port),
            };
            return server;
        }

        if (Tools.DockerLooksAvailable)
        {
            var container = new ContainerBuilder("redis:7")
                .WithPortBinding(6379, assignRandomHostPort: true)
                .WithWaitStrategy(Wait.ForUnixContainer().UntilCommandIsCompleted("redis-cli", "ping"))
                .Build();
            await container.StartAsync();
            var port = container.GetMappedPublicPort(6379);
            return new RedisServer($"{container.Hostname}:{port}", "Testcontainers redis:7", executable: null, port)
            {
                _container = container,
            };
        }

        throw new InvalidOperationException(
            "No Redis server for the tests. Do one of: set " + EnvironmentVariable + " (e.g. 127.0.0.1:6379); " +
            "install redis-server (apt-get install redis-server); or run a Docker engine.");
    }

    private static async Task<Process> LaunchAsync(string executable, int port)
    {
        var start = Tools.StartInfo(executable,
            ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--protected-mode", "no"]);
        start.RedirectStandardOutput = true;
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start redis-server.");
        Tools.CleanUpAfterThisProcess($"kill -CONT {process.Id} 2>/dev/null; kill {process.Id} 2>/dev/null");
        // Drain its log so a full pipe never blocks it.
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        await Tools.WaitForPortAsync(port, TimeSpan.FromSeconds(20));
        return process;
    }
}
