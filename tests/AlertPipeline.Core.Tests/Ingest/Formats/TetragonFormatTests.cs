using System.Text;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest.Formats;
using static AlertPipeline.Core.Tests.Ingest.IngestTestKit;

namespace AlertPipeline.Core.Tests.Ingest.Formats;

public sealed class TetragonFormatTests
{
    private static readonly TetragonFormat Format = new();

    [Theory]
    [InlineData("{\"process_exec\":{\"process\":{}},\"node_name\":\"n\",\"time\":\"2025-11-14T03:14:53Z\"}", true)]
    [InlineData("{\"process_kprobe\":{},\"node_name\":\"n\"}", true)]
    [InlineData("{\"process_exec\":{}}", false)]
    [InlineData("{\"@timestamp\":\"2025-11-14T03:14:53Z\",\"node_name\":\"n\"}", false)]
    public void CanParse_needs_an_event_kind_and_node_name(string body, bool expected)
        => Assert.Equal(expected, Format.CanParse(Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void Process_exec_maps_process_parent_pod_and_container()
    {
        var batch = Parse(Format, Sample("tetragon/events.jsonl"));

        Assert.Empty(batch.Rejects);
        Assert.Equal(3, batch.Count);
        batch.AssertFields(0, new Dictionary<string, string>
        {
            ["@timestamp"] = "2025-11-14T03:14:51.0182210Z",
            ["event.kind"] = "event",
            ["event.category"] = "process",
            ["event.type"] = "start",
            ["event.action"] = "exec",
            ["event.module"] = "tetragon",
            ["event.dataset"] = "tetragon.process_exec",
            ["event.id"] = "cmwtbm9kZS03NzMxOjEyMzQ1Njc4OTA6NzEzMQ==",
            ["observer.vendor"] = "Cilium",
            ["observer.product"] = "Tetragon",
            ["observer.type"] = "host",
            ["host.name"] = "rl-node-7731",
            ["user.id"] = "1000",
            ["process.pid"] = "7131",
            ["process.name"] = "xmrig",
            ["process.executable"] = "/tmp/.cache/xmrig",
            ["process.command_line"] = "/tmp/.cache/xmrig -o stratum+tcp://pool.supportxmr.com:3333 --cuda",
            ["process.working_directory"] = "/tmp/.cache",
            ["process.parent.pid"] = "7090",
            ["process.parent.name"] = "bash",
            ["process.parent.executable"] = "/bin/bash",
            ["process.parent.command_line"] = "/bin/bash -c \"cd /tmp/.cache && ./xmrig\"",
            ["container.id"] = "containerd://4f1a2b3c4d5e",
            ["container.name"] = "trainer",
            ["container.image.name"] = "registry.example.com/rl/ppo-worker:0110",
            ["orchestrator.type"] = "kubernetes",
            ["orchestrator.namespace"] = "rl",
            ["orchestrator.resource.name"] = "rl-env-7731",
        });
    }

    [Fact]
    public void Process_exit_is_an_end_with_its_signal()
    {
        var batch = Parse(Format, Sample("tetragon/events.jsonl"));

        Assert.Equal("end", batch.Value(1, EcsField.EventType));
        Assert.Equal("exit", batch.Value(1, EcsField.EventAction));
        Assert.Equal("SIGKILL", batch.Value(1, EcsField.EventReason));
        Assert.Equal("tetragon.process_exit", batch.Value(1, EcsField.EventDataset));
        Assert.Equal("xmrig", batch.Value(1, EcsField.ProcessName));
    }

    [Fact]
    public void Tcp_connect_kprobe_is_a_network_connection()
    {
        var batch = Parse(Format, Sample("tetragon/events.jsonl"));

        Assert.Equal("network", batch.Value(2, EcsField.EventCategory));
        Assert.Equal("connection", batch.Value(2, EcsField.EventType));
        Assert.Equal("tcp_connect", batch.Value(2, EcsField.EventAction));
        Assert.Equal("monitor-network", batch.Value(2, EcsField.RuleName));
        Assert.Equal("10.40.77.31", batch.Value(2, EcsField.SourceIp));
        Assert.Equal("51812", batch.Value(2, EcsField.SourcePort));
        Assert.Equal("198.51.100.45", batch.Value(2, EcsField.DestinationIp));
        Assert.Equal("3333", batch.Value(2, EcsField.DestinationPort));
        Assert.Equal("tcp", batch.Value(2, EcsField.NetworkTransport));
        Assert.Equal("/tmp/.cache/xmrig", batch.Value(2, EcsField.ProcessCommandLine));
    }

    [Fact]
    public void A_bad_record_is_rejected_and_the_rest_flows()
    {
        var body = "{\"process_exec\":{\"process\":{\"binary\":\"/bin/a\"}},\"node_name\":\"n\",\"time\":\"2025-11-14T03:14:53Z\"}\n"
            + "{\"process_tracepoint\":{},\"node_name\":\"n\",\"time\":\"2025-11-14T03:14:53Z\"}\n"
            + "{\"process_exec\":{\"process\":{\"binary\":\"/bin/b\"}},\"node_name\":\"n\"}\n"
            + "{\"process_exec\":{\"process\":{\"binary\":\"/bin/c\"}},\"node_name\":\"n\",\"time\":\"2025-11-14T03:14:54Z\"}";
        var batch = Parse(Format, body);

        Assert.Equal(new[] { "a", "c" }, new[] { batch.Value(0, EcsField.ProcessName)!, batch.Value(1, EcsField.ProcessName)! });
        Assert.Equal(["unknown-event-kind", "missing-timestamp"], batch.Rejects.Select(r => r.Reason));
    }
}
