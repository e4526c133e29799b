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
        var allocated = LeastAllocatedOfThreeRuns(IngestAll);

        Assert.Equal(500, batch.Count);
        Assert.InRange(allocated, 0, 999);
    }

    [Theory]
    [InlineData("suricata", "suricata/eve.jsonl")]
    [InlineData("falco", "falco/alerts.jsonl")]
    [InlineData("zeek", "zeek/conn.jsonl")]
    [InlineData("zeek", "zeek/dns.jsonl")]
    [InlineData("zeek", "zeek/ssl.jsonl")]
    [InlineData("tetragon", "tetragon/events.jsonl")]
    [InlineData("dcgm", "dcgm/samples.jsonl")]
    public void Ingesting_a_mapped_format_into_a_warm_batch_does_not_allocate_per_event(string format, string sample)
    {
        // Each sample line is one message, detected and parsed 500 times: a per-event allocation would show as kilobytes.
        var lines = Encoding.UTF8.GetString(Sample(sample)).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(Encoding.UTF8.GetBytes).ToArray();
        var bodies = Enumerable.Range(0, 500).Select(i => lines[i % lines.Length]).ToArray();
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
        var allocated = LeastAllocatedOfThreeRuns(IngestAll);

        Assert.Equal(500, batch.Count);
        Assert.All(Enumerable.Range(0, batch.Count), i => Assert.Equal(format, batch.FormatOf(i)));
        Assert.InRange(allocated, 0, 999);
    }

    [Theory]
    [InlineData("{\"ts\":1763089961.5,\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"10.0.0.2\",\"proto\":\"tcp\"}", "zeek")]
    [InlineData("{\"timestamp\":\"2025-11-14T03:14:53Z\",\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"10.0.0.2\",\"flow_id\":1}", "suricata")]
    [InlineData("{\"rule\":\"Terminal shell in container\",\"output_fields\":{},\"hostname\":\"h\"}", "falco")]
    [InlineData("{\"hello\":\"world\"}", null)]
    public void A_record_no_format_reads_names_the_format_it_resembles(string body, string? expected)
    {
        var batch = new EventBatch(4);
        Ingestor.Ingest(new TelemetryMessage(Encoding.UTF8.GetBytes(body), StreamName, 1, DateTimeOffset.UnixEpoch), batch);

        Assert.Equal(0, batch.Count);
        var reject = Assert.Single(batch.Rejects);
        Assert.Equal(expected, reject.FormatGuess);
        if (expected is not null)
        {
            Assert.Contains($"resembles {expected}", reject.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_mixed_batch_of_every_format_is_detected_per_body()
    {
        string[] samples = ["suricata/eve.jsonl", "falco/alerts.jsonl", "zeek/dns.jsonl", "tetragon/events.jsonl", "dcgm/samples.jsonl", "Ecs/sandbox-events.jsonl"];
        var batch = new EventBatch(4);
        var sequence = 0;
        foreach (var sample in samples)
        {
            Ingestor.Ingest(new TelemetryMessage(Sample(sample), StreamName, sequence++, DateTimeOffset.UnixEpoch), batch);
        }

        Assert.Empty(batch.Rejects);
        Assert.Equal(["suricata", "falco", "zeek", "tetragon", "dcgm", "ecs"],
            Enumerable.Range(0, batch.Count).Select(batch.FormatOf).Distinct());
    }

    /// <summary>
    /// Bytes this thread allocated in the least costly of three runs of <paramref name="run"/>: the runtime itself can
    /// allocate once on the thread while the whole suite runs in parallel (tiered re-compilation), while an
    /// allocation per event shows in every run as kilobytes.
    /// </summary>
    private static long LeastAllocatedOfThreeRuns(Action run)
    {
        var least = long.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            run();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
