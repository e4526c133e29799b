using System.Text;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Enrich.Attribution;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;

namespace AlertPipeline.Core.Tests.Enrich.Attribution;

public sealed class LineageRecorderTests
{
    private static readonly SandboxSnapshot Inventory = new(
        [new SandboxRecord { Id = "sbx-a", Addresses = [new SandboxAddress("10.1.0.5", DateTimeOffset.UnixEpoch)] }]);

    [Fact]
    public void Only_the_sandboxes_own_sensors_make_lineage()
    {
        var batch = Enriched(
            """{"@timestamp":"2026-03-02T10:00:00Z","event":{"category":"network","dataset":"sandbox.network"},"sandbox":{"id":"sbx-a"},"source":{"ip":"10.1.0.5","port":40001},"destination":{"ip":"203.0.113.9","port":22},"network":{"transport":"TCP"},"process":{"pid":101,"name":"ssh"}}""",
            """{"records":[{"category":"AZFWNetworkRule","time":"2026-03-02T10:00:00.1Z","resourceId":"/x/azureFirewalls/fw","operationName":"AzureFirewallNetworkRuleLog","properties":{"Protocol":"TCP","SourceIp":"10.1.0.5","SourcePort":40001,"DestinationIp":"203.0.113.9","DestinationPort":22,"Action":"Allow"}}]}""",
            """{"timestamp":"2026-03-02T10:00:00.2+0000","event_type":"alert","src_ip":"10.1.0.5","src_port":40001,"dest_ip":"203.0.113.9","dest_port":22,"proto":"TCP","alert":{"signature":"x"}}""",
            // ECS that names a network observer is a firewall's record, whatever its dataset.
            """{"@timestamp":"2026-03-02T10:00:00Z","event":{"category":"network","dataset":"sandbox.network"},"observer":{"type":"firewall"},"sandbox":{"id":"sbx-a"},"source":{"ip":"10.1.0.5","port":40002},"destination":{"ip":"203.0.113.9","port":22}}""",
            """{"@timestamp":"2026-03-02T10:00:00Z","event":{"category":"process","type":"start","dataset":"sandbox.process"},"sandbox":{"id":"sbx-a","episode_id":"e1"},"process":{"pid":101,"name":"ssh","command_line":"ssh x","parent":{"pid":100,"name":"bash","command_line":"bash -lc 'ssh x'"}}}""",
            """{"@timestamp":"2026-03-02T10:00:00Z","event":{"dataset":"sandbox.tool_call"},"sandbox":{"id":"sbx-a"},"tool":{"name":"bash","call_id":"c1","input":"ssh x"}}""");

        var lineage = LineageRecorder.Collect(batch)!;

        var connection = Assert.Single(lineage.Connections);
        Assert.Equal(("tcp", 40001L, 101L), (connection.Transport, connection.SourcePort, connection.Pid!.Value));
        Assert.Equal([(101L, false), (100L, true)], lineage.Processes.Select(p => (p.Pid, p.FromParent)));
        Assert.Equal("bash -lc 'ssh x'", lineage.Processes[1].CommandLine);
        Assert.Equal("c1", Assert.Single(lineage.ToolCalls).CallId);
    }

    [Fact]
    public void Events_that_make_no_lineage_allocate_nothing()
    {
        var batch = Enriched([.. Enumerable.Range(0, 200).Select(i => i % 2 == 0
            ? $$$$"""{"@timestamp":"2026-03-02T10:00:00Z","event":{"dataset":"gpu.metrics"},"sandbox":{"id":"sbx-a"},"gpu":{"index":0,"utilization":{{{{i % 100}}}}},"process":{"pid":7}}"""
            : $$$$"""{"records":[{"category":"AZFWNetworkRule","time":"2026-03-02T10:00:00Z","resourceId":"/x/azureFirewalls/fw","operationName":"AzureFirewallNetworkRuleLog","properties":{"Protocol":"TCP","SourceIp":"10.1.0.5","SourcePort":{{{{40000 + i}}}},"DestinationIp":"203.0.113.9","DestinationPort":22,"Action":"Deny"}}]}""")]);
        Assert.Null(LineageRecorder.Collect(batch));

        var least = long.MaxValue;
        for (var run = 0; run < 3; run++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            LineageRecorder.Collect(batch);
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, least);
    }

    private static EventBatch Enriched(params string[] bodies)
    {
        var batch = new EventBatch();
        var ingestor = new TelemetryIngestor();
        for (var i = 0; i < bodies.Length; i++)
        {
            ingestor.Ingest(new TelemetryMessage(Encoding.UTF8.GetBytes(bodies[i]), "s", i, DateTimeOffset.UnixEpoch), batch);
        }

        Assert.Empty(batch.Rejects);
        new EnrichmentStage(Inventory).Enrich(batch);
        return batch;
    }
}
