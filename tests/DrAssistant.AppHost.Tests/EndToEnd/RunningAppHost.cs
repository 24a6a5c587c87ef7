using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace DrAssistant.AppHost.Tests.EndToEnd;

/// <summary>
/// The whole AppHost started for real (DCP, the stores, the migrator, the seeder, the API), as F5 starts it, with the
/// resources' own logs kept for the test output and every process it started tracked, so the test can check that
/// stopping it stops them all.
/// </summary>
internal sealed class RunningAppHost : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    private static readonly string[] LoggedResources =
        [ResourceNames.PostgresServer, ResourceNames.Redis, ResourceNames.Migrations, ResourceNames.Seeder, ResourceNames.Api];

    private readonly ITestOutputHelper _output;
    private readonly DistributedApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _logs = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly HashSet<TrackedProcess> _started = [];
    private readonly ConcurrentDictionary<string, ResourceEvent> _states = new(StringComparer.Ordinal);
    private bool _disposed;

    private RunningAppHost(ITestOutputHelper output, DistributedApplication app)
    {
        _output = output;
        _app = app;
    }

    public DistributedApplication App => _app;

    public ResourceNotificationService Notifications => _app.ResourceNotifications;

    /// <summary>Every process this AppHost's DCP started (the stores, the services, the dashboard), seen while it ran.</summary>
    public IReadOnlyCollection<TrackedProcess> StartedProcesses => _started;

    public static async Task<RunningAppHost> StartAsync(ITestOutputHelper output, string[] args, bool dashboard, CancellationToken cancellationToken)
    {
        output.WriteLine($"AppHost arguments: {string.Join(' ', args)}");
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DrAssistant_AppHost>(
            new DistributedApplicationTestingBuilderOptions { EnableDashboard = dashboard }, args, cancellationToken);
        // The test output gets each resource's own log (below) and the AppHost's own lines; not every HTTP call.
        builder.Configuration["Logging:LogLevel:Default"] = "Warning";
        builder.Configuration["Logging:LogLevel:DrAssistant.AppHost"] = "Information";
        builder.Configuration["Logging:LogLevel:DrAssistant.AppHost.Resources"] = "None";
        var app = await builder.BuildAsync(cancellationToken);
        var running = new RunningAppHost(output, app);
        await app.StartAsync(cancellationToken);
        running.CollectLogs();
        running.WatchStates();
        running.Note("started");
        return running;
    }

    /// <summary>Waits for the resource to end (Finished, Exited, FailedToStart) and returns its last state.</summary>
    public async Task<CustomResourceSnapshot> WaitForEndAsync(string resource, CancellationToken cancellationToken)
    {
        var ended = await Notifications.WaitForResourceAsync(resource,
            e => e.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state), cancellationToken);
        TrackProcesses();
        Note($"{resource}: {ended.Snapshot.State?.Text}, exit code {ended.Snapshot.ExitCode?.ToString() ?? "none"}");
        return ended.Snapshot;
    }

    public async Task WaitForHealthyAsync(string resource, CancellationToken cancellationToken)
    {
        await Notifications.WaitForResourceHealthyAsync(resource, cancellationToken);
        TrackProcesses();
        Note($"{resource}: healthy");
    }

    /// <summary>How many instances the model asks for (its replicas; one for most resources).</summary>
    public int ReplicasOf(string resource) =>
        _app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resource)
            .Annotations.OfType<ReplicaAnnotation>().SingleOrDefault()?.Replicas ?? 1;

    /// <summary>The instances of a resource seen so far (its replicas), as the dashboard names them, with their last state.</summary>
    public IReadOnlyList<ResourceEvent> InstancesOf(string resource) =>
        [.. _states.Values.Where(e => e.Resource.Name == resource).OrderBy(e => e.ResourceId, StringComparer.Ordinal)];

    /// <summary>Waits until every replica the model asks for is healthy; returns their names.</summary>
    public async Task<IReadOnlyList<string>> WaitForEveryInstanceHealthyAsync(string resource, CancellationToken cancellationToken)
    {
        var expected = ReplicasOf(resource);
        while (InstancesOf(resource).Count(e => e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy) < expected)
        {
            await Task.Delay(200, cancellationToken);
        }

        TrackProcesses();
        var instances = InstancesOf(resource).Select(e => e.ResourceId).ToList();
        Note($"{resource}: {instances.Count} instance(s) healthy ({string.Join(", ", instances)})");
        return instances;
    }

    /// <summary>
    /// The mode, and why, that the dashboard shows on a store (or, for MongoDB off, on a service); for a resource with
    /// replicas, what every instance shows (null unless they all show the same).
    /// </summary>
    public string? PropertyOf(string resource, string property)
    {
        var values = InstancesOf(resource)
            .Select(e => e.Snapshot.Properties.FirstOrDefault(p => p.Name == property)?.Value?.ToString())
            .Distinct()
            .ToList();
        return values is [var value] ? value : null;
    }

    /// <summary>
    /// Signs in through the real login as a demo doctor and reads their day, as the README says a developer can;
    /// returns the dashboard and the token.
    /// </summary>
    public async Task<(JsonElement Dashboard, string Token)> SignInAndReadTheDashboardAsync(string username, string password, CancellationToken cancellationToken)
    {
        using var client = _app.CreateHttpClient(ResourceNames.Api, "http");
        var login = await client.PostAsJsonAsync("/api/auth/login", new { username, password }, cancellationToken);
        var body = await login.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(login.IsSuccessStatusCode, $"login as {username}: {(int)login.StatusCode} {body}");
        using var signedIn = JsonDocument.Parse(body);
        var token = signedIn.RootElement.GetProperty("token").GetString()!;
        var doctorId = signedIn.RootElement.GetProperty("user").GetProperty("id").GetString();

        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var dashboard = await client.GetAsync($"/api/doctors/{doctorId}/dashboard", cancellationToken);
        var json = await dashboard.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(dashboard.IsSuccessStatusCode, $"dashboard of {username}: {(int)dashboard.StatusCode} {json}");
        Note($"{username} signed in and read the dashboard");
        return (JsonDocument.Parse(json).RootElement.Clone(), token);
    }

    public HttpClient CreateApiClient() => _app.CreateHttpClient(ResourceNames.Api, "http");

    public IReadOnlyList<string> LogsOf(string resource) => _logs.TryGetValue(resource, out var lines) ? [.. lines] : [];

    public void Note(string message) => _output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:0.0} s] {message}");

    /// <summary>Stops the AppHost and waits (at most 30 s) until every process it started is gone; returns how long that took.</summary>
    public async Task<TimeSpan> StopAsync()
    {
        if (_disposed)
        {
            return TimeSpan.Zero;
        }

        _disposed = true;
        TrackProcesses();
        var stopwatch = Stopwatch.StartNew();
        await _stopping.CancelAsync();
        var running = _started.Where(p => p.IsAlive()).ToHashSet();
        using var watching = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        // Watch the processes go while the AppHost stops, and after (at most 30 s in all).
        var watcher = Task.Run(async () =>
        {
            while (running.Count > 0 && stopwatch.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(200);
                foreach (var gone in running.Where(p => !p.IsAlive()).ToList())
                {
                    running.Remove(gone);
                    Note($"  gone after {stopwatch.Elapsed.TotalSeconds:0.0} s: {Shorten(gone.CommandLine)}");
                }
            }
        });
        try
        {
            await _app.StopAsync();
            Note($"  AppHost stopped after {stopwatch.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            await _app.DisposeAsync();
            Note($"  AppHost disposed after {stopwatch.Elapsed.TotalSeconds:0.0} s");
        }

        await watcher;
        Note($"stopped in {stopwatch.Elapsed.TotalSeconds:0.0} s; {_started.Count} processes had been started, {_started.Count(p => p.IsAlive())} still alive");
        return stopwatch.Elapsed;
    }

    private static string Shorten(string commandLine) => commandLine.Length <= 100 ? commandLine : commandLine[..100] + "…";

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        foreach (var resource in LoggedResources)
        {
            var lines = LogsOf(resource);
            _output.WriteLine($"--- {resource}: {lines.Count} log lines{(lines.Count > 40 ? ", the last 40" : string.Empty)}");
            foreach (var line in lines.TakeLast(40))
            {
                _output.WriteLine(line);
            }
        }

        _stopping.Dispose();
    }

    /// <summary>The processes under the DCP that monitors this test process: the stores, services and dashboard it started.</summary>
    public void TrackProcesses()
    {
        foreach (var process in TrackedProcess.DescendantsOfDcpMonitoring(Environment.ProcessId))
        {
            _started.Add(process);
        }
    }

    /// <summary>Keeps the last state of every resource instance (replicas each have their own).</summary>
    private void WatchStates() => _ = Task.Run(async () =>
    {
        try
        {
            await foreach (var e in Notifications.WatchAsync(_stopping.Token))
            {
                _states[e.ResourceId] = e;
            }
        }
        catch (OperationCanceledException)
        {
        }
    });

    private void CollectLogs()
    {
        var loggers = _app.Services.GetRequiredService<ResourceLoggerService>();
        var model = _app.Services.GetRequiredService<DistributedApplicationModel>();
        foreach (var resource in model.Resources.Where(r => LoggedResources.Contains(r.Name)))
        {
            var lines = _logs.GetOrAdd(resource.Name, _ => new());
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var batch in loggers.WatchAsync(resource).WithCancellation(_stopping.Token))
                    {
                        foreach (var line in batch)
                        {
                            lines.Enqueue(line.Content);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }
    }
}

/// <summary>A process identified by its id and start time (ids are reused).</summary>
internal sealed record TrackedProcess(int Id, long StartTicks, string CommandLine)
{
    /// <summary>Still running: the same process (same start time) and not a zombie waiting to be reaped.</summary>
    public bool IsAlive() => Read(Id) is { } now && now.Process.StartTicks == StartTicks && now.State != "Z";

    public override string ToString() => $"{Id}: {CommandLine}";

    public static IEnumerable<TrackedProcess> DescendantsOfDcpMonitoring(int processId)
    {
        if (!OperatingSystem.IsLinux())
        {
            return [];
        }

        var all = Directory.GetDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var id) ? Read(id) : null)
            .OfType<(TrackedProcess Process, int ParentId, string State)>()
            .ToList();
        var roots = all.Where(p => p.Process.CommandLine.Contains("dcp", StringComparison.Ordinal)
                                   && p.Process.CommandLine.Contains($"--monitor {processId} ", StringComparison.Ordinal))
            .Select(p => p.Process.Id)
            .ToHashSet();
        var found = new HashSet<int>(roots);
        bool grew;
        do
        {
            grew = false;
            foreach (var (process, parent, _) in all)
            {
                if (found.Contains(parent) && found.Add(process.Id))
                {
                    grew = true;
                }
            }
        }
        while (grew);

        return all.Where(p => found.Contains(p.Process.Id)).Select(p => p.Process).ToList();
    }

    private static (TrackedProcess Process, int ParentId, string State)? Read(int id)
    {
        try
        {
            // /proc/<id>/stat: "id (comm) state ppid … starttime(22nd field) …"; comm may contain spaces and parentheses.
            var stat = File.ReadAllText($"/proc/{id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var commandLine = File.ReadAllText($"/proc/{id}/cmdline").Replace('\0', ' ').Trim();
            return (new TrackedProcess(id, long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture), commandLine),
                int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture), fields[0]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
