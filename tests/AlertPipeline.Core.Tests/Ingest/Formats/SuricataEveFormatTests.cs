using System.Text;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest.Formats;
using static AlertPipeline.Core.Tests.Ingest.IngestTestKit;

namespace AlertPipeline.Core.Tests.Ingest.Formats;

public sealed class SuricataEveFormatTests
{
    private static readonly SuricataEveFormat Format = new();

    private static readonly Dictionary<string, string> Observer = new()
    {
        ["observer.vendor"] = "OISF",
        ["observer.product"] = "Suricata",
        ["observer.type"] = "ids",
        ["event.module"] = "suricata",
        ["event.dataset"] = "suricata.eve",
        ["event.category"] = "network",
    };

    private static Dictionary<string, string> With(params (string Name, string Value)[] fields)
    {
        var all = new Dictionary<string, string>(Observer);
        foreach (var (name, value) in fields)
        {
            all[name] = value;
        }

        return all;
    }

    [Theory]
    [InlineData("{\"timestamp\":\"2025-11-14T03:14:53+0000\",\"event_type\":\"flow\"}", true)]
    [InlineData("{\n  \"timestamp\": \"x\",\n  \"event_type\" : \"dns\"\n}", true)]
    [InlineData("{\"@timestamp\":\"2025-11-14T03:14:53Z\",\"message\":\"\\\"event_type\\\":1\"}", false)]
    [InlineData("{\"event_type\":\"flow\"}", false)]
    [InlineData("event_type=flow timestamp=1", false)]
    public void CanParse_needs_event_type_and_timestamp_members(string body, bool expected)
        => Assert.Equal(expected, Format.CanParse(Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void Alert_maps_signature_category_and_severity()
    {
        var batch = Parse(Format, Sample("suricata/eve.jsonl"));

        Assert.Empty(batch.Rejects);
        Assert.Equal(6, batch.Count);
        batch.AssertFields(0, With(
            ("@timestamp", "2025-11-14T03:14:53.2041180Z"),
            ("event.kind", "alert"),
            ("event.type", "allowed"),
            ("event.action", "allowed"),
            ("event.id", "1184302117540111"),
            ("event.severity", "1"),
            ("observer.name", "ids-hub-1"),
            ("source.ip", "10.40.77.31"),
            ("source.port", "51812"),
            ("destination.ip", "198.51.100.45"),
            ("destination.port", "3333"),
            ("network.transport", "tcp"),
            ("rule.id", "2024792"),
            ("rule.name", "ET POLICY Cryptocurrency Miner Checkin"),
            ("rule.category", "Potential Corporate Privacy Violation")));
        Assert.Equal(At(0), batch.Position(0));
        Assert.Equal("suricata", batch.FormatOf(0));
    }

    [Fact]
    public void Flow_maps_age_to_nanoseconds_and_sums_bytes()
    {
        var batch = Parse(Format, Sample("suricata/eve.jsonl"));

        batch.AssertFields(1, With(
            ("@timestamp", "2025-11-14T03:25:10.0000310Z"),
            ("event.kind", "event"),
            ("event.type", "connection"),
            ("event.action", "flow"),
            ("event.id", "1022211830014452"),
            ("event.duration", "748000000000"),
            ("event.reason", "timeout"),
            ("source.ip", "10.40.77.31"),
            ("source.port", "43122"),
            ("destination.ip", "203.0.113.66"),
            ("destination.port", "22"),
            ("network.transport", "tcp"),
            ("network.protocol", "ssh"),
            ("network.bytes", "2110787")));
    }

    [Fact]
    public void Dns_v2_and_v3_map_the_first_query_without_the_root_dot()
    {
        var batch = Parse(Format, Sample("suricata/eve.jsonl"));

        batch.AssertFields(2, With(
            ("@timestamp", "2025-11-14T03:14:52.1010200Z"),
            ("event.kind", "event"),
            ("event.type", "protocol"),
            ("event.action", "dns"),
            ("event.id", "2011113400221"),
            ("source.ip", "10.40.77.31"),
            ("source.port", "40112"),
            ("destination.ip", "168.63.129.16"),
            ("destination.port", "53"),
            ("network.transport", "udp"),
            ("network.protocol", "dns"),
            ("dns.question.name", "pool.supportxmr.com"),
            ("dns.question.type", "A")));
        Assert.Equal("huggingface.co", batch.Value(3, EcsField.DnsQuestionName));
        Assert.Equal("AAAA", batch.Value(3, EcsField.DnsQuestionType));
        Assert.Equal("NOERROR", batch.Value(3, EcsField.DnsResponseCode));
    }

    [Fact]
    public void Tls_maps_sni_ja3_ja3s_and_ja4()
    {
        var batch = Parse(Format, Sample("suricata/eve.jsonl"));

        batch.AssertFields(4, With(
            ("@timestamp", "2025-11-14T03:15:02.3300000Z"),
            ("event.kind", "event"),
            ("event.type", "protocol"),
            ("event.action", "tls"),
            ("event.id", "2011113400230"),
            ("source.ip", "10.40.77.31"),
            ("source.port", "51900"),
            ("destination.ip", "198.51.100.45"),
            ("destination.port", "443"),
            ("destination.domain", "pool.supportxmr.com"),
            ("network.transport", "tcp"),
            ("tls.client.server_name", "pool.supportxmr.com"),
            ("tls.client.ja3", "e7d705a3286e19ea42f587b344ee6865"),
            ("tls.server.ja3s", "15af977ce25de452b96affa2addb1036"),
            ("tls.client.ja4", "t13d1516h2_8daaf6152771_02713d6af862")));
    }

    [Fact]
    public void Http_maps_host_url_method_status_and_agent()
    {
        var batch = Parse(Format, Sample("suricata/eve.jsonl"));

        batch.AssertFields(5, With(
            ("@timestamp", "2025-11-14T03:14:03.0000000Z"),
            ("event.kind", "event"),
            ("event.type", "protocol"),
            ("event.action", "http"),
            ("event.id", "2011113400240"),
            ("source.ip", "10.40.77.31"),
            ("source.port", "52004"),
            ("destination.ip", "203.0.113.80"),
            ("destination.port", "80"),
            ("destination.domain", "dl.example.net"),
            ("network.transport", "tcp"),
            ("url.domain", "dl.example.net"),
            ("url.original", "/x/xmrig-6.21.0-linux-static-x64.tar.gz"),
            ("http.request.method", "GET"),
            ("http.response.status_code", "200"),
            ("user_agent.original", "curl/8.5.0")));
    }

    [Fact]
    public void A_bad_record_is_rejected_and_the_rest_flows()
    {
        var body = string.Join('\n',
            """{"timestamp":"2025-11-14T03:14:53.2+0000","event_type":"flow","src_ip":"10.0.0.1"}""",
            """{"timestamp":"2025-11-14T03:14:53.2+0000","src_ip":"10.0.0.2"}""",
            """{"timestamp":"yesterday","event_type":"flow"}""",
            """{"timestamp":"2025-11-14T03:14:53.2+0000","event_type":"alert","alert":{"signature":"a \"quoted\"\u00e9 name"}""",
            """{"timestamp":"2025-11-14T03:14:54+0000","event_type":"flow","src_ip":"10.0.0.3"}""");
        var batch = Parse(Format, body);

        Assert.Equal(new[] { "10.0.0.1", "10.0.0.3" }, new[] { batch.Value(0, EcsField.SourceIp)!, batch.Value(1, EcsField.SourceIp)! });
        Assert.Equal(["missing-event-type", "bad-timestamp", "malformed-json"], batch.Rejects.Select(r => r.Reason));
        Assert.Equal([At(1), At(2), At(3)], batch.Rejects.Select(r => r.Position));
    }

    [Fact]
    public void Escapes_are_unescaped()
    {
        var batch = Parse(Format, """{"timestamp":"2025-11-14T03:14:53Z","event_type":"alert","alert":{"signature":"a \"quoted\" \u00e9 name","action":"blocked"}}""");

        Assert.Equal("a \"quoted\" é name", batch.Value(0, EcsField.RuleName));
        Assert.Equal("denied", batch.Value(0, EcsField.EventType));
    }
}
