using System.Text;
using System.Text.Json;
using AlertPipeline.Adapters.Enrich;
using AlertPipeline.Adapters.Respond;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Enrich.Attribution;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Pipeline;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Incidents;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Adapters.Tests.Composition;

/// <summary>
/// Issue 7's redelivery acceptance on the second scenario (samples/shared-firewall, with the default rule pack, its
/// inventory and indicators): composed with Table stores on Azurite, its batches delivered once, then every batch twice
/// more. Incident count, each incident's timeline and notifications, and the notifications actually sent stay as the
/// first delivery left them.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class SharedFirewallRedeliveryTests(AzuriteFixture azurite)
{
    private static readonly string[] Sandboxes = ["rl-env-8099", "rl-env-8101", "rl-env-8102", "rl-env-8103", "rl-env-8104"];

    // The firewall's diagnostic logs reach the hub after the sandbox's own telemetry: the scenario ends at 09:10:37.
    private static readonly DateTimeOffset Arrival = new(2025, 12, 2, 9, 12, 0, TimeSpan.Zero);

    private readonly List<(string Channel, string AlertId)> _sent = [];

    [Fact]
    public async Task Redelivering_every_batch_of_the_shared_firewall_scenario_twice_changes_no_incident_timeline_or_notification()
    {
        var folder = Path.Combine(AzuriteFixture.RepoRoot(), "samples", "shared-firewall");
        var alertsTable = AzuriteFixture.UniqueTableName("alerts");
        var time = new FakeTimeProvider(Arrival);
        await using var provider = IncidentComposition.Compose(
            azurite, alertsTable, AzuriteFixture.UniqueTableName("incidents"), time, DefaultPack(),
            JsonSerializer.Deserialize<List<SandboxRecord>>(await File.ReadAllTextAsync(Path.Combine(folder, "inventory.json")), new JsonSerializerOptions(JsonSerializerDefaults.Web))!,
            _sent, IndicatorFile.Parse(await File.ReadAllBytesAsync(Path.Combine(folder, "indicators.csv"))).Indicators);
        var pipeline = provider.GetRequiredService<TelemetryPipeline>();
        var batches = await BatchesAsync(folder);

        foreach (var batch in batches)
        {
            time.Advance(TimeSpan.FromSeconds(2));
            Assert.Empty((await pipeline.ProcessAsync(batch, CancellationToken.None)).Rejected);
        }

        var store = provider.GetRequiredService<IIncidentStore>();
        Assert.IsType<TableIncidentStore>(store);
        Assert.IsType<TableLineageStore>(provider.GetRequiredService<ILineageStore>());
        var first = await IncidentComposition.SnapshotAsync(store, Sandboxes);
        var sentFirst = _sent.ToList();

        // What the first delivery made: one incident each for the two malicious sandboxes and the GPU-only hijack,
        // holding all their alerts; each notified once per opening, level rise or new technique, not per alert.
        var alerts = await provider.GetRequiredService<IAlertStore>().ListAsync(1000, CancellationToken.None);
        Assert.Equal(24, alerts.Count);
        var incidents = await store.ListAsync(new IncidentQuery(), CancellationToken.None);
        Assert.Equal(["rl-env-8101", "rl-env-8102", "rl-env-8104"], incidents.Select(i => i.SandboxId).Order(StringComparer.Ordinal));
        Assert.Equal(3, first.Count);
        foreach (var incident in incidents)
        {
            Assert.Equal(alerts.Where(a => a.SandboxId == incident.SandboxId).Select(a => a.AlertId).Order(StringComparer.Ordinal), incident.AlertIds.Order(StringComparer.Ordinal));
            Assert.Equal("opened", incident.Notifications[0].Reason);
        }

        var story = Assert.Single(incidents, i => i.SandboxId == "rl-env-8101");
        Assert.Equal(AlertLevel.Critical, story.Level);
        Assert.Contains("combination: resource hijacking + protocol tunneling (T1496 + T1572)", story.LevelReasons);
        Assert.Equal(TimelineKinds.ToolCall, story.Timeline[0].Kind);
        Assert.Contains("tool call call_51442_04 ran: ssh -fNR", story.Timeline[0].Summary, StringComparison.Ordinal);
        Assert.Contains(story.Timeline, e => e.Kind == TimelineKinds.Command);

        var notifications = incidents.Sum(i => i.Notifications.Count);
        Assert.True(notifications < alerts.Count / 2, $"{notifications} notifications for {alerts.Count} alerts");
        Assert.Equal(2 * notifications, sentFirst.Count(s => s.Channel is "email" or "teams"));
        Assert.Contains(sentFirst, s => s.Channel == "shutdown");

        // Every batch twice more, as a host that lost its checkpoints would deliver them.
        foreach (var batch in batches.Concat(batches))
        {
            time.Advance(TimeSpan.FromSeconds(3));
            Assert.Empty((await pipeline.ProcessAsync(batch, CancellationToken.None)).Rejected);
        }

        Assert.Equal(first, await IncidentComposition.SnapshotAsync(store, Sandboxes));
        Assert.Equal(sentFirst, _sent);
        Assert.Equal(24, (await provider.GetRequiredService<IAlertStore>().ListAsync(1000, CancellationToken.None)).Count);
    }

    /// <summary>The bundled rule pack, as stored rule rows.</summary>
    private static IEnumerable<RuleRecord> DefaultPack()
        => Directory.EnumerateFiles(Path.Combine(AzuriteFixture.RepoRoot(), "rules", "default"), "*.yml").Order(StringComparer.Ordinal)
            .Select(f => RuleRecord.FromSigma("default", File.ReadAllText(f), RuleMode.Enforce, DateTimeOffset.UnixEpoch));

    // The scenario's three streams in the order a hub delivers them (sandbox telemetry, then the firewall, then the
    // hub's sensors), in batches of up to 32 messages; each line is one message, numbered by its line.
    private static async Task<List<TelemetryMessage[]>> BatchesAsync(string folder)
    {
        var batches = new List<TelemetryMessage[]>();
        foreach (var stream in new[] { "sandbox-telemetry.jsonl", "firewall.jsonl", "sensors.jsonl" })
        {
            var lines = await File.ReadAllLinesAsync(Path.Combine(folder, stream));
            batches.AddRange(lines
                .Select((line, i) => new TelemetryMessage(Encoding.UTF8.GetBytes(line), stream, i + 1, Arrival))
                .Chunk(32));
        }

        return batches;
    }
}
