using System.Text;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Detect.Heartbeat;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Pipeline;
using AlertPipeline.Core.Respond;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Core.Tests.Detect.Heartbeat;

/// <summary>The heartbeat check end to end in memory: batches through the pipeline, then the check on a fake clock.</summary>
public sealed class HeartbeatCheckTests
{
    private static readonly DateTimeOffset T0 = new(2026, 2, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(T0);
    private readonly InMemorySandboxActivityStore _activity = new();
    private readonly InMemoryAlertStore _alerts = new();
    private readonly TelemetryPipeline _pipeline;
    private readonly HeartbeatCheck _check;
    private long _sequence;

    public HeartbeatCheckTests()
    {
        SandboxRecord[] inventory =
        [
            new() { Id = "sbx-7", Addresses = [new SandboxAddress("10.0.1.5", T0.AddDays(-1))] },
            new() { Id = "sbx-8", Addresses = [new SandboxAddress("10.0.1.6", T0.AddDays(-1))] },
        ];
        var responder = new AlertResponder(_alerts, [], ResponsePolicy.Default, time: _clock);
        _pipeline = new TelemetryPipeline(
            new TelemetryIngestor(),
            new SandboxSnapshotProvider(new InMemorySandboxInventory(inventory), TimeSpan.FromMinutes(1), _clock),
            new RuleSetProvider(new InMemoryRuleStore(), TimeSpan.FromMinutes(1), _clock),
            responder,
            new InMemoryDeadLetterStore(_clock),
            new PipelineOptions(),
            new CorrelationEngine(new InMemoryCorrelationStateStore(), new CorrelationOptions(), _clock),
            activity: _activity);
        _check = new HeartbeatCheck(_activity, responder, new HeartbeatOptions(), _clock);
    }

    private static string Telemetry(string sandbox) =>
        $$$"""{"@timestamp":"2026-02-01T12:00:00Z","event":{"category":"process","type":"start","dataset":"sandbox.process"},"sandbox":{"id":"{{{sandbox}}}"},"process":{"pid":1,"name":"python"}}""";

    private static string Firewall(string sourceIp, DateTimeOffset time) =>
        $$$"""{"records":[{"category":"AzureFirewallNetworkRule","time":"{{{time:O}}}","resourceId":"/SUBSCRIPTIONS/0/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/AZUREFIREWALLS/FW","operationName":"AzureFirewallNetworkRuleLog","properties":{"msg":"TCP request from {{{sourceIp}}}:43122 to 203.0.113.7:3333. Action: Deny."}}]}""";

    /// <summary>Bodies arriving on the hub now (enqueued at the fake clock's time).</summary>
    private Task SendAsync(params string[] bodies) => _pipeline.ProcessAsync(
        [.. bodies.Select(b => new TelemetryMessage(Encoding.UTF8.GetBytes(b), "hub/0", _sequence++, _clock.GetUtcNow()))], CancellationToken.None);

    private async Task<List<Alert>> SilentAlerts() => [.. (await _alerts.ListAsync(100, CancellationToken.None)).Where(a => a.RuleId == HeartbeatCheck.RuleId)];

    [Fact]
    public async Task A_sandbox_whose_traffic_outlives_its_telemetry_raises_one_alert_per_silence_episode()
    {
        await SendAsync(Telemetry("sbx-7"));
        for (var minute = 1; minute <= 6; minute++)
        {
            _clock.Advance(TimeSpan.FromMinutes(1));
            await SendAsync(Firewall("10.0.1.5", _clock.GetUtcNow()));
        }

        _clock.Advance(TimeSpan.FromSeconds(10));
        var first = await _check.RunAsync(CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await SendAsync(Firewall("10.0.1.5", _clock.GetUtcNow()));
        var second = await _check.RunAsync(CancellationToken.None);

        var raised = Assert.Single(first);
        Assert.Equal(raised.AlertId, Assert.Single(second).AlertId);
        var alert = Assert.Single(await SilentAlerts());
        Assert.Equal("sbx-7", alert.SandboxId);
        Assert.Equal(AlertLevel.High, alert.Level);
        Assert.Contains("attack.t1562", alert.Tags);
        Assert.Equal(7, alert.EventCount);
        Assert.Equal(T0, alert.FirstSeen);
        Assert.Equal(T0.AddMinutes(7).AddSeconds(10), alert.LastSeen);
        Assert.Equal(T0.ToString("O"), alert.Evidence["heartbeat.last_telemetry"]);
        Assert.Equal(T0.AddMinutes(6).ToString("O"), alert.Evidence["heartbeat.last_network"]);
        Assert.Equal("6", alert.Evidence["heartbeat.network_events"]);

        // Telemetry comes back: the episode is over; a later silence is a new alert.
        await SendAsync(Telemetry("sbx-7"));
        Assert.Empty(await _check.RunAsync(CancellationToken.None));
        var resumed = _clock.GetUtcNow();
        for (var minute = 1; minute <= 6; minute++)
        {
            _clock.Advance(TimeSpan.FromMinutes(1));
            await SendAsync(Firewall("10.0.1.5", _clock.GetUtcNow()));
        }

        var again = Assert.Single(await _check.RunAsync(CancellationToken.None));
        Assert.NotEqual(raised.AlertId, again.AlertId);
        Assert.Equal(resumed, again.FirstSeen);
    }

    [Fact]
    public async Task A_stopped_sandbox_silent_on_the_network_too_does_not_alert()
    {
        await SendAsync(Telemetry("sbx-7"));
        _clock.Advance(TimeSpan.FromSeconds(20));
        await SendAsync(Firewall("10.0.1.5", _clock.GetUtcNow())); // the firewall's last record trails the shutdown
        _clock.Advance(TimeSpan.FromHours(2));

        Assert.Empty(await _check.RunAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Traffic_within_the_silence_threshold_does_not_alert_yet()
    {
        await SendAsync(Telemetry("sbx-7"));
        _clock.Advance(TimeSpan.FromMinutes(4));
        await SendAsync(Firewall("10.0.1.5", _clock.GetUtcNow()));
        _clock.Advance(TimeSpan.FromMinutes(2));

        Assert.Empty(await _check.RunAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_sandbox_that_keeps_sending_telemetry_does_not_alert()
    {
        for (var minute = 0; minute < 10; minute++)
        {
            await SendAsync(Telemetry("sbx-7"), Firewall("10.0.1.5", _clock.GetUtcNow()));
            _clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Empty(await _check.RunAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_sandbox_seen_only_on_the_network_alerts_once_its_traffic_lasted_longer_than_the_threshold()
    {
        await SendAsync(Firewall("10.0.1.6", _clock.GetUtcNow()));
        _clock.Advance(TimeSpan.FromMinutes(6));
        await SendAsync(Firewall("10.0.1.6", _clock.GetUtcNow()));

        var alert = Assert.Single(await _check.RunAsync(CancellationToken.None));
        Assert.Equal("sbx-8", alert.SandboxId);
        Assert.Equal("never", alert.Evidence["heartbeat.last_telemetry"]);
        Assert.Equal(2, alert.EventCount);
    }

    [Fact]
    public async Task Sandboxes_never_seen_and_ids_outside_the_inventory_are_not_tracked()
    {
        await SendAsync(Telemetry("sbx-made-up"), Firewall("10.9.9.9", _clock.GetUtcNow()));

        Assert.Empty(await _activity.ListAsync(CancellationToken.None));
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Empty(await _check.RunAsync(CancellationToken.None));
    }

    [Fact]
    public async Task One_update_per_sandbox_per_batch_whatever_the_event_count()
    {
        var store = new CountingStore();
        var pipeline = new TelemetryPipeline(
            new TelemetryIngestor(),
            new SandboxSnapshotProvider(new InMemorySandboxInventory([new SandboxRecord { Id = "sbx-7", Addresses = [new SandboxAddress("10.0.1.5", T0.AddDays(-1))] }]), TimeSpan.FromMinutes(1), _clock),
            new RuleSetProvider(new InMemoryRuleStore(), TimeSpan.FromMinutes(1), _clock),
            new AlertResponder(_alerts, [], ResponsePolicy.Default, time: _clock),
            new InMemoryDeadLetterStore(_clock), new PipelineOptions(),
            new CorrelationEngine(new InMemoryCorrelationStateStore(), new CorrelationOptions(), _clock),
            activity: store);
        var bodies = Enumerable.Range(0, 200).Select(i => i % 2 == 0 ? Telemetry("sbx-7") : Firewall("10.0.1.5", T0)).ToList();

        await pipeline.ProcessAsync([.. bodies.Select((b, i) => new TelemetryMessage(Encoding.UTF8.GetBytes(b), "hub/0", i, T0.AddSeconds(i)))], CancellationToken.None);

        var update = Assert.Single(Assert.Single(store.Calls));
        Assert.Equal(T0.AddSeconds(198), update.LastTelemetry);
        Assert.Equal(T0.AddSeconds(199), update.LastNetwork);
        Assert.Equal(1, update.NetworkAfterTelemetry);
    }

    [Fact]
    public void Aggregating_allocates_per_batch_not_per_event()
    {
        var snapshot = new SandboxSnapshot([new SandboxRecord { Id = "sbx-7" }, new SandboxRecord { Id = "sbx-8" }]);
        var aggregator = new SandboxActivityAggregator();
        var (small, smallMessages, smallEnds) = Batch(20);
        var (large, largeMessages, largeEnds) = Batch(2000);
        aggregator.Aggregate(large, largeMessages, largeEnds, snapshot); // warm

        var perSmall = Measure(() => aggregator.Aggregate(small, smallMessages, smallEnds, snapshot));
        var perLarge = Measure(() => aggregator.Aggregate(large, largeMessages, largeEnds, snapshot));

        // 100 times the events: the same allocation (the two updates and their list), give or take a little.
        Assert.InRange(perLarge, 0, perSmall + 256);

        static long Measure(Action run)
        {
            var least = long.MaxValue;
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                run();
                least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
            }

            return least;
        }

        static (EventBatch, List<TelemetryMessage>, int[]) Batch(int events)
        {
            var batch = new EventBatch(events);
            var messages = new List<TelemetryMessage>();
            var ends = new int[events];
            var ingestor = new TelemetryIngestor();
            for (var i = 0; i < events; i++)
            {
                var message = new TelemetryMessage(Encoding.UTF8.GetBytes(Telemetry(i % 2 == 0 ? "sbx-7" : "sbx-8")), "hub/0", i, T0.AddSeconds(i));
                messages.Add(message);
                ingestor.Ingest(message, batch);
                ends[i] = batch.Count;
            }

            return (batch, messages, ends);
        }
    }

    [Fact]
    public void Merge_restarts_the_count_at_newer_telemetry_and_ignores_network_older_than_it()
    {
        var merged = SandboxActivity.Merge(null, new SandboxActivityUpdate("s", T0, null, 0, null));
        merged = SandboxActivity.Merge(merged, new SandboxActivityUpdate("s", null, T0.AddMinutes(2), 3, T0.AddMinutes(1)));
        Assert.Equal(new SandboxActivity("s", T0, T0.AddMinutes(2), 3, T0.AddMinutes(1)), merged);

        // A late firewall batch from before the telemetry counts nothing.
        merged = SandboxActivity.Merge(merged, new SandboxActivityUpdate("s", null, T0.AddMinutes(-1), 4, T0.AddMinutes(-2)));
        Assert.Equal(3, merged.NetworkSinceTelemetry);

        merged = SandboxActivity.Merge(merged, new SandboxActivityUpdate("s", T0.AddMinutes(3), T0.AddMinutes(4), 1, T0.AddMinutes(4)));
        Assert.Equal(new SandboxActivity("s", T0.AddMinutes(3), T0.AddMinutes(4), 1, T0.AddMinutes(4)), merged);

        // Older telemetry (a lagging partition) does not move the clock back.
        merged = SandboxActivity.Merge(merged, new SandboxActivityUpdate("s", T0.AddMinutes(1), null, 0, null));
        Assert.Equal(T0.AddMinutes(3), merged.LastTelemetry);
    }

    private sealed class CountingStore : ISandboxActivityStore
    {
        public List<IReadOnlyList<SandboxActivityUpdate>> Calls { get; } = [];

        public Task RecordAsync(IReadOnlyList<SandboxActivityUpdate> updates, CancellationToken cancellationToken)
        {
            Calls.Add(updates);
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<SandboxActivity>> ListAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<SandboxActivity>>([]);
    }
}
