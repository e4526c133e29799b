using System.Text;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest.Formats;
using static AlertPipeline.Core.Tests.Ingest.IngestTestKit;

namespace AlertPipeline.Core.Tests.Ingest.Formats;

public sealed class AzureFirewallFormatTests
{
    private static readonly AzureFirewallFormat Format = new();

    private const string ResourceId = "/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/AZUREFIREWALLS/FW-1";

    [Theory]
    [InlineData("{\"records\":[]}", true)]
    [InlineData(" \r\n{ \n \"records\" : [", true)]
    [InlineData("{\"record\":[]}", false)]
    [InlineData("{\"category\":\"x\",\"records\":[]}", false)]
    [InlineData("[{\"records\":[]}]", false)]
    [InlineData("{\"records\"", false)]
    [InlineData("{", false)]
    [InlineData("", false)]
    public void CanParse_needs_records_as_first_property(string body, bool expected)
        => Assert.Equal(expected, Format.CanParse(Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void Every_record_gets_the_observer_and_module_fields()
    {
        var batch = Parse(Format, Sample("AzureFirewall/structured-records.json"));

        Assert.Empty(batch.Rejects);
        Assert.Equal(7, batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            Assert.Equal("Microsoft", batch.Value(i, EcsField.ObserverVendor));
            Assert.Equal("Azure Firewall", batch.Value(i, EcsField.ObserverProduct));
            Assert.Equal("firewall", batch.Value(i, EcsField.ObserverType));
            Assert.Equal("FW-SANDBOX-EGRESS", batch.Value(i, EcsField.ObserverName));
            Assert.Equal("azure-firewall", batch.Value(i, EcsField.EventModule));
            Assert.Equal("network", batch.Value(i, EcsField.EventCategory));
            Assert.Equal("azure-firewall", batch.FormatOf(i));
            Assert.Equal(At(i), batch.Position(i));
        }
    }

    [Fact]
    public void Structured_network_rule()
    {
        var batch = Parse(Format, Sample("AzureFirewall/structured-records.json"));

        Assert.Equal(new DateTimeOffset(2025, 11, 14, 3, 21, 0, TimeSpan.Zero), batch.Timestamp(0));
        Assert.Equal("azure.firewall.azfwnetworkrule", batch.Value(0, EcsField.EventDataset));
        Assert.Equal("event", batch.Value(0, EcsField.EventKind));
        Assert.Equal("tcp", batch.Value(0, EcsField.NetworkTransport));
        Assert.Equal("10.0.1.5", batch.Value(0, EcsField.SourceIp));
        Assert.Equal("40100", batch.Value(0, EcsField.SourcePort));
        Assert.Equal("203.0.113.66", batch.Value(0, EcsField.DestinationIp));
        Assert.Equal("22", batch.Value(0, EcsField.DestinationPort));
        Assert.Equal("deny", batch.Value(0, EcsField.EventAction));
        Assert.Equal("denied", batch.Value(0, EcsField.EventType));
        Assert.Equal("failure", batch.Value(0, EcsField.EventOutcome));
        Assert.Equal("Default Action", batch.Value(0, EcsField.EventReason));
        Assert.False(batch.Has(0, EcsField.RuleName)); // "" is absent
        Assert.False(batch.Has(0, EcsField.RuleRuleset));
    }

    [Fact]
    public void Structured_application_rule()
    {
        var batch = Parse(Format, Sample("AzureFirewall/structured-records.json"));

        Assert.Equal("azure.firewall.azfwapplicationrule", batch.Value(1, EcsField.EventDataset));
        Assert.Equal("https", batch.Value(1, EcsField.NetworkProtocol));
        Assert.Equal("tcp", batch.Value(1, EcsField.NetworkTransport));
        Assert.Equal("files.example.org", batch.Value(1, EcsField.DestinationDomain));
        Assert.Equal("files.example.org", batch.Value(1, EcsField.UrlDomain));
        Assert.Equal("https://files.example.org/data/set.parquet", batch.Value(1, EcsField.UrlOriginal));
        Assert.False(batch.Has(1, EcsField.DestinationIp));
        Assert.Equal("443", batch.Value(1, EcsField.DestinationPort));
        Assert.Equal("allow", batch.Value(1, EcsField.EventAction));
        Assert.Equal("allowed", batch.Value(1, EcsField.EventType));
        Assert.Equal("success", batch.Value(1, EcsField.EventOutcome));
        Assert.Equal("sandbox-egress", batch.Value(1, EcsField.RuleRuleset));
        Assert.Equal("allow-datasets", batch.Value(1, EcsField.RuleCategory));
        Assert.Equal("allow-example-files", batch.Value(1, EcsField.RuleName));
        Assert.False(batch.Has(1, EcsField.EventReason));
    }

    [Fact]
    public void Structured_threat_intel_with_properties_before_category()
    {
        var batch = Parse(Format, Sample("AzureFirewall/structured-records.json"));

        Assert.Equal("azure.firewall.azfwthreatintel", batch.Value(2, EcsField.EventDataset));
        Assert.Equal(new DateTimeOffset(2025, 11, 14, 3, 21, 2, TimeSpan.Zero), batch.Timestamp(2));
        Assert.Equal("alert", batch.Value(2, EcsField.EventKind));
        Assert.Equal("alert", batch.Value(2, EcsField.EventAction));
        Assert.Equal("c2.example-bad.test", batch.Value(2, EcsField.DestinationDomain));
        Assert.False(batch.Has(2, EcsField.DestinationIp));
        Assert.Equal("Known command and control host.", batch.Value(2, EcsField.RuleName));
        Assert.Equal("ThreatIntel", batch.Value(2, EcsField.RuleCategory));
        Assert.Equal("http", batch.Value(2, EcsField.NetworkProtocol));
    }

    [Fact]
    public void Structured_idps_signature()
    {
        var batch = Parse(Format, Sample("AzureFirewall/structured-records.json"));

        Assert.Equal("azure.firewall.azfwidpssignature", batch.Value(3, EcsField.EventDataset));
        Assert.Equal("alert", batch.Value(3, EcsField.EventKind));
        Assert.Equal("drop", batch.Value(3, EcsField.EventAction));
        Assert.Equal("denied", batch.Value(3, EcsField.EventType));
        Assert.Equal("2900001", batch.Value(3, EcsField.RuleId));
        Assert.Equal("Stratum mining login attempt", batch.Value(3, EcsField.RuleName));
        Assert.Equal("Crypto Currency Mining Activity Detected", batch.Value(3, EcsField.RuleCategory));
        Assert.Equal("1", batch.Value(3, EcsField.EventSeverity));
        Assert.Equal("198.51.100.44", batch.Value(3, EcsField.DestinationIp));
        Assert.Equal("3333", batch.Value(3, EcsField.DestinationPort));
    }

    [Fact]
    public void Structured_nat_dns_and_resolve_failure()
    {
        var batch = Parse(Format, Sample("AzureFirewall/structured-records.json"));

        Assert.Equal("dnat", batch.Value(4, EcsField.EventAction));
        Assert.Equal("connection", batch.Value(4, EcsField.EventType));
        Assert.Equal("203.0.113.10", batch.Value(4, EcsField.DestinationIp));
        Assert.Equal("ssh-in", batch.Value(4, EcsField.RuleName));
        Assert.Equal("10.0.1.5", batch.Value(4, EcsField.DestinationNatIp));
        Assert.Equal("22", batch.Value(4, EcsField.DestinationNatPort));

        Assert.Equal("azure.firewall.azfwdnsquery", batch.Value(5, EcsField.EventDataset));
        Assert.Equal("exfil.example-bad.test", batch.Value(5, EcsField.DnsQuestionName));
        Assert.Equal("TXT", batch.Value(5, EcsField.DnsQuestionType));
        Assert.Equal("NOERROR", batch.Value(5, EcsField.DnsResponseCode));
        Assert.Equal("dns", batch.Value(5, EcsField.NetworkProtocol));
        Assert.Equal("udp", batch.Value(5, EcsField.NetworkTransport));
        Assert.Equal("protocol", batch.Value(5, EcsField.EventType));
        Assert.False(batch.Has(5, EcsField.EventOutcome));

        Assert.Equal("azure.firewall.azfwfqdnresolvefailure", batch.Value(6, EcsField.EventDataset));
        Assert.Equal("missing.example.org", batch.Value(6, EcsField.DnsQuestionName));
        Assert.False(batch.Has(6, EcsField.DestinationDomain));
        Assert.Equal("10.0.2.4", batch.Value(6, EcsField.DestinationIp));
        Assert.Equal("53", batch.Value(6, EcsField.DestinationPort));
        Assert.Equal("no such host", batch.Value(6, EcsField.EventReason));
        Assert.Equal("failure", batch.Value(6, EcsField.EventOutcome));
    }

    [Fact]
    public void Legacy_network_rules()
    {
        var batch = Parse(Format, Sample("AzureFirewall/legacy-records.json"));

        Assert.Empty(batch.Rejects);
        Assert.Equal(10, batch.Count);

        Assert.Equal("azure.firewall.azurefirewallnetworkrule", batch.Value(0, EcsField.EventDataset));
        Assert.Equal("tcp", batch.Value(0, EcsField.NetworkTransport));
        Assert.Equal("10.0.1.5", batch.Value(0, EcsField.SourceIp));
        Assert.Equal("43122", batch.Value(0, EcsField.SourcePort));
        Assert.Equal("203.0.113.7", batch.Value(0, EcsField.DestinationIp));
        Assert.Equal("3333", batch.Value(0, EcsField.DestinationPort));
        Assert.Equal("deny", batch.Value(0, EcsField.EventAction));
        Assert.Equal("denied", batch.Value(0, EcsField.EventType));
        Assert.Equal("failure", batch.Value(0, EcsField.EventOutcome));
        Assert.Equal("event", batch.Value(0, EcsField.EventKind));
        Assert.Equal("TCP request from 10.0.1.5:43122 to 203.0.113.7:3333. Action: Deny.", batch.Value(0, EcsField.Message));
        Assert.False(batch.Has(0, EcsField.EventReason));

        Assert.Equal("udp", batch.Value(1, EcsField.NetworkTransport));
        Assert.Equal("allow", batch.Value(1, EcsField.EventAction));
        Assert.Equal("allowed", batch.Value(1, EcsField.EventType));
        Assert.Equal("success", batch.Value(1, EcsField.EventOutcome));

        Assert.Equal("icmp", batch.Value(2, EcsField.NetworkTransport));
        Assert.Equal("198.51.100.9", batch.Value(2, EcsField.DestinationIp));
        Assert.Equal("0", batch.Value(2, EcsField.DestinationPort));
        Assert.Equal("deny", batch.Value(2, EcsField.EventAction));

        Assert.Equal("dnat", batch.Value(3, EcsField.EventAction));
        Assert.Equal("10.0.1.5", batch.Value(3, EcsField.DestinationNatIp));
        Assert.Equal("22", batch.Value(3, EcsField.DestinationNatPort));
        Assert.Equal("connection", batch.Value(3, EcsField.EventType));
        Assert.Equal("198.51.100.20", batch.Value(3, EcsField.SourceIp));
        Assert.Equal("203.0.113.10", batch.Value(3, EcsField.DestinationIp));
        Assert.Equal("2222", batch.Value(3, EcsField.DestinationPort));
    }

    [Fact]
    public void Legacy_application_rules()
    {
        var batch = Parse(Format, Sample("AzureFirewall/legacy-records.json"));

        Assert.Equal("azure.firewall.azurefirewallapplicationrule", batch.Value(4, EcsField.EventDataset));
        Assert.Equal("https", batch.Value(4, EcsField.NetworkProtocol));
        Assert.Equal("tcp", batch.Value(4, EcsField.NetworkTransport));
        Assert.Equal("pool.example-mining.test", batch.Value(4, EcsField.DestinationDomain));
        Assert.Equal("pool.example-mining.test", batch.Value(4, EcsField.UrlDomain));
        Assert.Equal("443", batch.Value(4, EcsField.DestinationPort));
        Assert.False(batch.Has(4, EcsField.DestinationIp));
        Assert.Equal("No rule matched. Proceeding with default action", batch.Value(4, EcsField.EventReason));

        Assert.Equal("allow", batch.Value(5, EcsField.EventAction));
        Assert.Equal("sandbox-egress", batch.Value(5, EcsField.RuleRuleset));
        Assert.Equal("allow-datasets", batch.Value(5, EcsField.RuleCategory));
        Assert.Equal("allow-example-files", batch.Value(5, EcsField.RuleName));
        Assert.False(batch.Has(5, EcsField.EventReason));

        Assert.Equal("http", batch.Value(6, EcsField.NetworkProtocol));
        Assert.Equal("downloads.example.net/tools/xmrig.tar.gz", batch.Value(6, EcsField.UrlOriginal));
        Assert.Equal("downloads.example.net", batch.Value(6, EcsField.DestinationDomain));
        Assert.Equal("80", batch.Value(6, EcsField.DestinationPort));
        Assert.Equal("No rule matched. Proceeding with default action", batch.Value(6, EcsField.EventReason));

        Assert.Equal("c1", batch.Value(7, EcsField.RuleCategory));
        Assert.Equal("r1", batch.Value(7, EcsField.RuleName));
        Assert.False(batch.Has(7, EcsField.RuleRuleset));
    }

    [Fact]
    public void Legacy_threat_intel_and_dns_proxy()
    {
        var batch = Parse(Format, Sample("AzureFirewall/legacy-records.json"));

        Assert.Equal("alert", batch.Value(8, EcsField.EventKind));
        Assert.Equal("Bot Networks", batch.Value(8, EcsField.RuleName));
        Assert.Equal("ThreatIntel", batch.Value(8, EcsField.RuleCategory));
        Assert.Equal("deny", batch.Value(8, EcsField.EventAction));
        Assert.Equal("c2.example-bad.test", batch.Value(8, EcsField.DestinationDomain));

        Assert.Equal("azure.firewall.azurefirewalldnsproxy", batch.Value(9, EcsField.EventDataset));
        Assert.Equal("10.0.1.5", batch.Value(9, EcsField.SourceIp));
        Assert.Equal("40000", batch.Value(9, EcsField.SourcePort));
        Assert.Equal("pool.example-mining.test", batch.Value(9, EcsField.DnsQuestionName));
        Assert.Equal("A", batch.Value(9, EcsField.DnsQuestionType));
        Assert.Equal("NXDOMAIN", batch.Value(9, EcsField.DnsResponseCode));
        Assert.Equal("udp", batch.Value(9, EcsField.NetworkTransport));
        Assert.Equal("dns", batch.Value(9, EcsField.NetworkProtocol));
    }

    [Fact]
    public void Bad_records_are_rejected_with_reason_and_position_and_the_rest_flows()
    {
        var body = $$$"""
            {"records":[
              {"category":"AZFWNetworkRuleAggregation","time":"2025-11-14T03:20:00Z","resourceId":"{{{ResourceId}}}","properties":{}},
              {"category":"AZFWNetworkRule","resourceId":"{{{ResourceId}}}","properties":{"Protocol":"TCP"}},
              {"category":"AZFWNetworkRule","time":"last tuesday","resourceId":"{{{ResourceId}}}","properties":{"Protocol":"TCP"}},
              {"category":"AzureFirewallNetworkRule","time":"2025-11-14T03:20:00Z","resourceId":"{{{ResourceId}}}","properties":{"msg":"something else entirely"}},
              {"category":"AzureFirewallNetworkRule","time":"2025-11-14T03:20:00Z","resourceId":"{{{ResourceId}}}","properties":{}},
              "not a record",
              {"time":"2025-11-14T03:20:00Z","properties":{"msg":"TCP request from 10.0.0.1:1 to 10.0.0.2:2. Action: Deny"}},
              {"category":"AZFWNetworkRule","time":"2025-11-14T03:20:00Z","resourceId":"{{{ResourceId}}}"},
              {"category":"AZFWNetworkRule","time":"2025-11-14T03:20:09Z","resourceId":"{{{ResourceId}}}","properties":{"Protocol":"UDP","SourceIp":"10.0.1.9","Action":"Allow"}}
            ]}
            """;

        var batch = Parse(Format, body);

        Assert.Equal(1, batch.Count);
        Assert.Equal("10.0.1.9", batch.Value(0, EcsField.SourceIp));
        Assert.Equal(At(8), batch.Position(0));
        Assert.Equal(
            [("unknown-category", 0), ("missing-timestamp", 1), ("bad-timestamp", 2), ("unparsable-msg", 3), ("unparsable-msg", 4),
             ("not-an-object", 5), ("unknown-category", 6), ("missing-properties", 7)],
            batch.Rejects.Select(r => (r.Reason, r.Position.Record)));
        Assert.All(batch.Rejects, r => Assert.Equal("azure-firewall", r.Format));
        Assert.Contains("AZFWNetworkRuleAggregation", batch.Rejects[0].Excerpt);
    }

    [Fact]
    public void Syntax_error_rejects_the_rest_after_earlier_records()
    {
        var body = """{"records":[{"category":"AZFWNetworkRule","time":"2025-11-14T03:20:00Z","properties":{"SourceIp":"10.0.0.1"}},{"category":"AZFWNetworkRule","time":}]}""";

        var batch = Parse(Format, body);

        Assert.Equal(1, batch.Count);
        var reject = Assert.Single(batch.Rejects);
        Assert.Equal("malformed-json", reject.Reason);
        Assert.Equal(At(1), reject.Position);
        Assert.Contains("after 1 records", reject.Detail);
    }

    [Theory]
    [InlineData("{\"records\":{}}", "missing-records")]
    [InlineData("{\"other\":1}", "missing-records")]
    [InlineData("[]", "not-an-object")]
    [InlineData("{\"records\":[", "malformed-json")]
    [InlineData("{\"records\":[]} junk", "malformed-json")]
    [InlineData("", "malformed-json")]
    public void Broken_envelopes_are_rejected(string body, string reason)
    {
        var batch = Parse(Format, body);

        Assert.Equal(0, batch.Count);
        Assert.Equal(reason, Assert.Single(batch.Rejects).Reason);
    }

    [Fact]
    public void Escapes_unicode_and_long_messages()
    {
        var longTail = new string('x', 5000);
        var body = $$$"""
            {"records":[
              {"category":"AZFWApplicationRule","time":"2025-11-14T03:20:00Z","resourceId":"/x/AZUREFIREWALLS/FW-\u00e9",
               "properties":{"Protocol":"HTTPS","Fqdn":"caf\u00e9.example","Rule":"say \"hi\"","Action":"Allow"}},
              {"category":"AzureFirewallApplicationRule","time":"2025-11-14T03:20:00Z","resourceId":"/x/FW",
               "properties":{"msg":"HTTPS request from 10.0.0.1:1 to a.example:443. Action: Deny. Rule: {{{longTail}}}"}}
            ]}
            """;

        var batch = Parse(Format, body);

        Assert.Empty(batch.Rejects);
        Assert.Equal("FW-é", batch.Value(0, EcsField.ObserverName));
        Assert.Equal("café.example", batch.Value(0, EcsField.DestinationDomain));
        Assert.Equal("say \"hi\"", batch.Value(0, EcsField.RuleName));
        Assert.Equal(AzureFirewallFormat.MaxMessageChars, batch.Get(1, EcsField.Message).Length);
        Assert.Equal(longTail, batch.Value(1, EcsField.RuleName));
    }

    [Fact]
    public void Invalid_utf8_in_a_record_is_rejected_and_others_flow()
    {
        var text = "{\"records\":[{\"category\":\"AZFWNetworkRule\",\"time\":\"2025-11-14T03:20:00Z\",\"properties\":{\"Rule\":\"X\"}},"
            + "{\"category\":\"AzureFirewallNetworkRule\",\"time\":\"2025-11-14T03:20:00Z\",\"properties\":{\"msg\":\"TCP request from 10.0.0.1:1 to 10.0.0.2:2. Rule: Y\"}},"
            + "{\"category\":\"AZFWNetworkRule\",\"time\":\"2025-11-14T03:20:00Z\",\"properties\":{\"Rule\":\"ok\"}}]}";
        var body = Encoding.UTF8.GetBytes(text);
        body[Array.IndexOf(body, (byte)'X')] = 0xC3;
        body[Array.IndexOf(body, (byte)'Y')] = 0xFE;

        var batch = Parse(Format, body);

        Assert.Equal(1, batch.Count);
        Assert.Equal("ok", batch.Value(0, EcsField.RuleName));
        Assert.Equal(2, batch.Rejects.Count);
    }

    [Fact]
    public void Deep_nesting_in_properties_is_rejected_without_throwing()
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 3000)) + "1" + new string('}', 3000);
        var batch = Parse(Format, $"{{\"records\":[{{\"category\":\"AZFWNetworkRule\",\"time\":\"2025-11-14T03:20:00Z\",\"properties\":{deep}}}]}}");

        Assert.Equal(0, batch.Count);
        Assert.Equal("malformed-json", Assert.Single(batch.Rejects).Reason);
    }

    [Fact]
    public void Flow_trace_and_fat_flow_records_keep_their_endpoints()
    {
        var body = "{\"records\":["
            + "{\"category\":\"AZFWFlowTrace\",\"time\":\"2025-11-14T03:12:41.2000000Z\",\"resourceId\":\"" + ResourceId + "\",\"properties\":"
            + "{\"SourceIp\":\"10.40.77.31\",\"SourcePort\":43122,\"DestinationIp\":\"203.0.113.66\",\"DestinationPort\":22,\"Protocol\":\"TCP\",\"Flag\":\"SYN-ACK\"}},"
            + "{\"category\":\"AZFWFatFlow\",\"time\":\"2025-11-14T03:20:00.0000000Z\",\"resourceId\":\"" + ResourceId + "\",\"properties\":"
            + "{\"SourceIp\":\"10.40.77.31\",\"SourcePort\":43122,\"DestinationIp\":\"203.0.113.66\",\"DestinationPort\":22,\"Protocol\":\"TCP\",\"FlowRate\":412.5}}"
            + "]}";
        var batch = Parse(Format, body);

        Assert.Empty(batch.Rejects);
        Assert.Equal("azure.firewall.azfwflowtrace", batch.Value(0, EcsField.EventDataset));
        Assert.Equal("syn-ack", batch.Value(0, EcsField.EventAction));
        Assert.Equal("connection", batch.Value(0, EcsField.EventType));
        Assert.Equal("tcp", batch.Value(0, EcsField.NetworkTransport));
        Assert.Equal("203.0.113.66", batch.Value(0, EcsField.DestinationIp));
        Assert.Equal("azure.firewall.azfwfatflow", batch.Value(1, EcsField.EventDataset));
        Assert.Equal("10.40.77.31", batch.Value(1, EcsField.SourceIp));
        Assert.Equal("22", batch.Value(1, EcsField.DestinationPort));
        Assert.Equal("connection", batch.Value(1, EcsField.EventType));
        Assert.False(batch.Has(1, EcsField.EventAction));
    }
}
