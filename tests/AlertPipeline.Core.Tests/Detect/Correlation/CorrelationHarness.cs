using System.Globalization;
using System.Text;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Pipeline;
using AlertPipeline.Core.Respond;

namespace AlertPipeline.Core.Tests.Detect.Correlation;

/// <summary>
/// The real pipeline over shared stores, so a test can play one Function instance, two, or a restart (a new
/// instance over the same stores) and compare the alerts. The correlation state store is the one under test:
/// in memory here, Table Storage on Azurite in the Adapters tests, which link this file.
/// </summary>
internal sealed class CorrelationHarness
{
    public static readonly DateTimeOffset T0 = new(2025, 11, 14, 3, 0, 0, TimeSpan.Zero);

    private readonly InMemoryRuleStore _rules = new();

    public CorrelationHarness(IEnumerable<string> ruleYamls, ICorrelationStateStore? state = null, CorrelationOptions? options = null)
    {
        foreach (var yaml in ruleYamls)
        {
            foreach (var document in Core.Detect.Sigma.SigmaRuleCompiler.CheckDocuments(yaml))
            {
                var rule = document.Rule ?? throw document.Error!;
                _rules.UpsertAsync(new RuleRecord("test", rule.Id, rule.Title, rule.Level.ToSigma(), true, RuleMode.Enforce, document.Yaml, T0), CancellationToken.None).GetAwaiter().GetResult();
            }
        }

        State = state ?? new InMemoryCorrelationStateStore();
        Options = options ?? new CorrelationOptions();
    }

    public ICorrelationStateStore State { get; }

    public CorrelationOptions Options { get; }

    public InMemoryAlertStore Alerts { get; } = new();

    /// <summary>A pipeline instance: its own rule cache and engine, the shared stores.</summary>
    public TelemetryPipeline NewInstance(TimeProvider? time = null) => new(
        new TelemetryIngestor(),
        new SandboxSnapshotProvider(new InMemorySandboxInventory([]), TimeSpan.FromMinutes(1)),
        new RuleSetProvider(_rules, TimeSpan.FromMinutes(1)),
        new AlertResponder(Alerts, [], ResponsePolicy.Default, time: time),
        new InMemoryDeadLetterStore(),
        new PipelineOptions(),
        new CorrelationEngine(State, Options, time));

    public static async Task SendAsync(TelemetryPipeline pipeline, string stream, IEnumerable<(long Sequence, string Json)> events)
    {
        var messages = events.Select(e => new TelemetryMessage(Encoding.UTF8.GetBytes(e.Json), stream, e.Sequence, T0)).ToList();
        await pipeline.ProcessAsync(messages, CancellationToken.None);
    }

    public async Task<IReadOnlyList<Alert>> AlertsOfAsync(string ruleId)
        => (await Alerts.ListAsync(1000, CancellationToken.None)).Where(a => a.RuleId == ruleId).OrderBy(a => a.FirstSeen).ToList();

    /// <summary>A sandbox network connection in ECS, <paramref name="seconds"/> after <see cref="T0"/>.</summary>
    public static string Connection(double seconds, string sandbox, string destinationIp, int port)
        => $$$"""{"@timestamp":"{{{Time(seconds)}}}","event":{"category":"network","type":"connection","dataset":"sandbox.network"},"sandbox":{"id":"{{{sandbox}}}"},"source":{"ip":"10.40.0.9","port":40000},"destination":{"ip":"{{{destinationIp}}}","port":{{{port}}}},"network":{"transport":"tcp"}}""";

    /// <summary>A process start in ECS.</summary>
    public static string Process(double seconds, string sandbox, string commandLine)
        => $$$"""{"@timestamp":"{{{Time(seconds)}}}","event":{"category":"process","type":"start","dataset":"sandbox.process"},"sandbox":{"id":"{{{sandbox}}}"},"process":{"pid":42,"name":"sh","executable":"/bin/sh","command_line":"{{{commandLine}}}"}}""";

    private static string Time(double seconds) => T0.AddSeconds(seconds).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}

/// <summary>Rules the correlation tests share.</summary>
internal static class CorrelationRules
{
    public const string SshId = "6f2a9b51-1c1e-4d7a-9a43-0f7d7c1e5a01";
    public const string InternalId = "6f2a9b51-1c1e-4d7a-9a43-0f7d7c1e5a02";
    public const string BurstId = "6f2a9b51-1c1e-4d7a-9a43-0f7d7c1e5a03";
    public const string DiscoveryId = "6f2a9b51-1c1e-4d7a-9a43-0f7d7c1e5a04";
    public const string DownloadId = "6f2a9b51-1c1e-4d7a-9a43-0f7d7c1e5a05";
    public const string OrderedId = "6f2a9b51-1c1e-4d7a-9a43-0f7d7c1e5a06";
    public const string TemporalId = "6f2a9b51-1c1e-4d7a-9a43-0f7d7c1e5a07";
    public const string QuietId = "6f2a9b51-1c1e-4d7a-9a43-0f7d7c1e5a08";

    /// <summary>Any SSH connection (port 22).</summary>
    public static readonly string Ssh = $"""
        title: SSH connection
        id: {SshId}
        name: ssh_connection
        logsource:
          category: network_connection
        detection:
          selection:
            DestinationPort: 22
          condition: selection
        level: low
        """;

    /// <summary>A connection to a private address.</summary>
    public static readonly string Internal = $"""
        title: Internal connection
        id: {InternalId}
        name: internal_connection
        logsource:
          category: network_connection
        detection:
          selection:
            destination.address_class: private
          condition: selection
        level: informational
        """;

    /// <summary>A download command.</summary>
    public static readonly string Download = $"""
        title: Download
        id: {DownloadId}
        name: download
        logsource:
          category: process_creation
        detection:
          selection:
            CommandLine|contains: curl
          condition: selection
        level: low
        """;

    public static string EventCount(int gte, string timespan = "1m", string id = BurstId, bool generate = false) => $"""
        title: Burst of SSH connections
        id: {id}
        correlation:
          type: event_count
          rules:
            - ssh_connection
          group-by:
            - sandbox.id
          timespan: {timespan}
          condition:
            gte: {gte}
        generate: {(generate ? "true" : "false")}
        level: high
        """;

    public static string ValueCount(int gte) => $"""
        title: Internal discovery
        id: {DiscoveryId}
        correlation:
          type: value_count
          rules:
            - internal_connection
          group-by:
            - sandbox.id
          timespan: 1m
          condition:
            field: destination.ip
            gte: {gte}
        level: high
        """;

    public static readonly string Ordered = $"""
        title: Download then SSH
        id: {OrderedId}
        correlation:
          type: temporal_ordered
          rules:
            - download
            - ssh_connection
          group-by:
            - sandbox.id
          timespan: 5m
        level: high
        """;

    public static readonly string Temporal = $"""
        title: Download and SSH
        id: {TemporalId}
        correlation:
          type: temporal
          rules:
            - download
            - {SshId}
          group-by:
            - sandbox.id
          timespan: 5m
        level: medium
        """;

    /// <summary>Fewer than three SSH connections in a fixed minute: judged when the minute has closed.</summary>
    public static readonly string Quiet = $"""
        title: Few SSH connections
        id: {QuietId}
        correlation:
          type: event_count
          rules:
            - ssh_connection
          group-by:
            - sandbox.id
          timespan: 1m
          condition:
            gte: 1
            lt: 3
        level: low
        """;
}
