using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace DrAssistant.Api.Tests.Resilience;

/// <summary>Steady requests in the background, each recorded with its status and latency.</summary>
public sealed class Traffic : IAsyncDisposable
{
    private readonly ConcurrentQueue<(TimeSpan At, HttpStatusCode Status, TimeSpan Latency)> _results = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _loop;

    public Traffic(Func<HttpClient> client, string url, int concurrency = 2)
    {
        _loop = Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => RunAsync(client(), url)));
    }

    public IReadOnlyList<(TimeSpan At, HttpStatusCode Status, TimeSpan Latency)> Results => [.. _results];

    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Waits until a response after <paramref name="since"/> has the status.</summary>
    public async Task<TimeSpan> WaitForAsync(HttpStatusCode status, TimeSpan since, TimeSpan timeout)
    {
        var deadline = _clock.Elapsed + timeout;
        while (_clock.Elapsed < deadline)
        {
            var hit = _results.FirstOrDefault(r => r.At >= since && r.Status == status);
            if (hit != default)
            {
                return hit.At;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No {(int)status} within {timeout}; seen: {Summary(since)}");
    }

    public string Summary(TimeSpan since = default)
    {
        var window = _results.Where(r => r.At >= since).ToList();
        var counts = string.Join(", ", window.GroupBy(r => (int)r.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"));
        var slowest = window.Count == 0 ? 0 : window.Max(r => r.Latency.TotalMilliseconds);
        return $"{window.Count} requests ({counts}), slowest {slowest:0} ms";
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task RunAsync(HttpClient client, string url)
    {
        while (!_stop.IsCancellationRequested)
        {
            var started = _clock.Elapsed;
            HttpStatusCode status;
            try
            {
                using var response = await client.GetAsync(url, _stop.Token);
                status = response.StatusCode;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _results.Enqueue((started, status, _clock.Elapsed - started));
            await Task.Delay(20);
        }
    }
}
