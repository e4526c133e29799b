using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Enrich.Enrichers;
using AlertPipeline.Core.Events;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace AlertPipeline.Benchmarks.Enrich;

/// <summary>
/// Threat indicator lookups at 1k and at 100k indicators (half addresses and networks of both families, half domains):
/// each category's baseline is the 1k set, so Ratio is what a hundred times more indicators costs per lookup.
/// One operation is one lookup (or one event for the enricher), over the same probes for both sizes, half of them hits.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class IndicatorBenchmarks
{
    private const int Probes = 1000;
    private readonly EventBatch _batch = new(Probes);
    private IndicatorSet _small = IndicatorSet.Empty;
    private IndicatorSet _large = IndicatorSet.Empty;
    private string[] _addresses = [];
    private string[] _names = [];

    [GlobalSetup]
    public void Setup()
    {
        var now = DateTimeOffset.UtcNow;
        _small = new IndicatorSet(Indicators(1_000), now);
        _large = new IndicatorSet(Indicators(100_000), now);

        // Hits are entries of the first 1k, present in both sets; misses are in neither.
        var random = new Random(11);
        _addresses = [.. Enumerable.Range(0, Probes).Select(i => (i % 4) switch
        {
            0 => $"{10 + (i % 200)}.{(i / 4) % 250}.{i % 250}.{random.Next(1, 255)}",   // inside a listed /24 (i even)
            1 => $"192.0.2.{random.Next(1, 255)}",                                      // miss
            2 => $"2001:db8:{i:x}:{random.Next(0, 0xffff):x}::1",                      // inside a listed /48 (i even)
            _ => $"2001:db8:ffff:{random.Next(0, 0xffff):x}::9",                        // miss
        })];
        _names = [.. Enumerable.Range(0, Probes).Select(i => i % 2 == 0
            ? $"pool-{random.Next(0, 99)}.host{(i % 500 * 2) + 1}.feed.example"
            : $"cdn-{i}.huggingface.co")];
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Probes), BenchmarkCategory("address")]
    public int Address1k() => MatchAddresses(_small);

    [Benchmark(OperationsPerInvoke = Probes), BenchmarkCategory("address")]
    public int Address100k() => MatchAddresses(_large);

    [Benchmark(Baseline = true, OperationsPerInvoke = Probes), BenchmarkCategory("domain")]
    public int Domain1k() => MatchDomains(_small);

    [Benchmark(OperationsPerInvoke = Probes), BenchmarkCategory("domain")]
    public int Domain100k() => MatchDomains(_large);

    [Benchmark(Baseline = true, OperationsPerInvoke = Probes), BenchmarkCategory("enrich-event")]
    public int Enrich1k() => Enrich(_small);

    [Benchmark(OperationsPerInvoke = Probes), BenchmarkCategory("enrich-event")]
    public int Enrich100k() => Enrich(_large);

    /// <summary>
    /// Indicator <c>i</c>: an IPv4 /24 (i % 4 == 0), an IPv6 /48 (i % 4 == 2), or a domain (odd i), so the first
    /// thousand are the same in both sets.
    /// </summary>
    private static IEnumerable<ThreatIndicator> Indicators(int count) => Enumerable.Range(0, count).Select(i => new ThreatIndicator
    {
        Value = (i % 4) switch
        {
            0 => $"{10 + (i % 200)}.{(i / 4) % 250}.{i % 250}.0/24",
            2 => $"2001:db8:{i:x}::/48",
            _ => $"host{i}.feed.example",
        },
        Source = "bench",
        Kind = "threat-intel",
    });

    private int MatchAddresses(IndicatorSet set)
    {
        var hits = 0;
        foreach (var address in _addresses)
        {
            hits += set.MatchAddress(address) is null ? 0 : 1;
        }

        return hits;
    }

    private int MatchDomains(IndicatorSet set)
    {
        var hits = 0;
        foreach (var name in _names)
        {
            hits += set.MatchDomain(name) is null ? 0 : 1;
        }

        return hits;
    }

    /// <summary>Fills the batch again (the enricher appends to its arena) and enriches it; filling costs the same for both sizes.</summary>
    private int Enrich(IndicatorSet set)
    {
        _batch.Clear();
        for (var i = 0; i < Probes; i++)
        {
            _batch.BeginEvent(new SourcePosition("bench/0", i, 0), "ecs");
            _batch.Set(EcsField.DestinationIp, _addresses[i]);
            _batch.Set(EcsField.DnsQuestionName, _names[i]);
            _batch.SetTimestamp(Workload.Start);
            _batch.CommitEvent();
        }

        var enricher = new IndicatorEnricher(set);
        for (var i = 0; i < _batch.Count; i++)
        {
            enricher.Enrich(_batch, i);
        }

        return _batch.Count;
    }
}
