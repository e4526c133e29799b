using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Enrich.Enrichers;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Tests.Enrich.Enrichers;

public sealed class IndicatorEnricherTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly IndicatorSet Indicators = new(
    [
        new ThreatIndicator { Value = "supportxmr.com", Source = "mining-pools", Kind = "mining-pool", Description = "Monero pool" },
        new ThreatIndicator { Value = "ngrok.io", Source = "tunnels", Kind = "tunnel-service" },
        new ThreatIndicator { Value = "198.51.100.0/24", Source = "feed-a", Kind = "threat-intel" },
        new ThreatIndicator { Value = "198.51.100.45", Source = "feed-b", Kind = "mining-pool", Description = "stratum endpoint" },
        new ThreatIndicator { Value = "2001:db8:bad::/48", Source = "feed-a", Kind = "threat-intel" },
        new ThreatIndicator { Value = "203.0.113.9", Source = "feed-a", Kind = "threat-intel", Expires = Now.AddMinutes(-1) },
        new ThreatIndicator { Value = "expired.example", Source = "feed-a", Kind = "threat-intel", Expires = Now },
        new ThreatIndicator { Value = "later.example", Source = "feed-a", Kind = "threat-intel", Expires = Now.AddDays(1) },
    ],
        Now);

    private static EventBatch Event(params (EcsField Field, string Value)[] fields)
    {
        var batch = new EventBatch();
        batch.BeginEvent(new SourcePosition("s", 0, 0), "ecs");
        foreach (var (field, value) in fields)
        {
            batch.Set(field, value);
        }

        batch.SetTimestamp(Now);
        batch.CommitEvent();
        new IndicatorEnricher(Indicators).Enrich(batch, 0);
        return batch;
    }

    private static Dictionary<string, string> ThreatFields(EventBatch batch)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var definition in EcsFields.All)
        {
            if (definition.Name.StartsWith("threat.", StringComparison.Ordinal) && batch.Has(0, definition.Field))
            {
                fields[definition.Name] = new string(batch.Get(0, definition.Field));
            }
        }

        return fields;
    }

    [Fact]
    public void A_destination_in_a_listed_network_gets_the_most_specific_indicator()
    {
        var batch = Event((EcsField.SourceIp, "10.0.0.4"), (EcsField.DestinationIp, "198.51.100.45"));

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["threat.indicator.type"] = "ipv4-addr",
                ["threat.indicator.ip"] = "198.51.100.45",
                ["threat.indicator.provider"] = "feed-b",
                ["threat.indicator.kind"] = "mining-pool",
                ["threat.indicator.description"] = "stratum endpoint",
                ["threat.enrichments.matched.field"] = "destination.ip",
                ["threat.enrichments.matched.atomic"] = "198.51.100.45",
            },
            ThreatFields(batch));
    }

    [Fact]
    public void A_network_indicator_is_written_as_listed()
    {
        var fields = ThreatFields(Event((EcsField.DestinationIp, "198.51.100.46")));

        Assert.Equal("198.51.100.0/24", fields["threat.indicator.ip"]);
        Assert.Equal("threat-intel", fields["threat.indicator.kind"]);
        Assert.False(fields.ContainsKey("threat.indicator.description"));
    }

    [Fact]
    public void A_subdomain_of_a_listed_domain_matches_from_any_name_field()
    {
        foreach (var field in new[] { EcsField.DestinationDomain, EcsField.UrlDomain, EcsField.TlsClientServerName, EcsField.DnsQuestionName })
        {
            var fields = ThreatFields(Event((field, "Pool.SupportXMR.com.")));

            Assert.Equal("domain-name", fields["threat.indicator.type"]);
            Assert.Equal("supportxmr.com", fields["threat.indicator.domain"]);
            Assert.Equal("mining-pools", fields["threat.indicator.provider"]);
            Assert.Equal(EcsFields.NameOf(field), fields["threat.enrichments.matched.field"]);
            Assert.Equal("Pool.SupportXMR.com.", fields["threat.enrichments.matched.atomic"]);
        }
    }

    [Fact]
    public void Ipv6_and_addresses_in_name_fields_match()
    {
        Assert.Equal("2001:db8:bad::/48", ThreatFields(Event((EcsField.DestinationIp, "2001:db8:bad:1::7")))["threat.indicator.ip"]);
        Assert.Equal("ipv6-addr", ThreatFields(Event((EcsField.DestinationIp, "2001:db8:bad:1::7")))["threat.indicator.type"]);
        Assert.Equal("url.domain", ThreatFields(Event((EcsField.UrlDomain, "198.51.100.3")))["threat.enrichments.matched.field"]);
    }

    [Fact]
    public void The_destination_is_preferred_and_an_inbound_source_matches_last()
    {
        Assert.Equal("destination.ip", ThreatFields(Event((EcsField.SourceIp, "198.51.100.7"), (EcsField.DestinationIp, "198.51.100.45")))["threat.enrichments.matched.field"]);
        Assert.Equal("source.ip", ThreatFields(Event((EcsField.SourceIp, "198.51.100.7"), (EcsField.DestinationIp, "10.0.0.4")))["threat.enrichments.matched.field"]);
    }

    [Theory]
    [InlineData(EcsField.DestinationIp, "203.0.113.9")]
    [InlineData(EcsField.DestinationDomain, "expired.example")]
    [InlineData(EcsField.DestinationDomain, "badsupportxmr.com")]
    [InlineData(EcsField.DestinationIp, "198.51.101.1")]
    [InlineData(EcsField.DestinationIp, "2001:db8:bae::1")]
    public void Expired_and_unlisted_destinations_match_nothing(EcsField field, string value)
        => Assert.Empty(ThreatFields(Event((field, value))));

    [Fact]
    public void When_two_sources_list_one_value_the_first_source_in_ordinal_order_is_reported_whatever_the_store_order()
    {
        ThreatIndicator[] listed =
        [
            new() { Value = "pool.example", Source = "zeta-feed", Kind = "threat-intel" },
            new() { Value = "pool.example", Source = "alpha-feed", Kind = "mining-pool" },
        ];

        Assert.Equal("alpha-feed", new IndicatorSet(listed, Now).MatchDomain("a.pool.example")!.Indicator.Source);
        Assert.Equal("alpha-feed", new IndicatorSet(listed.Reverse(), Now).MatchDomain("a.pool.example")!.Indicator.Source);
    }

    [Fact]
    public void The_set_reports_when_its_first_live_indicator_expires()
    {
        Assert.Equal(Now.AddDays(1), Indicators.NextExpiry);
        Assert.Null(IndicatorSet.Empty.NextExpiry);
    }

    [Fact]
    public void Enriching_a_warm_batch_does_not_allocate_per_event()
    {
        // 100k indicators, and 500 events that each hit or miss an address or a domain: a per-event allocation would show
        // as kilobytes.
        var indicators = new IndicatorSet(
            Enumerable.Range(0, 100_000).Select(i => new ThreatIndicator
            {
                Value = i % 2 == 0 ? $"{10 + (i % 200)}.{(i / 200) % 256}.{i % 256}.0/24" : $"host{i}.feed.example",
                Source = "bulk",
                Kind = "threat-intel",
            }),
            Now);
        var stage = new EnrichmentStage(SandboxSnapshot.Empty, indicators);
        var batch = new EventBatch(500);
        for (var i = 0; i < 500; i++)
        {
            batch.BeginEvent(new SourcePosition("s", i, 0), "ecs");
            batch.Set(EcsField.DestinationIp, i % 3 == 0 ? "10.0.0.7" : $"192.0.2.{i % 250}");
            batch.Set(EcsField.DnsQuestionName, i % 2 == 0 ? $"a.b.host{(2 * i) + 1}.feed.example" : $"miss{i}.example.org");
            batch.Set(EcsField.SourceIp, "2001:db8::5");
            batch.SetTimestamp(Now);
            batch.CommitEvent();
        }

        stage.Enrich(batch);
        stage.Enrich(batch);
        var allocated = LeastAllocatedOfThreeRuns(() => stage.Enrich(batch));

        Assert.Equal("10.0.0.0/24", batch.GetString(0, EcsField.ThreatIndicatorIp));
        Assert.Equal("host5.feed.example", batch.GetString(2, EcsField.ThreatIndicatorDomain));
        Assert.Null(batch.GetString(1, EcsField.ThreatIndicatorType));
        Assert.InRange(allocated, 0, 999);
    }

    /// <summary>Bytes this thread allocated in the least costly of three runs (as in TelemetryIngestorTests: the runtime may allocate once while the suite runs in parallel).</summary>
    private static long LeastAllocatedOfThreeRuns(Action run)
    {
        var least = long.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            run();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
