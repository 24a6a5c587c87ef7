using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace DrAssistant.Api.Tests.Resilience;

public sealed class CacheMetricsTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task CacheHitsAndMissesAreCountedPerKeyFamily()
    {
        var (_, client) = await api.NewClientAsync("receptionist");
        var meters = api.Services.GetRequiredService<IMeterFactory>();
        var counts = new Dictionary<(string Instrument, string Family), long>();
        using var listener = new MeterListener
        {
            // Only this application's meters: each test host has its own meter factory.
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Name.StartsWith("drassistant.cache.", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var family = tags.ToArray().Single(t => t.Key == "cache.family").Value as string ?? "";
            lock (counts)
            {
                counts[(instrument.Name, family)] = counts.GetValueOrDefault((instrument.Name, family)) + value;
            }
        });
        listener.Start();
        var patient = await api.Seed.PatientAsync();

        await client.GetAsync($"/api/patients/{patient}/demographics");
        await client.GetAsync($"/api/patients/{patient}/demographics");
        await client.GetAsync($"/api/patients/{patient}/demographics");

        Assert.Equal(1, counts.GetValueOrDefault(("drassistant.cache.misses", "patient-demographics")));
        Assert.Equal(2, counts.GetValueOrDefault(("drassistant.cache.hits", "patient-demographics")));
    }
}
