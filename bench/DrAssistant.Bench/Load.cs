using System.Diagnostics;
using System.Net.Http.Headers;

namespace DrAssistant.Bench;

/// <summary>
/// Closed-loop load: <c>concurrency</c> workers, each sending its next request when the last one answered, for a fixed
/// time. Latencies are measured per request; the output is one JSON line.
/// </summary>
public static class Load
{
    public static async Task<int> RunAsync(Uri api, string file, string scenario, int concurrency, TimeSpan duration)
    {
        var workload = Workload.Read(file);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = api };
        var warmDay = workload.FirstDay.AddDays(workload.Days / 2);

        Func<Random, HttpRequestMessage> next = scenario switch
        {
            // A random doctor on a random day: the dashboard caches miss.
            "dashboard-cold" => random => Dashboard(workload.Doctors[random.Next(workload.Doctors.Length)], workload.FirstDay.AddDays(random.Next(workload.Days))),
            // The same day for everyone, asked before the run: the dashboard caches hit.
            "dashboard-warm" => random => Dashboard(workload.Doctors[random.Next(workload.Doctors.Length)], warmDay),
            // The HTTP floor: no session, no store.
            "alive" => _ => new HttpRequestMessage(HttpMethod.Get, "/alive"),
            "timeline" => random => Timeline(workload.Doctors[random.Next(workload.Doctors.Length)], workload.Patients[random.Next(workload.Patients.Length)]),
            // A patient with a long history, a random page of it (every list of the timeline is paged the same way).
            "timeline-long" => random => Authorized(workload.Doctors[random.Next(workload.Doctors.Length)],
                $"/api/patients/{workload.LongPatients[random.Next(workload.LongPatients.Length)]}/timeline?page={1 + random.Next(Workload.LongPages)}&pageSize={Workload.LongPageSize}"),
            _ => throw new ArgumentException($"Unknown scenario {scenario}."),
        };

        if (scenario == "dashboard-warm")
        {
            foreach (var doctor in workload.Doctors)
            {
                using var warm = await http.SendAsync(Dashboard(doctor, warmDay));
                warm.EnsureSuccessStatusCode();
            }
        }

        // A short unmeasured warm-up, so JIT and connection pools are not part of the numbers.
        await RunForAsync(http, next, concurrency, TimeSpan.FromSeconds(2));
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var (latencies, errors) = await RunForAsync(http, next, concurrency, duration);
        var clientCpu = Environment.CpuUsage.TotalTime - cpuBefore;

        latencies.Sort();
        var p50 = Percentile(latencies, 0.50);
        var p99 = Percentile(latencies, 0.99);
        Console.WriteLine(
            $"{{\"scenario\": \"{scenario}\", \"concurrency\": {concurrency}, \"requests\": {latencies.Count}, \"errors\": {errors}, " +
            $"\"p50Ms\": {p50:0.###}, \"p99Ms\": {p99:0.###}, \"rps\": {latencies.Count / duration.TotalSeconds:0.#}, " +
            $"\"clientCpuMs\": {clientCpu.TotalMilliseconds:0}}}");
        return errors == 0 ? 0 : 1;
    }

    private static async Task<(List<double> Latencies, int Errors)> RunForAsync(
        HttpClient http, Func<Random, HttpRequestMessage> next, int concurrency, TimeSpan duration)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var results = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var random = new Random(worker);
            var latencies = new List<double>();
            var errors = 0;
            while (Stopwatch.GetTimestamp() < until)
            {
                using var request = next(random);
                var started = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request);
                await response.Content.CopyToAsync(Stream.Null);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                errors += response.IsSuccessStatusCode ? 0 : 1;
            }

            return (latencies, errors);
        }));
        return ([.. results.SelectMany(r => r.latencies)], results.Sum(r => r.errors));
    }

    private static HttpRequestMessage Dashboard(Doctor doctor, DateOnly day) =>
        Authorized(doctor, $"/api/doctors/{doctor.Id}/dashboard?date={day:yyyy-MM-dd}");

    private static HttpRequestMessage Timeline(Doctor doctor, Guid patient) =>
        Authorized(doctor, $"/api/patients/{patient}/timeline");

    private static HttpRequestMessage Authorized(Doctor doctor, string url)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", doctor.Token);
        return request;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
}
