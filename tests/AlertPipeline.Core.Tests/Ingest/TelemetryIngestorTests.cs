using System.Text;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using static AlertPipeline.Core.Tests.Ingest.IngestTestKit;

namespace AlertPipeline.Core.Tests.Ingest;

public sealed class TelemetryIngestorTests
{
    private static readonly TelemetryIngestor Ingestor = new();

    [Theory]
    [InlineData("{\"records\":[]}", "azure-firewall")]
    [InlineData("  {\n  \"records\": []}", "azure-firewall")]
    [InlineData("{\"@timestamp\":\"2025-11-14T03:20:00Z\"}", "ecs")]
    [InlineData("[{\"records\":[]}]", "ecs")]
    [InlineData("{\"event\":{},\"records\":[]}", "ecs")]
    [InlineData("time=now msg=hello", null)]
    [InlineData("", null)]
    public void Detects_the_format_per_body(string body, string? expected)
        => Assert.Equal(expected, Ingestor.Detect(Encoding.UTF8.GetBytes(body))?.Name);

    [Fact]
    public void Mixed_batch_flows_and_unknown_body_is_rejected()
    {
        var batch = new EventBatch(4);
        string[] bodies =
        [
            """{"@timestamp":"2025-11-14T03:20:00Z","sandbox":{"id":"sbx-1"},"process":{"name":"xmrig"}}""",
            """{"records":[{"category":"AZFWNetworkRule","time":"2025-11-14T03:20:01Z","resourceId":"/x/AZUREFIREWALLS/FW-1","properties":{"Protocol":"TCP","SourceIp":"10.0.1.5","DestinationIp":"203.0.113.66","DestinationPort":22,"Action":"Deny"}}]}""",
            "<syslog>not json</syslog>",
            "{\"@timestamp\":\"2025-11-14T03:20:02Z\",\"tool\":{\"name\":\"bash\"}}\n{\"@timestamp\":\"2025-11-14T03:20:03Z\",\"tool\":{\"name\":\"python\"}}",
        ];

        for (var i = 0; i < bodies.Length; i++)
        {
            Ingestor.Ingest(new TelemetryMessage(Encoding.UTF8.GetBytes(bodies[i]), StreamName, i, DateTimeOffset.UnixEpoch), batch);
        }

        Assert.Equal(4, batch.Count);
        Assert.Equal(["ecs", "azure-firewall", "ecs", "ecs"], Enumerable.Range(0, batch.Count).Select(batch.FormatOf));
        Assert.Equal("xmrig", batch.Value(0, EcsField.ProcessName));
        Assert.Equal("FW-1", batch.Value(1, EcsField.ObserverName));
        Assert.Equal("python", batch.Value(3, EcsField.ToolName));
        Assert.Equal(new SourcePosition(StreamName, 3, 1), batch.Position(3));
        var reject = Assert.Single(batch.Rejects);
        Assert.Equal("unknown-format", reject.Reason);
        Assert.Equal(new SourcePosition(StreamName, 2, 0), reject.Position);
    }

    [Fact]
    public void Parsing_a_message_twice_gives_the_same_positions()
    {
        var body = Sample("Ecs/sandbox-events.jsonl");
        var first = new EventBatch();
        var second = new EventBatch();
        Ingestor.Ingest(new TelemetryMessage(body, StreamName, 11, DateTimeOffset.UnixEpoch), first);
        Ingestor.Ingest(new TelemetryMessage(body, StreamName, 11, DateTimeOffset.UnixEpoch), second);

        Assert.Equal(
            Enumerable.Range(0, first.Count).Select(first.Position),
            Enumerable.Range(0, second.Count).Select(second.Position));
    }

    [Theory]
    [InlineData("ecs")]
    [InlineData("azure-firewall")]
    public void Ingesting_into_a_warm_batch_does_not_allocate_per_event(string format)
    {
        // Allocation, not time: a per-event allocation would show as thousands of bytes over 500 events.
        var bodies = format == "ecs"
            ? Enumerable.Range(0, 500).Select(i => Encoding.UTF8.GetBytes(
                $$$"""{"@timestamp":"2025-11-14T03:20:{{{i % 60:00}}}.{{{i % 1000:000}}}Z","event":{"category":["process"],"type":["start"]},"sandbox":{"id":"rl-env-{{{i % 40}}}","run_id":"ppo-0110"},"process":{"pid":{{{1000 + i}}},"name":"python","command_line":"python train.py --epoch {{{i}}}"},"destination":{"ip":"10.40.78.{{{i % 200}}}","port":29500},"gpu":{"utilization":{{{i % 100}}}.5}}"""))
                .ToArray()
            : [Encoding.UTF8.GetBytes("{\"records\":[" + string.Join(',', Enumerable.Range(0, 500).Select(i =>
                $$$"""{"category":"AzureFirewallNetworkRule","time":"2025-11-14T03:20:02.1000000Z","resourceId":"/X/AZUREFIREWALLS/FW-1","operationName":"AzureFirewallNetworkRuleLog","properties":{"msg":"TCP request from 10.0.1.{{{i % 250}}}:{{{40000 + i}}} to 203.0.113.7:3333. Action: Deny."}}""")) + "]}")];
        var batch = new EventBatch(500);
        void IngestAll()
        {
            batch.Clear();
            for (var i = 0; i < bodies.Length; i++)
            {
                Ingestor.Ingest(new TelemetryMessage(bodies[i], StreamName, i, DateTimeOffset.UnixEpoch), batch);
            }
        }

        IngestAll();
        IngestAll();
        var before = GC.GetAllocatedBytesForCurrentThread();
        IngestAll();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(500, batch.Count);
        Assert.InRange(allocated, 0, 999);
    }
}
