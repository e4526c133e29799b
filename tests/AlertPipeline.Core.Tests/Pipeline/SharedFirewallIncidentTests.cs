using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich.Attribution;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Incidents;

namespace AlertPipeline.Core.Tests.Pipeline;

/// <summary>
/// Issue 7's acceptance on the second scenario, samples/shared-firewall: two malicious sandboxes behind one firewall
/// reach the same pool half a second apart (some lines with translated source ports), a benign neighbour, a retired
/// holder of a reused address, and a miner seen only on its GPUs. Replayed in memory with lineage and the incident
/// tracker: every firewall and IDS line is tied to the sandbox and tool call the README's attribution table names,
/// and each malicious sandbox gets exactly one incident.
/// </summary>
public sealed class SharedFirewallIncidentTests
{
    private const string Gpu8101 = "rl-env-8101";
    private const string Cpu8102 = "rl-env-8102";
    private const string Benign8103 = "rl-env-8103";
    private const string GpuOnly8104 = "rl-env-8104";
    private const string Retired8099 = "rl-env-8099";

    private const string Tunnel8101 = "call_51442_04";
    private const string Download8101 = "call_51442_05";
    private const string Miner8101 = "call_51442_06";
    private const string Metadata8102 = "call_7719_03";
    private const string Miner8102 = "call_7719_04";

    private static readonly Lazy<Task<SampleReplay>> Run = new(() => SampleReplay.RunAsync("shared-firewall"));

    [Fact]
    public async Task EveryRecordIsAccepted()
    {
        var replay = await Run.Value;
        Assert.Empty(replay.Rejected.Select(r => $"{r.Position}: {r.Reason} {r.Detail}"));
        Assert.Empty(replay.DeadLetters);
        Assert.Equal(24, replay.Alerts.Count);
    }

    [Theory]
    // Raised by firewall records alone. 8101's first deny matches its own connection's 5-tuple; 8102's first deny
    // (line 4.2) has a translated source port, so only destination and time tie it to cpuminer-multi's connection,
    // and 8101's connection to the same pool 490 ms earlier is not a candidate: it came from another sandbox's address.
    [InlineData("firewall-deny-mining-port.yml", Gpu8101, AttributionMethods.FiveTuple, Miner8101, "0.95")]
    [InlineData("firewall-deny-mining-port.yml", Cpu8102, AttributionMethods.DestinationTime, Miner8102, "0.70")]
    [InlineData("firewall-threat-alert.yml", Gpu8101, AttributionMethods.FiveTuple, Miner8101, "0.95")]
    // A correlation completed by Zeek's 14-minute conn record: its latest event, Zeek's, is the one attributed.
    [InlineData("tunnel-then-long-session.yml", Gpu8101, AttributionMethods.FiveTuple, Tunnel8101, "0.95")]
    [InlineData("miner-download-then-gpu.yml", Gpu8101, AttributionMethods.Process, Miner8101, "0.90")]
    // Alerts the firewall's and sensors' lines joined after the sandbox's own event raised them: linked by its pid.
    [InlineData("outbound-ssh-public.yml", Gpu8101, AttributionMethods.Process, Tunnel8101, "0.90")]
    [InlineData("stratum-port-connection.yml", Gpu8101, AttributionMethods.Process, Miner8101, "0.90")]
    [InlineData("stratum-port-connection.yml", Cpu8102, AttributionMethods.Process, Miner8102, "0.90")]
    [InlineData("indicator-pool-or-tunnel.yml", Gpu8101, AttributionMethods.Process, Tunnel8101, "0.90")]
    [InlineData("indicator-pool-or-tunnel.yml", Cpu8102, AttributionMethods.Process, Miner8102, "0.90")]
    [InlineData("gpu-miner-process.yml", Gpu8101, AttributionMethods.Process, Miner8101, "0.90")]
    public async Task FirewallAndSensorAlertsNameTheirSandboxsToolCall(string ruleFile, string sandbox, string method, string callId, string confidence)
    {
        var replay = await Run.Value;
        var alert = replay.AlertOf(ruleFile, sandbox);

        Assert.Equal((method, callId, confidence),
            (alert.Evidence[AttributionEvidence.Method], alert.Evidence[AttributionEvidence.ToolCallId], alert.Evidence[AttributionEvidence.Confidence]));
        Assert.Equal(sandbox == Gpu8101 ? "grpo-0307" : "webarena-0412", alert.Evidence[AttributionEvidence.RunId]);
    }

    [Fact]
    public async Task EveryAlertRaisedOnlyByFirewallOrSensorLinesIsAmongTheAttributedOnes()
    {
        // The theory above must cover every alert completed by firewall or sensor lines alone (the two correlations
        // complete in a later batch than their sandbox events), so a new firewall-only alert cannot slip by unchecked.
        var replay = await Run.Value;
        var byLinesOnly = replay.Alerts
            .Where(a => !a.Cursors.ContainsKey(SampleReplay.SandboxStream))
            .Select(a => $"{a.SandboxId} {replay.RuleIdByFile.Single(r => r.Value == a.RuleId).Key}")
            .Order(StringComparer.Ordinal);
        Assert.Equal(
            [
                $"{Gpu8101} firewall-deny-mining-port.yml", $"{Gpu8101} firewall-threat-alert.yml", $"{Gpu8101} miner-download-then-gpu.yml",
                $"{Gpu8101} tunnel-then-long-session.yml", $"{Cpu8102} firewall-deny-mining-port.yml",
            ],
            byLinesOnly);
    }

    [Theory]
    // firewall.jsonl:n.r of the README's table (r is 1-based there, 0-based in the position).
    [InlineData(SampleReplay.FirewallStream, 2, 1, Gpu8101, AttributionMethods.FiveTuple, Tunnel8101, "ssh", "9102")]
    [InlineData(SampleReplay.FirewallStream, 3, 1, Gpu8101, AttributionMethods.FiveTuple, Download8101, "curl", "9121")]
    [InlineData(SampleReplay.FirewallStream, 4, 1, Gpu8101, AttributionMethods.FiveTuple, Miner8101, "xmrig", "9141")]
    [InlineData(SampleReplay.FirewallStream, 4, 2, Cpu8102, AttributionMethods.DestinationTime, Miner8102, "cpuminer-multi", "6141")]
    [InlineData(SampleReplay.FirewallStream, 5, 1, Gpu8101, AttributionMethods.DestinationTime, Miner8101, "xmrig", "9141")]
    [InlineData(SampleReplay.FirewallStream, 5, 2, Cpu8102, AttributionMethods.FiveTuple, Miner8102, "cpuminer-multi", "6141")]
    [InlineData(SampleReplay.FirewallStream, 6, 1, Gpu8101, AttributionMethods.FiveTuple, Miner8101, "xmrig", "9141")]
    [InlineData(SampleReplay.FirewallStream, 6, 2, Cpu8102, AttributionMethods.FiveTuple, Miner8102, "cpuminer-multi", "6141")]
    [InlineData(SampleReplay.FirewallStream, 6, 3, Gpu8101, AttributionMethods.FiveTuple, Miner8101, "xmrig", "9141")]
    // sensors.jsonl:1 Suricata, 2 Zeek
    [InlineData(SampleReplay.SensorsStream, 1, 1, Cpu8102, AttributionMethods.FiveTuple, Miner8102, "cpuminer-multi", "6141")]
    [InlineData(SampleReplay.SensorsStream, 2, 1, Gpu8101, AttributionMethods.FiveTuple, Tunnel8101, "ssh", "9102")]
    public async Task EachFirewallAndIdsLineIsLinkedToTheProcessAndToolCallTheReadmeNames(
        string stream, int line, int record, string sandbox, string method, string callId, string process, string pid)
    {
        var replay = await Run.Value;
        var attributed = Assert.Single(await replay.AttributeRecordsAsync(stream), r => r.Position.Sequence == line && r.Position.Record == record - 1);

        Assert.Equal(sandbox, attributed.SandboxId);
        Assert.Equal(
            (method, callId, process, pid, method == AttributionMethods.FiveTuple ? "0.95" : "0.70"),
            (attributed.Get(AttributionEvidence.Method), attributed.Get(AttributionEvidence.ToolCallId), attributed.Get(AttributionEvidence.ProcessName),
                attributed.Get(AttributionEvidence.ProcessPid), attributed.Get(AttributionEvidence.Confidence)));
    }

    [Fact]
    public async Task NoLineIsAttributedToTheRetiredHolderOfTheReusedAddress()
    {
        var replay = await Run.Value;
        var records = await replay.AttributeRecordsAsync(SampleReplay.FirewallStream, SampleReplay.SensorsStream);
        Assert.DoesNotContain(records, r => r.SandboxId == Retired8099);
        Assert.DoesNotContain(replay.Alerts, a => a.SandboxId is Retired8099 or Benign8103);
    }

    [Fact]
    public async Task The_dcgm_samples_name_their_pod_and_only_the_miner_of_8101_has_a_tool_call_behind_it()
    {
        var replay = await Run.Value;
        var records = await replay.AttributeRecordsAsync(SampleReplay.SensorsStream);

        var xmrig = Assert.Single(records, r => r.Position.Sequence == 3);
        Assert.Equal((Gpu8101, Miner8101), (xmrig.SandboxId, xmrig.Get(AttributionEvidence.ToolCallId)));

        // 8104's renamed miner: no process start, connection or tool call was ever reported for it.
        var hijack = Assert.Single(records, r => r.Position.Sequence == 4);
        Assert.Equal((GpuOnly8104, "none"), (hijack.SandboxId, hijack.Get(AttributionEvidence.ToolCallId)));
    }

    [Fact]
    public async Task EachMaliciousSandboxGetsExactlyOneIncidentHoldingAllItsAlerts()
    {
        var replay = await Run.Value;
        var incidents = await replay.Incidents.ListAsync(new IncidentQuery(), CancellationToken.None);

        Assert.Equal([Gpu8101, Cpu8102, GpuOnly8104], incidents.Select(i => i.SandboxId).Order(StringComparer.Ordinal));
        foreach (var incident in incidents)
        {
            Assert.Equal(
                replay.Alerts.Where(a => a.SandboxId == incident.SandboxId).Select(a => a.AlertId).Order(StringComparer.Ordinal),
                incident.AlertIds.Order(StringComparer.Ordinal));
            Assert.All(replay.Alerts.Where(a => a.SandboxId == incident.SandboxId), a => Assert.Equal(incident.IncidentId, a.IncidentId));
            Assert.Equal(incident.Timeline.Select(e => e.Time).Order(), incident.Timeline.Select(e => e.Time));
        }
    }

    [Fact]
    public async Task The_tunnel_and_the_miner_of_8101_make_its_incident_critical_and_its_story_starts_with_the_tunnel_call()
    {
        var incident = await IncidentOfAsync(Gpu8101);

        Assert.Equal(AlertLevel.Critical, incident.Level);
        Assert.Contains("combination: resource hijacking + protocol tunneling (T1496 + T1572)", incident.LevelReasons);
        Assert.Contains("T1496", incident.Techniques);
        Assert.Contains("T1572", incident.Techniques);
        Assert.Equal(["grpo-0307"], incident.RunIds);
        Assert.Equal(["51442"], incident.EpisodeIds);

        var first = incident.Timeline[0];
        Assert.Equal(TimelineKinds.ToolCall, first.Kind);
        Assert.StartsWith($"agent's bash tool call {Tunnel8101} ran: ssh -fNR 2222:localhost:22", first.Summary, StringComparison.Ordinal);

        // The shared firewall's denies are on 8101's story, linked to the miner's tool call.
        Assert.Contains(incident.Timeline, e => e.Summary.Contains("seen by fw-agents-shared", StringComparison.Ordinal));
        Assert.Contains(incident.Timeline, e => e.Kind == TimelineKinds.ToolCall && e.Summary.Contains(Miner8101, StringComparison.Ordinal));
        Assert.DoesNotContain(incident.Timeline, e => e.Summary.Contains("call_7719_", StringComparison.Ordinal));
        Assert.Equal("opened", incident.Notifications[0].Reason);
    }

    [Fact]
    public async Task The_story_of_8102_starts_with_its_metadata_call_and_holds_nothing_of_8101()
    {
        var incident = await IncidentOfAsync(Cpu8102);

        Assert.Equal(AlertLevel.Critical, incident.Level);
        Assert.Contains("T1496", incident.Techniques);
        Assert.Contains("T1552.005", incident.Techniques);
        Assert.Equal(["webarena-0412"], incident.RunIds);
        Assert.Equal(["7719"], incident.EpisodeIds);

        var first = incident.Timeline[0];
        Assert.Equal(TimelineKinds.ToolCall, first.Kind);
        Assert.StartsWith($"agent's bash tool call {Metadata8102} ran: curl -s -H Metadata:true", first.Summary, StringComparison.Ordinal);
        Assert.Contains(incident.Timeline, e => e.Kind == TimelineKinds.ToolCall && e.Summary.Contains(Miner8102, StringComparison.Ordinal));
        Assert.DoesNotContain(incident.Timeline, e => e.Summary.Contains("call_51442_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_gpu_only_hijack_of_8104_has_its_own_incident_from_gpu_data_alone()
    {
        var replay = await Run.Value;
        var incident = await IncidentOfAsync(GpuOnly8104);
        var hijack = replay.AlertOf("gpu-hijack.yml", GpuOnly8104);

        Assert.Equal([hijack.AlertId], incident.AlertIds);
        Assert.Equal(["T1496"], incident.Techniques);
        Assert.Equal(AlertLevel.High, incident.Level);
        Assert.Equal("process-not-expected", hijack.Evidence["gpu.unexplained"]);
        Assert.Equal(7, hijack.EventCount);
        Assert.DoesNotContain(incident.Timeline, e => e.Kind is TimelineKinds.ToolCall or TimelineKinds.Network);
        Assert.Equal("opened", Assert.Single(incident.Notifications).Reason);
    }

    private static async Task<Incident> IncidentOfAsync(string sandbox)
    {
        var replay = await Run.Value;
        return Assert.Single(await replay.Incidents.ListAsync(new IncidentQuery { SandboxId = sandbox }, CancellationToken.None));
    }
}
