using System.Text;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Pipeline;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Outbox;
using AlertPipeline.Core.Respond.Shutdown;
using AlertPipeline.Core.Tests.Respond;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Core.Tests.Pipeline;

/// <summary>
/// A flood: 10,000 matching events within one minute, spread over 40 sandboxes and redelivered once. One alert per
/// (rule, sandbox), at most the capped number of emails and cards, and at most the capped number of automatic commands.
/// </summary>
public sealed class AlertFloodTests
{
    private const string RuleId = "5c2d9e0a-1b3f-4e55-8a61-0c5b2d3e4f77";
    private const string Key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    private const int Sandboxes = 40;

    [Fact]
    public async Task Ten_thousand_matching_events_in_a_minute_give_one_alert_per_group_and_capped_notifications_and_shutdowns()
    {
        var rules = new InMemoryRuleStore();
        await rules.UpsertAsync(new RuleRecord("default", RuleId, "Miner", "critical", true, RuleMode.Enforce, $"""
            title: Miner
            id: {RuleId}
            logsource:
              category: process_creation
            detection:
              selection:
                process.name: xmrig
              condition: selection
            level: critical
            """, DateTimeOffset.UnixEpoch), CancellationToken.None);
        var inventory = new InMemorySandboxInventory([.. Enumerable.Range(0, Sandboxes).Select(i => new SandboxRecord { Id = $"sbx-{i:00}" })]);
        var sandboxes = new SandboxSnapshotProvider(inventory, TimeSpan.FromMinutes(1));
        var commands = new InMemoryShutdownCommandQueue();
        var email = new RecordingChannel("email");
        var teams = new RecordingChannel("teams");
        // A frozen clock: the caps count in windows aligned to UTC, and a run on the real clock that crossed a window's
        // edge counted into two windows (11 emails instead of 10).
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 11, 14, 3, 21, 0, TimeSpan.Zero));
        var shutdown = new ShutdownChannel(commands, new CommandSigner(Key, "k1", time), sandboxes, new ShutdownOptions { MaxPerHour = 5 }, time);
        var alerts = new InMemoryAlertStore();
        var options = new ResponderOptions { MaxPerChannelPerWindow = 10, RateWindow = TimeSpan.FromMinutes(10) };
        var dispatcher = new NotificationDispatcher(alerts, [email, teams, shutdown], new InMemoryNotificationPoisonStore(), options, time);
        var pipeline = new TelemetryPipeline(
            new TelemetryIngestor(), sandboxes, new RuleSetProvider(rules, TimeSpan.FromMinutes(1)),
            new AlertResponder(alerts, new InlineNotificationOutbox(() => dispatcher), ResponsePolicy.Default, options, time),
            new InMemoryDeadLetterStore(), new PipelineOptions(), new CorrelationEngine(new InMemoryCorrelationStateStore()));

        var messages = Enumerable.Range(0, 10_000)
            .Select(i => $$$"""{"@timestamp":"2025-11-14T03:20:{{{i % 60:00}}}.{{{i % 1000:000}}}Z","event":{"category":"process","type":"start"},"sandbox":{"id":"sbx-{{{i % Sandboxes:00}}}"},"process":{"name":"xmrig","pid":{{{i}}}}}""")
            .Select((json, i) => new TelemetryMessage(Encoding.UTF8.GetBytes(json), "sandbox-telemetry/0", i, DateTimeOffset.UnixEpoch))
            .ToList();

        foreach (var batch in messages.Chunk(500).Concat(messages.Chunk(500)))
        {
            await pipeline.ProcessAsync(batch, CancellationToken.None);
        }

        var stored = await alerts.ListAsync(1000, CancellationToken.None);
        Assert.Equal(Sandboxes, stored.Count);
        Assert.All(stored, a => Assert.Equal(10_000 / Sandboxes, a.EventCount));
        Assert.Equal(10, email.Sent.Count);
        Assert.Equal(10, teams.Sent.Count);
        Assert.Equal(5, commands.Messages.Count);
        Assert.Equal(Sandboxes - 10, stored.Count(a => a.ActionFor("email")!.Status == ActionStatus.Suppressed));
        Assert.Equal(Sandboxes - 5, stored.Count(a => a.ActionFor("shutdown")!.Status == ActionStatus.AwaitingApproval
            && a.ActionFor("shutdown")!.Detail!.Contains("awaiting a human", StringComparison.Ordinal)));
    }
}
