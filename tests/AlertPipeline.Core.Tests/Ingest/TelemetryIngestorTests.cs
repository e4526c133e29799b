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
}
