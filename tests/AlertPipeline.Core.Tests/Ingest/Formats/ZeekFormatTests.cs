using System.Text;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest.Formats;
using static AlertPipeline.Core.Tests.Ingest.IngestTestKit;

namespace AlertPipeline.Core.Tests.Ingest.Formats;

public sealed class ZeekFormatTests
{
    private static readonly ZeekFormat Format = new();

    private static Dictionary<string, string> Common(string dataset, params (string Name, string Value)[] fields)
    {
        var all = new Dictionary<string, string>
        {
            ["event.kind"] = "event",
            ["event.category"] = "network",
            ["event.module"] = "zeek",
            ["event.dataset"] = dataset,
            ["observer.vendor"] = "Zeek",
            ["observer.product"] = "Zeek",
            ["observer.type"] = "sensor",
        };
        foreach (var (name, value) in fields)
        {
            all[name] = value;
        }

        return all;
    }

    [Theory]
    [InlineData("{\"ts\":1.5,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.1\"}", true)]
    [InlineData("{\"ts\":1.5,\"uid\":\"C1\"}", false)]
    [InlineData("{\"ts\":1.5,\"id\":{\"orig_h\":\"10.0.0.1\"},\"uid\":\"C1\"}", false)]
    public void CanParse_needs_uid_and_the_connection_id(string body, bool expected)
        => Assert.Equal(expected, Format.CanParse(Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void Conn_log_maps_endpoints_duration_in_nanoseconds_and_bytes()
    {
        var batch = Parse(Format, Sample("zeek/conn.jsonl"));

        Assert.Empty(batch.Rejects);
        batch.AssertFields(0, Common("zeek.conn",
            ("@timestamp", "2025-11-14T03:12:41.1182200Z"),
            ("event.type", "connection"),
            ("event.id", "CbX3kq2ZxWm9yTr1a"),
            ("event.duration", "748801893000"),
            ("event.reason", "SF"),
            ("source.ip", "10.40.77.31"),
            ("source.port", "43122"),
            ("destination.ip", "203.0.113.66"),
            ("destination.port", "22"),
            ("network.transport", "tcp"),
            ("network.protocol", "ssh"),
            ("network.bytes", "2110787")));
        Assert.False(batch.Has(1, EcsField.EventDuration));
        Assert.False(batch.Has(1, EcsField.NetworkBytes));
        Assert.Equal("S0", batch.Value(1, EcsField.EventReason));
    }

    [Fact]
    public void Dns_log_maps_query_type_and_rcode_and_takes_an_iso_ts()
    {
        var batch = Parse(Format, Sample("zeek/dns.jsonl"));

        Assert.Empty(batch.Rejects);
        batch.AssertFields(0, Common("zeek.dns",
            ("@timestamp", "2025-11-14T03:14:52.1010200Z"),
            ("event.type", "protocol"),
            ("event.id", "CpL2mN4oQ6rS8tU0v"),
            ("source.ip", "10.40.77.31"),
            ("source.port", "40112"),
            ("destination.ip", "168.63.129.16"),
            ("destination.port", "53"),
            ("network.transport", "udp"),
            ("network.protocol", "dns"),
            ("dns.question.name", "pool.supportxmr.com"),
            ("dns.question.type", "A"),
            ("dns.response_code", "NOERROR")));
    }

    [Fact]
    public void Ssl_log_without_path_is_recognised_by_its_members()
    {
        var batch = Parse(Format, Sample("zeek/ssl.jsonl"));

        Assert.Empty(batch.Rejects);
        batch.AssertFields(0, Common("zeek.ssl",
            ("@timestamp", "2025-11-14T03:15:02.3300000Z"),
            ("event.type", "protocol"),
            ("event.id", "CwX1yZ3aB5cD7eF9g"),
            ("source.ip", "10.40.77.31"),
            ("source.port", "51900"),
            ("destination.ip", "198.51.100.45"),
            ("destination.port", "443"),
            ("destination.domain", "pool.supportxmr.com"),
            ("network.protocol", "tls"),
            ("tls.client.server_name", "pool.supportxmr.com"),
            ("tls.client.ja3", "e7d705a3286e19ea42f587b344ee6865")));
    }

    [Fact]
    public void A_bad_record_is_rejected_and_the_rest_flows()
    {
        var body = "{\"ts\":1763090001.5,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.1\"}\n"
            + "{\"ts\":-4,\"uid\":\"C2\",\"id.orig_h\":\"10.0.0.2\"}\n"
            + "{\"ts\":\"not a time\",\"uid\":\"C3\"}\n"
            + "[1,2]\n"
            + "{\"ts\":1763090002,\"uid\":\"C5\",\"id.orig_h\":\"10.0.0.5\",\"duration\":\"long\"}";
        var batch = Parse(Format, body);

        Assert.Equal(new[] { "C1", "C5" }, new[] { batch.Value(0, EcsField.EventId)!, batch.Value(1, EcsField.EventId)! });
        Assert.False(batch.Has(1, EcsField.EventDuration));
        Assert.Equal(["bad-timestamp", "bad-timestamp", "not-an-object"], batch.Rejects.Select(r => r.Reason));
    }
}
