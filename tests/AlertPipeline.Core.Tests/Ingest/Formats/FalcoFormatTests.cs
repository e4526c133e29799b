using System.Text;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest.Formats;
using static AlertPipeline.Core.Tests.Ingest.IngestTestKit;

namespace AlertPipeline.Core.Tests.Ingest.Formats;

public sealed class FalcoFormatTests
{
    private static readonly FalcoFormat Format = new();

    [Theory]
    [InlineData("{\"output\":\"x\",\"priority\":\"Notice\",\"rule\":\"r\",\"time\":\"2025-11-14T03:14:53Z\"}", true)]
    [InlineData("{\"priority\":\"Notice\",\"rule\":\"r\"}", false)]
    [InlineData("{\"@timestamp\":\"2025-11-14T03:14:53Z\",\"rule\":{\"name\":\"x\"}}", false)]
    public void CanParse_needs_rule_priority_and_output(string body, bool expected)
        => Assert.Equal(expected, Format.CanParse(Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void Process_alert_maps_rule_priority_process_container_and_pod()
    {
        var batch = Parse(Format, Sample("falco/alerts.jsonl"));

        Assert.Empty(batch.Rejects);
        Assert.Equal(3, batch.Count);
        batch.AssertFields(0, new Dictionary<string, string>
        {
            ["@timestamp"] = "2025-11-14T03:14:51.0200000Z",
            ["message"] = "03:14:51.020000000: Critical Crypto miner launched (proc.cmdline=xmrig -o stratum+tcp://pool.supportxmr.com:3333 container.id=4f1a2b3c4d5e k8s.pod.name=rl-env-7731)",
            ["event.kind"] = "alert",
            ["event.category"] = "process",
            ["event.type"] = "start",
            ["event.action"] = "execve",
            ["event.module"] = "falco",
            ["event.dataset"] = "falco.alerts",
            ["event.severity"] = "2",
            ["log.level"] = "critical",
            ["observer.vendor"] = "Falco",
            ["observer.product"] = "Falco",
            ["observer.type"] = "host",
            ["host.name"] = "rl-node-7731",
            ["rule.name"] = "Launch Crypto Miner",
            ["process.pid"] = "7131",
            ["process.name"] = "xmrig",
            ["process.executable"] = "/tmp/.cache/xmrig",
            ["process.command_line"] = "xmrig -o stratum+tcp://pool.supportxmr.com:3333 --cuda",
            ["process.parent.pid"] = "7090",
            ["process.parent.name"] = "bash",
            ["user.name"] = "agent",
            ["user.id"] = "1000",
            ["container.id"] = "4f1a2b3c4d5e",
            ["container.name"] = "trainer",
            ["container.image.name"] = "registry.example.com/rl/ppo-worker",
            ["orchestrator.type"] = "kubernetes",
            ["orchestrator.namespace"] = "rl",
            ["orchestrator.resource.name"] = "rl-env-7731",
        });
    }

    [Fact]
    public void Socket_alert_maps_endpoints_and_drops_the_connection_tuple_as_a_path()
    {
        var batch = Parse(Format, Sample("falco/alerts.jsonl"));

        Assert.Equal("network", batch.Value(1, EcsField.EventCategory));
        Assert.Equal("connection", batch.Value(1, EcsField.EventType));
        Assert.Equal("10.40.77.31", batch.Value(1, EcsField.SourceIp));
        Assert.Equal("51444", batch.Value(1, EcsField.SourcePort));
        Assert.Equal("169.254.169.254", batch.Value(1, EcsField.DestinationIp));
        Assert.Equal("80", batch.Value(1, EcsField.DestinationPort));
        Assert.Equal("tcp", batch.Value(1, EcsField.NetworkTransport));
        Assert.Equal("5", batch.Value(1, EcsField.EventSeverity));
        Assert.False(batch.Has(1, EcsField.FilePath));
        Assert.False(batch.Has(1, EcsField.FileName));
    }

    [Fact]
    public void File_alert_maps_fd_name_to_file_path_and_name()
    {
        var batch = Parse(Format, Sample("falco/alerts.jsonl"));

        Assert.Equal("file", batch.Value(2, EcsField.EventCategory));
        Assert.Equal("access", batch.Value(2, EcsField.EventType));
        Assert.Equal("/etc/shadow", batch.Value(2, EcsField.FilePath));
        Assert.Equal("shadow", batch.Value(2, EcsField.FileName));
        Assert.Equal("warning", batch.Value(2, EcsField.LogLevel));
        Assert.Equal("4", batch.Value(2, EcsField.EventSeverity));
        Assert.False(batch.Has(2, EcsField.OrchestratorType));
    }

    [Fact]
    public void A_bad_record_is_rejected_and_the_rest_flows()
    {
        var body = string.Join('\n',
            """{"output":"o","priority":"Error","rule":"first","time":"2025-11-14T03:14:53.123456789Z"}""",
            """{"output":"o","priority":"Error","time":"2025-11-14T03:14:53Z"}""",
            """{"output":"o","priority":"Error","rule":"no time"}""",
            """{"output":"o","priority":"Error","rule":"last","time":"2025-11-14T03:14:54Z","output_fields":{"proc.cmdline":"a\"b\\c"}}""");
        var batch = Parse(Format, body);

        Assert.Equal(new[] { "first", "last" }, new[] { batch.Value(0, EcsField.RuleName)!, batch.Value(1, EcsField.RuleName)! });
        Assert.Equal(new DateTimeOffset(2025, 11, 14, 3, 14, 53, TimeSpan.Zero).AddTicks(1234567), batch.Timestamp(0));
        Assert.Equal("a\"b\\c", batch.Value(1, EcsField.ProcessCommandLine));
        Assert.Equal("3", batch.Value(0, EcsField.EventSeverity));
        Assert.Equal(["missing-rule", "missing-timestamp"], batch.Rejects.Select(r => r.Reason));
    }
}
